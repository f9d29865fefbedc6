"""Spreadsheet writers shared by every export: CSV (UTF-8 with BOM) and XLSX (streamed).

Both formats follow the same rules, so a file means the same whichever one a user picks:

- dates are written as ISO dates (CSV) or as real date cells shown as yyyy-mm-dd (XLSX);
- numbers stay numbers, `None` is an empty cell;
- text is always text, and a text value that a spreadsheet would run as a formula (it begins
  with = + - @, a tab or a carriage return) gets a leading apostrophe: OWASP's advice against
  CSV injection. The importer removes that apostrophe again (docs/import-formats.md).

`TableWriter` writes one table row by row; `write_table` is the one-call form, and
`write_workbook` writes several tables as the sheets of one XLSX file (validation reports).
They live in core because every app's exports use them (the member list's download, the
import's exports, reports and templates).
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import re
from collections.abc import Collection, Iterable, Sequence
from types import TracebackType
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMATS = ("csv", "xlsx")

DATE_FORMAT = "yyyy-mm-dd"

# The characters that make Excel, LibreOffice or Google Sheets read a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# A value that begins with apostrophes followed by a trigger is escaped too, so that the
# importer's rule "remove one leading apostrophe before a trigger" gives back exactly the
# original value even when the original began with an apostrophe.
_NEEDS_APOSTROPHE = re.compile("'*[" + re.escape("".join(FORMULA_TRIGGERS)) + "]")

# CSV rows are collected in memory and written in batches: fewer writes to slow sinks
# (an HTTP response, a pipe) without holding the whole file.
_CSV_BATCH_ROWS = 500

# Rows of one sheet, the header row included: Excel's limit, and so the format's.
XLSX_MAX_ROWS = 1_048_576

# Excel truncates nothing but refuses to open a cell longer than this.
_XLSX_MAX_CELL = 32767

_DATE_WIDTH = 12
_MIN_WIDTH = 8
_MAX_WIDTH = 40


class TooManyRows(ValueError):
    """A table does not fit in one XLSX sheet; CSV has no limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(_("An XLSX sheet holds at most %(n)s rows.") % {"n": f"{limit:,}"})


def _check_fits(rows_written: int) -> None:
    # Read at call time so that a test can lower the limit.
    if rows_written >= XLSX_MAX_ROWS - 1:
        raise TooManyRows(XLSX_MAX_ROWS - 1)


def neutralize(text: str) -> str:
    """`text` with a leading apostrophe when a spreadsheet would take it for a formula."""
    if text and _NEEDS_APOSTROPHE.match(text):
        return "'" + text
    return text


def _csv_value(value: Any, as_date: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if as_date else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        # bool is an int subclass; "True" reads better than "1" and is not a formula.
        return str(value)
    if isinstance(value, int | float | decimal.Decimal):
        return value
    return neutralize(str(value))


class TableWriter:
    """Write one table (a header row, then rows) as CSV or XLSX to a binary stream.

    Use as a context manager: the file is complete when the `with` block ends without an
    error (XLSX is assembled only then). `rows` counts the data rows written.

        with TableWriter(out, "xlsx", headers) as writer:
            for row in rows:
                writer.writerow(row)
    """

    def __init__(
        self,
        out: IO[bytes],
        fmt: str,
        headers: Sequence[str],
        *,
        sheet_title: str = "data",
        date_columns: Collection[int] = (),
    ) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"Unknown spreadsheet format {fmt!r}; expected csv or xlsx")
        self.out = out
        self.fmt = fmt
        self.headers = list(headers)
        self.date_columns = frozenset(date_columns)
        self.rows = 0
        self._closed = False
        if fmt == "csv":
            self._buffer = io.StringIO()
            self._csv = csv.writer(self._buffer, quoting=csv.QUOTE_MINIMAL)
            # The BOM makes Excel read the file as UTF-8 instead of the machine's code page.
            self._buffer.write("\ufeff")
            self._csv.writerow([neutralize(h) for h in self.headers])
        else:
            self._workbook = Workbook(write_only=True)
            self._sheet = _add_sheet(self._workbook, sheet_title, self.headers, self.date_columns)

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def writerow(self, row: Sequence[Any]) -> None:
        """Append one data row (values in header order)."""
        if self.fmt == "csv":
            dates = self.date_columns
            self._csv.writerow([_csv_value(v, i in dates) for i, v in enumerate(row)])
            self.rows += 1
            if self.rows % _CSV_BATCH_ROWS == 0:
                self._flush_csv()
        else:
            _check_fits(self.rows)
            self._sheet.append(_xlsx_row(self._sheet, row, self.date_columns))
            self.rows += 1

    def writerows(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.writerow(row)

    def _flush_csv(self) -> None:
        text = self._buffer.getvalue()
        if text:
            self.out.write(text.encode("utf-8"))
        self._buffer.seek(0)
        self._buffer.truncate()

    def abort(self) -> None:
        """Give up after an error: write nothing more (a half-made XLSX is no file at all)
        and remove the temporary files of the XLSX sheets. CSV rows already written stay."""
        if self._closed:
            return
        self._closed = True
        if self.fmt == "xlsx":
            _discard(self._workbook)

    def close(self) -> None:
        """Finish the file: flush the last CSV rows, or assemble and write the XLSX."""
        if self._closed:
            return
        self._closed = True
        if self.fmt == "csv":
            self._flush_csv()
        else:
            self._workbook.save(self.out)


def _discard(workbook: Workbook) -> None:
    # A write-only sheet streams into a temporary file through a generator; closing the sheet
    # ends the generator cleanly and `cleanup` removes the file (else it lingers until exit).
    for sheet in workbook.worksheets:
        try:
            if not sheet.closed:
                sheet.close()
        finally:
            if sheet._writer is not None:
                sheet._writer.cleanup()


def _add_sheet(
    workbook: Workbook, title: str, headers: Sequence[str], date_columns: Collection[int]
) -> WriteOnlyWorksheet:
    """A write-only sheet with a bold, frozen header row and readable column widths."""
    sheet = workbook.create_sheet(title=_sheet_title(title))
    # Widths and panes must be set before the first row: a write-only sheet streams its XML.
    for index, header in enumerate(headers):
        width = max(_MIN_WIDTH, min(_MAX_WIDTH, len(str(header)) + 2))
        if index in date_columns:
            width = max(width, _DATE_WIDTH)
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=_clean_text(str(header)))
        cell.data_type = "s"
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    return sheet


