"""Sign-in lockout by (user, address) and by address alone.

django-axes compares one number of failures with one limit. A guesser trying many passwords
on one account meets the (user, address) limit; a sprayer trying one password on many
accounts from one address never does, so the address has its own limit — higher, because
everybody behind one office gateway shares it. The handler reports the failures of the
(user, address) pair, raised to the lockout limit once the address alone is over its own.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


class AddressAwareHandler(AxesDatabaseHandler):
    """Locks a (user, address) pair after AXES_FAILURE_LIMIT failures, and an address after
    CADREBOOK_LOGIN_FAILURE_LIMIT_PER_ADDRESS failures on any accounts (within the cool-off
    time). Needs AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        counts = [
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        by_pair, by_address = counts[0], max(counts[1:], default=0)
        if by_address >= settings.CADREBOOK_LOGIN_FAILURE_LIMIT_PER_ADDRESS:
            return max(by_pair, get_failure_limit(request, credentials))
        return int(by_pair)
