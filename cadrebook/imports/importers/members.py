"""Import of members files: personal data and, for new people, the history their current
state implies (registered, admitted in `unit_code` on `admitted_on`, recognized on
`recognized_on`), checked by the same fold and unit checks as the services.

New members are written in bulk (COPY on PostgreSQL); a changed row of a known member goes
through `member_update_personal` / `member_set_card`, so it is version-checked and audited
like an edit in the browser. A row that would change a known member's recorded history is
refused: history changes are events.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from typing import Any, NamedTuple

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cadrebook.core.bulk import RowWriter, any_of, reserve_ids
from cadrebook.core.errors import ServiceError
from cadrebook.core.normalize import normalize_name
from cadrebook.core.values import ValueRefused, clean_id
from cadrebook.imports.context import ImportContext, UnitInfo, chunked, parsed_rows
from cadrebook.imports.first_load import begin_first_load
from cadrebook.imports.reading import Table, open_table
from cadrebook.imports.schemas import MemberRow
from cadrebook.members.choices import EventType, MemberStatus
from cadrebook.members.lifecycle import EventData, fold
from cadrebook.members.models import (
    ANCESTOR_COLUMNS,
    EVENT_COLUMNS,
    MEMBER_COLUMNS,
    NAME_KEY_COLUMNS,
    PERIOD_COLUMNS,
    Member,
    MemberEvent,
    MemberNameKey,
    MemberPeriod,
)
from cadrebook.members.name_keys import name_key_rows, province_of_ancestors
from cadrebook.members.placing import place_periods
from cadrebook.members.selectors import (
    full_member_counts,
    mask,
    recognition_decided_on,
    unit_check,
)
from cadrebook.members.services import (
    PERSONAL_FIELDS,
    NationalIdTaken,
    member_national_id_clash_record,
    member_set_card,
    member_update_personal,
)
from cadrebook.orgs.models import OrgUnit

# Personal columns compared for a known member; an empty cell leaves the stored value alone.
PERSONAL = tuple(PERSONAL_FIELDS)
# Which column an event's refusal points at.
EVENT_COLUMN: dict[str, str] = {
    EventType.REGISTERED: "registered_on",
    EventType.ADMITTED: "admitted_on",
    EventType.RECOGNIZED: "recognized_on",
}
# Exports write a member without an external id as "cadrebook:<id>" (their database id): the
# prefix is the deployment's own. Such an identifier names the member with that id; a new
# person cannot take one as their external id (a later member would get that id, and two
# rows of an export would carry it).
PK_PREFIX = "cadrebook:"


def pk_of(external_id: str) -> int | None:
    """The database id a `cadrebook:<id>` identifier names, written as exports write it (no
    leading zeros); None for any other identifier."""
    digits = external_id[len(PK_PREFIX) :]
    if (
        external_id.startswith(PK_PREFIX)
        and digits.isascii()
        and digits.isdigit()
        and not digits.startswith("0")
        and len(digits) <= 18
    ):
        return int(digits)
    return None


def is_reserved(external_id: str) -> bool:
    """Whether an identifier is in the deployment's own `cadrebook:` form (any case)."""
    return external_id[: len(PK_PREFIX)].lower() == PK_PREFIX


class Holder(NamedTuple):
    """A member already holding a unique value (national ID, card number)."""

    label: str  # their external id, or cadrebook:<id>
    pk: int
    path: str  # of their unit: whether the importer may see them


MASKED = mask("x")


LOOKUP_FIELDS = ("id", "external_id", "status", "version", *PERSONAL)


