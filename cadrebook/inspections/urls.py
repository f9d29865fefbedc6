from django.urls import path

from cadrebook.inspections import views

app_name = "inspections"

urlpatterns = [
    path("inspections/", views.inspection_list, name="inspections"),
    path("inspections/worklists/", views.worklist_page, name="worklists"),
    path("inspections/new/<str:code>/", views.inspection_new, name="inspection_new"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection"),
    path("inspections/<int:pk>/steps/", views.inspection_step, name="inspection_step"),
    path("inspections/<int:pk>/subjects/new/", views.subject_new, name="subject_new"),
    path("inspections/<int:pk>/subjects/lookup/", views.subject_lookup, name="subject_lookup"),
    path("inspections/<int:pk>/conclusion/", views.inspection_conclusion, name="conclusion"),
    path(
        "inspections/<int:pk>/recommendations/new/",
        views.recommendation_new,
        name="recommendation_new",
    ),
    path(
        "inspections/recommendations/<int:pk>/follow-up/",
        views.follow_up_new,
        name="follow_up_new",
    ),
    path("inspections/programs/", views.program_list, name="programs"),
    path("inspections/programs/new/<str:code>/", views.program_new, name="program_new"),
    path("inspections/programs/<int:pk>/", views.program_detail, name="program"),
    path("inspections/programs/<int:pk>/items/new/", views.program_item_new, name="item_new"),
    path("disciplines/", views.discipline_list, name="disciplines"),
    path("disciplines/new/<str:code>/", views.discipline_new, name="discipline_new"),
    path("disciplines/<int:pk>/", views.discipline_detail, name="discipline"),
    path("disciplines/<int:pk>/appeals/new/", views.appeal_new, name="appeal_new"),
    path("disciplines/appeals/<int:pk>/decision/", views.appeal_decision, name="appeal_decision"),
]
