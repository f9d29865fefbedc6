"""Reads on members: a member's state (the fold of their events), as-of status, as-of
membership of a subtree, the full members recorded in a cell on a day, party age, name search,
the due lists of a unit; and the fold's check of a unit, which the services and the bulk
import both ask."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from cadrebook.core.dates import add_months
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.normalize import search_text
from cadrebook.core.rules import Ruleset, current_ruleset
from cadrebook.core.scoping import PATH_END, Scope, subtree_q
from cadrebook.members import search as name_search
from cadrebook.members.choices import ACTIVE_STATUSES, EventType, MemberStatus
from cadrebook.members.event_types import FOLD_FIELDS
from cadrebook.members.lifecycle import EventData, Period, State, fold, party_age_days
from cadrebook.members.models import Member, MemberEvent, MemberPeriod
from cadrebook.members.search import name_matches, name_query, written_as_typed
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.placements import depth_on

_fold_fields = attrgetter(*FOLD_FIELDS)


def event_data(ev: MemberEvent) -> EventData:
    """A recorded event as the fold takes it (its `FOLD_FIELDS`, read as the events import
    reads them)."""
    return EventData(*_fold_fields(ev))


def member_state(
    member: Member,
    *,
    rules: Ruleset | None = None,
    events: Iterable[MemberEvent] | None = None,
) -> State:
    """The fold of the member's events (no rule re-checks of units). `events`: the member's
    events in date and id order when the caller read them already (a list prefetches them
    for all its rows in one query)."""
    if events is None:
        events = member.events.order_by("date", "id")
    data = [event_data(e) for e in events]
    return fold(data, rules=rules or current_ruleset(), birth_date=member.birth_date)


def unit_check(rules: Ruleset, lookup: Any) -> Any:
    """The fold's unit check: refuse a unit that holds no members or is not active that day.

    `lookup(unit_id)` gives an object with `kind`, `is_active_on(day)` and a readable str():
    an `OrgUnit` for the services, a lighter record for the bulk import.
    """

    def check(unit_id: int, day: dt.date, field_name: str) -> None:
        unit = lookup(unit_id)
        kind = rules.unit_kind(unit.kind)
        if not kind.holds_members:
            raise RuleViolation(
                "unit.holds_no_members",
                _("%(unit)s is a %(kind)s, which does not hold members directly; choose a cell.")
                % {"unit": unit, "kind": kind.label},
                source=kind.source,
                field=field_name,
            )
        if not unit.is_active_on(day):
            raise ServiceError(
                "unit.not_active",
                _("%(unit)s is not active on %(date)s.") % {"unit": unit, "date": day},
                field=field_name,
            )

    return check


def periods_as_of(day: dt.date) -> QuerySet[MemberPeriod]:
    """Periods in force on `day`: valid_from <= D < coalesce(valid_to, infinity)."""
    return MemberPeriod.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=day), valid_from__lte=day
    )


def member_status_as_of(member: Member, day: dt.date) -> MemberPeriod | None:
    """The member's period on `day` (unit, status, exempt), or None when not a member then."""
    return periods_as_of(day).filter(member=member).select_related("unit").first()


def members_as_of(unit: OrgUnit, day: dt.date) -> QuerySet[Member]:
    """Members of `unit`'s subtree on `day`, through the ancestor column of its depth on
    that day (a unit moved up or down the tree stood at another depth before)."""
    column = f"anc{depth_on(unit, day)}_id"
    ids = periods_as_of(day).filter(**{column: unit.pk}).values("member_id")
    return Member.objects.filter(pk__in=ids)