def _sheet_title(title: str) -> str:
    # Excel's limits: 31 characters, none of []:*?/\ .
    cleaned = re.sub(r"[\[\]:*?/\\]", "_", title).strip("'") or "data"
    return cleaned[:31]


def _clean_text(text: str) -> str:
    # Characters XML 1.0 cannot carry make openpyxl refuse the file; they cannot be in any
    # spreadsheet anyway, so they are dropped.
    return ILLEGAL_CHARACTERS_RE.sub("", neutralize(text))[:_XLSX_MAX_CELL]


def _text_cell(sheet: WriteOnlyWorksheet, text: str) -> Any:
    text = _clean_text(text)
    if text.startswith("=") or text in ERROR_CODES:
        # openpyxl would make a formula or an error cell of these; text stays text, always.
        # (After `neutralize` no text starts with "=", but the rule must not depend on it.)
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        return cell
    # A plain str is typed as a string by openpyxl and costs no cell object per value.
    return text


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Any, as_date: bool) -> Any:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if as_date:
            return value.date()  # openpyxl formats a date as yyyy-mm-dd
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, dt.date):
        return value  # openpyxl writes a date cell formatted yyyy-mm-dd (DATE_FORMAT)
    if isinstance(value, bool):
        return _text_cell(sheet, str(value))
    if isinstance(value, int | float | decimal.Decimal):
        return value
    return _text_cell(sheet, str(value))


def _xlsx_row(
    sheet: WriteOnlyWorksheet, row: Sequence[Any], date_columns: Collection[int]
) -> list[Any]:
    return [_xlsx_cell(sheet, v, i in date_columns) for i, v in enumerate(row)]


def write_table(
    out: IO[bytes],
    fmt: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str = "data",
    date_columns: Collection[int] = (),
) -> int:
    """Write `headers` and `rows` as one CSV or XLSX table to `out`; return the rows written.

    `date_columns` are the indexes of the columns holding dates: their datetimes are written
    as dates, and in XLSX they are wide enough to show a whole date.
    """
    with TableWriter(
        out, fmt, headers, sheet_title=sheet_title, date_columns=date_columns
    ) as writer:
        writer.writerows(rows)
    return writer.rows


def write_workbook(
    out: IO[bytes],
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
    *,
    date_columns: dict[str, Collection[int]] | None = None,
) -> list[int]:
    """Write several tables as the sheets of one XLSX file, in order; return rows per sheet.

    Each sheet is `(title, headers, rows)`; `date_columns` maps a sheet title to the indexes
    of its date columns (see `write_table`).
    """
    workbook = Workbook(write_only=True)
    counts: list[int] = []
    try:
        for title, headers, rows in sheets:
            dates = (date_columns or {}).get(title, ())
            sheet = _add_sheet(workbook, title, headers, dates)
            count = 0
            for row in rows:
                _check_fits(count)
                sheet.append(_xlsx_row(sheet, row, dates))
                count += 1
            counts.append(count)
        if not counts:
            # An XLSX file needs at least one sheet to open.
            _add_sheet(workbook, "data", [], ())
    except BaseException:
        _discard(workbook)
        raise
    workbook.save(out)
    return counts
