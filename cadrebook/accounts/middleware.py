"""Middleware: speak the language the signed-in user chose (kept in `Preference`)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from cadrebook.accounts.models import Preference
from cadrebook.accounts.views import SESSION_KEY


class UserLanguageMiddleware:
    """The language a signed-in user chose (accounts.Preference) wins over the browser's,
    read once per session; after AuthenticationMiddleware and LocaleMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = request.session.get(SESSION_KEY)
            if language is None:
                pref = Preference.objects.filter(user=user).values_list("language", flat=True)
                language = request.session[SESSION_KEY] = pref.first() or ""
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if user is not None and user.is_authenticated and request.session.get(SESSION_KEY):
            response.headers.setdefault("Content-Language", request.session[SESSION_KEY])
        return response
