"""Asking a service whether it would accept a request, without keeping anything it wrote.

The browser's check-your-answers step asks before it shows the answers: a request the service
refuses is refused on the form, not after the user has confirmed it. The service runs whole,
with every check it makes, in a transaction that is always rolled back. Its writes, its audit
entries and the on-commit callbacks it registered go with the rollback; the services called
this way write nothing outside the database (no cache, no task enqueued but on commit).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models, transaction

from cadrebook.core.errors import ServiceError


class _Accepted(Exception):
    """Raised after the service returned, to roll its transaction back."""


def refusal_of(
    call: Callable[[], Any], *, touched: tuple[models.Model, ...] = ()
) -> ServiceError | None:
    """The `ServiceError` that `call` (a service with its arguments) raises, or None when it
    would succeed; either way nothing it wrote stays. `touched` are the caller's objects the
    service may have changed in memory (a unit it refreshed after writing): they are read
    again once the writes are undone, so the caller does not show what was rolled back."""
    try:
        with transaction.atomic():
            call()
            raise _Accepted
    except _Accepted:
        return None
    except ServiceError as exc:
        return exc
    finally:
        for obj in touched:
            if obj.pk is not None:
                obj.refresh_from_db()