def recorded_full_members(
    votes: Collection[tuple[int, dt.date]],
    *,
    leave_out: Collection[int] = (),
    extra: Iterable[tuple[int, Period]] = (),
) -> dict[tuple[int, dt.date], set[int]]:
    """The full members recorded in each (cell, day) of `votes`, as member ids: those whose
    period in the cell has status full and covers the day; one query per 900 cells.

    Members exempted from activities are left out (their period says so, and the cell's
    vote does not count them); a member temporarily transferred elsewhere counts in their
    own cell, where their period stays (DOMAIN: not in the host cell). The recorded periods
    of `leave_out` do not count (a bulk import's members whose history it is changing);
    `extra` (member, period) pairs count instead (those periods as the import will write
    them). The caller leaves out the member voted on."""
    if not votes:
        return {}
    cells = sorted({cell for cell, _day in votes})
    first = min(day for _cell, day in votes)
    last = max(day for _cell, day in votes)
    periods: dict[int, list[tuple[int, dt.date, dt.date | None]]] = {}
    for i in range(0, len(cells), 900):  # SQLite's parameter limit
        rows = (
            MemberPeriod.objects.filter(
                unit_id__in=cells[i : i + 900],
                status=MemberStatus.FULL,
                exempt=False,
                valid_from__lte=last,
            )
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=first))
            .values_list("unit_id", "member_id", "valid_from", "valid_to")
        )
        for unit_id, member_id, valid_from, valid_to in rows:
            if member_id not in leave_out:
                periods.setdefault(unit_id, []).append((member_id, valid_from, valid_to))
    wanted = set(cells)
    for member_id, p in extra:
        if p.unit_id in wanted and p.status == MemberStatus.FULL and not p.exempt:
            periods.setdefault(p.unit_id, []).append((member_id, p.valid_from, p.valid_to))
    return {
        (cell, day): {
            member_id
            for member_id, valid_from, valid_to in periods.get(cell, [])
            if valid_from <= day and (valid_to is None or day < valid_to)
        }
        for cell, day in votes
    }


def effective_events_of(event_type: str) -> QuerySet[Any]:
    """The member's events of `event_type` (the member is `OuterRef("pk")`), each with its
    effective date `eff_date`, voided ones left out.

    Corrections apply as in `lifecycle.effective_events`: the latest correction (in date, id
    order) of an event restates its date or voids it; a voided event does not count.
    """
    correction = MemberEvent.objects.filter(
        type=EventType.CORRECTION, corrects_id=OuterRef("pk")
    ).order_by("-date", "-id")
    return (
        MemberEvent.objects.filter(member_id=OuterRef("pk"), type=event_type)
        .annotate(
            eff_date=Coalesce(Subquery(correction.values("date")[:1]), F("date")),
            eff_void=Coalesce(Subquery(correction.values("void")[:1]), Value(False)),
        )
        .filter(eff_void=False)
    )


def effective_event_date(event_type: str, *, latest: bool = False) -> Subquery:
    """The effective date of the member's first (or latest) event of `event_type`, as a
    subquery on the member's pk (`OuterRef("pk")`), corrections applied
    (`effective_events_of`)."""
    order = ("-eff_date", "-id") if latest else ("eff_date", "id")
    return Subquery(effective_events_of(event_type).order_by(*order).values("eff_date")[:1])


def recognition_decided_on() -> Subquery:
    """The date of the decision that recognized the member as a full member: the effective
    date of their latest `recognized` event, as a subquery on the member's pk.

    It is not `Member.recognized_on`, the cached date full membership took effect (the end
    of probation, however late the decision came); it is the date the member files'
    `recognized_on` column means: what an import records as the event's date and an export
    writes, so that a file imported twice, or exported and imported again, says the same.
    For a member readmitted and not yet recognized again it is an earlier membership's:
    read it only where `Member.recognized_on` is set."""
    return effective_event_date(EventType.RECOGNIZED, latest=True)


def party_age(member: Member, on: dt.date) -> tuple[int, int]:
    """Party age on `on` as (years, months), from admission, interruptions subtracted."""
    days = party_age_days(member_state(member), on)
    months = int(days / 30.4375)
    return months // 12, months % 12


def national_id_match(text: str, id_scope: Scope) -> Q:
    """Members whose national ID is exactly `text`, among those whose ID the reader may see
    (`id_scope`, the reader's "view_sensitive" scope): a match on a masked ID would confirm
    the ID the mask hides."""
    if id_scope.nothing:
        return Q(pk__in=[])
    match = Q(national_id=text)
    return match if id_scope.everything else match & subtree_q("unit__path", id_scope.paths)


