"""Writing audit entries. Every service calls `audit_record` inside its own transaction.

Each entry is chained to the one before it (cadrebook.core.audit_chain), which means taking
the chain's lock until the transaction ends. A bulk import, a long transaction writing many
entries, gathers them instead (`audit_batch`) and writes them all at its end, chained in
order, in one insert: the lock is held for that moment only.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from cadrebook.core.audit_chain import FIELDS, entry_hash, lock_tip
from cadrebook.core.context import current_request_id, current_via
from cadrebook.core.models import AuditEntry


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The named fields of `obj` as JSON-ready values (foreign keys as ids)."""
    data = {}
    for name in fields:
        field = obj._meta.get_field(name)
        data[name] = _jsonable(getattr(obj, getattr(field, "attname", name)))
    return data


def audit_record(
    *,
    actor: Any,
    obj: models.Model,
    action: str,
    event_type: str,
    unit: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit entry; `unit` (an OrgUnit) scopes who may read it. The entry is
    chained to the one before it (cadrebook.core.audit_chain)."""
    actor_obj = actor if getattr(actor, "pk", None) else None
    entry = AuditEntry(
        created_at=timezone.now(),
        actor=actor_obj,
        actor_name=getattr(actor, "username", "") or "system",
        unit=unit,
        unit_path=getattr(unit, "path", "") or "",
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        action=action,
        event_type=event_type,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        request_id=current_request_id(),
        via=current_via(),
    )
    batch = _batch.get()
    if batch is not None:
        marker = _Marker()
        transaction.on_commit(marker)  # dropped if a savepoint around it is rolled back
        batch.append((entry, marker))
        return entry
    with transaction.atomic():
        _chain([entry])
        entry.save(force_insert=True)
    return entry


class _Marker:
    """A no-op on-commit callback that tells whether the change it stands for survived:
    Django drops the callbacks registered in a savepoint that is rolled back."""

    def __call__(self) -> None:
        pass


_batch: ContextVar[list[tuple[AuditEntry, _Marker]] | None] = ContextVar(
    "audit_batch", default=None
)


def _chain(entries: list[AuditEntry]) -> None:
    """Hash `entries` in order after the chain's tip; the caller inserts them before its
    transaction ends (the lock is held until then)."""
    previous = lock_tip()
    for entry in entries:
        entry.hash = entry_hash(previous, {name: getattr(entry, name) for name in FIELDS})
        previous = entry.hash


@contextmanager
def audit_batch() -> Iterator[None]:
    """Inside a transaction: the entries recorded in the block are written when it ends
    without an error, chained in the order they were recorded, in one bulk insert. Those
    recorded inside a savepoint that was rolled back are left out, as their changes are."""
    entries: list[tuple[AuditEntry, _Marker]] = []
    token = _batch.set(entries)
    try:
        yield
    finally:
        _batch.reset(token)
    kept_markers = {id(item[1]) for item in connection.run_on_commit}  # (savepoints, func, …)
    kept = [entry for entry, marker in entries if id(marker) in kept_markers]
    if kept:
        with transaction.atomic():
            _chain(kept)
            AuditEntry.objects.bulk_create(kept, batch_size=1000)
