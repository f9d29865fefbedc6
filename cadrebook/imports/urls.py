from django.urls import path

from cadrebook.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/", views.import_new, name="new"),
    path("export/", views.export, name="export"),
    path("template/<str:kind>.<str:fmt>", views.template_download, name="template"),
    path("<uuid:pk>/", views.import_detail, name="detail"),
    path("<uuid:pk>/progress/", views.import_progress_view, name="progress"),
    path("<uuid:pk>/commit/", views.import_commit, name="commit"),
    path("<uuid:pk>/cancel/", views.import_cancel, name="cancel"),
    path("<uuid:pk>/report.xlsx", views.report_download, name="report"),
]
