"""The pages of the planning, the confidence votes and the rotation (`/cadres/planning/`,
namespace `cadres_planning`): `planning_views`."""

from django.urls import path

from cadrebook.cadres import planning_views as views

app_name = "cadres_planning"

urlpatterns = [
    path("", views.planning_home, name="home"),
    path("structure/", views.structure_by_level, name="structure"),
    path("units/<str:code>/", views.unit_planning, name="unit"),
    path("units/<str:code>/rounds/new/", views.round_new, name="round_new"),
    path("units/<str:code>/add/", views.planning_add_page, name="add"),
    path("units/<str:code>/review/", views.review_new, name="review_new"),
    path("entries/<int:pk>/remove/", views.planning_remove_page, name="remove"),
    path("confidence/", views.confidence_list, name="confidence"),
    path("confidence/new/<str:code>/", views.confidence_new, name="confidence_new"),
    path("rotation/", views.rotation_list, name="rotation"),
    path("rotation/new/<str:code>/", views.rotation_plan_new, name="rotation_plan_new"),
    path("rotation/<int:pk>/", views.rotation_plan, name="rotation_plan"),
    path("rotation/<int:pk>/stints/new/", views.stint_new, name="stint_new"),
    path("rotation/stints/<int:pk>/end/", views.stint_end, name="stint_end"),
]
