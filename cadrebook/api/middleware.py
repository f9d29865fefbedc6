"""The API's 405 in the shape of every refusal.

ninja answers a method an address does not take with a plain-text 405 before any of the
API's exception handlers run; a script reading `code` would then find HTML-less text. This
middleware gives that answer the JSON body of every other refusal, keeping its `Allow`."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.translation import gettext as _

from cadrebook.api.common import API_ROOT


class ApiMethodNotAllowedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and request.path.startswith(API_ROOT + "/"):
            allowed = response.get("Allow", "")
            response = JsonResponse(
                {
                    "code": "not_allowed",
                    "message": _("This address does not take %(method)s; it takes %(allowed)s.")
                    % {"method": request.method, "allowed": allowed},
                },
                status=405,
            )
            response["Allow"] = allowed
        return response
