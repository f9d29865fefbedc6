from django.urls import path

from cadrebook.members import unit_actions, views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("<int:pk>/", views.dossier, name="dossier"),
    path("<int:pk>/edit/", views.edit_personal, name="edit"),
    path("<int:pk>/events/<int:event_id>/correct/", views.correct_event, name="correct"),
    path("<int:pk>/<slug:name>/", views.member_action, name="action"),
    path("transfers/<str:code>/", views.transfers, name="transfers"),
    path("register/<str:code>/", views.register, name="register"),
    path("lookup/sponsors/", views.sponsor_lookup, name="sponsor_lookup"),
    path("units/<str:code>/<slug:name>/", unit_actions.unit_action, name="unit_action"),
]
