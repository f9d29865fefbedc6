"""Exports of units, members, events, targets, documents, ratings, inspections, appointments and planning, in exactly the columns the importer reads.

An exported file imports again unchanged (docs/import-formats.md, "round trip"). Every export
is scoped to what the actor may view, masks the sensitive personal fields the actor may not
read, streams (constant memory at national scale) and writes one audit entry.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import IO, Any

from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Length, Substr
from django.utils import timezone

from cadrebook.cadres.models import PlanningEntry, PostHolding
from cadrebook.core.audit import audit_record
from cadrebook.core.models import AuditEntry
from cadrebook.core.permissions import VIEW, VIEW_SENSITIVE
from cadrebook.core.scoping import Scope, scope_for, subtree_q
from cadrebook.core.spreadsheets import TableWriter
from cadrebook.documents.models import Document
from cadrebook.documents.selectors import readable_q
from cadrebook.evaluations.models import Rating, Target
from cadrebook.imports.formats import FORMATS
from cadrebook.inspections.choices import STEP_CONCLUSION, STEP_DECISION, DisciplineStatus
from cadrebook.inspections.discipline_rules import discipline_rules, lapse_day
from cadrebook.inspections.models import (
    Appeal,
    Discipline,
    Inspection,
    InspectionProgram,
    InspectionStep,
    InspectionSubject,
    InspectionTeamMember,
    ProgramItem,
    Recommendation,
    RecommendationFollowUp,
)
from cadrebook.inspections.permissions import VIEW_INSPECTIONS
from cadrebook.inspections.selectors import standings
from cadrebook.members.choices import EventType
from cadrebook.members.lifecycle import EventData, effective_events
from cadrebook.members.models import SENSITIVE_FIELDS, Member, MemberEvent
from cadrebook.members.selectors import effective_event_date, mask, recognition_decided_on
from cadrebook.orgs.models import OrgUnit, UnitPlacement

# A member without an external id is exported as "cadrebook:<id>"; the importer resolves
# that form to the member with that database id, so such members survive a round trip.
EXTERNAL_ID_PREFIX = "cadrebook:"

HEADER_LANGUAGES = ("en", "vi")

_CHUNK = 2000

Row = dict[str, Any]


def external_id_of(pk: int, external_id: str | None) -> str:
    """The identifier a member is exported under: its external id, else "cadrebook:<pk>"."""
    return external_id or f"{EXTERNAL_ID_PREFIX}{pk}"


def export_filename(kind: str, fmt: str, unit: OrgUnit | None = None) -> str:
    """A download name such as "members-P1-2025-01-31.xlsx" (the unit's code when scoped)."""
    parts = [kind]
    if unit is not None:
        parts.append("".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in unit.code))
    parts.append(timezone.localdate().isoformat())
    return "-".join(parts) + "." + fmt


def header_row(kind: str, headers: str = "en") -> list[str]:
    """The header row of `kind`: the English column names, or the Vietnamese headers."""
    if headers not in HEADER_LANGUAGES:
        raise ValueError(f"Unknown header language {headers!r}; expected en or vi")
    return [c.vi if headers == "vi" else c.name for c in FORMATS[kind]]


class _Stats:
    """What the audit entry reports besides the row count."""

    masked = False


def _scoped(qs: QuerySet[Any], actor: Any, path_field: str, unit: OrgUnit | None) -> Any:
    # actor=None is the system (the command line without --user): everything.
    if actor is not None:
        qs = qs.visible_to(actor, VIEW)  # type: ignore[attr-defined]
    if unit is not None:
        qs = qs.filter(subtree_q(path_field, [unit.path]))
    return qs


def _units(actor: Any, unit: OrgUnit | None, stats: _Stats) -> Iterator[Row]:
    # The parent's code comes from a correlated lookup on the (unique, indexed) path, so it is
    # there even when the parent lies outside the exported subtree or the actor's scope.
    parent_code = Subquery(
        OrgUnit.objects.filter(
            path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - OrgUnit.steplen)
        ).values("code")[:1]
    )
    # The date the unit came under its parent (its last move) and the deciding document.
    current = UnitPlacement.objects.filter(unit=OuterRef("pk"), valid_to__isnull=True)
    qs = (
        _scoped(OrgUnit.objects.all(), actor, "path", unit)
        .annotate(
            parent_code=parent_code,
            moved_on=Subquery(current.values("valid_from")[:1]),
            document=Subquery(current.values("document")[:1]),
        )
        .order_by("path")
        .values(
            "code",
            "name",
            "kind",
            "parent_code",
            "founded_on",
            "dissolved_on",
            "moved_on",
            "document",
        )
    )
    for row in qs.iterator(chunk_size=_CHUNK):
        row["parent_code"] = row["parent_code"] or ""
        row["document"] = row["document"] or ""
        yield row


