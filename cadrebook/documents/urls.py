from django.urls import path

from cadrebook.documents import views

app_name = "documents"
urlpatterns = [
    path("", views.register, name="register"),
    path("units/<str:code>/new/", views.register_new, name="new"),
    path("units/<str:code>/next-number/", views.next_number, name="next_number"),
    path("units/<str:code>/register.pdf", views.register_pdf, name="register_pdf"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/links/", views.link, name="link"),
    path("<int:pk>/files/", views.upload, name="upload"),
    path("<int:pk>/files/<int:file_id>/", views.download, name="download"),
    path("<int:pk>/status/", views.change_status, name="status"),
]
