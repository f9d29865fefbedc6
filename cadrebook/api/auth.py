"""API authentication: a personal token (`Authorization: Bearer cb_…`) or the browser's
session (which also needs the CSRF token for writes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import Throttled
from ninja.security import HttpBearer, SessionAuth

from cadrebook.accounts.models import ApiToken
from cadrebook.accounts.selectors import token_digest
from cadrebook.accounts.services import sign_in_failure_record
from cadrebook.accounts.signals import client_address
from cadrebook.api.throttling import auth_failures_exceeded
from cadrebook.core.context import via_var

LAST_USED_EVERY = dt.timedelta(minutes=1)  # how often a token's last use is written down


class TokenAuth(HttpBearer):
    """A personal API token acts as its user until it expires or is revoked."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(token), revoked_at__isnull=True)
            .first()
        )
        now = timezone.now()
        if (
            found is None
            or not found.user.is_active
            or (found.expires_at is not None and found.expires_at <= now)
        ):
            wait = auth_failures_exceeded(request)
            if wait is not None:
                raise Throttled(wait=wait)  # not audited: past the limit, it could flood the log
            sign_in_failure_record(
                username=found.user.username if found is not None else "",
                address=client_address(request),
                via=f"token:{found.name}" if found is not None else "token",
                reason=_token_refusal(found, now),
            )
            return None
        if found.last_used_at is None or now - found.last_used_at > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        via_var.set(f"token:{found.name}")
        return found.user


def _token_refusal(found: ApiToken | None, now: dt.datetime) -> str:
    if found is None:
        return "unknown_or_revoked_token"
    if not found.user.is_active:
        return "inactive_user"
    return "expired_token"


class BrowserSession(SessionAuth):
    """The browser's session; its writes need the CSRF token. A request with no signed-in
    user is not a session at all: it gets 401 (unauthenticated), not a CSRF refusal."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)