_MEMBER_FIELDS = (
    "pk",
    "external_id",
    "full_name",
    "gender",
    "birth_date",
    "ethnicity",
    "national_id",
    "status",
    "admitted_on",
    "recognized_on",
    "card_number",
    "hometown",
    "education_level",
    "theory_level",
    "occupation",
    "phone",
    "address",
)


def _members(actor: Any, unit: OrgUnit | None, stats: _Stats) -> Iterator[Row]:
    sensitive: Scope | None = None if actor is None else scope_for(actor, VIEW_SENSITIVE)
    qs = (
        _scoped(Member.objects.all(), actor, "unit__path", unit)
        .annotate(
            registered_on=effective_event_date(EventType.REGISTERED),
            recognition_decided_on=recognition_decided_on(),
            unit_code=F("unit__code"),
        )
        .order_by("pk")
        .values(
            *_MEMBER_FIELDS, "unit_code", "unit__path", "registered_on", "recognition_decided_on"
        )
    )
    for row in qs.iterator(chunk_size=_CHUNK):
        row["external_id"] = external_id_of(row["pk"], row["external_id"])
        # The column holds the date of the recognition decision (what an import of it
        # records), not the end of probation the member's full membership counts from.
        decided = row.pop("recognition_decided_on")
        if row["recognized_on"] is not None:
            row["recognized_on"] = decided
        if sensitive is not None and not sensitive.covers_path(row["unit__path"]):
            stats.masked = True
            for name in SENSITIVE_FIELDS:
                row[name] = mask(row[name])
        yield row


def _events(actor: Any, unit: OrgUnit | None, stats: _Stats) -> Iterator[Row]:
    codes: dict[int | None, str] = dict(OrgUnit.objects.values_list("id", "code"))
    codes[None] = ""
    # One streamed query in (member, date, id) order — the order of the index and of the
    # services' fold — grouped per member in Python: no query per member.
    qs = (
        _scoped(MemberEvent.objects.all(), actor, "member__unit__path", unit)
        .order_by("member_id", "date", "id")
        .values_list(
            "member_id",
            "member__external_id",
            "id",
            "type",
            "date",
            "unit_id",
            "to_unit_id",
            "destination",
            "document",
            "reason",
            "corrects_id",
            "void",
            "taken_over",
            "until",
            "for_study",
            "votes_for",
            "votes_against",
            "full_members",
        )
    )
    for member_id, group in itertools.groupby(qs.iterator(chunk_size=_CHUNK), key=lambda r: r[0]):
        events = list(group)
        external_id = external_id_of(member_id, events[0][1])
        texts = {r[2]: (r[8], r[9]) for r in events}
        # What the decision was recorded with, as the events file writes it back.
        extra = {
            r[2]: {
                "taken_over": "yes" if r[12] else "",
                "until": r[13],
                "for_study": "yes" if r[14] else "",
                "votes_for": r[15],
                "votes_against": r[16],
                "full_members": r[17],
            }
            for r in events
        }
        data = [
            EventData(
                type=r[3],
                date=r[4],
                unit_id=r[5],
                to_unit_id=r[6],
                destination=r[7],
                id=r[2],
                corrects_id=r[10],
                void=r[11],
            )
            for r in events
        ]
        for ev in effective_events(data):
            document, reason = texts[ev.id]
            yield {
                "external_id": external_id,
                "type": ev.type,
                "date": ev.date,
                "unit_code": codes.get(ev.unit_id, ""),
                "to_unit_code": codes.get(ev.to_unit_id, ""),
                "destination": ev.destination,
                "document": document,
                "reason": reason,
                **extra[ev.id],
            }


def _targets(actor: Any, unit: OrgUnit | None, stats: _Stats) -> Iterator[Row]:
    qs = (
        _scoped(Target.objects.all(), actor, "unit__path", unit)
        .order_by("unit__path", "year", "indicator")
        .values("year", "indicator", "target", unit_code=F("unit__code"))
    )
    yield from qs.iterator(chunk_size=_CHUNK)


