"""The API's edge: what reaches it before ninja does, and what leaves it from Django itself.

- Text no database can store (a NUL, which PostgreSQL refuses in text; half of a UTF-16
  surrogate pair, which no encoding holds) is refused with a 422 naming the field, wherever
  it comes: address, query, JSON body (whatever type the request declares: ninja reads
  every body but a form as JSON) or form field. Checking here, once, keeps every operation
  from having to (the check is `cadrebook.core.unstorable`'s, which the web pages'
  middleware makes on their addresses too).
- HEAD is answered wherever GET is, with no body (HTTP requires it; ninja knows only GET).
- Django's own 4xx pages (a multipart body without a boundary, `GET /api/v1/`, ninja's
  plain-text 405) get the JSON body of every other refusal, keeping their headers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from cadrebook.core.api_toolkit import API_ROOT
from cadrebook.core.unstorable import address_inputs, first_unstorable

# Codes of the refusals Django or ninja make on their own.
STATUS_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "not_allowed",
    413: "file.too_large",
}


# Bodies Django parses into request.POST; ninja reads every other body as JSON.
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _strings(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string in a parsed JSON value (keys too), with where it is."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (*path, str(key)), str(key)
            yield from _strings(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, str(index)))


def _inputs(request: HttpRequest) -> Iterator[tuple[tuple[str, ...], str]]:
    """The text a request brings: its address, query, JSON body and form fields."""
    yield from address_inputs(request)
    content_type = request.content_type or ""
    if content_type in FORM_TYPES:
        for key, values in request.POST.lists():
            yield (key,), key
            for value in values:
                yield (key,), value
    elif request.body:
        # ninja reads any other body as JSON, whatever its declared type (text/plain, none
        # at all, …): so is it read here, or a lone surrogate escape would reach the schema.
        try:
            parsed = json.loads(request.body)
        except (ValueError, RecursionError):
            return  # not JSON at all, or nested past reading: ninja answers with its 400
        yield from _strings(parsed)


def refusal(code: str, message: str, status: int, **extra: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, **extra}, status=status)


class ApiEdgeMiddleware:
    """See the module's docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not (request.path + "/").startswith(API_ROOT + "/"):
            return self.get_response(request)
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        response = self._checked(request) or self.get_response(request)
        response = self._in_shape(request, response)
        if head:
            request.method = "HEAD"
            response.content = b""  # the headers of the GET, Content-Length included
        if response.status_code == 405 and "GET" in response.get("Allow", ""):
            response["Allow"] = response["Allow"] + ", HEAD"
        return response

    def _checked(self, request: HttpRequest) -> HttpResponse | None:
        try:
            where = first_unstorable(_inputs(request))
            if where is not None:
                field = ".".join(where)
                return refusal(
                    "value.invalid_character",
                    _(
                        "%(field)s holds a character no record can store "
                        "(NUL, or half of a surrogate pair)."
                    )
                    % {"field": field},
                    422,
                    field=field,
                )
        except (MultiPartParserError, SuspiciousOperation, BadRequest) as exc:
            return refusal("bad_request", str(exc) or _("The request is malformed."), 400)
        return None

    def _in_shape(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not 400 <= response.status_code < 500 or "json" in response.get("Content-Type", ""):
            return response
        status = response.status_code
        if status == 405:
            message = _("This address does not take %(method)s; it takes %(allowed)s.") % {
                "method": request.method,
                "allowed": response.get("Allow", ""),
            }
        elif status == 404:
            message = _("No such address in the API.")
        else:
            message = response.reason_phrase
        shaped = refusal(STATUS_CODES.get(status, "http_error"), message, status)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                shaped[header] = response[header]
        return shaped
