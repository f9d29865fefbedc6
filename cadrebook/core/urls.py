from django.urls import path

from cadrebook.core import views

app_name = "core"
urlpatterns = [path("unit/<str:code>/", views.audit_unit, name="audit_unit")]
