"""The API root: /api/v1/, one router per app (`<app>/api.py`)."""

from __future__ import annotations

import math

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, Throttled, ValidationError
from ninja.security import django_auth

from cadrebook.api.auth import TokenAuth
from cadrebook.api.throttling import WritesPerAddress, WritesPerToken
from cadrebook.core.api import router as audit_router
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.imports.api import router as imports_router
from cadrebook.members.api import router as members_router
from cadrebook.orgs.api import router as units_router
from cadrebook.reports.api import router as reports_router

# Refusals that are not a fault of the input itself.
STATUS_BY_CODE = {
    "member.stale_version": 409,
    "import.finished": 409,
    "import.not_validated": 409,
    "import.not_yours": 403,
    "not_found": 404,
    "forbidden": 403,
    "file.too_large": 413,
}

api = NinjaAPI(
    title="Cadrebook API",
    version="1",
    urls_namespace="api-v1",
    auth=[TokenAuth(), django_auth],
    throttle=[WritesPerToken(), WritesPerAddress()],
    docs_url="/docs",
)


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    """A refusal is a 4xx with the rule's code, message, field and source."""
    status = STATUS_BY_CODE.get(exc.code, 422)
    body = exc.as_dict()
    if isinstance(exc, RuleViolation) and exc.source:
        body["source"] = exc.source
    return api.create_response(request, body, status=status)


api.add_router("/audit", audit_router)
api.add_router("/imports", imports_router)
api.add_router("/members", members_router)
api.add_router("/units", units_router)
api.add_router("/reports", reports_router)


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    """429 in the shape of every refusal, with the seconds to wait."""
    response = api.create_response(
        request, {"code": "rate_limited", "message": _("Too many requests.")}, status=429
    )
    if exc.wait:
        response["Retry-After"] = str(math.ceil(exc.wait))
    return response


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Input that does not fit the schema: 422 in the shape of every refusal, naming the
    first field at fault; `errors` lists them all."""
    errors = [dict(e) for e in exc.errors]
    first = errors[0] if errors else {}
    loc = [str(part) for part in first.get("loc", []) if part not in ("body", "query", "path")]
    body = {
        "code": "validation_error",
        "message": str(first.get("msg", _("The request does not fit the schema."))),
        "errors": errors,
    }
    if loc:
        body["field"] = ".".join(loc)
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    """401 in the shape of every refusal; the header names the scheme a script should use."""
    response = api.create_response(
        request,
        {
            "code": "unauthenticated",
            "message": _("Sign in, or send a personal API token as Authorization: Bearer."),
        },
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response
