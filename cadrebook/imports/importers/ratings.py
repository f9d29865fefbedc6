"""Import of ratings files: (subject_kind, subject, year) identifies a rating (a member by its
external id, a unit by its code). Each row is checked as `rating_record` checks it: the year's
bounds, a level of the contract or a legacy label of the rule set (kept as written beside the
level it maps to; a level that contradicts it is refused), a score on the scale, a member
who was a member on 31 December of the year (rated in the cell it belonged to then), a
subject a round already rated only unchanged (its decisions are the record). A row that says
what is recorded is unchanged, so a file imports twice to the same ratings.

Set-based, for a national round's decisions (millions of rows): every lookup is one query per
chunk of rows (members, their periods on the year's last day, units, recorded ratings,
cited documents), new ratings are written by COPY (`core.bulk`), changed ones replaced in
bulk under their ids; the import's job entry audits it, as for the members file, and each
changed rating has an audit entry of its own with what it said before and after (history is
never overwritten: a correction's previous level stays readable).

A large file is read in a second process (`imports.apart`): there each row is read and
checked on its own (`read_rows`: its cells, as `parsed_rows` reads every import's rows, then
the year, level, label and score against the rule set, `_check`), while this process looks
the chunks before up, checks them against the records and writes them; a small file is read
here, by the same `read_rows`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Generator
from contextlib import closing
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.bulk import RowWriter, any_of
from cadrebook.core.dates import MAX_YEAR, MIN_YEAR
from cadrebook.core.errors import ServiceError
from cadrebook.documents.choices import Status
from cadrebook.documents.models import Document
from cadrebook.documents.references import symbol_forms, symbol_key
from cadrebook.documents.selectors import readable_documents
from cadrebook.evaluations.choices import RatingSource, SubjectKind
from cadrebook.evaluations.models import RATING_ANCESTOR_COLUMNS, Rating
from cadrebook.evaluations.rules import EvaluationRules, evaluation_rules
from cadrebook.evaluations.selectors import (
    check_level,
    check_level_within_score,
    check_score,
    evaluation_violation,
    legacy_level,
)
from cadrebook.evaluations.services.ratings import RATING_FIELDS
from cadrebook.evaluations.tally import TALLY_COLUMNS, TallyBuffer, tally_counts
from cadrebook.imports.apart import chunks_apart, reads_apart
from cadrebook.imports.context import ImportContext, chunked, parsed_rows
from cadrebook.imports.first_load import begin_first_load
from cadrebook.imports.importers.members import pk_of
from cadrebook.imports.reading import Table
from cadrebook.members.models import Member, MemberPeriod
from cadrebook.orgs.models import OrgUnit

ANCESTORS = [f"anc{k}_id" for k in range(1, RATING_ANCESTOR_COLUMNS + 1)]
COLUMNS = [
    "year",
    "subject_kind",
    "member_id",
    "unit_id",
    "level",
    "label",
    "score",
    "source",
    "round_id",
    "decision_id",
    "document_id",
    "document_text",
    "rated_in_id",
    "quota_unit_id",
    "role_group",
    *ANCESTORS,
    "recorded_at",
]
# A written row's values as the tally reads them (`tally_counts`).
TALLY_LINE = itemgetter(*(COLUMNS.index(c) for c in TALLY_COLUMNS))
MEMBERS = connection.ops.quote_name(Member._meta.db_table)
UNITS = connection.ops.quote_name(OrgUnit._meta.db_table)
PERIODS = connection.ops.quote_name(MemberPeriod._meta.db_table)
RATINGS = connection.ops.quote_name(Rating._meta.db_table)
# A row checked on its own: its number, its values, its level and score (`read_rows`).
Checked = tuple[int, Any, str, Decimal | None]
# What a row says of a recorded rating, compared to tell "unchanged" from "changed".
COMPARED = ("level", "label", "score", "document_text")


class RatingsImporter:
    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.rules: EvaluationRules = evaluation_rules(ctx.rules)
        self.seen: dict[tuple[str, str, int], int] = {}
        self.units: dict[int, tuple[str, str]] = {}  # id -> (path, kind)
        self.documents: dict[str, list[tuple[int, str, dt.date]]] = {}
        self.writer = RowWriter(connection.cursor())
        self.now = timezone.now()
        self.tally = TallyBuffer()
        self.symbol_keys: dict[str, str | None] = {}
        self.quota_units: dict[tuple[Any, ...], int | None] = {}
        # year -> whether ratings of it were recorded before this import wrote any: for a
        # year that had none (a national round's first load) nothing needs looking up, the
        # file's own earlier rows being refused as duplicates before any lookup.
        self.year_recorded: dict[int, bool] = {}
        # What repeats from row to row, worked out once: the checks of a level, label and
        # score (a file has a few dozen combinations), the cited document of a text in a
        # unit and year, whether a path is in scope, a year's last day.
        self.checked: dict[tuple[Any, ...], tuple[str, Decimal | None]] = {}
        self.cited: dict[tuple[str, str, int], int | None] = {}
        self.in_scope: dict[str, bool] = {}
        self.seen_paths: dict[str, bool] = {}
        self.last_days: dict[int, dt.date] = {}

    def run(self, table: Table) -> None:
        # The first ratings ever (a deployment's history, a national round's first load):
        # written without the table's indexes and keys, rebuilt at the end.
        restore = begin_first_load(
            self.writer.cursor,
            (Rating,),
            writing=self.ctx.writing,
            holds_rows=Rating.objects.exists,
        )
        # A large file is read and its rows checked in a second process (`imports.apart`),
        # while this one looks up and writes the chunks before.
        apart = reads_apart(self.ctx)
        read = self.read_rows
        rows = chunks_apart(self.ctx, table, read) if apart else read(self.ctx, table)
        with closing(rows):
            for chunk, count in rows:
                self.ctx.tick("checking")
                self.chunk(chunk)
                self.ctx.report.rows_checked += count
        for statement in restore or []:
            self.ctx.tick("writing")
            self.writer.cursor.execute(statement)
        if self.ctx.writing:
            # The level counts read the tally: the import's difference, in its transaction.
            self.tally.flush()

    # Lookups, one query per chunk each ------------------------------------------------------
    def _load_units(self, ids: set[int]) -> None:
        missing = sorted(i for i in ids if i is not None and i not in self.units)
        for i in range(0, len(missing), 900):
            for pk, path, kind in OrgUnit.objects.filter(pk__in=missing[i : i + 900]).values_list(
                "pk", "path", "kind"
            ):
                self.units[pk] = (path, kind)

    def _members(self, external_ids: list[str]) -> dict[str, tuple[int, str]]:
        """External id -> (member id, the path of the member's unit), including the
        `cadrebook:<id>` form of the exports (as `member_lookup`, reading only what a rating
        needs: one query per chunk, two columns)."""
        select = (
            f"SELECT m.id, m.external_id, u.path FROM {MEMBERS} m "
            f"JOIN {UNITS} u ON u.id = m.unit_id WHERE "
        )
        found: dict[str, tuple[int, str]] = {}
        with connection.cursor() as cursor:
            condition, params = any_of("m.external_id", external_ids)
            cursor.execute(select + condition, params)
            for pk, external_id, path in cursor.fetchall():
                found[external_id] = (pk, path)
            pks: dict[int, str] = {}
            for ext in external_ids:
                if ext not in found and (pk := pk_of(ext)) is not None:
                    pks[pk] = ext
            if pks:
                condition, params = any_of("m.id", list(pks))
                cursor.execute(select + condition, params)
                for pk, _external_id, path in cursor.fetchall():
                    found[pks[pk]] = (pk, path)
        return found

    def _periods(self, wanted: dict[int, set[int]]) -> dict[tuple[int, int], tuple[Any, ...]]:
        """(member id, year) -> (cell id, anc1..anc6) of the member's period on 31 December.
        Raw SQL with one array parameter: the ORM spends longer building a list of thousands
        of ids than the database answering (as `member_lookup`)."""
        out: dict[tuple[int, int], tuple[Any, ...]] = {}
        columns = ", ".join(["member_id", "unit_id", *ANCESTORS])
        for year, ids in wanted.items():
            day = dt.date(year, 12, 31)
            condition, params = any_of("member_id", sorted(ids))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {columns} FROM {PERIODS} WHERE {condition} AND valid_from <= %s "
                    "AND (valid_to IS NULL OR valid_to > %s)",
                    [*params, day, day],
                )
                for member_id, unit_id, *anc in cursor.fetchall():
                    out[(member_id, year)] = (unit_id, *anc)
        return out

    def _recorded(self, members: set[int], units: set[int], years: set[int]) -> dict[Any, Any]:
        """(subject kind, member or unit id, year) -> what is recorded of the rating."""
        found: dict[tuple[str, int, int], dict[str, Any]] = {}
        for year in years - self.year_recorded.keys():
            self.year_recorded[year] = Rating.objects.filter(year=year).exists()
        years = {year for year in years if self.year_recorded[year]}
        if not years:
            return found
        fields = ["id", "member_id", "unit_id", "year", "source", *COMPARED, "document_id"]
        for column, ids in (("member_id", members), ("unit_id", units)):
            if not ids:
                continue
            condition, params = any_of(column, sorted(ids))
            years_in, year_params = any_of("year", sorted(years))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {', '.join(fields)} FROM {RATINGS} WHERE {condition} AND {years_in}",
                    [*params, *year_params],
                )
                for values in cursor.fetchall():
                    row = dict(zip(fields, values, strict=True))
                    if row["score"] is not None:
                        row["score"] = Decimal(str(row["score"])).quantize(Decimal("0.01"))
                    kind = SubjectKind.MEMBER if row["member_id"] else SubjectKind.UNIT
                    found[(kind, row["member_id"] or row["unit_id"], row["year"])] = row
        return found

    def _document(self, text: str, path: str, year: int) -> int | None:
        """The registered document the text cites among the issued ones the importer may
        read, of the rated unit or a committee above it, dated in or before the year; None
        when it names no single one (it stays text)."""
        if not text:
            return None
        cited = (text, path, year)
        if cited not in self.cited:  # the same for every member of a cell
            if len(self.cited) >= 65_536:
                self.cited.clear()
            self.cited[cited] = self._find_document(text, path, year)
        return self.cited[cited]

    def _find_document(self, text: str, path: str, year: int) -> int | None:
        if text not in self.symbol_keys:  # a file cites a few documents, row after row
            self.symbol_keys[text] = symbol_key(text) if text else None
        key = self.symbol_keys[text]
        if key is None:
            return None
        if key not in self.documents:
            # The system (no actor) reads the whole register; a user what they may read.
            register = (
                readable_documents(self.ctx.actor)
                if self.ctx.actor is not None
                else Document.objects.all()
            )
            self.documents[key] = list(
                register.filter(symbol_norm__in=symbol_forms(key))
                .exclude(status=Status.DRAFT)
                .values_list("pk", "issuer__path", "date")
            )
        last = dt.date(year, 12, 31)
        fits = [
            pk
            for pk, issuer_path, day in self.documents[key]
            if path.startswith(issuer_path) and day <= last
        ]
        return fits[0] if len(fits) == 1 else None

    def _quota_unit(self, ancestors: tuple[Any, ...]) -> int | None:
        """The grassroots organization of the line (the last one of a grassroots kind)."""
        if ancestors not in self.quota_units:  # the same line for every member of a cell
            self.quota_units[ancestors] = next(
                (
                    int(unit_id)
                    for unit_id in reversed(ancestors)
                    if unit_id is not None
                    and self.units.get(unit_id, ("", ""))[1] in self.rules.grassroots_kinds
                ),
                None,
            )
        return self.quota_units[ancestors]

    # The rows -------------------------------------------------------------------------------
    def _check(self, number: int, row: Any) -> tuple[str, Decimal | None] | None:
        """The level (from the label when one is given) and the score, or None (refused)."""
        key = (row.subject_kind, row.level, row.label, row.score)
        if MIN_YEAR <= row.year <= MAX_YEAR and key in self.checked:
            return self.checked[key]  # what follows depends on nothing else
        report = self.ctx.report
        rules = self.rules
        try:
            if not MIN_YEAR <= row.year <= MAX_YEAR:
                raise ServiceError(
                    "evaluation.bad_year",
                    _("The year %(y)s is not between %(a)d and %(b)d.")
                    % {"y": row.year, "a": MIN_YEAR, "b": MAX_YEAR},
                    field="year",
                )
            level = row.level
            if row.label:
                mapped = legacy_level(row.subject_kind, row.label, rules)
                if mapped is None:
                    raise evaluation_violation(
                        rules,
                        "evaluation.label_unknown",
                        _("%(label)s is not a rating label of the rule set.")
                        % {"label": row.label},
                        source=rules.legacy_source,
                        field="label",
                    )
                if level and level != mapped:
                    raise evaluation_violation(
                        rules,
                        "evaluation.label_contradicts_level",
                        _("%(label)s maps to %(mapped)s, not %(level)s.")
                        % {"label": row.label, "mapped": mapped, "level": level},
                        source=rules.legacy_source,
                        field="level",
                    )
                level = mapped
            check_level(rules, level)
            score = check_score(rules, row.score) if row.score is not None else None
            if score is not None and not row.label:
                # As the cell's proposal: no level above the one the score earns (a cap may
                # explain a lower one); a legacy label predates the framework's scores.
                check_level_within_score(rules, level=level, score=score)
        except ServiceError as exc:
            column = exc.field or "level"
            report.refuse_error(number, column, getattr(row, column, ""), exc)
            return None
        if len(self.checked) >= 65_536:
            self.checked.clear()
        self.checked[key] = (level, score)
        return level, score

    def read_rows(
        self, ctx: ImportContext, table: Table
    ) -> Generator[tuple[list[Checked], int], None, None]:
        """The file's rows in chunks, each row read and checked on its own (`parsed_rows`,
        then `_check`: the rule set's, nothing looked up): the chunk's rows not refused, with
        their level and score, and how many rows it read. In the importer's process or, for
        a large file, in a second one."""
        check = self._check
        for chunk in chunked(parsed_rows(ctx, table)):
            rows = []
            for number, _raw, row in chunk:
                if row is not None and (checked := check(number, row)) is not None:
                    rows.append((number, row, *checked))
            yield rows, len(chunk)

    def chunk(self, rows: list[Checked]) -> None:
        ctx = self.ctx
        report = ctx.report
        member_rows = [r.subject for _n, r, *_c in rows if r.subject_kind == SubjectKind.MEMBER]
        known = self._members(member_rows) if member_rows else {}
        ctx.units.load({r.subject for _n, r, *_c in rows if r.subject_kind == SubjectKind.UNIT})
        wanted: dict[int, set[int]] = defaultdict(set)
        for _n, r, *_c in rows:
            if r.subject_kind == SubjectKind.MEMBER and (member := known.get(r.subject)):
                wanted[r.year].add(member[0])
        periods = self._periods(wanted)
        self._load_units({a for p in periods.values() for a in p if a is not None})
        unit_ids = {
            u.id
            for _n, r, *_c in rows
            if r.subject_kind == SubjectKind.UNIT and (u := ctx.units.by_code.get(r.subject))
        }
        recorded = self._recorded(
            {pk for pk, _path in known.values()}, unit_ids, {r.year for _n, r, *_c in rows}
        )
        new: list[tuple[Any, ...]] = []
        replaced: list[tuple[int, tuple[Any, ...]]] = []
        seen, units, last_days = self.seen, self.units, self.last_days
        in_scope, seen_paths = self.in_scope, self.seen_paths
        import_source = RatingSource.IMPORT.value
        for number, row, level, score in rows:
            year = row.year
            key = (row.subject_kind, row.subject, year)
            first = seen.setdefault(key, number)
            if first != number:
                report.refuse(
                    number,
                    "subject",
                    row.subject,
                    "import.duplicate_row",
                    _("The same subject and year are already in row %(row)d.") % {"row": first},
                )
                continue
            day = last_days.get(year) or last_days.setdefault(year, dt.date(year, 12, 31))
            if row.subject_kind == SubjectKind.MEMBER:
                member = known.get(row.subject)
                if member is not None and member[1] not in seen_paths:
                    seen_paths[member[1]] = ctx.sees(member[1])
                if member is None or not seen_paths[member[1]]:
                    report.refuse(
                        number,
                        "subject",
                        row.subject,
                        "import.member_unknown",
                        _("No member with the identifier %(id)s in your part of the organization.")
                        % {"id": row.subject},
                    )
                    continue
                member_id = member[0]
                period = periods.get((member_id, year))
                if period is None:
                    report.refuse(
                        number,
                        "subject",
                        row.subject,
                        "evaluation.not_a_member_then",
                        _("The member was not a member on %(date)s.") % {"date": day},
                    )
                    continue
                rated_in, ancestors = period[0], period[1:]
                path = units[rated_in][0]
                if path not in in_scope:
                    in_scope[path] = ctx.scope.covers_path(path)
                if not in_scope[path]:
                    ctx.refuse_for_role(number, "subject", row.subject, member=True)
                    continue
                subject_id, unit_id = member_id, None
                quota_unit = self._quota_unit(ancestors)
                role_group = "member"
            else:
                unit = ctx.unit_in_scope(row.subject)
                if unit is None:
                    ctx.refuse_unit(number, "subject", row.subject)
                    continue
                span = next((s for s in unit.spans if s.covers(day)), None)
                line = span.ancestors if span is not None else unit.ancestors
                ancestors = tuple(line[:RATING_ANCESTOR_COLUMNS]) + (None,) * (
                    RATING_ANCESTOR_COLUMNS - len(line)
                )
                rated_in, path = unit.id, unit.path
                subject_id, member_id, unit_id = unit.id, None, unit.id
                quota_unit = None
                role_group = "organization"
            document_text = (row.document or "")[:64]
            existing = recorded.get((row.subject_kind, subject_id, year)) if recorded else None
            if existing is not None:
                said = {"level": level, "label": row.label, "score": score}
                said["document_text"] = document_text
                stored = dict(existing)
                if stored["source"] == RatingSource.ROUND and not stored["document_text"]:
                    # A round's rating cites its decision's document; the export writes its
                    # symbol, which is what the row is compared with.
                    stored["document_text"] = document_text if stored["document_id"] else ""
                if all(said[f] == stored[f] for f in COMPARED):
                    report.unchanged += 1
                    continue
                if existing["source"] == RatingSource.ROUND:
                    report.refuse(
                        number,
                        "year",
                        year,
                        "evaluation.rated_by_round",
                        _(
                            "A round rated this subject for %(year)s: reconsider its decision "
                            "instead."
                        )
                        % {"year": year},
                    )
                    continue
            values = (
                year,
                row.subject_kind,
                member_id,
                unit_id,
                level,
                row.label,
                score,
                import_source,
                None,
                None,
                self._document(document_text, path, year),
                document_text,
                rated_in,
                quota_unit,
                role_group,
                *ancestors,
                self.now,
            )
            if existing is None:
                new.append(values)
            else:
                replaced.append((existing["id"], values))
        report.created += len(new)
        report.updated += len(replaced)
        if not ctx.writing:
            return
        ctx.tick("writing")
        before: Counter[Any] = Counter()
        if replaced:
            overwritten = Rating.objects.filter(pk__in=[pk for pk, _v in replaced])
            # As counted in the tally.
            before = tally_counts(overwritten.values_list(*TALLY_COLUMNS))
            # A changed rating is rewritten in place (same id); what it said before is kept
            # in its audit entry, as `rating_record` keeps it: corrections are rare, one
            # entry each, gathered by the import's audit batch.
            was = {r.pk: snapshot(r, RATING_FIELDS) for r in overwritten}
            overwritten.delete()
            self.writer.write(Rating, ["id", *COLUMNS], [(pk, *v) for pk, v in replaced])
            self._audit_replaced(was)
        self.writer.write(Rating, COLUMNS, new)
        written = tally_counts(map(TALLY_LINE, [*new, *(v for _pk, v in replaced)]))
        self.tally.change_counts(before, written)
        report.rows_written += len(new) + len(replaced)

    def _audit_replaced(self, was: dict[int, dict[str, Any]]) -> None:
        """One audit entry per rewritten rating, before and after, scoped to its unit."""
        for rating in Rating.objects.filter(pk__in=list(was)).select_related("rated_in"):
            audit_record(
                actor=self.ctx.actor,
                obj=rating,
                action="update",
                event_type="evaluation.rating_recorded",
                unit=rating.rated_in,
                before=was[rating.pk],
                after=snapshot(rating, RATING_FIELDS),
            )


def import_ratings(ctx: ImportContext, table: Table) -> None:
    RatingsImporter(ctx).run(table)
