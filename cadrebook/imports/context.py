"""What an import's rows go through, shared by the pipeline (`pipeline.py`) and the importers
of each kind (`importers/`): the report of what was refused and done, the import's context
(who imports, under which rules and scope, the units it names), the rows of a file parsed
against its schema, and chunks for set-based writes. The pipeline calls the importers and the
importers use these, so they live apart from both: neither imports the other back."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from pydantic import ValidationError

from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.rules import Ruleset
from cadrebook.core.scoping import Scope
from cadrebook.imports.reading import EXTRA, IGNORED, Table
from cadrebook.imports.schemas import FAST_ROWS, SCHEMAS, RowModel, field_errors
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.placements import Span, load_spans

CHUNK = 5000


@dataclass
class Issue:
    """One refused cell or row, or one warning: where, what, and why."""

    row: int
    column: str
    value: str
    code: str
    message: str
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "code": self.code,
            "message": self.message,
            "source": self.source,
        }


@dataclass
class Report:
    """What an import found and did. `errors` refuse rows; `warnings` do not."""

    kind: str
    dry_run: bool = False
    valid_rows_only: bool = False
    rows_read: int = 0
    rows_checked: int = 0
    rows_written: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    refused_rows: set[int] = field(default_factory=set)
    file_error: dict[str, Any] | None = None
    committed: bool = False
    seconds: float = 0.0
    # Audit entries to write once the import's transaction has ended, committed or rolled
    # back: records of refused attempts, which a rollback must not take with it.
    after_transaction: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        """Nothing refused: every row was (or, in a dry run, would be) imported."""
        return self.file_error is None and not self.refused_rows

    def refuse(
        self, row: int, column: str, value: Any, code: str, message: str, source: str = ""
    ) -> None:
        self.refused_rows.add(row)
        self.errors.append(Issue(row, column, _show(value), code, str(message), source))

    def refuse_error(self, row: int, column: str, value: Any, exc: ServiceError) -> None:
        source = exc.source if isinstance(exc, RuleViolation) else ""
        self.refuse(row, column, value, exc.code, exc.message, source)

    def warn(self, row: int, column: str, value: Any, code: str, message: str) -> None:
        self.warnings.append(Issue(row, column, _show(value), code, str(message)))

    def errors_by_row(self) -> dict[int, list[Issue]]:
        out: dict[int, list[Issue]] = {}
        for issue in self.errors:
            out.setdefault(issue.row, []).append(issue)
        return out

    def as_dict(self, max_issues: int | None = None) -> dict[str, Any]:
        cap = max_issues if max_issues is not None else settings.IMPORT_REPORT_MAX_ERRORS
        errors = sorted(self.errors, key=lambda i: (i.row, i.column))
        return {
            "kind": self.kind,
            "ok": self.ok,
            "dry_run": self.dry_run,
            "valid_rows_only": self.valid_rows_only,
            "committed": self.committed,
            "rows_read": self.rows_read,
            "rows_refused": len(self.refused_rows),
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "seconds": round(self.seconds, 2),
            "file_error": self.file_error,
            "errors": [i.as_dict() for i in errors[:cap]],
            "errors_total": len(errors),
            "warnings": [i.as_dict() for i in self.warnings[:cap]],
            "warnings_total": len(self.warnings),
        }


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        # A parsed list cell (votes, relations, steps) shown as the file writes it, not as
        # Python's repr: "warning=9; none=1".
        return "; ".join(
            "=".join(_show(part) for part in item) if isinstance(item, tuple) else _show(item)
            for item in value
        )[:500]
    return str(value)[:500]


class Cancelled(Exception):
    """The user cancelled the import before it committed."""


# Progress: (phase, report) -> None; phases are "reading", "checking", "writing", "finishing".
Progress = Callable[[str, Report], None]


@dataclass
class UnitInfo:
    """What the importers need of a unit, without a model instance per row."""

    id: int
    code: str
    kind: str
    path: str
    depth: int
    founded_on: dt.date | None
    dissolved_on: dt.date | None
    ancestors: tuple[int, ...] = ()
    # Its placements in the tree's history (cadrebook.orgs.placements), to cut periods by.
    spans: tuple[Span, ...] = ()

    def __str__(self) -> str:
        return self.code

    def is_active_on(self, day: dt.date) -> bool:
        if self.founded_on and day < self.founded_on:
            return False
        return not (self.dissolved_on and day >= self.dissolved_on)


class UnitIndex:
    """Units by code, loaded in batches as the rows name them, with ancestor ids."""

    def __init__(self) -> None:
        self.by_code: dict[str, UnitInfo | None] = {}
        self.by_id: dict[int, UnitInfo] = {}
        self._path_ids: dict[str, int] = {}

    def load(self, codes: Iterable[str]) -> None:
        missing = {c for c in codes if c and c not in self.by_code}
        if not missing:
            return
        for c in missing:
            self.by_code[c] = None
        codes_list = sorted(missing)
        fields = ("id", "code", "kind", "path", "depth", "founded_on", "dissolved_on")
        found: list[UnitInfo] = []
        for i in range(0, len(codes_list), 900):  # SQLite's parameter limit
            rows = OrgUnit.objects.filter(code__in=codes_list[i : i + 900]).values_list(*fields)
            found.extend(UnitInfo(*r) for r in rows)
        step = OrgUnit.steplen
        need = {u.path[: step * d] for u in found for d in range(1, u.depth + 1)}
        need -= set(self._path_ids)
        need_list = sorted(need)
        for i in range(0, len(need_list), 900):
            self._path_ids.update(
                OrgUnit.objects.filter(path__in=need_list[i : i + 900]).values_list("path", "id")
            )
        spans = load_spans(u.id for u in found)
        for u in found:
            u.ancestors = tuple(self._path_ids[u.path[: step * d]] for d in range(1, u.depth + 1))
            u.spans = spans.get(u.id) or (Span(None, None, u.ancestors),)
            self.by_code[u.code] = u
            self.by_id[u.id] = u

    def load_ids(self, ids: Iterable[int]) -> None:
        """Index units named by id (by recorded histories rather than by the file)."""
        missing = sorted({i for i in ids if i not in self.by_id})
        for i in range(0, len(missing), 900):
            self.load(
                OrgUnit.objects.filter(pk__in=missing[i : i + 900]).values_list("code", flat=True)
            )

    def get(self, code: str) -> UnitInfo | None:
        if code not in self.by_code:
            self.load([code])
        return self.by_code.get(code)

    def add(self, unit: OrgUnit) -> UnitInfo:
        """Index a unit created by this import."""
        self.by_code.pop(unit.code, None)
        self._path_ids[unit.path] = unit.pk
        self.load([unit.code])
        info = self.by_code[unit.code]
        assert info is not None
        return info


@dataclass
class ImportContext:
    """Everything an importer needs: who imports, under which rules, and where to report."""

    actor: Any
    kind: str
    report: Report
    rules: Ruleset
    today: dt.date
    scope: Scope
    units: UnitIndex
    personal_only: bool = False
    # What the importer may see (the "view" action): a record seen but out of `scope` is
    # refused for the role, one out of sight as if it did not exist.
    view_scope: Scope = field(default_factory=lambda: Scope(False, ()))
    # The file, for an importer that must look at it before its rows come (members).
    path: str = ""
    sheet: str | None = None
    progress: Progress | None = None
    is_cancelled: Callable[[], bool] | None = None
    _last_progress: float = 0.0

    @property
    def writing(self) -> bool:
        """Whether rows are still being written: after a refusal in an all-or-nothing import
        the rest is only checked, for the report."""
        return self.report.valid_rows_only or not self.report.refused_rows

    def tick(self, phase: str, force: bool = False) -> None:
        """Report progress (at most a few times a second) and stop if cancelled."""
        now = time.monotonic()
        if not force and now - self._last_progress < 0.5:
            return
        self._last_progress = now
        if self.is_cancelled is not None and self.is_cancelled():
            raise Cancelled
        if self.progress is not None:
            self.progress(phase, self.report)

    def unit_in_scope(self, code: str) -> UnitInfo | None:
        """The unit, if it exists and lies in the importer's scope; None alike otherwise (an
        outsider learns nothing of units they may not see)."""
        unit = self.units.get(code)
        if unit is None or not self.scope.covers_path(unit.path):
            return None
        return unit

    def refuse_unit(self, row: int, column: str, code: str) -> None:
        """Refuse a unit `unit_in_scope` did not give: for the role when the importer may see
        it, else as a unit that does not exist (missing and out of sight alike)."""
        unit = self.units.get(code)
        if unit is not None and self.view_scope.covers_path(unit.path):
            self.refuse_for_role(row, column, code)
            return
        self.report.refuse(
            row,
            column,
            code,
            "import.unit_unknown",
            _("No unit with the code %(code)s in your part of the organization.") % {"code": code},
        )

    def sees(self, path: str) -> bool:
        """Whether a record under `path` that is out of `scope` is one the importer may see."""
        return self.view_scope.covers_path(path)

    def refuse_for_role(self, row: int, column: str, value: Any, *, member: bool = False) -> None:
        """A unit or member the importer may see but their role may not change (a viewer, an
        inspector): said as it is, not as a record outside their part of the organization."""
        if member:
            message = _("Your role may see the member %(id)s but not change their records.") % {
                "id": value
            }
        else:
            message = _("Your role may see %(code)s but does not allow this import there.") % {
                "code": value
            }
        self.report.refuse(row, column, value, "import.not_allowed_here", message)


def parsed_rows(
    ctx: ImportContext, table: Table
) -> Iterator[tuple[int, dict[str, Any], RowModel | Any | None]]:
    """(row number, raw values, parsed row or None when refused) for every row of the file.
    A kind with a fast path (`FAST_ROWS`) gives its rows as the fast path reads them (the
    schema's attributes and values), the schema reading only those it does not take."""
    schema = SCHEMAS[ctx.kind]
    fast = FAST_ROWS.get(ctx.kind)
    report = ctx.report
    for number, raw in table.rows:
        report.rows_read += 1
        raw.pop(IGNORED, None)
        extra = raw.pop(EXTRA, None)
        if extra:
            report.refuse(
                number,
                "",
                extra,
                "row.extra_cells",
                _("The row has more cells than the header has columns."),
            )
            yield number, raw, None
            continue
        if fast is not None and (values := fast(raw)) is not None:
            yield number, raw, values
            continue
        try:
            row = schema(**raw)
        except ValidationError as exc:
            for column, value, code, message in field_errors(exc):
                report.refuse(number, column, value, code, message)
            yield number, raw, None
            continue
        yield number, raw, row


def chunked(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
