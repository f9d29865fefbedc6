"""URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from cadrebook.accounts.views import choose_language
from cadrebook.api.root import api, unknown_path

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="orgs:tree", permanent=False)),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", choose_language, name="set_language"),
    path("account/", include("cadrebook.accounts.urls")),
    path("units/", include("cadrebook.orgs.urls")),
    path("members/", include("cadrebook.members.urls")),
    path("audit/", include("cadrebook.core.urls")),
    path("imports/", include("cadrebook.imports.urls")),
    path("targets/", include("cadrebook.evaluations.urls")),
    path("reports/", include("cadrebook.reports.urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", unknown_path),
    path("admin/", admin.site.urls),
]
