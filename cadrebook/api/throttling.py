"""Rate limits of the API (429 with Retry-After): writes per token (or per session user)
and per address, and failed authentications per address. Rates come from the settings
(`CADREBOOK_API_WRITES_PER_TOKEN`, `…_PER_IP`, `CADREBOOK_API_AUTH_FAILURES_PER_IP`), read at
each request so they can be changed without a restart."""

from __future__ import annotations

import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle, SimpleRateThrottle

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class _SettingRate(SimpleRateThrottle):
    setting = ""

    def __init__(self) -> None:
        super().__init__(rate="1/s")  # replaced by the setting at each request

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


class WritesPerToken(_SettingRate):
    """Writes by one token (or one signed-in user of the browser)."""

    setting = "CADREBOOK_API_WRITES_PER_TOKEN"
    scope = "writes-token"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        if request.method in SAFE_METHODS:
            return None
        token = getattr(request, "api_token", None)
        ident = f"token-{token.pk}" if token is not None else f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class WritesPerAddress(_SettingRate):
    """Writes from one address, whatever the credentials."""

    setting = "CADREBOOK_API_WRITES_PER_IP"
    scope = "writes-ip"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        if request.method in SAFE_METHODS:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def auth_failures_exceeded(request: HttpRequest) -> int | None:
    """Count one failed authentication from the request's address; the seconds to wait when
    the address has failed more often than the setting allows in its window, else None."""
    limit, window = WritesPerAddress().parse_rate(settings.CADREBOOK_API_AUTH_FAILURES_PER_IP)
    if not limit or not window:
        return None
    key = f"cadrebook-auth-failures-{BaseThrottle().get_ident(request)}"
    now = time.time()
    # When the window began, so that Retry-After says the time left in it.
    cache.add(f"{key}-since", now, timeout=window)
    count: Any = cache.get_or_set(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=window)
        count = 1
    if count <= limit:
        return None
    since = float(cache.get(f"{key}-since", now))
    return max(1, math.ceil(window - (now - since)))
