"""Middleware: speak the language the signed-in user chose (kept in `Preference`); end
sessions after their lifetime and when idle; hold a user to enrolment or a password change
while their account requires it."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from cadrebook.accounts.models import Preference
from cadrebook.accounts.selectors import has_second_factor, two_factor_required
from cadrebook.accounts.session_keys import (
    LAST_SEEN,
    MUST_CHANGE_PASSWORD,
    SECOND_FACTOR_CHECKED,
    SIGNED_IN_AT,
    TIMED_OUT,
)
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


class SessionTimeoutMiddleware:
    """Ends a signed-in session SESSION_COOKIE_AGE after the sign-in (CADREBOOK_SESSION_HOURS)
    and after CADREBOOK_SESSION_IDLE_SECONDS without a request (CADREBOOK_SESSION_IDLE_MINUTES).

    The last request is noted in the session, but at most once a minute: writing the session
    on every request (SESSION_SAVE_EVERY_REQUEST) would cost a database write per page and
    per htmx fragment. An idle limit is therefore kept to within a minute. Django's own
    expiry alone cannot do both: it slides with every write, so it is neither a fixed
    lifetime nor an idle limit shorter than it. After AuthenticationMiddleware."""

    NOTE_EVERY = 60  # seconds

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        session = request.session
        now = int(time.time())
        signed_in = session.get(SIGNED_IN_AT)
        seen = session.get(LAST_SEEN)
        idle = settings.CADREBOOK_SESSION_IDLE_SECONDS
        if (signed_in is not None and now - signed_in > settings.SESSION_COOKIE_AGE) or (
            seen is not None and idle and now - seen > idle
        ):
            logout(request)  # a new, empty session: the request goes on signed out
            request.session[TIMED_OUT] = True
            return
        if signed_in is None:
            session[SIGNED_IN_AT] = now
        if seen is None or now - seen >= self.NOTE_EVERY:
            session[LAST_SEEN] = now


def _path(name: str) -> str:
    return reverse(name)


class AccountGateMiddleware:
    """Keeps a signed-in user on one page until they have done what their account owes:
    set up two-factor sign-in when CADREBOOK_2FA_REQUIRED makes it mandatory for them, and
    choose a new password after an administrator set a temporary one. Signing out, the
    language and static files stay open; the API through the browser's session answers
    403 (the API with a token is not concerned: a token is no session). After
    OTPMiddleware. A session signed in with the password alone is signed out once the user
    has a second factor (set up in another browser): checked on every write and, for reads,
    at most once a minute; otherwise, with the setting "off" and no temporary password, it
    asks the database nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @cached_property
    def open_paths(self) -> tuple[str, ...]:
        return (_path("logout"), _path("set_language"), _path("login"), _path("login_verify"))

    def _open(self, request: HttpRequest, *pages: str) -> bool:
        path = request.path_info
        static = "/" + settings.STATIC_URL.lstrip("/")
        return (
            path in self.open_paths or path in {_path(p) for p in pages} or path.startswith(static)
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            answer = self._gate(request, user)
            if answer is not None:
                return answer
        return self.get_response(request)

    # A session that has not shown a second factor is checked against the user's devices on
    # every write and, for reads, at most this often (seconds): no query on most pages.
    CHECK_EVERY = 60

    def _second_factor_owed(self, request: HttpRequest, user: Any) -> bool:
        """Whether this session signed in with the password alone while the user now has a
        second factor (an app set up in another browser after a stolen password was used
        here): it must sign in again, with the code. Not on the open pages (signing out)."""
        if user.is_verified() or request.path_info in self.open_paths:
            return False
        now = int(time.time())
        checked = request.session.get(SECOND_FACTOR_CHECKED)
        due = checked is None or now - checked >= self.CHECK_EVERY
        if not due and request.method in ("GET", "HEAD", "OPTIONS"):
            return False
        if has_second_factor(user):
            return True
        if due:
            request.session[SECOND_FACTOR_CHECKED] = now
        return False

    def _gate(self, request: HttpRequest, user: Any) -> HttpResponse | None:
        if self._second_factor_owed(request, user):
            logout(request)
            if request.path_info.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "unauthenticated",
                        "message": _("Sign in again, with the code from your authenticator app."),
                    },
                    status=401,
                )
            return redirect_to_login(request.get_full_path())
        owed = self._owed(request, user)
        if owed is None or not request.path_info.startswith("/api/"):
            return owed
        # The API through the browser's session: refused in the API's words, not sent to a
        # page. (A token is no session: `request.user` is anonymous here, so it passes.)
        return JsonResponse(
            {
                "code": "account.incomplete",
                "message": _("Set up two-factor sign-in or change your password first."),
            },
            status=403,
        )

    def _owed(self, request: HttpRequest, user: Any) -> HttpResponse | None:
        if (
            settings.CADREBOOK_2FA_REQUIRED != "off"
            and not user.is_verified()
            and two_factor_required(user)
        ):
            if self._open(request, "accounts:two_factor_enrol"):
                return None
            if has_second_factor(user):
                # Signed in without the code (a session from before the app was set up):
                # sign in again, with the code this time.
                logout(request)
                return redirect_to_login(request.get_full_path())
            return redirect("accounts:two_factor_enrol")
        if request.session.get(MUST_CHANGE_PASSWORD):
            if self._open(request, "accounts:password_change", "accounts:two_factor_enrol"):
                return None
            return redirect("accounts:password_change")
        return None
