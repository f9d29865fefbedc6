from django.urls import path

from cadrebook.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("-/lookup/", views.unit_lookup, name="lookup"),
    path("<str:code>/", views.unit_detail, name="detail"),
    path("<str:code>/children/", views.children, name="children"),
]
