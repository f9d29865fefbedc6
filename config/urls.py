"""URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from cadrebook.accounts import signin
from cadrebook.accounts.views import choose_language
from cadrebook.api.root import api, unknown_path

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="orgs:tree", permanent=False)),
    path("login/", signin.SignInView.as_view(), name="login"),
    path("login/code/", signin.sign_in_verify, name="login_verify"),
    # Password reset by e-mail: these pages answer 404 unless a mail server is configured.
    path("login/forgot/", signin.password_reset, name="password_reset"),
    path("login/forgot/sent/", signin.password_reset_done, name="password_reset_done"),
    path(
        "login/forgot/<uidb64>/<token>/",
        signin.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("login/forgot/done/", signin.password_reset_complete, name="password_reset_complete"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", choose_language, name="set_language"),
    path("account/", include("cadrebook.accounts.urls")),
    path("units/", include("cadrebook.orgs.urls")),
    path("members/", include("cadrebook.members.urls")),
    path("documents/", include("cadrebook.documents.urls")),
    path("audit/", include("cadrebook.core.urls")),
    path("imports/", include("cadrebook.imports.urls")),
    # The planning of cadres, the confidence votes and the rotation (/cadres/planning/).
    path("cadres/planning/", include("cadrebook.cadres.planning_urls")),
    # Targets (/targets/) and the evaluation rounds (/evaluations/).
    path("", include("cadrebook.evaluations.urls")),
    # Inspections, their programs and worklists (/inspections/), disciplines (/disciplines/).
    path("", include("cadrebook.inspections.urls")),
    # Cadre work: a unit's posts, the holdings, a person's posts, the worklists (/cadres/).
    path("cadres/", include("cadrebook.cadres.urls", namespace="cadres")),
    path("reports/", include("cadrebook.reports.urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", unknown_path),
    # The admin signs in through the site's own page, which asks for the second factor.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="login", query_string=True, permanent=False),
    ),
    path("admin/", admin.site.urls),
]
