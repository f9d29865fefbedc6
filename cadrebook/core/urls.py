from django.urls import path

from cadrebook.core import views

app_name = "core"
urlpatterns = [
    path("unit/<str:code>/", views.audit_unit, name="audit_unit"),
    path("object/<str:object_type>/<str:object_id>/", views.audit_object, name="audit_object"),
]