def _documents(actor: Any, unit: OrgUnit | None, stats: _Stats) -> Iterator[Row]:
    # Restricted and secret documents only for a role granted them (the others are left
    # out, not masked: a masked title would import back as a title).
    qs = _scoped(Document.objects.all(), actor, "issuer__path", unit)
    if actor is not None:
        stats.masked = qs.exclude(readable_q(actor)).exists()
        qs = qs.filter(readable_q(actor))
    rows = qs.order_by("issuer__path", "term__start", "counter", "number", "id").values(
        "type",
        "number",
        "date",
        "title",
        "confidentiality",
        "status",
        "abstract",
        "signer_position",
        "language",
        "symbol_legacy",
        issuer_code=F("issuer__code"),
        term_label=F("term__label"),
        signer=F("signer_name"),
        printed=F("symbol"),
    )
    for row in rows.iterator(chunk_size=_CHUNK):
        row["term"] = row.pop("term_label")
        # A rendered symbol is rendered again on import; a legacy one is kept verbatim.
        row["symbol"] = row.pop("printed") if row.pop("symbol_legacy") else ""
        yield row


def _ratings(actor: Any, unit: OrgUnit | None, stats: _Stats) -> Iterator[Row]:
    # A member without an external id is written cadrebook:<id>, as the members export does.
    qs = (
        _scoped(Rating.objects.all(), actor, "rated_in__path", unit)
        .order_by("year", "subject_kind", "id")
        .values(
            "subject_kind",
            "year",
            "level",
            "score",
            "label",
            "document_text",
            "member_id",
            member_external=F("member__external_id"),
            unit_code=F("unit__code"),
            document_symbol=F("document__symbol"),
        )
    )
    for row in qs.iterator(chunk_size=_CHUNK):
        member_id = row.pop("member_id")
        external = row.pop("member_external")
        code = row.pop("unit_code")
        row["subject"] = external_id_of(member_id, external) if member_id else code
        # The document as it was written, else the registered one's symbol (a round's).
        symbol = row.pop("document_symbol")
        row["document"] = row.pop("document_text") or symbol or ""
        row["score"] = "" if row["score"] is None else str(row["score"])
        yield row


def _inspections(actor: Any, unit: OrgUnit | None, stats: _Stats) -> Iterator[Row]:
    # Inspection files are confidential: the inspectors' `view_inspections`, not `view`.
    qs = Inspection.objects.all()
    if actor is not None:
        qs = qs.visible_to(actor, VIEW_INSPECTIONS)
    if unit is not None:
        qs = qs.filter(subtree_q("path", [unit.path]))
    subjects = Prefetch(
        "subjects",
        queryset=InspectionSubject.objects.select_related("unit", "member").order_by("id"),
    )
    recommendations = Prefetch(
        "recommendations",
        queryset=Recommendation.objects.select_related("owner_unit")
        .prefetch_related(
            Prefetch("follow_ups", queryset=RecommendationFollowUp.objects.order_by("on", "id"))
        )
        .order_by("id"),
    )
    rows = (
        qs.select_related("body")
        .prefetch_related(
            subjects,
            Prefetch("team", queryset=InspectionTeamMember.objects.order_by("id")),
            Prefetch(
                "steps",
                queryset=InspectionStep.objects.filter(done_on__isnull=False).order_by("position"),
            ),
            recommendations,
        )
        .order_by("decided_on", "id")
    )
    for inspection in rows.iterator(chunk_size=_CHUNK):
        units: list[str] = []
        members: list[str] = []
        violations: list[str] = []
        for s in inspection.subjects.all():
            if s.unit is not None:
                name = s.unit.code
            else:
                assert s.member is not None
                name = external_id_of(s.member.pk, s.member.external_id)
            (units if s.unit is not None else members).append(name)
            if s.violation_found:
                violations.append(f"{name}={s.violation_kind}")
        yield {
            "code": inspection.code,
            "body_code": inspection.body.code,
            "kind": inspection.kind,
            "decided_on": inspection.decided_on,
            "concluded_on": inspection.concluded_on,
            "subject_units": "; ".join(units),
            "subject_members": "; ".join(members),
            "from_higher_level": "true" if inspection.from_higher_level else "false",
            "body_kind": inspection.body_kind,
            "decision_document": inspection.decision_document_text,
            "conclusion_document": inspection.conclusion_document_text,
            "violations": "; ".join(violations),
            "period_from": inspection.period_from,
            "period_to": inspection.period_to,
            "team": "; ".join(t.name for t in inspection.team.all()),
            "team_leader": next((t.name for t in inspection.team.all() if t.is_leader), ""),
            # The decision and the conclusion are decided_on and concluded_on.
            "steps": "; ".join(
                f"{s.step}={s.done_on.isoformat()}"
                for s in inspection.steps.all()
                if s.step not in (STEP_DECISION, STEP_CONCLUSION) and s.done_on is not None
            ),
            "recommendations": "\n".join(
                _recommendation_line(r) for r in inspection.recommendations.all()
            ),
        }


