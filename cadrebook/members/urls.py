from django.urls import path

from cadrebook.members import views

app_name = "members"
urlpatterns = [path("<int:pk>/", views.dossier, name="dossier")]
