"""Import of events files: members' histories, applied in date order per member.

Each member's rows are compared with the recorded history: an event already recorded (same
type, date and units) is unchanged; new events must not be dated before the last recorded one
(that would rewrite history: a correction does that, in the application). The new events are
checked one by one by the lifecycle fold with the same unit checks as the services; the
member's periods and cached status are then brought in line with the fold in bulk.

When one event of a member is refused, every new event of that member is refused with it:
no member is left with half a history, also with --valid-rows-only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace
from itertools import groupby
from operator import attrgetter
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from cadrebook.core.bulk import RowWriter
from cadrebook.core.errors import ServiceError
from cadrebook.imports.context import ImportContext, UnitInfo, chunked, parsed_rows
from cadrebook.imports.importers.members import member_lookup
from cadrebook.imports.reading import Table
from cadrebook.imports.schemas import EventRow
from cadrebook.members.choices import EventType, MemberStatus
from cadrebook.members.event_types import DECISION_FIELDS, FOLD_FIELDS, IMPORTABLE_TYPES
from cadrebook.members.lifecycle import (
    EventData,
    State,
    apply_event,
    check_decision,
    check_vote_recorded,
    effective_events,
    fold,
    vote_to_compare,
)
from cadrebook.members.models import (
    ANCESTOR_COLUMNS,
    EVENT_COLUMNS,
    PERIOD_COLUMNS,
    MemberEvent,
    MemberPeriod,
)
from cadrebook.members.name_keys import province_of_ancestors
from cadrebook.members.placing import (
    ANCESTOR_FIELDS,
    StoredPeriod,
    period_changes,
    place_periods,
    stored_period,
)
from cadrebook.members.selectors import recorded_full_members, unit_check

# "transferred" is the API's one-step official transfer: issued and accepted the same day.
TRANSFERRED = "transferred"
# The row types of the events file: the registry's importable event types, and that one.
IMPORTABLE = {*IMPORTABLE_TYPES, TRANSFERRED}
MEMBERS_PER_BATCH = 2000
# The events file also carries what a decision is recorded with beyond the columns every
# writer fills (a temporary transfer's end, the cell's vote): the other writers leave it empty.
DECISION_EXTRA = tuple(f for f in DECISION_FIELDS if f not in EVENT_COLUMNS)
IMPORTED_EVENT_COLUMNS = (*EVENT_COLUMNS, *DECISION_EXTRA)
_decision_extra = attrgetter(*DECISION_EXTRA)
# A vote to compare with the cell's records once the batch is folded: the member, their rows,
# the row of the vote, the vote and the cell it was taken in.
Vote = tuple[int, list[tuple[int, EventRow]], int, EventRow, EventData, int]
# Fields of a refusal that are columns of the file under the same name.
ROW_COLUMNS = frozenset(
    {"date", "document", "reason", "until", "votes_for", "votes_against", "full_members"}
)


class EventsImporter:
    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.check_unit = unit_check(ctx.rules, self._unit_by_id)
        self.now = timezone.now()
        self.recorded_by = ctx.actor.pk if getattr(ctx.actor, "pk", None) else None
        self.cards_full_only = bool(ctx.rules.value("card.full_members_only"))
        self.votes: list[Vote] = []
        # Rows of the batch counted unchanged: a refusal of their member's events moves them
        # to the refused (`_refuse_rest`), so that every row is counted once.
        self.unchanged_rows: set[int] = set()

    def _unit_by_id(self, unit_id: int) -> UnitInfo:
        units = self.ctx.units
        if unit_id not in units.by_id:
            units.load_ids([unit_id])
        return units.by_id[unit_id]

    def run(self, table: Table) -> None:
        ctx = self.ctx
        by_member: dict[str, list[tuple[int, EventRow]]] = defaultdict(list)
        for number, _raw, row in parsed_rows(ctx, table):
            ctx.tick("reading")
            if row is None:
                continue
            assert isinstance(row, EventRow)
            by_member[row.external_id].append((number, row))
        with connection.cursor() as cursor:
            writer = RowWriter(cursor)
            for batch in chunked(sorted(by_member.items()), MEMBERS_PER_BATCH):
                ctx.tick("checking")
                self._batch(batch, writer)

    def _batch(
        self, batch: list[tuple[str, list[tuple[int, EventRow]]]], writer: RowWriter
    ) -> None:
        ctx = self.ctx
        report = ctx.report
        known = member_lookup([ext for ext, _rows in batch])
        codes = {c for _ext, rows in batch for _n, r in rows for c in (r.unit_code, r.to_unit_code)}
        ctx.units.load(codes)
        member_ids = [m["id"] for m in known.values()]
        recorded = self._recorded_events(member_ids)
        plans: list[tuple[dict[str, Any], list[tuple[EventData, EventRow]], State]] = []
        self.votes = []
        self.unchanged_rows = set()
        for ext, rows in batch:
            current = known.get(ext)
            if (
                current is not None
                and not ctx.scope.covers_path(current["unit__path"])
                and ctx.sees(current["unit__path"])
            ):
                for number, _row in rows:
                    ctx.refuse_for_role(number, "external_id", ext, member=True)
                continue
            if current is None or not ctx.scope.covers_path(current["unit__path"]):
                for number, _row in rows:
                    report.refuse(
                        number,
                        "external_id",
                        ext,
                        "import.member_unknown",
                        _(
                            "No member with the external id %(id)s in your part of the "
                            "organization; import the members file first."
                        )
                        % {"id": ext},
                    )
                continue
            plan = self._member(current, rows, recorded.get(current["id"], []))
            if plan is not None:
                plans.append(plan)
            report.rows_checked += len(rows)
        plans = self._check_votes(plans)
        if plans and ctx.writing:
            self._write(plans, writer)

    def _recorded_events(self, member_ids: list[int]) -> dict[int, list[EventData]]:
        out: dict[int, list[EventData]] = {}
        for i in range(0, len(member_ids), 900):
            qs = (
                MemberEvent.objects.filter(member_id__in=member_ids[i : i + 900])
                .order_by("member_id", "date", "id")
                .values_list("member_id", *FOLD_FIELDS)
            )
            for member_id, group in groupby(qs.iterator(), key=lambda r: r[0]):
                out[member_id] = [EventData(*r[1:]) for r in group]
        return out

    def _to_data(self, number: int, row: EventRow, seq: int) -> list[EventData] | None:
        """The events a row stands for (two for "transferred"), or None after a refusal."""
        ctx = self.ctx
        report = ctx.report
        if row.type not in IMPORTABLE:
            code = (
                "import.correction_not_imported"
                if row.type == EventType.CORRECTION
                else "event.type_unknown"
            )
            report.refuse(
                number,
                "type",
                row.type,
                code,
                _("%(t)s is not an event type that can be imported; use one of: %(types)s.")
                % {"t": row.type, "types": ", ".join(sorted(IMPORTABLE))},
            )
            return None
        if row.date > ctx.today:
            report.refuse(
                number,
                "date",
                row.date,
                "event.in_future",
                _("The date %(date)s is in the future.") % {"date": row.date},
            )
            return None
        ids: dict[str, int | None] = {}
        for column in ("unit_code", "to_unit_code"):
            code = getattr(row, column)
            if not code:
                ids[column] = None
                continue
            unit = ctx.unit_in_scope(code)
            if unit is None:
                ctx.refuse_unit(number, column, code)
                return None
            ids[column] = unit.id
        if row.type == TRANSFERRED:
            if ids["to_unit_code"] is None:
                report.refuse(
                    number,
                    "to_unit_code",
                    "",
                    "transfer.destination_missing",
                    _("Name the receiving cell."),
                )
                return None
            # A one-step transfer: both halves carry the row's paperwork.
            out = EventData(
                EventType.TRANSFER_OUT,
                row.date,
                to_unit_id=ids["to_unit_code"],
                id=seq,
                document=row.document,
                reason=row.reason,
                taken_over=row.taken_over,
            )
            return [
                out,
                replace(
                    out,
                    type=EventType.TRANSFER_IN,
                    unit_id=ids["to_unit_code"],
                    to_unit_id=None,
                    id=seq + 1,
                ),
            ]
        return [
            EventData(
                row.type,
                row.date,
                unit_id=ids["unit_code"],
                to_unit_id=ids["to_unit_code"],
                destination=row.destination,
                id=seq,
                **{name: getattr(row, name) for name in DECISION_FIELDS},
            )
        ]

    def _member(
        self, current: dict[str, Any], rows: list[tuple[int, EventRow]], recorded: list[EventData]
    ) -> tuple[dict[str, Any], list[tuple[EventData, EventRow]], State] | None:
        ctx = self.ctx
        report = ctx.report
        rules = ctx.rules
        rows = sorted(rows, key=lambda nr: (nr[1].date, nr[0]))
        history = effective_events(recorded)
        known_keys = {(e.type, e.date, e.unit_id, e.to_unit_id) for e in history}
        try:
            state = fold(history, rules=rules, birth_date=current["birth_date"])
        except ServiceError:  # pragma: no cover - recorded histories obey the rules
            state = State()
        base_id = 2**40
        new: list[tuple[int, EventData, EventRow]] = []
        failed = False
        for k, (number, row) in enumerate(rows):
            parts = self._to_data(number, row, base_id + 2 * k)
            if parts is None:
                failed = True
                continue
            if all((e.type, e.date, e.unit_id, e.to_unit_id) in known_keys for e in parts):
                report.unchanged += 1
                self.unchanged_rows.add(number)
                continue
            new.extend((number, e, row) for e in parts)
        if failed:
            self._refuse_rest(rows, None)
            return None
        if not new:
            return None
        last = state.last_date
        applied: list[tuple[EventData, EventRow]] = []
        for number, data, row in new:
            if last is not None and data.date < last:
                report.refuse(
                    number,
                    "date",
                    data.date,
                    "import.history_change",
                    _(
                        "The member's recorded history goes on to %(last)s; an event dated "
                        "%(date)s would rewrite it. Record a correction instead."
                    )
                    % {"last": last, "date": data.date},
                )
                self._refuse_rest(rows, number)
                return None
            if data.type == EventType.TRANSFER_IN and data.unit_id is None:
                data = replace(data, unit_id=state.pending_to)
            try:
                before = state
                state = apply_event(
                    state,
                    data,
                    rules=rules,
                    birth_date=current["birth_date"],
                    check_unit=self.check_unit,
                )
                # What the service asks of a new decision (document, reason, vote, …); the
                # vote's full members against the cell's records once the batch is folded.
                check_decision(data, before, rules=rules)
                if vote_to_compare(data) and state.unit_id is not None:
                    self.votes.append((current["id"], rows, number, row, data, state.unit_id))
            except ServiceError as exc:
                column = {"unit": "unit_code", "to_unit": "to_unit_code"}.get(
                    exc.field or "", "type"
                )
                if exc.field in ROW_COLUMNS:
                    column = exc.field
                report.refuse_error(number, column, getattr(row, column, ""), exc)
                self._refuse_rest(rows, number)
                return None
            applied.append((data, row))
        report.created += len({id(row) for _d, row in applied})
        return current, applied, state

    def _check_votes(
        self, plans: list[tuple[dict[str, Any], list[tuple[EventData, EventRow]], State]]
    ) -> list[tuple[dict[str, Any], list[tuple[EventData, EventRow]], State]]:
        """The batch's plans less those of members whose vote counts fewer full members than
        the cell's records hold on its date (`check_vote_recorded`, as the service checks
        it). The records are the database's, except for the members of this batch: their
        periods as the import will write them."""
        if not self.votes:
            return plans
        report = self.ctx.report
        changing = {current["id"] for current, _applied, _state in plans}
        recorded = recorded_full_members(
            {(cell, data.date) for _m, _rows, _n, _row, data, cell in self.votes},
            leave_out=changing,
            extra=[(current["id"], p) for current, _a, state in plans for p in state.periods],
        )
        refused: set[int] = set()
        for member_id, rows, number, row, data, cell in self.votes:
            if member_id in refused:
                continue
            try:
                check_vote_recorded(data, len(recorded[(cell, data.date)] - {member_id}))
            except ServiceError as exc:
                report.refuse_error(number, "full_members", row.full_members, exc)
                self._refuse_rest(rows, number)
                refused.add(member_id)
        if not refused:
            return plans
        kept = []
        for plan in plans:
            if plan[0]["id"] in refused:
                report.created -= len({id(row) for _d, row in plan[1]})
            else:
                kept.append(plan)
        return kept

    def _refuse_rest(self, rows: list[tuple[int, EventRow]], failed: int | None) -> None:
        """Refuse a member's other rows with the one that failed."""
        report = self.ctx.report
        for number, row in rows:
            if number == failed or number in report.refused_rows:
                continue
            if number in self.unchanged_rows:
                self.unchanged_rows.discard(number)
                report.unchanged -= 1
            report.refuse(
                number,
                "external_id",
                row.external_id,
                "import.member_refused",
                _(
                    "Another row of this member was refused; the member's events are imported together."
                ),
            )

    def _write(
        self,
        plans: list[tuple[dict[str, Any], list[tuple[EventData, EventRow]], State]],
        writer: RowWriter,
    ) -> None:
        report = self.ctx.report
        now, by = self.now, self.recorded_by
        member_ids = [current["id"] for current, _a, _s in plans]
        stored: dict[int, list[StoredPeriod]] = defaultdict(list)
        for i in range(0, len(member_ids), 900):
            qs = MemberPeriod.objects.filter(member_id__in=member_ids[i : i + 900]).values_list(
                "member_id",
                "id",
                "unit_id",
                "status",
                "exempt",
                "valid_from",
                "valid_to",
                *ANCESTOR_FIELDS,
            )
            for r in qs:
                stored[r[0]].append(stored_period(r[1:]))
        events: list[tuple[Any, ...]] = []
        periods: list[tuple[Any, ...]] = []
        closes: list[tuple[dt.date | None, int]] = []
        stale: list[int] = []
        members: list[tuple[Any, ...]] = []
        provinces: list[tuple[int, int]] = []
        pad = (None,) * ANCESTOR_COLUMNS
        for current, applied, state in plans:
            member_id = current["id"]
            for data, row in applied:
                events.append(
                    (
                        member_id,
                        str(data.type),
                        data.date,
                        data.unit_id,
                        data.to_unit_id,
                        data.destination,
                        row.document,
                        row.reason,
                        None,
                        False,
                        now,
                        by,
                        data.taken_over,
                        *_decision_extra(data),
                    )
                )
            spans = {p.unit_id: self._unit_by_id(p.unit_id).spans for p in state.periods}
            wanted = place_periods(state.periods, spans)
            new, closed, gone = period_changes(stored.get(member_id, []), wanted)
            for p, anc in new:
                periods.append(
                    (
                        member_id,
                        p.unit_id,
                        str(p.status),
                        p.exempt,
                        p.valid_from,
                        p.valid_to,
                        *anc,
                        *pad[len(anc) :],
                    )
                )
            closes.extend((valid_to, pk) for pk, valid_to in closed)
            stale.extend(gone)
            status = str(state.status or MemberStatus.APPLICANT)
            if state.unit_id is not None:
                unit = self._unit_by_id(state.unit_id)
                if unit.path != current["unit__path"]:  # moved: the name keys follow
                    provinces.append((province_of_ancestors(unit.ancestors), member_id))
            members.append(
                (
                    status,
                    state.unit_id,
                    state.exempt,
                    state.admitted_on,
                    state.recognized_on,
                    state.probation_since,
                    state.temp_until,
                    state.pending_to,
                    status != MemberStatus.FULL and self.cards_full_only,
                    member_id,
                )
            )
        writer.write(MemberEvent, IMPORTED_EVENT_COLUMNS, events)
        if stale:
            MemberPeriod.objects.filter(pk__in=stale).delete()
        with connection.cursor() as cursor:
            if closes:
                cursor.executemany(
                    "UPDATE members_memberperiod SET valid_to = %s WHERE id = %s", closes
                )
            cursor.executemany(
                "UPDATE members_member SET status = %s, unit_id = COALESCE(%s, unit_id), "
                "exempt = %s, admitted_on = %s, recognized_on = %s, probation_start = %s, "
                "temporary_until = %s, pending_transfer_to_id = %s, "
                "card_number = CASE WHEN %s THEN NULL ELSE card_number END, "
                "version = version + 1 WHERE id = %s",
                members,
            )
            if provinces:
                cursor.executemany(
                    "UPDATE members_membernamekey SET province = %s WHERE member_id = %s",
                    provinces,
                )
        writer.write(MemberPeriod, PERIOD_COLUMNS, periods)
        report.rows_written += len(events)


def import_events(ctx: ImportContext, table: Table) -> None:
    EventsImporter(ctx).run(table)