def _recommendation_line(r: Recommendation) -> str:
    """owner | deadline | follow-up | text, as the importer reads it."""
    owner = r.owner_unit.code if r.owner_unit is not None else r.owner_text
    follow_ups = list(r.follow_ups.all())
    last = follow_ups[-1] if follow_ups else None
    follow_up = f"{last.status} {last.on.isoformat()}" if last is not None else "open"
    deadline = r.deadline.isoformat() if r.deadline else ""
    return f"{owner} | {deadline} | {follow_up} | {' '.join(r.text.split())}"


def _dissolutions_members_to(ids: list[int]) -> dict[int, str]:
    """Discipline id -> the code of the unit its dissolution handed the members over to (as
    the decision's audit entry recorded it)."""
    if not ids:
        return {}
    entries = AuditEntry.objects.filter(
        event_type="discipline.decided",
        object_type=Discipline._meta.label_lower,
        object_id__in=[str(pk) for pk in ids],
    ).values_list("object_id", "after")
    to = {int(pk): (after or {}).get("members_to") for pk, after in entries}
    codes = dict(
        OrgUnit.objects.filter(pk__in={u for u in to.values() if u}).values_list("id", "code")
    )
    return {pk: codes.get(unit, "") for pk, unit in to.items() if unit}


def _disciplines(actor: Any, unit: OrgUnit | None, stats: _Stats) -> Iterator[Row]:
    # Discipline files are confidential too; scoped by the subject's unit.
    qs = Discipline.objects.all()
    if actor is not None:
        qs = qs.visible_to(actor, VIEW_INSPECTIONS)
    if unit is not None:
        qs = qs.filter(subtree_q("subject_path", [unit.path]))
    rules = discipline_rules()
    today = timezone.localdate()
    appeals = Prefetch(
        "appeals", queryset=Appeal.objects.select_related("body").order_by("lodged_on", "id")
    )
    rows = (
        qs.select_related("member", "unit", "body", "document")
        .prefetch_related(appeals)
        .order_by("decided_on", "id")
    )
    # One query for the dissolutions' receiving units, not one per row.
    members_to = _dissolutions_members_to(
        list(qs.filter(form="dissolution").values_list("pk", flat=True))
    )
    # Whether a decision lapsed depends on its appeals and the later decisions on its
    # subject: read once for the export (two queries).
    known = standings(qs)
    for d in rows.iterator(chunk_size=_CHUNK):
        status = d.status
        if status == DisciplineStatus.IN_FORCE and d.form in rules.severity:
            lapses_on = lapse_day(d.form, d.decided_on, known.get(d.pk), rules=rules)
            if lapses_on is not None and lapses_on <= today:
                status = "lapsed"
        row: Row = {
            "subject_kind": d.subject_kind,
            "subject": (
                external_id_of(d.member.pk, d.member.external_id)
                if d.member is not None
                else d.unit.code  # type: ignore[union-attr]
            ),
            "form": d.form,
            "body_code": d.body.code,
            "decided_on": d.decided_on,
            "violation_on": d.violation_on,
            "document": d.document_text or (d.document.symbol if d.document else ""),
            "body_kind": d.body_kind,
            "violation": d.violation,
            "violation_kind": d.violation_kind,
            "status": status,
            "votes": "; ".join(f"{k}={v}" for k, v in (d.votes or {}).items()),
            "voters_total": d.voters_total,
            "proposing_for": d.proposing_for,
            "proposing_total": d.proposing_total,
            # Imposed, a removal from post proves the post; the others leave it unsaid.
            "holds_post": "yes" if d.form in rules.forms_needing_post else "",
            "raising_child_under_12_months": "",
            "members_to": members_to.get(d.pk, ""),
            **_NO_APPEAL,
            "relations": "; ".join(d.relations or []),
            "may_admit": "yes" if d.may_admit else "",
        }
        appeal = next(reversed(d.appeals.all()), None)  # the last one lodged
        if appeal is not None:
            row.update(
                appeal_outcome=appeal.outcome,
                appeal_lodged_on=appeal.lodged_on,
                appeal_received_on=appeal.received_on,
                appeal_body_code=appeal.body.code,
                appeal_body_kind=appeal.body_kind,
                appeal_decided_on=appeal.decided_on,
                appeal_new_form=appeal.new_form,
                appeal_document=appeal.document_text,
            )
        yield row


