from django.urls import path

from cadrebook.evaluations import views

app_name = "evaluations"

urlpatterns = [
    path("", views.target_list, name="targets"),
    path("<str:code>/set/", views.target_edit, name="target_edit"),
]
