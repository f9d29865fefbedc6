"""The import pipeline shared by every kind of file.

An import reads the file (`reading.open_table`), checks each row against its schema
(`schemas`), then hands the rows to the importer of its kind, which resolves references,
applies the rule set through the same checks as the services, and writes. Everything happens
in one transaction: when a row is refused and the import is all-or-nothing, the importer goes
on checking (so the report is complete) but the transaction is rolled back at the end, and a
dry run is rolled back always. So a dry run is exactly the real import, minus the commit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cadrebook.cadres.permissions import MANAGE_CADRES
from cadrebook.core.audit import audit_batch
from cadrebook.core.errors import ServiceError
from cadrebook.core.permissions import CHANGE, VIEW
from cadrebook.core.rules import current_ruleset
from cadrebook.core.scoping import Scope, scope_for
from cadrebook.documents.permissions import ISSUE_DOCUMENTS
from cadrebook.evaluations.permissions import DECIDE_EVALUATIONS
from cadrebook.imports.context import Cancelled, ImportContext, Progress, Report, UnitIndex
from cadrebook.imports.importers import IMPORTERS
from cadrebook.imports.reading import FileRefused, open_table
from cadrebook.inspections.permissions import DECIDE_DISCIPLINE, INSPECT
from cadrebook.orgs.permissions import MANAGE_UNITS


class _Rollback(Exception):
    """Raised inside the transaction to undo it (dry run, or refused rows)."""


# Which action a kind of import needs on the units it names.
ACTIONS = {
    "units": MANAGE_UNITS,
    "members": CHANGE,
    "events": CHANGE,
    "targets": MANAGE_UNITS,
    "documents": ISSUE_DOCUMENTS,
    # Ratings are what the deciding committees decided.
    "ratings": DECIDE_EVALUATIONS,
    # Inspections are the inspecting bodies' work (their confidential files).
    "inspections": INSPECT,
    # Disciplines: the deciding bodies' decisions, scoped by their subjects.
    "disciplines": DECIDE_DISCIPLINE,
    # Programs: the inspecting bodies' plans.
    "inspection-programs": INSPECT,
    # Appointments: the organizing boards' records of who holds which post.
    "appointments": MANAGE_CADRES,
    # Planning: the succession pools the organizing boards keep.
    "planning": MANAGE_CADRES,
}


def run_import(
    *,
    actor: Any,
    kind: str,
    path: str,
    sheet: str | None = None,
    dry_run: bool = False,
    valid_rows_only: bool = False,
    personal_only: bool = False,
    progress: Progress | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    before_commit: Callable[[Report], None] | None = None,
) -> Report:
    """Import one file. Returns the report; writes only when nothing was refused (or
    `valid_rows_only`) and not `dry_run`; `before_commit` runs inside the transaction just
    before it commits. `actor` None is the system (the command line
    without --user): every unit is in scope."""
    if kind not in IMPORTERS:
        raise ServiceError(
            "import.kind_unknown",
            _("Unknown kind of import %(k)s; choose one of: %(kinds)s.")
            % {"k": kind, "kinds": ", ".join(IMPORTERS)},
            field="kind",
        )
    started = time.monotonic()
    report = Report(kind=kind, dry_run=dry_run, valid_rows_only=valid_rows_only)
    scope = Scope(True, ()) if actor is None else scope_for(actor, ACTIONS[kind])
    view_scope = Scope(True, ()) if actor is None else scope_for(actor, VIEW)
    ctx = ImportContext(
        actor=actor,
        kind=kind,
        report=report,
        rules=current_ruleset(),
        today=timezone.localdate(),
        scope=scope,
        units=UnitIndex(),
        personal_only=personal_only,
        progress=progress,
        is_cancelled=is_cancelled,
        view_scope=view_scope,
        path=path,
        sheet=sheet or None,
    )
    try:
        table = open_table(path, kind=kind, sheet=sheet or None)
        ctx.tick("reading", force=True)
        # The import's audit entries are written together at its end (audit_batch): one
        # insert, and the audit chain's lock held for a moment, not for the whole import.
        with transaction.atomic(), audit_batch():
            IMPORTERS[kind](ctx, table)
            ctx.tick("finishing", force=True)
            if ctx.is_cancelled is not None and ctx.is_cancelled():
                raise Cancelled
            if dry_run or not (report.ok or valid_rows_only):
                raise _Rollback
            report.committed = True
            if before_commit is not None:
                before_commit(report)  # the audit entry, in the same transaction
    except _Rollback:
        report.rows_written = 0 if not report.committed else report.rows_written
    except FileRefused as exc:
        report.file_error = {**exc.as_dict(), "details": list(getattr(exc, "details", []))}
    finally:
        report.seconds = time.monotonic() - started
        for record in report.after_transaction:
            record()
    if not report.committed:
        # Nothing was kept: say so in the counts, so nobody reads "created" as done.
        report.rows_written = 0
    if report.rows_read == 0 and report.file_error is None:
        report.file_error = {
            "code": "file.no_rows",
            "message": _("The file has a header but no rows."),
            "details": [],
        }
    return report
