"""Writes on units where members are concerned: move, dissolve, merge.

`orgs` knows nothing of who is in a unit; a unit's move cuts the periods of its members, a
dissolution is refused while members remain, a merge transfers them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.dates import check_plausible
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.documents.word_keys import move_areas
from cadrebook.members.choices import ACTIVE_STATUSES, MemberStatus
from cadrebook.members.lifecycle import (
    Period,
)
from cadrebook.members.models import (
    Member,
    MemberPeriod,
)
from cadrebook.members.name_keys import follow_members, follow_unit_move
from cadrebook.members.placing import (
    ANCESTOR_FIELDS,
    place_periods,
)
from cadrebook.members.services.engine import _period_row, _reorganizing
from cadrebook.members.services.events import member_transfer, member_transfer_return
from cadrebook.orgs.models import OrgUnit, UnitPlacement
from cadrebook.orgs.placements import Spans, load_spans, placement_row
from cadrebook.orgs.selectors import check_kind_under


def unit_move(
    *, actor: Any, unit: OrgUnit, new_parent: OrgUnit, date: dt.date, document: str = ""
) -> OrgUnit:
    """Move `unit` and its subtree under `new_parent` from `date` on.

    The tree's history is appended to, never rewritten: every unit of the subtree gets a new
    placement from `date` (the old one ends there), and every member period of the subtree
    that runs past `date` is cut there (`place_periods`): before it the periods keep their
    ancestors, from it they carry the new ones. Figures of any earlier date do not change.
    """
    check_plausible(date)
    with transaction.atomic():
        unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        new_parent.refresh_from_db()
        _check_move(unit, new_parent, date)
        subtree = list(
            OrgUnit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True)
        )
        open_placements = UnitPlacement.objects.filter(unit_id__in=subtree, valid_to__isnull=True)
        latest = max(
            (d for d in open_placements.values_list("valid_from", flat=True) if d), default=None
        )
        if latest is not None and date <= latest:
            # History is appended in date order: a move before the last one would rewrite it.
            raise ServiceError(
                "unit.move_before_history",
                _("The tree here last changed on %(last)s; a move must come after it.")
                % {"last": latest},
                field="date",
            )
        parent = OrgUnit.objects.get_parent(unit)
        before = {"parent": parent.code if parent else None}
        OrgUnit.objects.move(unit, new_parent, pos="sorted-child")
        unit.refresh_from_db()
        # The subtree's documents are searched by province: they follow it (part of the
        # move, under its audit entry: the documents themselves do not change).
        move_areas(unit.path)
        follow_unit_move(unit)  # and so do the name keys of its members
        _replace_placements(unit, date, document)
        _cut_periods(subtree, date)
        audit_record(
            actor=actor,
            obj=unit,
            action="update",
            event_type="unit.moved",
            unit=unit,
            before=before,
            after={"parent": new_parent.code, "date": date, "document": document},
        )
        return unit


def _check_move(unit: OrgUnit, new_parent: OrgUnit, date: dt.date) -> None:
    if new_parent.path.startswith(unit.path):
        raise ServiceError(
            "unit.move_into_itself",
            _("A unit cannot move under itself or its own subtree."),
            field="parent",
        )
    if not new_parent.is_active or not new_parent.is_active_on(date):
        raise ServiceError(
            "unit.parent_dissolved",
            _("The new parent unit is not active on %(date)s.") % {"date": date},
            field="parent",
        )
    if not unit.is_active:
        raise ServiceError("unit.already_dissolved", _("The unit is dissolved."), field="unit")
    if unit.founded_on and date < unit.founded_on:
        raise ServiceError(
            "unit.moved_before_founding",
            _("The unit was founded on %(founded)s, after %(date)s.")
            % {"founded": unit.founded_on, "date": date},
            field="date",
        )
    if date > timezone.localdate():
        raise ServiceError(
            "event.in_future",
            _("The date %(date)s is in the future.") % {"date": date},
            field="date",
        )
    if OrgUnit.objects.get_parent(unit) == new_parent:
        raise ServiceError(
            "unit.move_same_parent",
            _("%(unit)s already stands under %(parent)s.") % {"unit": unit, "parent": new_parent},
            field="parent",
        )
    check_kind_under(kind=unit.kind, parent=new_parent)
    deepest = OrgUnit.objects.filter(path__startswith=unit.path).order_by("-depth").first()
    assert deepest is not None
    if deepest.depth - unit.depth + new_parent.depth + 1 > settings.MAX_TREE_DEPTH:
        raise ServiceError("unit.too_deep", _("The tree would become too deep."), field="parent")


def _replace_placements(unit: OrgUnit, date: dt.date, document: str) -> None:
    """End the open placement of every unit of `unit`'s (moved) subtree on `date` and open
    one with its ancestors now."""
    rows = list(OrgUnit.objects.filter(path__startswith=unit.path).values_list("pk", "path"))
    step = OrgUnit.steplen
    above = {
        p: i
        for p, i in OrgUnit.objects.filter(path__in=unit.ancestor_paths()).values_list("path", "pk")
    }
    by_path = {**above, **{path: pk for pk, path in rows}}
    UnitPlacement.objects.filter(
        unit_id__in=[pk for pk, _path in rows], valid_to__isnull=True
    ).update(valid_to=date)
    UnitPlacement.objects.bulk_create(
        placement_row(
            pk, [by_path[path[: step * d]] for d in range(1, len(path) // step + 1)], date, document
        )
        for pk, path in rows
    )


def _cut_periods(unit_ids: list[int], date: dt.date) -> None:
    """Cut the member periods of these units that run past `date` by the units' placements
    (now including the one from `date`), with the same function as every other writer."""
    fields = ("member_id", "unit_id", "status", "exempt", "valid_from", "valid_to")
    spans: Spans = {}
    for i in range(0, len(unit_ids), 900):
        spans.update(load_spans(unit_ids[i : i + 900]))
    for i in range(0, len(unit_ids), 900):
        running = MemberPeriod.objects.filter(unit_id__in=unit_ids[i : i + 900]).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=date)
        )
        new: list[MemberPeriod] = []
        for member_id, unit_id, status, exempt, valid_from, valid_to in running.values_list(
            *fields
        ):
            period = Period(unit_id, status, exempt, valid_from, valid_to)
            new.extend(_period_row(member_id, placed) for placed in place_periods([period], spans))
        running.delete()
        MemberPeriod.objects.bulk_create(new, batch_size=2000)


def _active_members(unit: OrgUnit) -> Any:
    return Member.objects.filter(unit=unit, status__in=ACTIVE_STATUSES)


NAMED = 5  # members a refusal names at most


def unit_dissolve(*, actor: Any, unit: OrgUnit, date: dt.date, document: str = "") -> OrgUnit:
    """Dissolve a unit on `date`; refused while it or a unit below it has active members
    or active child units."""
    check_plausible(date)
    with transaction.atomic():
        unit.refresh_from_db()
        if unit.dissolved_on:
            raise ServiceError("unit.already_dissolved", _("The unit is already dissolved."))
        below = OrgUnit.objects.filter(path__startswith=unit.path)
        active_members = Member.objects.filter(unit__in=below, status__in=ACTIVE_STATUSES).count()
        if active_members:
            raise ServiceError(
                "unit.has_members",
                _("%(n)d active members still belong here; transfer them first.")
                % {"n": active_members},
            )
        pending = list(
            Member.objects.filter(pending_transfer_to__in=below)
            .order_by("full_name", "pk")
            .values_list("full_name", "pk")[: NAMED + 1]
        )
        if pending:
            # Named, as on the unit's page of incoming transfers, so they can be answered.
            names = [_("%(name)s (id %(id)d)") % {"name": n, "id": pk} for n, pk in pending]
            raise ServiceError(
                "unit.has_pending_transfers",
                _("Transfers to this unit are pending; answer them first: %(members)s.")
                % {"members": ", ".join(names[:NAMED]) + (", …" if len(names) > NAMED else "")},
            )
        if below.exclude(pk=unit.pk).filter(dissolved_on__isnull=True).exists():
            raise ServiceError(
                "unit.has_active_children",
                _("Units below this one are still active; dissolve or move them first."),
            )
        if date > timezone.localdate():
            raise ServiceError(
                "event.in_future",
                _("The date %(date)s is in the future.") % {"date": date},
                field="date",
            )
        # The unit may have stood at another depth before a move: any ancestor column.
        anywhere = Q()
        for column in ANCESTOR_FIELDS:
            anywhere |= Q(**{column: unit.pk})
        last = (
            MemberPeriod.objects.filter(anywhere)
            .order_by("-valid_to")
            .values_list("valid_to", flat=True)
            .first()
        )
        earliest = (
            max(d for d in (unit.founded_on, last) if d) if (unit.founded_on or last) else None
        )
        if earliest and date < earliest:
            raise ServiceError(
                "unit.dissolved_before_history",
                _("The unit has history until %(last)s; it cannot be dissolved on %(date)s.")
                % {"last": earliest, "date": date},
                field="date",
            )
        before = snapshot(unit, ["dissolved_on"])
        OrgUnit.objects.filter(pk=unit.pk).update(dissolved_on=date)
        unit.refresh_from_db()
        audit_record(
            actor=actor,
            obj=unit,
            action="update",
            event_type="unit.dissolved",
            unit=unit,
            before=before,
            after={"dissolved_on": date, "document": document},
        )
        return unit


def unit_restore(*, actor: Any, unit: OrgUnit, reason: str, document: str = "") -> OrgUnit:
    """Undo a unit's dissolution (an annulled decision to dissolve): the unit stands again
    as if never dissolved, for the days since too. The dissolution stays in the audit log
    with the restoration beside it (`unit.restored`, the reason and the document); the
    members handed over at the dissolution stay where they went (their transfers are
    history: bringing them back is a transfer of each), and the units dissolved before it
    stay dissolved. Refused for a unit that is not dissolved or whose parent is."""
    with transaction.atomic():
        unit.refresh_from_db()
        if unit.dissolved_on is None:
            raise ServiceError("unit.not_dissolved", _("The unit is not dissolved."))
        parent = unit.get_parent()
        if parent is not None and parent.dissolved_on is not None:
            raise ServiceError(
                "unit.parent_dissolved",
                _("%(parent)s, above this unit, is dissolved: restore it first.")
                % {"parent": parent},
            )
        if not reason.strip():
            raise ServiceError(
                "unit.restore_reason", _("Give the reason of the restoration."), field="reason"
            )
        before = snapshot(unit, ["dissolved_on"])
        OrgUnit.objects.filter(pk=unit.pk).update(dissolved_on=None)
        unit.refresh_from_db()
        audit_record(
            actor=actor,
            obj=unit,
            action="update",
            event_type="unit.restored",
            unit=unit,
            before=before,
            after={"dissolved_on": None, "reason": reason, "document": document},
        )
        return unit


# The fields by which the steps of a merge name the unit merged into: the units below move
# under it (`parent`), the members are transferred to it (`to_unit`).
MERGE_TARGET_FIELDS = frozenset({"parent", "new_parent", "to_unit"})


@contextlib.contextmanager
def _naming_into() -> Iterator[None]:
    """A refusal by a step of a merge names the merge's own field, `into`, where the step
    named the unit merged into by its own."""
    try:
        yield
    except ServiceError as exc:
        if exc.field in MERGE_TARGET_FIELDS:
            exc.field = "into"
        raise


def _naming(member: Member, exc: ServiceError) -> ServiceError:
    """A member's refusal within a restructuring, naming the member it is about (the
    browser, the API and the units import show it as it is)."""
    message = _("%(name)s (id %(id)d): %(message)s") % {
        "name": member.full_name,
        "id": member.pk,
        "message": exc.message,
    }
    if isinstance(exc, RuleViolation):
        return RuleViolation(exc.code, message, source=exc.source, field=exc.field)
    return ServiceError(exc.code, message, field=exc.field)


def unit_merge(
    *, actor: Any, unit: OrgUnit, into: OrgUnit, date: dt.date, document: str = ""
) -> OrgUnit:
    """Merge `unit` into `into` on `date`, then dissolve `unit`; history is kept.

    The units below `unit` move under `into` with a dated move (their members are handed
    over with them: no transfers, the figures of earlier dates unchanged). Members held by
    `unit` itself (a cell merged into a cell) are transferred into `into` (reason
    "reorganization"), each an ordinary transfer, which a member's restriction on transfers
    (`core.restrictions`: a discipline in force) does not stop.
    """
    check_plausible(date)
    if unit.pk == into.pk:
        raise ServiceError(
            "unit.merge_into_itself", _("A unit cannot merge into itself."), field="into"
        )
    with transaction.atomic(), _naming_into(), _reorganizing():
        unit.refresh_from_db()
        into.refresh_from_db()
        if into.path.startswith(unit.path):
            raise ServiceError(
                "unit.move_into_itself",
                _("A unit cannot merge into a unit below it."),
                field="into",
            )
        children = OrgUnit.objects.filter(
            path__startswith=unit.path, depth=unit.depth + 1, dissolved_on__isnull=True
        ).order_by("path")
        for child in list(children):
            unit_move(actor=actor, unit=child, new_parent=into, date=date, document=document)
        for member in _active_members(unit).order_by("pk"):
            try:
                if member.pending_transfer_to_id:
                    member_transfer_return(
                        actor=actor, member=member, date=date, reason=_("reorganization")
                    )
                    member.refresh_from_db()
                member_transfer(
                    actor=actor,
                    member=member,
                    date=date,
                    to_unit=into,
                    document=document,
                    reason="reorganization",
                )
            except ServiceError as exc:
                raise _naming(member, exc) from exc
        # Applicants follow their cell too (they have no periods).
        for applicant in Member.objects.filter(unit=unit, status=MemberStatus.APPLICANT):
            Member.objects.filter(pk=applicant.pk).update(unit=into, version=F("version") + 1)
            follow_members([applicant.pk])
            audit_record(
                actor=actor,
                obj=applicant,
                action="update",
                event_type="member.applicant_moved",
                unit=into,
                before={"unit": unit.pk},
                after={"unit": into.pk},
            )
        unit.refresh_from_db()
        return unit_dissolve(actor=actor, unit=unit, date=date, document=document)


def units_merge(
    *, actor: Any, units: list[OrgUnit], into: OrgUnit, date: dt.date, document: str = ""
) -> OrgUnit:
    """Merge several units into `into` on `date` (e.g. two province committees into a new
    one), in one transaction: each is merged by `unit_merge` and dissolved; they stay
    readable, with their figures, for the years they existed."""
    if not units:
        raise ServiceError("unit.merge_nothing", _("Name the units to merge."), field="units")
    if len({u.pk for u in units}) != len(units):
        raise ServiceError(
            "unit.merge_twice", _("A unit is named twice in the merge."), field="units"
        )
    with transaction.atomic():
        for unit in units:
            unit_merge(actor=actor, unit=unit, into=into, date=date, document=document)
        into.refresh_from_db()
        audit_record(
            actor=actor,
            obj=into,
            action="update",
            event_type="unit.merged",
            unit=into,
            after={"merged": [u.code for u in units], "date": date, "document": document},
        )
        return into
