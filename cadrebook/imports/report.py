"""The validation report as a spreadsheet the user can fix and import again.

Sheet "rows" holds the file's rows with the original headers and a last column
"import_errors" (the importer ignores that column): every row when nothing was imported and
the file has at most 50,000 rows (so the fixed sheet is the whole file again), otherwise only
the refused rows. It is left out when no row was refused. Sheets "errors" and "warnings" list each issue with its row, column, value and reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from cadrebook.core.spreadsheets import write_workbook
from cadrebook.imports.formats import ERRORS_COLUMN
from cadrebook.imports.models import ImportJob
from cadrebook.imports.pipeline import Report
from cadrebook.imports.reading import EXTRA, IGNORED, FileRefused, open_table

ISSUE_HEADERS = ["row", "column", "value", "code", "message", "source"]
ALL_ROWS_LIMIT = 50_000


def _issue_rows(issues: list[Any]) -> list[list[Any]]:
    return [[i.row, i.column, i.value, i.code, i.message, i.source] for i in issues]


def write_report_file(job: ImportJob, report: Report) -> str:
    """Write the report workbook next to the job's file; returns its path ("" if none)."""
    if report.file_error is not None or (not report.errors and not report.warnings):
        return ""
    # Every row when nothing was imported, so the fixed sheet is the whole file again — up to
    # a size a spreadsheet handles; beyond it (and after a partial import) the refused rows.
    all_rows = not report.committed and report.rows_read <= ALL_ROWS_LIMIT
    folder = Path(settings.IMPORT_DIR) / str(job.pk)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "report.xlsx"
    by_row = report.errors_by_row()
    sheets: list[tuple[str, list[str], Any]] = []
    table = None
    if report.errors:
        try:
            table = open_table(job.path, kind=job.kind, sheet=job.sheet or None)
        except FileRefused:
            table = None
    if table is not None:
        keep = [i for i, c in enumerate(table.columns) if c != IGNORED]
        columns = [table.columns[i] for i in keep]
        headers = [table.headers[i] for i in keep]

        def rows() -> Any:
            for number, raw in table.rows:
                issues = by_row.get(number, [])
                if not all_rows and not issues:
                    continue
                raw.pop(EXTRA, None)
                text = "; ".join(
                    f"{i.column}: {i.message}" if i.column else i.message for i in issues
                )
                yield [raw.get(c) for c in columns] + [text]

        sheets.append(("rows", headers + [ERRORS_COLUMN], rows()))
    sheets.append(
        ("errors", ISSUE_HEADERS, _issue_rows(sorted(report.errors, key=lambda i: i.row)))
    )
    sheets.append(("warnings", ISSUE_HEADERS, _issue_rows(report.warnings)))
    with target.open("wb") as out:
        write_workbook(out, sheets)
    return str(target)
