"""The floor of a page under load: what the server and the load generator cost before a page
does any work of its own. Serve it with gunicorn as `cadrebook serve` does, and point
`bench/load.py --page` at its paths:

    CADREBOOK_DATABASE_URL=... .venv/bin/python -m gunicorn bench.floor_app:application \\
        --bind 127.0.0.1:8011 --workers 5
    .venv/bin/python bench/load.py --base http://127.0.0.1:8011 --user U --password P \\
        --unit P01 --member 1 --page raw=/floor/raw/ --duration 60

Three floors, each under the same load generator on the same two cores:

- `/floor/raw/`: a WSGI answer of two bytes, no Django: the server and the generator alone;
- `/floor/signed-in/`: a Django view that answers two bytes to a signed-in user, through the
  whole middleware stack of `config.settings` (session, user, second factor, language,
  timeouts, CSP…): what every page of Cadrebook pays first;
- `/floor/members/?unit=CODE`: the first 50 members of the unit's subtree by name, scoped to
  the user as the member list scopes them (the same index), as a small JSON document: an
  indexed member-list page with no template, no count and no audit entry.

Every other path is Cadrebook's own (`config.urls`), so the sign-in of `bench/load.py` works.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

django_application = get_wsgi_application()

from django.contrib.auth.decorators import login_required  # noqa: E402
from django.http import HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.shortcuts import get_object_or_404  # noqa: E402
from django.urls import path  # noqa: E402

from cadrebook.core.permissions import VIEW  # noqa: E402
from cadrebook.members.lists import filtered_members  # noqa: E402
from cadrebook.orgs.models import OrgUnit  # noqa: E402
from config.urls import urlpatterns as cadrebook_urls  # noqa: E402


@login_required
def signed_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


@login_required
def members(request: HttpRequest) -> HttpResponse:
    unit = get_object_or_404(
        OrgUnit.objects.visible_to(request.user, VIEW), code=request.GET.get("unit", "")
    )
    rows = (
        filtered_members(unit, {}, sensitive=False)
        .visible_to(request.user)
        .order_by("name_norm", "id")
        .values("id", "full_name", "status", "unit__code")[:50]
    )
    return JsonResponse({"items": list(rows)})


urlpatterns = [
    path("floor/signed-in/", signed_in),
    path("floor/members/", members),
    *cadrebook_urls,
]
settings.ROOT_URLCONF = __name__


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/floor/raw/":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    return django_application(environ, start_response)
