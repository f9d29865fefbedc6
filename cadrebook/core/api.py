"""API of the audit log: `GET /api/v1/audit`, read-only, within the caller's audit scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from cadrebook.core.api_toolkit import ApiMoment, answers, forbidden, not_found
from cadrebook.core.audit_masks import mask_entries
from cadrebook.core.models import AuditEntry
from cadrebook.core.permissions import AUDIT
from cadrebook.core.scoping import scope_for, subtree_q
from cadrebook.core.units import visible_unit
from cadrebook.core.views import can

router = Router(tags=["audit"])
PAGE = 100


class AuditOut(Schema):
    id: int
    created_at: dt.datetime
    actor: str
    via: str
    unit_path: str
    object: str = Field(..., description="object type:id")
    object_repr: str
    action: str
    event_type: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str


class AuditPage(Schema):
    items: list[AuditOut]
    next_cursor: int | None = Field(None, description="Pass as `cursor` for older entries")


class AuditQuery(Schema):
    object: str | None = Field(None, description="type:id, e.g. members.member:42")
    unit: str | None = Field(None, description="Code of a unit: entries of its subtree")
    since: ApiMoment | None = None
    cursor: int | None = None


@router.get("", response=answers({200: AuditPage}), summary="The audit log, newest first")
def audit_list(request: HttpRequest, query: Query[AuditQuery]) -> dict[str, Any]:
    """Entries the caller's roles may audit, filtered by object, unit subtree and time;
    pages of 100 from the newest."""
    if scope_for(request.user, AUDIT).nothing:
        raise forbidden()
    entries: QuerySet[AuditEntry] = AuditEntry.objects.visible_to(request.user, AUDIT)
    if query.object:
        kind, _sep, pk = query.object.partition(":")
        entries = entries.filter(object_type=kind, object_id=pk)
    if query.unit:
        unit = visible_unit(request.user, query.unit)  # orgs' finder: core sits below orgs
        if unit is None:
            raise not_found()
        if not can(request.user, AUDIT, unit.path):
            raise forbidden()
        entries = entries.filter(subtree_q("unit_path", [unit.path]))
    if query.since:
        entries = entries.filter(created_at__gte=query.since)
    if query.cursor:
        entries = entries.filter(id__lt=query.cursor)
    rows = list(entries.order_by("-id")[: PAGE + 1])
    more = len(rows) > PAGE
    rows = mask_entries(request.user, rows[:PAGE])
    return {
        "items": [
            {
                "id": e.pk,
                "created_at": e.created_at,
                "actor": e.actor_name,
                "via": e.via,
                "unit_path": e.unit_path,
                "object": f"{e.object_type}:{e.object_id}",
                "object_repr": e.object_repr,
                "action": e.action,
                "event_type": e.event_type,
                "before": e.before,
                "after": e.after,
                "request_id": e.request_id,
            }
            for e in rows
        ],
        "next_cursor": rows[-1].pk if more and rows else None,
    }
