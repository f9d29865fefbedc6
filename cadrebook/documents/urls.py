from django.urls import path

from cadrebook.documents import views

app_name = "documents"
urlpatterns = [
    path("", views.register, name="register"),
    path("units/<str:code>/new/", views.register_new, name="new"),
    path("units/<str:code>/next-number/", views.next_number, name="next_number"),
    path("units/<str:code>/register.pdf", views.register_pdf, name="register_pdf"),
    path("units/<str:code>/terms/", views.term_list, name="terms"),
    path("units/<str:code>/terms/new/", views.term_new, name="term_new"),
    path("units/<str:code>/terms/<int:term_id>/close/", views.close_term, name="term_close"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/links/", views.link, name="link"),
    path("<int:pk>/files/", views.upload, name="upload"),
    path("<int:pk>/files/<int:file_id>/", views.download, name="download"),
    path("<int:pk>/status/", views.change_status, name="status"),
]