def member_lookup(external_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Known members by external id, including the `cadrebook:<id>` form of the exports:
    external id -> the member's fields, with `unit__path` and `unit__code`. Raw SQL: the
    ORM spends more time building a long IN list than the database spends answering it."""
    member = connection.ops.quote_name(Member._meta.db_table)
    unit = connection.ops.quote_name(OrgUnit._meta.db_table)
    columns = ", ".join(f"m.{connection.ops.quote_name(f)}" for f in LOOKUP_FIELDS)
    select = f"SELECT {columns}, u.path, u.code FROM {member} m JOIN {unit} u ON u.id = m.unit_id"
    names = [*LOOKUP_FIELDS, "unit__path", "unit__code"]
    found: dict[str, dict[str, Any]] = {}
    birth = LOOKUP_FIELDS.index("birth_date")

    def fetch(condition: str, params: list[Any]) -> list[dict[str, Any]]:
        with connection.cursor() as cursor:
            cursor.execute(f"{select} WHERE {condition}", params)
            rows = cursor.fetchall()
        out = []
        for row in rows:
            values = list(row)
            if isinstance(values[birth], str):  # SQLite hands dates back as text here
                values[birth] = dt.date.fromisoformat(values[birth])
            out.append(dict(zip(names, values, strict=True)))
        return out

    for i in range(0, len(external_ids), 5000):
        part = external_ids[i : i + 5000]
        for row in fetch(*any_of("m.external_id", part)):
            found[row["external_id"]] = row
        pks = {}
        for ext in part:
            pk = pk_of(ext) if ext not in found else None
            if pk is not None:
                pks[pk] = ext
        if pks:
            for row in fetch(*any_of("m.id", list(pks))):
                found[pks[row["id"]]] = row
    return found


class MembersImporter:
    """One run over a members file; see the module docstring."""

    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.rules = ctx.rules
        self.seen_external: dict[str, int] = {}
        self.seen_national: dict[str, int] = {}
        self.seen_card: dict[str, int] = {}
        self.seen_person: dict[tuple[str, dt.date, str], int] = {}
        self.card_pattern = ctx.rules.card_pattern()
        self.cards_full_only = bool(ctx.rules.value("card.full_members_only"))
        self.check_unit = unit_check(ctx.rules, self._unit_by_id)
        self.now = timezone.now()
        self.recorded_by = ctx.actor.pk if getattr(ctx.actor, "pk", None) else None
        # Full members per cell added by rows that were checked but not written (so the
        # warnings of a refused or dry run match what the import would leave).
        self.unit_rows: dict[int, int] = {}
        self.unwritten_full: dict[int, int] = defaultdict(int)
        self.first_load = False  # see _begin_first_load
        # The first id this import wrote: members from it on are this file's rows, which the
        # look-ups of later chunks leave to the in-file checks (so they are reported once, as
        # "row N", however the file is cut into chunks).
        self.own_from: int | None = None
        # Members written with the id their `cadrebook:<id>` row names (see `_keeps_id`), and
        # the highest such id of the file: the ids given to other new rows lie above it.
        self.own_ids: set[int] = set()
        self.id_floor = 0

    def _unit_by_id(self, unit_id: int) -> UnitInfo:
        return self.ctx.units.by_id[unit_id]

    # The run --------------------------------------------------------------------------------
    def run(self, table: Table) -> None:
        ctx = self.ctx
        if ctx.scope.everything and ctx.path:
            self.id_floor = self._highest_named_id()
        with connection.cursor() as cursor:
            writer = RowWriter(cursor)
            restore = self._begin_first_load(cursor)
            for chunk in chunked(parsed_rows(ctx, table)):
                ctx.tick("checking")
                self.check_chunk(chunk, writer)
                ctx.tick("writing")
            for statement in restore:
                ctx.tick("writing")
                cursor.execute(statement)
        self.warn_small_cells()

    def _keeps_id(self, external_id: str) -> int | None:
        """The id a new person named `cadrebook:<id>` is written with, or None when they may
        not be. Only an importer whose scope is everything (the system, a role granted
        nationally) may: for them a free id is no secret, and so a deployment rebuilt or
        moved from its exports keeps its members' ids, and their identifiers with them.
        Anyone else is told that no such member is in their part of the organization,
        whether the id is free or held out of their sight."""
        return pk_of(external_id) if self.ctx.scope.everything else None

    def _highest_named_id(self) -> int:
        """The highest id a `cadrebook:<id>` row of the file names (0 for none): one quick
        look at the file before the import, so that no new row is given an id a later row
        keeps."""
        ctx = self.ctx
        top = 0
        for _number, raw in open_table(ctx.path, kind="members", sheet=ctx.sheet).rows:
            value = raw.get("external_id")
            text = value if isinstance(value, str) else str(value or "")
            if ":" not in text:
                continue
            ctx.tick("reading")
            try:
                pk = pk_of(clean_id(text))
            except ValueRefused:
                continue
            if pk is not None:
                top = max(top, pk)
        return top

    def _begin_first_load(self, cursor: Any) -> list[str]:
        """A deployment's first load — members into member tables that hold nobody yet —
        goes without the tables' secondary structures (`imports.first_load`). With nobody
        there before, nothing needs looking up either: every check against earlier rows is
        against this file's (`first_load`)."""
        restore = begin_first_load(
            cursor,
            (Member, MemberNameKey, MemberEvent, MemberPeriod),
            writing=self.ctx.writing,
            holds_rows=Member.objects.exists,
        )
        self.first_load = restore is not None
        return restore or []

    def check_chunk(
        self, chunk: list[tuple[int, dict[str, Any], MemberRow | None]], writer: RowWriter
    ) -> None:
        ctx = self.ctx
        report = ctx.report
        rows = [(n, raw, r) for n, raw, r in chunk if r is not None]
        ctx.units.load({r.unit_code for _n, _raw, r in rows})
        if self.first_load:  # nobody was there before: only this file's rows, held below
            known, taken_ids, taken_cards, people = {}, {}, {}, {}
        else:
            known = member_lookup(sorted({r.external_id for _n, _raw, r in rows}))
            taken_ids = self._taken("national_id", [r.national_id for _n, _raw, r in rows])
            taken_cards = self._taken("card_number", [r.card_number for _n, _raw, r in rows])
            people = self._people(rows)
        refused_before = len(report.refused_rows)
        new_rows: list[tuple[int, MemberRow, UnitInfo, Any, int | None]] = []
        for number, raw, row in rows:
            if not self._unique_in_file(number, row):
                continue
            current = known.get(row.external_id)
            if current is not None and is_reserved(row.external_id) and self._own(current["id"]):
                # A new person of this file: not a member the file may name.
                self._refuse_unknown_member(number, row)
                continue
            if current is not None:
                self._known(number, raw, row, current)
                continue
            keep_id = None
            if is_reserved(row.external_id):
                keep_id = self._keeps_id(row.external_id)
                if keep_id is None:
                    self._refuse_unknown_member(number, row)
                    continue
            planned = self._new(number, raw, row, taken_ids, taken_cards, people)
            if planned is not None:
                new_rows.append((number, row, planned[0], planned[1], keep_id))
        # Every row planned is counted, written or not: a refused or dry run reports what the
        # import would create.
        report.created += len(new_rows)
        chunk_clean = len(report.refused_rows) == refused_before
        if new_rows and ctx.writing and (chunk_clean or report.valid_rows_only):
            self._write(new_rows, writer)
        else:
            for _number, _row, _unit, state, _keep in new_rows:
                if state is not None and state.status == MemberStatus.FULL:
                    self.unwritten_full[state.unit_id] += 1
        report.rows_checked += len(chunk)

    # Checks ------------------------------------------------------------------------------------
    def _unique_in_file(self, number: int, row: MemberRow) -> bool:
        report = self.ctx.report
        first = self.seen_external.setdefault(row.external_id, number)
        if first != number:
            report.refuse(
                number,
                "external_id",
                row.external_id,
                "import.duplicate_row",
                _("The external id %(id)s is already in row %(row)d of this file.")
                % {"id": row.external_id, "row": first},
            )
            return False
        return True

    def _taken(self, column: str, values: list[str]) -> dict[str, Holder]:
        """Values of a unique column already held in the database -> the holder: their
        external id (or its cadrebook:<id> form), id and unit path."""
        wanted = sorted({v for v in values if v})
        out: dict[str, Holder] = {}
        table = connection.ops.quote_name(Member._meta.db_table)
        units = connection.ops.quote_name(OrgUnit._meta.db_table)
        with connection.cursor() as cursor:
            for i in range(0, len(wanted), 5000):
                condition, params = any_of(f"m.{column}", wanted[i : i + 5000])
                cursor.execute(
                    f"SELECT m.{column}, m.id, m.external_id, u.path FROM {table} m "
                    f"JOIN {units} u ON u.id = m.unit_id WHERE {condition}",
                    params,
                )
                for value, pk, ext, path in cursor.fetchall():
                    if not self._own(pk):
                        out[value] = Holder(ext or f"{PK_PREFIX}{pk}", pk, path)
        return out

    def _people(self, rows: list[Any]) -> dict[tuple[str, dt.date], list[tuple[str, str]]]:
        """Known members with the same normalized name and birth date as a row of the chunk:
        (name_norm, birth) -> [(external id form, unit path)].

        One probe of the (name_norm, birth_date) index per pair, through a join with the
        pairs as VALUES: filtering by lists of names and of dates instead would read every
        member with a common name, and slow each chunk down as the table grows.
        """
        pairs = sorted(
            {(normalize_name(r.full_name), r.birth_date) for _n, _raw, r in rows if r.birth_date}
        )
        out: dict[tuple[str, dt.date], list[tuple[str, str]]] = defaultdict(list)
        member = connection.ops.quote_name(Member._meta.db_table)
        unit = connection.ops.quote_name(OrgUnit._meta.db_table)
        cast = "CAST(%s AS date)" if connection.vendor == "postgresql" else "%s"
        with connection.cursor() as cursor:
            for i in range(0, len(pairs), 400):
                part = pairs[i : i + 400]
                values = ", ".join(f"(%s, {cast})" for _ in part)
                cursor.execute(
                    f"SELECT m.name_norm, m.birth_date, m.id, m.external_id, u.path "
                    f"FROM {member} m JOIN (VALUES {values}) AS v "
                    f"ON m.name_norm = v.column1 AND m.birth_date = v.column2 "
                    f"JOIN {unit} u ON u.id = m.unit_id",
                    [x for pair in part for x in pair],
                )
                for norm, birth, pk, ext, path in cursor.fetchall():
                    if self._own(pk):
                        continue
                    if isinstance(birth, str):  # SQLite hands dates back as text here
                        birth = dt.date.fromisoformat(birth)
                    out[(norm, birth)].append((ext or f"{PK_PREFIX}{pk}", path))
        return out

    def _own(self, pk: int) -> bool:
        return (self.own_from is not None and pk >= self.own_from) or pk in self.own_ids

    def _refuse_unknown_member(self, number: int, row: MemberRow) -> None:
        """A `cadrebook:` identifier that names no member the importer may reach: the same
        answer whether the id is free or held out of their sight."""
        self.ctx.report.refuse(
            number,
            "external_id",
            row.external_id,
            "import.member_unknown",
            _(
                "No member %(id)s in your part of the organization. Identifiers beginning "
                "with cadrebook: name this deployment's own members; a new person cannot "
                "take one: give them an external id of their own."
            )
            % {"id": row.external_id},
        )

    def _province(self, path: str) -> str:
        return path[: 1 * 4]

    def _warn_likely_duplicate(
        self,
        number: int,
        row: MemberRow,
        unit: UnitInfo,
        people: dict[tuple[str, dt.date], list[tuple[str, str]]],
    ) -> None:
        """Same normalized name and birth date in the same province: reported, not merged."""
        if row.birth_date is None:
            return
        norm = normalize_name(row.full_name)
        province = self._province(unit.path)
        key = (norm, row.birth_date, province)
        first = self.seen_person.setdefault(key, number)
        report = self.ctx.report
        if first != number:
            report.warn(
                number,
                "full_name",
                row.full_name,
                "import.likely_duplicate",
                _("Same name and date of birth as row %(row)d: is this the same person?")
                % {"row": first},
            )
        for ext, path in people.get((norm, row.birth_date), []):
            if self._province(path) == province and self.ctx.scope.covers_path(path):
                report.warn(
                    number,
                    "full_name",
                    row.full_name,
                    "import.likely_duplicate",
                    _(
                        "Same name and date of birth as the recorded member %(id)s: is this "
                        "the same person?"
                    )
                    % {"id": ext},
                )

    def _check_card(
        self, number: int, row: MemberRow, status: str, taken: dict[str, Holder]
    ) -> bool:
        report = self.ctx.report
        card = row.card_number
        if not card:
            return True
        if not self.card_pattern.match(card):
            report.refuse_error(
                number,
                "card_number",
                card,
                self.rules.violation(
                    "card",
                    "card.bad_format",
                    _("%(n)s is not a card number like %(ex)s.")
                    % {"n": card, "ex": self.rules.value("card.example")},
                ),
            )
            return False
        # With personal data only, the status comes later from the events file, whose import
        # clears the card of anyone who does not end up a full member.
        if self.cards_full_only and status != MemberStatus.FULL and not self.ctx.personal_only:
            report.refuse_error(
                number,
                "card_number",
                card,
                self.rules.violation(
                    "card", "card.full_members_only", _("Only full members hold a member card.")
                ),
            )
            return False
        first = self.seen_card.setdefault(card, number)
        holder = taken.get(card)
        if first != number or (holder is not None and holder.label != row.external_id):
            report.refuse(
                number,
                "card_number",
                card,
                "card.taken",
                _("Card %(n)s belongs to another member (%(who)s).")
                % {"n": card, "who": self._holder_name(holder, first)},
            )
            return False
        return True

    def _holder_name(self, holder: Holder | None, first_row: int) -> str:
        """Who holds a value: this file's row, a member the importer may see, or nobody named
        (naming a member out of the importer's sight would say that they exist, and where)."""
        if holder is None:
            return _("row %(row)d") % {"row": first_row}
        if self.ctx.scope.covers_path(holder.path):
            return holder.label
        return _("a member outside your part of the organization")

    def _check_national_id(
        self, number: int, row: MemberRow, taken: dict[str, Holder], unit: Any
    ) -> bool:
        nid = row.national_id
        if not nid:
            return True
        first = self.seen_national.setdefault(nid, number)
        holder = taken.get(nid)
        if first != number or (holder is not None and holder.label != row.external_id):
            self.ctx.report.refuse(
                number,
                "national_id",
                nid,
                "member.national_id_taken",
                _(
                    "Another person has the national ID number %(n)s (%(who)s): a likely "
                    "duplicate, not merged."
                )
                % {"n": nid, "who": self._holder_name(holder, first)},
            )
            if first == number and holder is not None:
                self._record_hidden_clash(number, nid, holder, unit)
            return False
        return True

    def _record_hidden_clash(self, number: int, nid: str, holder: Holder, unit: Any) -> None:
        """A national ID held out of the importer's sight: audited for the holder's
        administrators once the import's transaction has ended (a refused import rolls back)."""
        hidden = not self.ctx.scope.covers_path(holder.path)
        refusal = NationalIdTaken(nid, holder.pk, hidden)
        refusal.attempted_in = unit
        self.ctx.report.after_transaction.append(
            functools.partial(
                member_national_id_clash_record,
                actor=self.ctx.actor,
                refusal=refusal,
                via=f"import row {number}",
            )
        )

    def _refuse_masked(self, number: int, row: MemberRow) -> bool:
        for name in PERSONAL:
            if getattr(row, name) == MASKED:
                self.ctx.report.refuse(
                    number,
                    name,
                    MASKED,
                    "import.masked_value",
                    _(
                        "This value was masked in the export it comes from; leave the cell "
                        "empty or give the real value."
                    ),
                )
                return True
        return False

    def _history(self, number: int, row: MemberRow, unit: UnitInfo) -> list[EventData] | None:
        """The events a new member's stated state implies, or None after a refusal."""
        report = self.ctx.report
        status = "" if self.ctx.personal_only else row.status
        dates = {
            "registered_on": row.registered_on,
            "admitted_on": row.admitted_on,
            "recognized_on": row.recognized_on,
        }
        if status not in ("", "applicant", "probationary", "full"):
            report.refuse(
                number,
                "status",
                status,
                "import.status_needs_history",
                _(
                    "A new person with the status %(s)s comes with their history: import the "
                    "members file with personal data only, then the events file."
                )
                % {"s": status},
            )
            return None
        needed = {
            "": (),
            "applicant": (),
            "probationary": ("admitted_on",),
            "full": ("admitted_on", "recognized_on"),
        }[status]
        unexpected = {
            "": (),
            "applicant": ("admitted_on", "recognized_on"),
            "probationary": ("recognized_on",),
            "full": (),
        }[status]
        ok = True
        for name in needed:
            if dates[name] is None:
                report.refuse(
                    number,
                    name,
                    "",
                    "import.date_missing",
                    _("A member with the status %(s)s needs this date.") % {"s": status},
                )
                ok = False
        for name in unexpected:
            if dates[name] is not None:
                report.refuse(
                    number,
                    name,
                    dates[name],
                    "import.date_not_expected",
                    _("A member with the status %(s)s has no such date; leave it empty.")
                    % {"s": status},
                )
                ok = False
        for name, day in dates.items():
            if day is not None and day > self.ctx.today:
                report.refuse(
                    number,
                    name,
                    day,
                    "event.in_future",
                    _("The date %(date)s is in the future.") % {"date": day},
                )
                ok = False
        if not ok or not status:
            return [] if ok else None
        registered = row.registered_on or row.admitted_on or self.ctx.today
        events = [EventData(EventType.REGISTERED, registered, unit_id=unit.id, id=1)]
        if row.admitted_on:
            events.append(EventData(EventType.ADMITTED, row.admitted_on, id=2))
        if row.recognized_on:
            events.append(EventData(EventType.RECOGNIZED, row.recognized_on, id=3))
        return events

    def _new(
        self,
        number: int,
        raw: dict[str, Any],
        row: MemberRow,
        taken_ids: dict[str, Holder],
        taken_cards: dict[str, Holder],
        people: dict[tuple[str, dt.date], list[tuple[str, str]]],
    ) -> tuple[UnitInfo, Any] | None:
        ctx = self.ctx
        report = ctx.report
        unit = ctx.unit_in_scope(row.unit_code)
        if unit is None:
            ctx.refuse_unit(number, "unit_code", row.unit_code)
            return None
        if self._refuse_masked(number, row):
            return None
        ok = self._check_national_id(number, row, taken_ids, unit)
        status = "" if ctx.personal_only else row.status
        ok = self._check_card(number, row, status, taken_cards) and ok
        events = self._history(number, row, unit)
        if events is None or not ok:
            return None
        state = None
        if events:
            try:
                state = fold(
                    events, rules=self.rules, birth_date=row.birth_date, check_unit=self.check_unit
                )
            except ServiceError as exc:
                failed = self._failed_event(events, row, exc)
                report.refuse_error(number, failed[0], failed[1], exc)
                return None
        elif self.rules.unit_kind(unit.kind).holds_members is False:
            report.refuse(
                number,
                "unit_code",
                row.unit_code,
                "unit.holds_no_members",
                _("%(unit)s does not hold members directly; choose a cell.")
                % {"unit": row.unit_code},
            )
            return None
        self._warn_likely_duplicate(number, row, unit, people)
        self.unit_rows.setdefault(unit.id, number)
        return unit, state

    def _failed_event(
        self, events: list[EventData], row: MemberRow, exc: ServiceError
    ) -> tuple[str, Any]:
        """The column and value a refusal of the implied history points at."""
        field = exc.field or ""
        if field == "unit":
            return "unit_code", row.unit_code
        if field == "birth_date":
            return "birth_date", row.birth_date
        # The fold stops at the first event it refuses: re-run to find which.
        for k in range(1, len(events) + 1):
            try:
                fold(
                    events[:k],
                    rules=self.rules,
                    birth_date=row.birth_date,
                    check_unit=self.check_unit,
                )
            except ServiceError:
                column = EVENT_COLUMN.get(events[k - 1].type, "status")
                return column, getattr(row, column, "")
        return "status", row.status

    @staticmethod
    def _recorded_dates(member_id: int) -> dict[str, dt.date | None]:
        """The dates a members file states for a recorded member, as an import of the file
        recorded them: `admitted_on`, and `recognized_on` = the date of the recognition
        decision (the `recognized` event's). That is not `Member.recognized_on`, the end of
        probation full membership counts from: a decision taken late is dated after it."""
        row = (
            Member.objects.filter(pk=member_id)
            .annotate(decided=recognition_decided_on())
            .values("admitted_on", "recognized_on", "decided")
            .get()
        )
        recognized = row["decided"] if row["recognized_on"] is not None else None
        return {"admitted_on": row["admitted_on"], "recognized_on": recognized}

    def _known(
        self, number: int, raw: dict[str, Any], row: MemberRow, current: dict[str, Any]
    ) -> None:
        """A row of a member already recorded: update personal data, never history."""
        ctx = self.ctx
        report = ctx.report
        if not ctx.scope.covers_path(current["unit__path"]):
            if ctx.sees(current["unit__path"]):
                ctx.refuse_for_role(number, "external_id", row.external_id, member=True)
                return
            if is_reserved(row.external_id):
                self._refuse_unknown_member(number, row)
                return
            report.refuse(
                number,
                "external_id",
                row.external_id,
                "import.external_id_unavailable",
                _(
                    "The external id %(id)s is taken by a record outside your part of the organization."
                )
                % {"id": row.external_id},
            )
            return
        if self._refuse_masked(number, row):
            return
        if not ctx.personal_only:
            stated = {"unit_code": row.unit_code, "status": row.status}
            recorded = {"unit_code": current["unit__code"], "status": current["status"]}
            for column in ("unit_code", "status"):
                if stated[column] and stated[column] != recorded[column]:
                    report.refuse(
                        number,
                        column,
                        stated[column],
                        "import.history_change",
                        _(
                            "The member is recorded with %(recorded)s; this row would change "
                            "their history. Record an event (transfer, recognition …) instead."
                        )
                        % {"recorded": recorded[column]},
                    )
                    return
            stated_dates = {
                column: getattr(row, column)
                for column in ("admitted_on", "recognized_on")
                if getattr(row, column) is not None
            }
            recorded_dates = self._recorded_dates(current["id"]) if stated_dates else {}
            for column, value in stated_dates.items():
                if recorded_dates[column] != value:
                    report.refuse(
                        number,
                        column,
                        value,
                        "import.history_change",
                        _(
                            "The member is recorded with %(recorded)s; this row would "
                            "change their history. Record a correction instead."
                        )
                        % {"recorded": recorded_dates[column] or "—"},
                    )
                    return
        changes = {
            name: getattr(row, name)
            for name in PERSONAL
            if getattr(row, name) not in ("", None) and getattr(row, name) != current[name]
        }
        card_changed = bool(row.card_number) and row.card_number != (
            Member.objects.filter(pk=current["id"]).values_list("card_number", flat=True).first()
        )
        if not changes and not card_changed:
            report.unchanged += 1
            return
        if not ctx.writing:
            report.updated += 1
            return
        member = Member.objects.get(pk=current["id"])
        try:
            if changes:
                member = member_update_personal(
                    actor=ctx.actor, member=member, version=member.version, **changes
                )
            if card_changed:
                member_set_card(actor=ctx.actor, member=member, card_number=row.card_number)
        except ServiceError as exc:
            column = exc.field if exc.field in MemberRow.model_fields else ""
            report.refuse_error(
                number, column or "", getattr(row, column, "") if column else "", exc
            )
            if isinstance(exc, NationalIdTaken):
                report.after_transaction.append(
                    functools.partial(
                        member_national_id_clash_record,
                        actor=ctx.actor,
                        refusal=exc,
                        via=f"import row {number}",
                    )
                )
            return
        report.updated += 1
        report.rows_written += 1

    # Writing -----------------------------------------------------------------------------------
    def _write(
        self, new_rows: list[tuple[int, MemberRow, UnitInfo, Any, int | None]], writer: RowWriter
    ) -> None:
        report = self.ctx.report
        others = sum(1 for *_rest, keep in new_rows if keep is None)
        first_id = reserve_ids(Member, others, above=self.id_floor)
        if self.own_from is None:
            self.own_from = first_id
        next_id = iter(range(first_id, first_id + others))
        members: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        periods: list[tuple[Any, ...]] = []
        pad = (None,) * ANCESTOR_COLUMNS
        now = self.now
        by = self.recorded_by
        for _number, row, unit, state, keep_id in new_rows:
            member_id = next(next_id) if keep_id is None else keep_id
            if keep_id is not None:
                self.own_ids.add(keep_id)
            status = str(state.status) if state is not None else MemberStatus.APPLICANT
            members.append(
                (
                    member_id,
                    row.full_name,
                    normalize_name(row.full_name),
                    row.gender,
                    row.birth_date,
                    row.ethnicity,
                    row.national_id or None,
                    row.hometown,
                    row.education_level,
                    row.theory_level,
                    row.occupation,
                    row.phone,
                    row.address,
                    row.card_number or None,
                    # A kept id is the identifier: exports write it as cadrebook:<id> again.
                    row.external_id if keep_id is None else None,
                    status,
                    state.unit_id if state is not None else unit.id,
                    False,
                    state.admitted_on if state is not None else None,
                    state.recognized_on if state is not None else None,
                    state.probation_since if state is not None else None,
                    state.temp_until if state is not None else None,
                    None,
                    1,
                    now,
                )
            )
            if state is None:
                continue
            # The implied history: registered in the cell, admitted, recognized.
            implied = [
                (EventType.REGISTERED, row.registered_on or row.admitted_on or self.ctx.today),
                (EventType.ADMITTED, row.admitted_on),
                (EventType.RECOGNIZED, row.recognized_on),
            ]
            for kind, day in implied:
                if day is not None:
                    in_unit = unit.id if kind == EventType.REGISTERED else None
                    events.append(
                        (
                            member_id,
                            kind.value,
                            day,
                            in_unit,
                            None,
                            "",
                            "",
                            "",
                            None,
                            False,
                            now,
                            by,
                            True,  # taken_over: implied by the file, decided before Cadrebook
                        )
                    )
            by_id = self.ctx.units.by_id
            spans = {p.unit_id: by_id[p.unit_id].spans for p in state.periods}
            for p, anc in place_periods(state.periods, spans):
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
        writer.write(Member, MEMBER_COLUMNS, members)
        unit_at = MEMBER_COLUMNS.index("unit_id")
        keys = [
            key
            for m in members
            for key in name_key_rows(
                m[0], m[1], m[2], province_of_ancestors(self._unit_by_id(m[unit_at]).ancestors)
            )
        ]
        writer.write(MemberNameKey, NAME_KEY_COLUMNS, keys)
        writer.write(MemberEvent, EVENT_COLUMNS, events)
        writer.write(MemberPeriod, PERIOD_COLUMNS, periods)
        report.rows_written += len(members)

    def warn_small_cells(self) -> None:
        """Cells this import adds members to that end up under the rule set's minimum of full
        members: a warning, not a refusal (the cell may be filling up)."""
        if not self.unit_rows:
            return
        minimum = self.rules.int("organization.cell_min_full_members")
        counts = full_member_counts(list(self.unit_rows))
        for unit_id, number in sorted(self.unit_rows.items(), key=lambda kv: kv[1]):
            n = counts.get(unit_id, 0) + self.unwritten_full.get(unit_id, 0)
            if n < minimum:
                unit = self.ctx.units.by_id[unit_id]
                self.ctx.report.warn(
                    number,
                    "unit_code",
                    unit.code,
                    "organization.cell_below_minimum",
                    ngettext(
                        "The cell %(unit)s ends up with %(n)d full member, fewer than %(min)d.",
                        "The cell %(unit)s ends up with %(n)d full members, fewer than %(min)d.",
                        n,
                    )
                    % {"unit": unit.code, "n": n, "min": minimum},
                )


def import_members(ctx: ImportContext, table: Table) -> None:
    MembersImporter(ctx).run(table)
