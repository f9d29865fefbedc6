"""Sign-ins and refused sign-ins go to the audit log (Django's authentication signals)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from cadrebook.accounts.services import sign_in_failure_record, sign_in_record


def client_address(request: HttpRequest | None) -> str:
    """The address the request came from, as the lockout counts it."""
    if request is None:
        return ""
    return str(getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR", ""))


@receiver(user_logged_in, dispatch_uid="cadrebook.audit_sign_in")
def audit_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    sign_in_record(user=user, address=client_address(request))


@receiver(user_login_failed, dispatch_uid="cadrebook.audit_sign_in_failure")
def audit_sign_in_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    locked = bool(getattr(request, "axes_locked_out", False))
    sign_in_failure_record(
        username=str(credentials.get("username") or ""),
        address=client_address(request),
        via="browser",
        reason="locked_out" if locked else "wrong_credentials",
    )