_NO_APPEAL: Row = {
    "appeal_outcome": "",
    "appeal_lodged_on": None,
    "appeal_received_on": None,
    "appeal_body_code": "",
    "appeal_body_kind": "",
    "appeal_decided_on": None,
    "appeal_new_form": "",
    "appeal_document": "",
}


def _programs(actor: Any, unit: OrgUnit | None, stats: _Stats) -> Iterator[Row]:
    # The programs are the inspecting bodies' (read with `view_inspections`); one row per
    # planned item, a program without items as one row of its own.
    qs = InspectionProgram.objects.all()
    if actor is not None:
        qs = qs.visible_to(actor, VIEW_INSPECTIONS)
    if unit is not None:
        qs = qs.filter(subtree_q("path", [unit.path]))
    items = Prefetch(
        "items",
        queryset=ProgramItem.objects.select_related("subject_unit").order_by("planned_from", "id"),
    )
    rows = qs.select_related("body", "document").prefetch_related(items)
    for program in rows.order_by("year", "path", "body_kind", "id").iterator(chunk_size=_CHUNK):
        head: Row = {
            "body_code": program.body.code,
            "year": program.year,
            "body_kind": program.body_kind,
            "title": program.title,
            "document": program.document_text
            or (program.document.symbol if program.document else ""),
        }
        planned = list(program.items.all())
        if not planned:
            yield head | _NO_ITEM
        for item in planned:
            yield head | {
                "kind": item.kind,
                "subject_unit": item.subject_unit.code if item.subject_unit else "",
                "subject": item.subject_text,
                "planned_from": item.planned_from,
                "planned_to": item.planned_to,
            }


_NO_ITEM: Row = {
    "kind": "",
    "subject_unit": "",
    "subject": "",
    "planned_from": None,
    "planned_to": None,
}


def _appointments(actor: Any, unit: OrgUnit | None, stats: _Stats) -> Iterator[Row]:
    # The posts of the units the actor may view, oldest first; the holder by external id
    # (no personal data: nothing to mask).
    qs = PostHolding.objects.valid()  # a holding voided as recorded in error was never held
    if actor is not None:
        qs = qs.visible_to(actor, VIEW)
    if unit is not None:
        qs = qs.filter(subtree_q("unit__path", [unit.path]))
    rows = qs.select_related("unit", "member", "end", "document").order_by(
        "started_on", "unit__path", "position", "id"
    )
    for h in rows.iterator(chunk_size=_CHUNK):
        end = getattr(h, "end", None)
        yield {
            "unit_code": h.unit.code,
            "position": h.position,
            "member": external_id_of(h.member.pk, h.member.external_id),
            "how": h.how,
            "started_on": h.started_on,
            "planned_end": h.planned_end,
            "ended_on": end.ended_on if end is not None else None,
            "end_reason": end.reason if end is not None else "",
            "document": h.document_text or (h.document.symbol if h.document else ""),
            "votes_for": h.votes_for,
            "votes_cast": h.votes_total,
        }


def _planning(actor: Any, unit: OrgUnit | None, stats: _Stats) -> Iterator[Row]:
    # The planning entries of the units the actor may view, oldest first, their removals
    # with them; the person by external id (no personal data: nothing to mask).
    qs = PlanningEntry.objects.all()
    if actor is not None:
        qs = qs.visible_to(actor, VIEW)
    if unit is not None:
        qs = qs.filter(subtree_q("unit__path", [unit.path]))
    rows = qs.select_related("unit", "term", "member", "removal", "document").order_by(
        "added_on", "unit__path", "position", "id"
    )
    for e in rows.iterator(chunk_size=_CHUNK):
        removal = getattr(e, "removal", None)
        yield {
            "unit_code": e.unit.code,
            "position": e.position,
            "term": e.term.label,
            "member": external_id_of(e.member.pk, e.member.external_id),
            "added_on": e.added_on,
            "document": e.document_text or (e.document.symbol if e.document else ""),
            "removed_on": removal.removed_on if removal is not None else None,
            "removal_reason": removal.reason if removal is not None else "",
            "removal_note": removal.note if removal is not None else "",
            "removal_document": removal.document_text if removal is not None else "",
        }


