from django.urls import path

from cadrebook.evaluations import views

app_name = "evaluations"

urlpatterns = [
    path("targets/", views.target_list, name="targets"),
    path("targets/<str:code>/set/", views.target_edit, name="target_edit"),
    path("evaluations/", views.round_list, name="rounds"),
    path("evaluations/open/<str:code>/", views.round_open, name="round_open"),
    path("evaluations/<int:pk>/", views.round_detail, name="round"),
    path("evaluations/models/<str:code>/", views.model_organizations, name="models"),
    path("evaluations/<int:pk>/close/", views.round_close, name="round_close"),
    path("evaluations/<int:pk>/timetable/", views.round_timetable, name="round_timetable"),
    path("evaluations/<int:pk>/outstanding/", views.round_outstanding, name="round_outstanding"),
    path("evaluations/subjects/<int:pk>/", views.subject_detail, name="subject"),
    path("evaluations/subjects/<int:pk>/mark/", views.subject_mark, name="subject_mark"),
    path("evaluations/subjects/<int:pk>/assess/", views.subject_assess, name="subject_assess"),
    path("evaluations/subjects/<int:pk>/propose/", views.subject_propose, name="subject_propose"),
    path("evaluations/subjects/<int:pk>/decide/", views.subject_decide, name="subject_decide"),
    path(
        "evaluations/subjects/<int:pk>/reconsider/",
        views.subject_reconsider,
        name="subject_reconsider",
    ),
]