def search_members(queryset: QuerySet[Member], text: str, *, id_scope: Scope) -> QuerySet[Member]:
    """Name search (`members.search`: a word of the name starts the text, accents optional);
    names written with the accents as typed rank first. A text with digits matches the card
    number instead, and the national ID of the members whose ID the reader may see
    (`id_scope`: `scope_for(user, "view_sensitive")`). A page of a large list reads better
    through `lists.keyset_page(text=...)`, which reads the name keys in order.
    """
    text = search_text(text)
    if not text:
        return queryset
    query = name_query(text)
    if query is None:
        found = national_id_match(text, id_scope) | Q(card_number=text)
        return queryset.filter(found).order_by("name_norm", "id")
    return (
        queryset.filter(name_matches(query))
        .annotate(
            exact_rank=Case(
                When(written_as_typed(query), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("exact_rank", "name_norm", "id")
    )


def unit_member_counts(units: list[OrgUnit]) -> dict[int, int]:
    """Active members (probationary + full) in each unit's subtree, one query per depth."""
    counts: dict[int, int] = {}
    by_depth: dict[int, list[int]] = {}
    for u in units:
        by_depth.setdefault(u.depth, []).append(u.pk)
    for depth, ids in by_depth.items():
        col = f"anc{depth}_id"
        rows = (
            MemberPeriod.objects.filter(valid_to__isnull=True, **{f"{col}__in": ids})
            .values(col)
            .annotate(n=Count("id"))
        )
        for row in rows:
            counts[row[col]] = row["n"]
    return counts


def full_member_counts(unit_ids: list[int]) -> dict[int, int]:
    """The full members of each of `unit_ids` today (their open periods). COUNT(*), not of
    a column: the partial index `period_unit_open_full` answers it alone."""
    rows = (
        MemberPeriod.objects.filter(valid_to__isnull=True, status="full", unit_id__in=unit_ids)
        .values("unit_id")
        .annotate(n=Count("*"))
    )
    return {r["unit_id"]: r["n"] for r in rows}


MASK = "••••"


def mask(value: Any) -> str:
    """How a sensitive value shows to a role that may not read it: always the same mask,
    set or empty, so that its presence cannot be told either (pages, API and exports)."""
    return MASK


DUE_DAYS = 30  # how far ahead the due lists look
DUE_LIMIT = 50  # items shown per list; the count says how many there are
# Counts of a page stop here and say "more than COUNT_CAP": an exact count of a province's
# or the country's subtree reads every row of it (seconds at national scale), a capped one
# at most COUNT_CAP + 1.
COUNT_CAP = name_search.COUNT_CAP


def capped_count(queryset: QuerySet[Any], cap: int | None = None) -> tuple[int, bool]:
    """(how many rows `queryset` has, False), or (`cap`, True) when it has more: the count
    reads at most cap + 1 rows (`COUNT_CAP` by default; `members.search.capped_count`)."""
    total = name_search.capped_count([queryset], COUNT_CAP if cap is None else cap)
    return total.count, not total.exact


@dataclass
class DueList:
    """One list of things waiting for a decision: the first items and how many there are
    (`capped`: more than `count`, which is then `COUNT_CAP`; `at_least`: `count` found in
    the part of the subtree read, perhaps more in the rest)."""

    items: list[Any]
    count: int
    capped: bool = False
    at_least: bool = False  # only part of the subtree was read: `count` or more

    @classmethod
    def of(cls, items: list[Any], queryset: QuerySet[Any]) -> DueList:
        """The items, and the capped count of `queryset` (what the whole list holds)."""
        count, capped = capped_count(queryset)
        return cls(items, count, capped)


def with_transfer_issued(members: QuerySet[Member]) -> QuerySet[Member]:
    """`members` with `transfer_issued`: the date of each one's latest transfer out (the
    letter the receiving unit waits for), read in the members' own query."""
    latest = (
        MemberEvent.objects.filter(member=OuterRef("pk"), type=EventType.TRANSFER_OUT)
        .order_by("-date", "-id")
        .values("date")[:1]
    )
    return members.annotate(transfer_issued=Subquery(latest))


def due_lists(unit: OrgUnit, today: dt.date) -> dict[str, DueList]:
    """What waits for a decision in `unit`'s subtree: applicants whose admission the cell
    has proposed, waiting for the upper committee's decision (with its deadline);
    probationary members whose probation (from their latest admission) ends within DUE_DAYS
    or has ended (due for recognition, with the upper committee's decision deadline, later
    when extended), transfers to its units waiting for acceptance, cells below the minimum
    of full members, full members without a card."""
    rules = current_ruleset()
    months = rules.int("probation.months")
    # The cell reviews within these working days of the end of probation, then the upper
    # committee decides within its own.
    decision_days = rules.int("probation.review_working_days") + rules.int(
        "probation.recognition_decision_working_days"
    )
    within = subtree_q("unit__path", [unit.path])
    members = Member.objects.filter(within).select_related("unit")
    horizon = add_months(today + dt.timedelta(days=DUE_DAYS), -months)
    # Probation runs from the latest admission: a readmitted member starts a new one, from
    # their latest readmission as corrected. The fold keeps that start on the member
    # (`probation_start`), in a partial index of the members on probation, in the list's
    # order: a province's first page and count read the few it needs.
    ending = members.filter(
        status=MemberStatus.PROBATIONARY, probation_start__lte=horizon
    ).annotate(probation_from=F("probation_start"))
    extension = rules.int("probation.decision_extension_working_days")
    recognition = []
    in_order = Prefetch(
        "events", queryset=MemberEvent.objects.order_by("date", "id"), to_attr="events_in_order"
    )
    shown = ending.order_by("probation_start", "pk").prefetch_related(in_order)[:DUE_LIMIT]
    for m in shown:
        # The fold's own date (corrections of the admission included) for the items shown,
        # and whether the upper committee extended its deadline in this probation.
        state = member_state(m, rules=rules, events=m.events_in_order)  # type: ignore[attr-defined]
        start = state.probation_start
        if start is None:  # an annotation, not a model field
            start = m.probation_from  # type: ignore[attr-defined]
        due = add_months(start, months)
        extended = state.decision_extended
        decision = rules.working_deadline(due, decision_days + (extension if extended else 0))
        recognition.append(
            {
                "member": m,
                "due": due,
                "overdue": due < today,
                "decision_by": decision.date,
                "decision_overdue": decision.date < today,
                "extended": extended,
                "holidays_note": decision.note,
            }
        )
    # The few members in transfer first (their index), then whether they go to this subtree.
    incoming = Member.objects.filter(pending_transfer_to__isnull=False).filter(
        subtree_q("pending_transfer_to__path", [unit.path])
    )
    limit = rules.int("transfer.present_working_days")
    transfers = []
    shown_incoming = with_transfer_issued(incoming.select_related("unit", "pending_transfer_to"))
    for m in shown_incoming.order_by("pk")[:DUE_LIMIT]:
        issued = m.transfer_issued  # type: ignore[attr-defined]
        counted = rules.working_deadline(issued, limit) if issued else None
        deadline = counted.date if counted else None
        transfers.append(
            {
                "member": m,
                "deadline": deadline,
                "overdue": bool(deadline and deadline < today),
                "holidays_note": counted.note if counted else "",
            }
        )
    temporary = _temporary_transfers_ending(members, today)
    no_card = members.filter(status=MemberStatus.FULL).filter(
        Q(card_number__isnull=True) | Q(card_number="")
    )
    return {
        "admissions": _admissions_pending(members, today, rules),
        "recognition": DueList.of(recognition, ending),
        "transfers": DueList.of(transfers, incoming),
        "cells": _cells_below_minimum(unit, rules),
        "cards": DueList.of(list(no_card.order_by("name_norm", "pk")[:DUE_LIMIT]), no_card),
        "temporary": DueList.of(
            [
                {"member": m, "until": m.temporary_until, "overdue": until < today}
                for m in temporary.order_by("temporary_until", "pk")[:DUE_LIMIT]
                if (until := m.temporary_until) is not None  # the filter keeps only these
            ],
            temporary,
        ),
    }


CELL_BATCH = 1000  # cells whose full members are counted in one query
CELL_SCAN = 2000  # cells read at most for the list (a province holds thousands)


def _cells_below_minimum(unit: OrgUnit, rules: Ruleset) -> DueList:
    """The active cells of `unit`'s subtree with fewer full members than the rule set's
    minimum, in the tree's order: read batch by batch until one more than DUE_LIMIT are
    found (then the count says "more than DUE_LIMIT") or CELL_SCAN cells were read (then
    it says "at least" what was found), so a province's page does not count the full
    members of all its thousands of cells."""
    holding = OrgUnit.objects.filter(
        path__gte=unit.path,
        path__lt=unit.path + PATH_END,
        kind__in=rules.member_holding_kinds(),
        dissolved_on__isnull=True,
    ).order_by("path")
    minimum = rules.int("organization.cell_min_full_members")
    weak: list[dict[str, Any]] = []
    after = ""
    scanned = 0
    while len(weak) <= DUE_LIMIT:
        if scanned >= CELL_SCAN:
            return DueList(weak, len(weak), at_least=True)
        cells = (
            list(holding.filter(path__gt=after)[:CELL_BATCH])
            if after
            else list(holding[:CELL_BATCH])
        )
        scanned += len(cells)
        fulls = full_member_counts([c.pk for c in cells])
        weak += [
            {"unit": c, "full": fulls.get(c.pk, 0)} for c in cells if fulls.get(c.pk, 0) < minimum
        ]
        if len(cells) < CELL_BATCH:
            return DueList(weak, len(weak))
        after = cells[-1].path
    return DueList(weak[:DUE_LIMIT], DUE_LIMIT, capped=True)


def _admissions_pending(members: QuerySet[Member], today: dt.date, rules: Ruleset) -> DueList:
    """Applicants whose latest admission proposal the upper committee has not answered yet
    (an admission makes them probationary; a death ends the record), by the deadline of its
    decision: `admission.decision_working_days` from the proposal, plus
    `admission.decision_extension_working_days` when extended since (an extension recorded
    after the latest proposal, in the fold's date and id order)."""
    days = rules.int("admission.decision_working_days")
    extension = rules.int("admission.decision_extension_working_days")
    proposals = effective_events_of(EventType.ADMISSION_PROPOSED).order_by("-eff_date", "-id")
    # Only applicants with a proposal recorded can have one pending: the semi-join reads the
    # proposals by their type's index instead of every applicant's events.
    proposed = MemberEvent.objects.filter(type=EventType.ADMISSION_PROPOSED)
    pending = (
        members.filter(status=MemberStatus.APPLICANT, pk__in=proposed.values("member_id"))
        .annotate(
            proposed_on=Subquery(proposals.values("eff_date")[:1]),
            proposal_id=Subquery(proposals.values("id")[:1]),
        )
        .filter(proposed_on__isnull=False)
    )
    since = Q(eff_date__gt=OuterRef("proposed_on")) | Q(
        eff_date=OuterRef("proposed_on"), id__gt=OuterRef("proposal_id")
    )
    pending = pending.annotate(
        extended=Exists(effective_events_of(EventType.DECISION_EXTENDED).filter(since))
    )
    items = []
    # Within the extended and the unextended, the deadline follows the proposal's date: the
    # first DUE_LIMIT of each hold the first DUE_LIMIT of all, without counting every one.
    for extended in (False, True):
        rows = pending.filter(extended=extended).order_by("proposed_on", "pk")[:DUE_LIMIT]
        for m in rows:
            proposed_on = m.proposed_on
            decision = rules.working_deadline(proposed_on, days + (extension if extended else 0))
            items.append(
                {
                    "member": m,
                    "proposed_on": proposed_on,
                    "decision_by": decision.date,
                    "decision_overdue": decision.date < today,
                    "extended": extended,
                    "holidays_note": decision.note,
                }
            )
    items.sort(key=lambda i: (i["decision_by"], i["proposed_on"], i["member"].pk))
    return DueList.of(items[:DUE_LIMIT], pending)


def _temporary_transfers_ending(members: QuerySet[Member], today: dt.date) -> QuerySet[Member]:
    """Active members whose temporary transfer is still running and whose planned end has
    passed or comes within DUE_DAYS: the home cell records the return. The fold keeps the
    running transfer's end on the member (`temporary_until`, None when there is none), in a
    partial index of the few members away."""
    return members.filter(
        status__in=ACTIVE_STATUSES,
        temporary_until__lte=today + dt.timedelta(days=DUE_DAYS),
    )
