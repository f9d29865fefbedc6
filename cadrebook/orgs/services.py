"""Writes on the org tree that concern units alone. Moving, merging and dissolving units touch
members too and so live in `cadrebook.members.services`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.dates import check_plausible
from cadrebook.core.errors import ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.core.normalize import normalize_name
from cadrebook.orgs.models import OrgUnit, UnitPlacement
from cadrebook.orgs.placements import placement_row
from cadrebook.orgs.selectors import check_kind_under

UNIT_FIELDS = ["code", "name", "kind", "founded_on", "dissolved_on"]
UNSAFE_IN_CODES = "/\\?#%"


def unit_create(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    parent: OrgUnit | None = None,
    founded_on: dt.date | None = None,
) -> OrgUnit:
    """Create a unit under `parent` (a root when None), checking the kind against the rule set."""
    code = (code or "").strip()
    name = (name or "").strip()
    if not code:
        raise ServiceError("unit.code_missing", _("A unit needs a code."), field="code")
    if any(ch in UNSAFE_IN_CODES or ch.isspace() for ch in code):
        # A code names the unit in addresses (/units/<code>) and in files; these characters
        # would make it unreachable there.
        raise ServiceError(
            "unit.code_invalid",
            _("A unit code may not contain spaces or any of %(chars)s.")
            % {"chars": " ".join(UNSAFE_IN_CODES)},
            field="code",
        )
    if not name:
        raise ServiceError("unit.name_missing", _("A unit needs a name."), field="name")
    with transaction.atomic():
        check_kind_under(kind=kind, parent=parent)
        if parent is not None and not parent.is_active:
            raise ServiceError(
                "unit.parent_dissolved", _("The parent unit is dissolved."), field="parent"
            )
        if OrgUnit.objects.filter(code=code).exists():
            raise ServiceError(
                "unit.code_taken", _("The code %(code)s is taken.") % {"code": code}, field="code"
            )
        fields = {
            "code": code,
            "name": name,
            "name_norm": normalize_name(name),
            "kind": kind,
            "founded_on": founded_on,
        }
        if parent is None:
            unit = OrgUnit.objects.add_root(fields)
        else:
            parent.refresh_from_db()
            unit = OrgUnit.objects.add_child(parent, fields)
        # Its place in the tree from its beginning; a dated move closes it (members.services).
        placement_row(unit.pk, unit.ancestor_ids(), None).save()
        audit_record(
            actor=actor,
            obj=unit,
            action="create",
            event_type="unit.created",
            unit=unit,
            after=snapshot(unit, UNIT_FIELDS),
        )
        return unit


def unit_rename(
    *,
    actor: Any,
    unit: OrgUnit,
    name: str,
    date: dt.date | None = None,
    document: str = "",
) -> OrgUnit:
    """Give a unit a new name (the code stays). The date the name holds from and the deciding
    document go into the audit entry, where the old name stays readable.

    The date is checked as a move's is: not in the future, not before the unit was founded,
    and appended to the unit's history, not before its last rename or placement. A rename
    to the name the unit has is refused (`unit.name_unchanged`): it would change nothing."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("unit.name_missing", _("A unit needs a name."), field="name")
    check_plausible(date)
    with transaction.atomic():
        current = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        if name == current.name:
            raise ServiceError(
                "unit.name_unchanged",
                _("The unit is already named %(name)s.") % {"name": name},
                field="name",
            )
        if date is not None:
            _check_rename_date(current, date)
        before = snapshot(current, UNIT_FIELDS)
        OrgUnit.objects.filter(pk=unit.pk).update(name=name, name_norm=normalize_name(name))
        unit.refresh_from_db()
        audit_record(
            actor=actor,
            obj=unit,
            action="update",
            event_type="unit.renamed",
            unit=unit,
            before=before,
            after={**snapshot(unit, UNIT_FIELDS), "date": date, "document": document},
        )
        return unit


def _check_rename_date(unit: OrgUnit, date: dt.date) -> None:
    """A rename's date: the codes and words of a move's where they are the same refusal."""
    if date > timezone.localdate():
        raise ServiceError(
            "event.in_future",
            _("The date %(date)s is in the future.") % {"date": date},
            field="date",
        )
    if unit.dissolved_on and date >= unit.dissolved_on:
        # A dissolved unit keeps the names it had; correcting an earlier one stays possible.
        raise ServiceError(
            "unit.already_dissolved",
            _("The unit was dissolved on %(dissolved)s.") % {"dissolved": unit.dissolved_on},
            field="date",
        )
    if unit.founded_on and date < unit.founded_on:
        raise ServiceError(
            "unit.renamed_before_founding",
            _("The unit was founded on %(founded)s, after %(date)s.")
            % {"founded": unit.founded_on, "date": date},
            field="date",
        )
    placed = (
        UnitPlacement.objects.filter(unit=unit, valid_from__isnull=False)
        .order_by("-valid_from")
        .values_list("valid_from", flat=True)
        .first()
    )
    renames = AuditEntry.objects.filter(
        object_type=OrgUnit._meta.label_lower, object_id=str(unit.pk), event_type="unit.renamed"
    ).values_list("after", flat=True)
    renamed = [dt.date.fromisoformat(a["date"]) for a in renames if a and a.get("date")]
    latest = max([d for d in (placed, *renamed) if d is not None], default=None)
    if latest is not None and date < latest:
        # The unit's history is appended in date order, as a move's: a rename dated before
        # the last change would reorder it.
        raise ServiceError(
            "unit.rename_before_history",
            _("The unit last changed on %(last)s; a rename cannot be dated before it.")
            % {"last": latest},
            field="date",
        )
