"""Sign-ins and refused sign-ins go to the audit log (Django's authentication signals)."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from cadrebook.accounts.selectors import must_change_password
from cadrebook.accounts.services import sign_in_failure_record, sign_in_record
from cadrebook.accounts.session_keys import LAST_SEEN, MUST_CHANGE_PASSWORD, SIGNED_IN_AT


def client_address(request: HttpRequest | None) -> str:
    """The address the request came from, as the lockout counts it."""
    if request is None:
        return ""
    return str(getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR", ""))


@receiver(user_logged_in, dispatch_uid="cadrebook.audit_sign_in")
def audit_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    sign_in_record(
        user=user,
        address=client_address(request),
        second_factor=getattr(request, "cadrebook_second_factor", ""),
    )
    # A temporary password set by an administrator: the user chooses their own first
    # (AccountGateMiddleware reads the flag, so no request after this one asks the database).
    if request is None or not hasattr(request, "session"):
        return
    if must_change_password(user):
        request.session[MUST_CHANGE_PASSWORD] = True
    # The session's lifetime and idle time count from now (SessionTimeoutMiddleware).
    now = int(time.time())
    request.session[SIGNED_IN_AT] = request.session[LAST_SEEN] = now


@receiver(user_login_failed, dispatch_uid="cadrebook.audit_sign_in_failure")
def audit_sign_in_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    locked = bool(getattr(request, "axes_locked_out", False))
    wrong = "wrong_code" if credentials.get("second_factor") else "wrong_credentials"
    sign_in_failure_record(
        username=str(credentials.get("username") or ""),
        address=client_address(request),
        via="browser",
        reason="locked_out" if locked else wrong,
    )