_PRODUCERS = {
    "units": _units,
    "members": _members,
    "events": _events,
    "targets": _targets,
    "documents": _documents,
    "ratings": _ratings,
    "inspections": _inspections,
    "disciplines": _disciplines,
    "inspection-programs": _programs,
    "appointments": _appointments,
    "planning": _planning,
}


def _audit_object(actor: Any, unit: OrgUnit | None) -> Any:
    if unit is not None:
        return unit
    if getattr(actor, "pk", None):
        return actor
    return OrgUnit.objects.filter(depth=1).order_by("path").first()


# The action an export of each kind reads with (the confidential files: the inspectors').
_READ_ACTIONS = {
    "inspections": VIEW_INSPECTIONS,
    "disciplines": VIEW_INSPECTIONS,
    "inspection-programs": VIEW_INSPECTIONS,
}


def exported_unit(actor: Any, kind: str, unit: OrgUnit | None) -> OrgUnit | None:
    """The unit an export's audit entry is scoped to: the exported unit, else the lowest
    unit over everything the actor may read of `kind` (the root for the system or a
    national role), so the entry is read by those who may read what left, not by nobody."""
    if unit is not None:
        return unit
    scope = Scope(True, ()) if actor is None else scope_for(actor, _READ_ACTIONS.get(kind, VIEW))
    if scope.everything or not scope.paths:
        return OrgUnit.objects.filter(depth=1).order_by("path").first()
    common = scope.paths[0]
    for path in scope.paths[1:]:
        n = 0
        while n < min(len(common), len(path)) and common[n] == path[n]:
            n += 1
        common = common[: n - n % OrgUnit.steplen]
    if not common:
        return OrgUnit.objects.filter(depth=1).order_by("path").first()
    return OrgUnit.objects.filter(path=common).first()


def export_table(
    *,
    actor: Any,
    kind: str,
    out: IO[bytes],
    fmt: str = "csv",
    unit: OrgUnit | None = None,
    headers: str = "en",
) -> int:
    """Write every `kind` row the actor may view (within `unit`'s subtree) to `out`.

    `kind` is units, members, events, targets, documents or ratings; the columns are `FORMATS[kind]`, headed by
    their English names or (headers="vi") their Vietnamese headers. `actor=None` is the
    system: everything, unmasked. The caller has checked that `unit` is visible to the actor.
    Returns the number of data rows written; one audit entry records the export, even when
    it is empty, and also (with "failed") when writing stopped on an error.
    """
    if kind not in _PRODUCERS:
        raise ValueError(f"Unknown export kind {kind!r}; expected one of {', '.join(FORMATS)}")
    names = [c.name for c in FORMATS[kind]]
    date_columns = [i for i, c in enumerate(FORMATS[kind]) if c.type == "date"]
    writer = TableWriter(out, fmt, header_row(kind, headers), date_columns=date_columns)
    stats = _Stats()
    try:
        for row in _PRODUCERS[kind](actor, unit, stats):
            writer.writerow([row[name] for name in names])
        writer.close()
    except Exception:
        writer.abort()
        # Whatever left the building before the error is on record too.
        _record(actor, kind, fmt, unit, writer.rows, stats.masked, failed=True)
        raise
    _record(actor, kind, fmt, unit, writer.rows, stats.masked)
    return writer.rows


def _record(
    actor: Any,
    kind: str,
    fmt: str,
    unit: OrgUnit | None,
    rows: int,
    masked: bool,
    *,
    failed: bool = False,
) -> None:
    obj = _audit_object(actor, unit)
    if obj is None:
        return  # no unit and no user: an empty database, nothing was exported
    after: dict[str, Any] = {
        "kind": kind,
        "format": fmt,
        "rows": rows,
        "masked": masked,
        "unit": unit.code if unit is not None else "",
    }
    if failed:
        after["failed"] = True
    audit_record(
        actor=actor,
        obj=obj,
        action="export",
        event_type=f"export.{kind}",
        unit=exported_unit(actor, kind, unit),
        after=after,
    )
