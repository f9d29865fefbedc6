"""The API root: /api/v1/, one router per app (`<app>/api.py`)."""

from __future__ import annotations

import math

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from cadrebook.api.auth import BrowserSession, TokenAuth
from cadrebook.api.throttling import WritesPerAddress, WritesPerToken
from cadrebook.cadres.api import router as cadres_router
from cadrebook.core.api import router as audit_router
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.documents.api import router as documents_router
from cadrebook.evaluations.api import router as targets_router
from cadrebook.evaluations.rounds_api import router as evaluations_router
from cadrebook.evaluations.steps_api import router as evaluation_steps_router
from cadrebook.imports.api import router as imports_router
from cadrebook.inspections.api import router as inspections_router
from cadrebook.members.api import router as members_router
from cadrebook.members.services import NationalIdTaken, member_national_id_clash_record
from cadrebook.members.unit_api import router as unit_restructuring_router
from cadrebook.orgs.api import router as units_router
from cadrebook.reports.api import router as reports_router

# Refusals that are not a fault of the input itself.
STATUS_BY_CODE = {
    "member.stale_version": 409,
    # A value another record already holds: a conflict with that record, not bad input.
    "unit.code_taken": 409,
    "member.national_id_taken": 409,
    "card.taken": 409,
    "document.number_taken": 409,
    "document.link_exists": 409,
    "term.label_taken": 409,
    "import.finished": 409,
    "import.not_validated": 409,
    "import.not_yours": 403,
    "member.filter_masked": 403,
    "not_found": 404,
    "forbidden": 403,
    "file.too_large": 413,
    # The evaluation's state forbids it now (closed or still open), not the input.
    "evaluation.round_closed": 409,
}

api = NinjaAPI(
    title="Cadrebook API",
    version="1",
    urls_namespace="api-v1",
    auth=[TokenAuth(), BrowserSession()],
    throttle=[WritesPerToken(), WritesPerAddress()],
    docs_url="/docs",
)


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    """A refusal is a 4xx with the rule's code, message, field and source."""
    if isinstance(exc, NationalIdTaken):
        # Held by someone the caller may not see: the attempt is audited for the holder's
        # administrators now that the request's transaction has rolled back.
        member_national_id_clash_record(actor=request.user, refusal=exc, via="api")
    status = STATUS_BY_CODE.get(exc.code, 422)
    body = exc.as_dict()
    if isinstance(exc, RuleViolation) and exc.source:
        body["source"] = exc.source
    return api.create_response(request, body, status=status)


api.add_router("/audit", audit_router)
# /terms, /positions and /appointments: the committees' terms and posts.
api.add_router("", cadres_router)
api.add_router("/documents", documents_router)
api.add_router("/evaluations", evaluations_router)
api.add_router("/evaluations", evaluation_steps_router)  # the steps as collections
api.add_router("/imports", imports_router)
# /inspection-programs, /inspections and /disciplines: the files of the inspecting bodies.
api.add_router("", inspections_router)
api.add_router("/members", members_router)
api.add_router("/units", units_router)
api.add_router("/units", unit_restructuring_router)  # members' move, merge, dissolve
api.add_router("/reports", reports_router)
api.add_router("/targets", targets_router)


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
    loc = [str(part) for part in first.get("loc", [])]
    if loc[:1] == ["body"] and len(loc) > 2:
        loc = loc[2:]  # ("body", "<the handler's parameter>", field…): name the field
    loc = [part for part in loc if part not in ("body", "query", "path")]
    message = first.get("msg", _("The request does not fit the schema."))
    if first.get("type") == "value_error" and (first.get("ctx") or {}).get("error"):
        # A validator's own words, as the browser shows them (not "Value error, …").
        message = first["ctx"]["error"]
    body = {
        "code": "validation_error",
        "message": str(message),
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


# Codes of the refusals ninja itself raises (a body that is not JSON, a failed CSRF check).
HTTP_ERROR_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "not_allowed"}


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own refusals in the shape of every refusal."""
    code = HTTP_ERROR_CODES.get(exc.status_code, "http_error")
    return api.create_response(request, {"code": code, "message": str(exc)}, status=exc.status_code)


def unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /api/v1/: a 404 in the shape of every refusal."""
    return JsonResponse(
        {"code": "not_found", "message": _("No such address in the API.")}, status=404
    )
