from django.urls import path, re_path

from cadrebook.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("compose/", views.compose, name="compose"),
    path("compose/draft.pdf", views.draft_pdf, name="draft_pdf"),
    path("compose/issue/", views.issue, name="issue"),
    path("issued/", views.issued_list, name="issued_list"),
    path("issued/<int:pk>/", views.issued_detail, name="issued_detail"),
    re_path(
        r"^issued/(?P<pk>[0-9]+)/report\.(?P<fmt>pdf|xlsx)$",
        views.issued_download,
        name="issued_download",
    ),
]
