"""Middleware: give every request an id that ties its audit entries together; refuse addresses
holding text no record can store; deny pages the browser features they never use. (The
language a signed-in user chose is accounts' own: `accounts/middleware.py`.)"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cadrebook.core.context import new_request_id, request_id_var, via_var
from cadrebook.core.unstorable import address_inputs, first_unstorable, shown


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request.headers.get("X-Request-ID", "")[:64] or new_request_id()
        token = request_id_var.set(rid)
        via = via_var.set("")  # an API token sets it for its own request only
        try:
            response = self.get_response(request)
        finally:
            via_var.reset(via)
            request_id_var.reset(token)
        response["X-Request-ID"] = rid
        return response


class UnstorableTextMiddleware:
    """A web page whose address (path or query) holds a NUL or half of a surrogate pair is
    refused with a 400 page naming the parameter, before any view sends the text to the
    database. The API's edge (cadrebook.api.middleware, earlier in the chain) makes the same
    check and answers its own way; forms refuse such text in their fields themselves."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = first_unstorable(address_inputs(request))
        if where is None:
            return self.get_response(request)
        context = {"field": shown(".".join(where))}
        return render(request, "core/unstorable_text.html", context, status=400)


class PermissionsPolicyMiddleware:
    """The Permissions-Policy header (settings.CADREBOOK_PERMISSIONS_POLICY): camera,
    microphone, location and the like are refused to every page, so a script that found its
    way in could not ask for them. (Django's SecurityMiddleware sets the other security
    headers, django-csp the Content-Security-Policy.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CADREBOOK_PERMISSIONS_POLICY", "")
        if policy:
            response.setdefault("Permissions-Policy", policy)
        return response
