"""Writing audit entries. Every service calls `audit_record` inside its own transaction."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.db import models

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
    """Append one audit entry; `unit` (an OrgUnit) scopes who may read it."""
    actor_obj = actor if getattr(actor, "pk", None) else None
    return AuditEntry.objects.create(
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
