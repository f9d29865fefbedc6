"""Middleware: give every request an id that ties its audit entries together; speak the
language the signed-in user chose."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from cadrebook.core.context import new_request_id, request_id_var, via_var


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


class UserLanguageMiddleware:
    """The language a signed-in user chose (accounts.Preference) wins over the browser's,
    read once per session; after AuthenticationMiddleware and LocaleMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from cadrebook.accounts.views import SESSION_KEY

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = request.session.get(SESSION_KEY)
            if language is None:
                from cadrebook.accounts.models import Preference

                pref = Preference.objects.filter(user=user).values_list("language", flat=True)
                language = request.session[SESSION_KEY] = pref.first() or ""
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if user is not None and user.is_authenticated and request.session.get(SESSION_KEY):
            response.headers.setdefault("Content-Language", request.session[SESSION_KEY])
        return response
