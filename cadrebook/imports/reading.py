"""Open an uploaded CSV or Excel (.xlsx) file safely and read its rows by canonical column.

`open_table` checks the file before anything parses it: its size, its type (by content, not
by name), for CSV its encoding and delimiter, for .xlsx the zip archive (against zip bombs
and encryption) and formulas, and in both cases the header row against the column specs of
`formats.py`. A file that fails a check raises `FileRefused` with a stable code, an English
message that says what is wrong and where, and `details` (the columns or cells at fault).

Rows are then read lazily, one at a time, so a file of millions of rows is never held in
memory. A check that needs every cell (formulas in a CSV file, a CSV syntax error) can
therefore only fail while iterating: `Table.rows` raises `FileRefused` when it meets the
problem, and the caller must treat that as a refusal of the whole file (typically by
running the import in a transaction that the exception rolls back).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import posixpath
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext as _

from cadrebook.core.errors import ServiceError
from cadrebook.imports.formats import FORMATS, IGNORED_HEADERS, header_key, header_map

__all__ = ["EXTRA", "FileRefused", "Table", "open_table"]

# The key under which a row carries non-empty cells found to the right of the last header.
EXTRA = "__extra__"
# The key under which a row carries the cell of an ignored column (dropped by the caller).
IGNORED = "__ignored__"

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
DEFAULT_MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
# A zip member is a bomb when it both expands this much and ends up this large: real
# worksheets compress 10-30 times; a run of zeros compresses about a thousand times.
_BOMB_RATIO = 100
_BOMB_MEMBER_BYTES = 10 * 1024 * 1024

_CHUNK = 1024 * 1024
# How much of a CSV file is read to find its header row and delimiter.
_SAMPLE_CHARS = 64 * 1024
_MAX_FORMULA_CELLS = 20

_ZIP_MAGIC = b"PK\x03\x04"
# Types that people upload by mistake, by their first bytes; the value says what it is.
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7-Zip"),
    (b"{\\rtf", "RTF"),
    (b"PK\x05\x06", "empty zip"),
    (b"\x7fELF", "executable"),
)
# OLE2 compound files: old .xls (Excel 97-2003) and also password-protected .xlsx.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MARKUP_MAGIC = (b"<?xml", b"<html", b"<!doctype")

# A formula element in worksheet XML, with or without a namespace prefix: <f>, <f t=...>,
# <f/>, <x:f>. Cell text cannot hold "<" unescaped, so any match is an element.
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s/>]")
# Bytes before a candidate in which its "<prefix" must fit, and the overlap between chunks.
_TAG_WINDOW = 64
_SHEET_PREFIXES = ("xl/worksheets/", "xl/macrosheets/", "xl/dialogsheets/")
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_COLUMN = re.compile(r"[A-Z]+")


class FileRefused(ServiceError):
    """A file that cannot be imported at all; `details` lists the columns or cells at fault."""

    def __init__(self, code: str, message: str, *, details: Iterable[str] = ()) -> None:
        super().__init__(code, message)
        self.details = list(details)


@dataclass
class Table:
    """An opened file: what was detected about it, its columns, and its rows to iterate once.

    `rows` yields `(row_number, values)`: the row number as a spreadsheet shows it (the
    header row is 1, or more when blank rows precede it), and the cells by canonical column
    name. Every column of `columns` has a key; a CSV cell is the `str` as read (not
    stripped), an Excel cell is what calamine gives (`str`, `int`, `float`, `bool`,
    `datetime.date`, `datetime.datetime`, ...) with empty cells as None. A row with
    non-empty cells beyond the last header also has the key `EXTRA` ("__extra__") holding
    those values, for the caller to report. Entirely empty rows are skipped.

    Iterating may raise `FileRefused` (formulas or a syntax error in a CSV file): the whole
    file is then refused.
    """

    kind: str
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    columns: list[str]
    headers: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]] = field(repr=False)


def open_table(
    path: str | os.PathLike[str],
    *,
    kind: str,
    sheet: str | None = None,
    max_bytes: int | None = None,
) -> Table:
    """Check the file at `path` as a file of `kind` ("units", "members", "events", "targets")
    and return it as a `Table` whose rows are read lazily.

    `sheet` names the worksheet of an .xlsx file to read (default: the first visible one);
    it is ignored for CSV. `max_bytes` defaults to settings.CADREBOOK_IMPORT_MAX_BYTES
    (200 MB if unset). Raises `FileRefused` for a file that cannot be imported.
    """
    if kind not in FORMATS:
        raise ValueError(f"unknown file kind {kind!r}")
    if max_bytes is None:
        max_bytes = getattr(settings, "CADREBOOK_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    size = os.stat(path).st_size
    if size > max_bytes:
        raise FileRefused(
            "file.too_large",
            _("The file is %(size)s MB; files of at most %(limit)s MB can be imported.")
            % {"size": _megabytes(size), "limit": _megabytes(max_bytes)},
        )
    if size == 0:
        raise _empty()
    with open(path, "rb") as fp:
        head = fp.read(16)
    if head.startswith(_ZIP_MAGIC):
        return _open_xlsx(path, kind, sheet)
    _refuse_binary(head)
    return _open_csv(path, kind)


def _megabytes(size: int) -> str:
    text = f"{size / (1024 * 1024):.1f}"
    return text.removesuffix(".0")


def _empty() -> FileRefused:
    return FileRefused("file.empty", _("The file is empty: it has no header row."))


def _not_tabular(what: str) -> FileRefused:
    return FileRefused(
        "file.not_tabular",
        _("The file is %(what)s, not a table; save it as .xlsx or CSV and import that.")
        % {"what": what},
    )


def _refuse_binary(head: bytes) -> None:
    """Refuse the file types people upload by mistake, recognized by their first bytes."""
    if head.startswith(_OLE2_MAGIC):
        raise _not_tabular(_("an old Excel (.xls) or a password-protected workbook"))
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            raise _not_tabular(_("a %(type)s file") % {"type": what})
    if head.lstrip().lower().startswith(_MARKUP_MAGIC):
        raise _not_tabular(_("an XML or HTML document"))


def _column_letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    """0-based column index of spreadsheet column letters: A -> 0, AA -> 26."""
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - ord("A") + 1
    return index - 1


# --- Headers -----------------------------------------------------------------------------


def _match_headers(
    kind: str, cells: list[Any], column_label: Callable[[int], str]
) -> tuple[list[str], list[str]]:
    """Match header cells to canonical columns; return (columns, headers as written).

    Trailing empty cells are dropped. `column_label(i)` names column i in messages.
    """
    texts = ["" if cell is None else _header_text(cell) for cell in cells]
    while texts and not texts[-1].strip():
        texts.pop()
    mapping = header_map(kind)
    columns: list[str] = []
    unknown: list[str] = []
    seen: dict[str, list[str]] = {}
    for i, text in enumerate(texts):
        if not text.strip():
            raise FileRefused(
                "file.empty_header",
                _(
                    "Column %(column)s has no header. Every column needs a header; delete "
                    "the column if it is not needed."
                )
                % {"column": column_label(i)},
                details=[column_label(i)],
            )
        key = header_key(unicodedata.normalize("NFC", text))
        if key in IGNORED_HEADERS:
            # The error column of our own validation report: a fixed report imports as it is.
            columns.append(IGNORED)
            continue
        name = mapping.get(key)
        if name is None:
            unknown.append(text)
            continue
        seen.setdefault(name, []).append(text)
        columns.append(name)
    duplicates = [
        f"{name}: " + ", ".join(repr(t) for t in spellings)
        for name, spellings in seen.items()
        if len(spellings) > 1
    ]
    if duplicates:
        raise FileRefused(
            "file.duplicate_headers",
            _("Some columns appear more than once: %(columns)s. Keep one of each.")
            % {"columns": "; ".join(duplicates)},
            details=duplicates,
        )
    if unknown:
        accepted = ", ".join(f"{col.name} ({col.vi})" for col in FORMATS[kind])
        raise FileRefused(
            "file.unknown_columns",
            _("Unknown columns: %(columns)s. The accepted columns are: %(accepted)s.")
            % {"columns": ", ".join(repr(t) for t in unknown), "accepted": accepted},
            details=unknown,
        )
    missing = [col.name for col in FORMATS[kind] if col.required and col.name not in seen]
    if missing:
        labels = [f"{col.name} ({col.vi})" for col in FORMATS[kind] if col.name in missing]
        raise FileRefused(
            "file.missing_columns",
            _("Required columns are missing: %(columns)s.") % {"columns": ", ".join(labels)},
            details=missing,
        )
    return columns, texts


def _header_text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def _known_header_count(kind: str, cells: list[str]) -> int:
    mapping = header_map(kind)
    return sum(header_key(unicodedata.normalize("NFC", c)) in mapping for c in cells)


# --- CSV ---------------------------------------------------------------------------------


def _open_csv(path: str | os.PathLike[str], kind: str) -> Table:
    encoding, has_equals = _detect_encoding(path)
    with open(path, encoding=encoding, newline="") as text:
        sample = text.read(_SAMPLE_CHARS)
    delimiter, header_index, header = _detect_header(sample, kind)
    columns, headers = _match_headers(kind, header, _csv_column_label)
    return Table(
        kind=kind,
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        sheet=None,
        columns=columns,
        headers=headers,
        rows=_csv_rows(path, encoding, delimiter, header_index, columns, has_equals),
    )


def _csv_column_label(index: int) -> str:
    return f"{index + 1} ({_column_letter(index)})"


def _detect_encoding(path: str | os.PathLike[str]) -> tuple[str, bool]:
    """The encoding of a CSV file (a BOM decides; else strict UTF-8, else Windows-1258), and
    whether the text holds an "=" anywhere (else rows need no formula check).

    The whole file is decoded once, chunk by chunk, without keeping the text. Refuses a file
    that is blank, is not text, or is in none of these encodings.
    """
    with open(path, "rb") as fp:
        head = fp.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp1258"]
    for encoding in candidates:
        has_equals = _decodes(path, encoding)
        if has_equals is not None:
            return encoding, has_equals
    raise FileRefused(
        "file.encoding",
        _(
            "The file's text encoding is not UTF-8, UTF-16 or Windows-1258 (Vietnamese). "
            "Save it as CSV UTF-8."
        ),
    )


def _decodes(path: str | os.PathLike[str], encoding: str) -> bool | None:
    """None if the file does not decode strictly as `encoding`; else whether its text has an
    "=". Refuses content that is not text."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    utf16 = encoding == "utf-16"
    blank = True
    has_equals = False
    with open(path, "rb") as fp:
        while chunk := fp.read(_CHUNK):
            if not utf16 and b"\x00" in chunk:
                raise _nul_bytes(chunk)
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError:
                return None
            if "\ufffd" in text or "\x00" in text:
                raise FileRefused(
                    "file.encoding",
                    _(
                        "The file contains damaged text (replacement or NUL characters); it "
                        "was probably converted with the wrong encoding."
                    ),
                )
            # Only blanks, separators and quotes (e.g. ",,,") is as good as empty.
            if blank and text.strip(' \t\r\n\ufeff,;"'):
                blank = False
            has_equals = has_equals or "=" in text
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return None
    if blank:
        raise _empty()
    return has_equals


def _nul_bytes(chunk: bytes) -> FileRefused:
    """NUL bytes in a file without a UTF-16 BOM: UTF-16 without a BOM, or binary data."""
    even, odd = chunk[0::2], chunk[1::2]
    if even.count(0) > len(even) // 2 or odd.count(0) > len(odd) // 2:
        return FileRefused(
            "file.encoding",
            _(
                "The file looks like UTF-16 text without a byte order mark, which cannot be "
                "read reliably. Save it as CSV UTF-8."
            ),
        )
    return _not_tabular(_("binary data"))


def _detect_header(sample: str, kind: str) -> tuple[str, int, list[str]]:
    """Find the delimiter and the header row (the first row with a non-blank cell).

    Of comma and semicolon, the one whose header cells match more known column names wins;
    then the one giving more columns; a tie (a one-column header) goes to the comma.
    """
    best: tuple[tuple[int, int], str, int, list[str]] | None = None
    for delimiter in (",", ";"):
        try:
            found = _first_record(csv.reader(io.StringIO(sample), delimiter=delimiter))
        except csv.Error:
            continue
        if found is None:
            raise _empty()
        index, record = found
        score = (_known_header_count(kind, record), len(record))
        if best is None or score > best[0]:
            best = (score, delimiter, index, record)
    if best is None:
        raise _bad_csv(1, _("the header row cannot be read"))
    (known, width), delimiter, index, record = best
    if width == 1 and known == 0 and "\t" in record[0]:
        raise FileRefused(
            "file.delimiter",
            _(
                "The columns of this file are separated by tabs; separate them with commas "
                "or semicolons (save as CSV)."
            ),
        )
    return delimiter, index, record


def _first_record(reader: Iterator[list[str]]) -> tuple[int, list[str]] | None:
    """The index and cells of the first record with a non-blank cell, if any."""
    for index, record in enumerate(reader):
        if any(cell.strip() for cell in record):
            return index, record
    return None


def _bad_csv(row: int, problem: str) -> FileRefused:
    return FileRefused(
        "file.bad_csv",
        _("Row %(row)d of the file is not valid CSV: %(problem)s.")
        % {"row": row, "problem": problem},
        details=[str(row)],
    )


def _formulas(refs: list[str]) -> FileRefused:
    return FileRefused(
        "file.formulas",
        _(
            "The file contains formulas, for example in %(cells)s. Replace them by their "
            "values (copy, then paste values only) and import again."
        )
        % {"cells": ", ".join(refs)},
        details=refs,
    )


def _csv_rows(
    path: str | os.PathLike[str],
    encoding: str,
    delimiter: str,
    header_index: int,
    columns: list[str],
    has_equals: bool,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield the data rows of a CSV file; raise FileRefused on a formula or a syntax error.

    This loop runs for every row of large files, so the common row takes the fewest steps:
    no formula check when the file has no "=" at all, a blank-row check only when the first
    cell is blank.
    """
    width = len(columns)
    number = header_index + 1
    with open(path, encoding=encoding, newline="") as text:
        reader = csv.reader(text, delimiter=delimiter)
        try:
            for _ in range(number):
                next(reader)
            for number, row in enumerate(reader, start=number + 1):  # noqa: B020
                if not row:
                    continue  # a blank line
                # A cell starting with "=" is a formula ("'=" is neutralized text). NUL
                # cannot occur in the text (the encoding check refused it), so it safely
                # marks where cells start in the joined row.
                if has_equals and "\x00=" in "\x00" + "\x00".join(row):
                    raise _formulas(_csv_formula_refs(number, row, reader))
                first = row[0]
                if (not first or first.isspace()) and not "".join(row).strip():
                    continue  # only empty or blank cells
                if len(row) == width:
                    yield number, dict(zip(columns, row))  # noqa: B905 (lengths just checked)
                else:
                    yield number, _fit_row(row, columns, "")
        except csv.Error as exc:
            raise _bad_csv(number + 1, str(exc)) from exc
        except UnicodeDecodeError as exc:  # the file changed since its encoding was checked
            raise FileRefused(
                "file.encoding", _("The file's text encoding changed while it was read.")
            ) from exc


def _csv_formula_refs(number: int, row: list[str], reader: Iterator[list[str]]) -> list[str]:
    """The formula cells of this row and the next ones, up to 20, to name in the refusal."""
    refs: list[str] = []
    try:
        for number, row in enumerate(itertools.chain([row], reader), start=number):  # noqa: B020
            refs.extend(f"{_column_letter(i)}{number}" for i, c in enumerate(row) if c[:1] == "=")
            if len(refs) >= _MAX_FORMULA_CELLS:
                break
    except csv.Error:
        pass  # the refusal names the formulas found so far
    return refs[:_MAX_FORMULA_CELLS]


def _fit_row(row: list[Any], columns: list[str], empty: Any) -> dict[str, Any]:
    """Values of a row whose length differs from the header's: pad it, and put non-empty
    cells beyond the last header under EXTRA."""
    width = len(columns)
    values: dict[str, Any] = dict(zip(columns, row[:width], strict=False))
    for name in columns[len(row) :]:
        values[name] = empty
    extra = [v for v in row[width:] if not _is_empty(v)]
    if extra:
        values[EXTRA] = extra
    return values


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- XLSX --------------------------------------------------------------------------------


def _open_xlsx(path: str | os.PathLike[str], kind: str, sheet: str | None) -> Table:
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    formula_members = _check_zip(path)
    try:
        workbook = CalamineWorkbook.from_path(os.fspath(path))
        try:
            names = list(workbook.sheet_names)
            if sheet is None:
                visible = [
                    meta.name
                    for meta in workbook.sheets_metadata
                    if meta.visible == SheetVisibleEnum.Visible
                    and meta.typ == SheetTypeEnum.WorkSheet
                ]
                if not visible and not names:
                    raise _empty()
                sheet = visible[0] if visible else names[0]
            elif sheet not in names:
                raise FileRefused(
                    "file.sheet_missing",
                    _("The workbook has no sheet named %(sheet)s; its sheets are: %(names)s.")
                    % {"sheet": repr(sheet), "names": ", ".join(repr(n) for n in names)},
                    details=names,
                )
            if formula_members:
                _refuse_formulas(path, sheet, formula_members)
            # Loading the sheet reads all its cells; the workbook (and its file) can then close.
            data = workbook.get_sheet_by_name(sheet)
        finally:
            workbook.close()
        start = data.start
        cells = data.iter_rows()
        first = next(cells, None)
    except (CalamineError, ValueError, OverflowError) as exc:
        raise _not_tabular(_("a damaged or unreadable Excel workbook")) from exc

    # python-calamine yields rows from the top of the sheet but columns from the first used
    # one; keep both offsets right if a version changes that, for the numbers we show.
    row_offset, column_offset = 0, 0
    if start is not None:
        column_offset = start[1] if first is not None and len(first) <= data.width else 0
        if start[0] > 0 and first is not None and not all(_is_empty(v) for v in first):
            row_offset = start[0]
    number = row_offset
    header: list[Any] | None = None
    row = first
    while row is not None:
        number += 1
        if not all(_is_empty(v) for v in row):
            header = list(row)
            break
        row = next(cells, None)
    if header is None:
        raise _empty()

    def label(index: int) -> str:
        return _column_letter(index + column_offset)

    columns, headers = _match_headers(kind, header, label)
    return Table(
        kind=kind,
        format="xlsx",
        encoding=None,
        delimiter=None,
        sheet=sheet,
        columns=columns,
        headers=headers,
        rows=_xlsx_rows(cells, number, columns),
    )


def _xlsx_rows(
    cells: Iterator[list[Any]], header_number: int, columns: list[str]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield the data rows of a worksheet, with empty cells ("") as None."""
    width = len(columns)
    for number, row in enumerate(cells, start=header_number + 1):
        values = [None if v == "" else v for v in row]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if len(values) != width:
            yield number, _fit_row(values, columns, None)
        else:
            yield number, dict(zip(columns, values, strict=True))


def _check_zip(path: str | os.PathLike[str]) -> set[str]:
    """Check an .xlsx archive before a parser opens it; return the sheet members with formulas.

    Refuses a zip that is not a workbook, that has encrypted members, or that expands too
    much. The declared sizes are checked first; then every member is decompressed (and
    discarded) to check that it does not expand beyond its declared size, since the
    declared sizes are written by whoever made the file and the parser may trust them.
    The same pass looks for formula elements in the worksheets.
    """
    limit = getattr(
        settings, "CADREBOOK_IMPORT_MAX_UNCOMPRESSED_BYTES", DEFAULT_MAX_UNCOMPRESSED_BYTES
    )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise _not_tabular(_("a damaged zip archive")) from exc
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        if "word/document.xml" in names:
            raise _not_tabular(_("a Word document"))
        if "ppt/presentation.xml" in names:
            raise _not_tabular(_("a PowerPoint presentation"))
        if "content.xml" in names:
            raise _not_tabular(_("an OpenDocument file"))
        raise _not_tabular(_("a zip archive"))
    if any(info.flag_bits & 0x1 for info in infos):
        raise FileRefused(
            "file.encrypted",
            _("The workbook is encrypted; save it without a password and import it again."),
        )
    total = sum(info.file_size for info in infos)
    if total > limit or any(_is_bomb(info.file_size, info.compress_size) for info in infos):
        raise _zip_bomb(total, limit)
    with_formulas: set[str] = set()
    with open(path, "rb") as fp:
        for info in infos:
            if info.is_dir():
                continue
            scan = info.filename.startswith(_SHEET_PREFIXES)
            tail = b""
            for chunk in _member_chunks(fp, info):
                if scan:
                    if _has_formula_tag(tail + chunk):
                        with_formulas.add(info.filename)
                        scan = False
                    tail = chunk[-_TAG_WINDOW:]
    return with_formulas


def _has_formula_tag(data: bytes) -> bool:
    """Whether worksheet XML bytes hold a formula element.

    bytes.find runs several times faster than the regular expression over a whole sheet,
    so it finds candidates ("<f", or ":f" for a prefixed tag) and the expression only
    confirms each one in a small window.
    """
    for needle in (b"<f", b":f"):
        at = data.find(needle)
        while at != -1:
            if _FORMULA_TAG.search(data, max(0, at - _TAG_WINDOW), at + 3):
                return True
            at = data.find(needle, at + 2)
    return False


def _is_bomb(size: int, compressed: int) -> bool:
    return size > _BOMB_MEMBER_BYTES and size > _BOMB_RATIO * max(compressed, 1)


def _zip_bomb(total: int, limit: int) -> FileRefused:
    return FileRefused(
        "file.zip_bomb",
        _(
            "The workbook expands to %(size)s MB when opened, or expands far more than a real "
            "workbook does (the limit is %(limit)s MB); it cannot be imported safely."
        )
        % {"size": _megabytes(total), "limit": _megabytes(limit)},
    )


def _member_chunks(fp: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Decompress one zip member from the raw file, refusing output beyond its declared size."""
    fp.seek(info.header_offset)
    local = fp.read(30)
    if len(local) < 30 or not local.startswith(_ZIP_MAGIC):
        raise _not_tabular(_("a damaged zip archive"))
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    fp.seek(info.header_offset + 30 + name_length + extra_length)
    remaining = info.compress_size
    produced = 0
    if info.compress_type == zipfile.ZIP_STORED:
        decompressor = None
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
    else:
        # Excel writes deflate only; other methods are not worth the parser risk.
        raise _not_tabular(_("a zip archive with an unsupported compression"))
    try:
        while remaining > 0:
            raw = fp.read(min(_CHUNK, remaining))
            if not raw:
                raise _not_tabular(_("a damaged zip archive"))
            remaining -= len(raw)
            while raw:
                if decompressor is None:
                    out, raw = raw, b""
                else:
                    # Bounded output per call, so a bomb never fills memory.
                    out = decompressor.decompress(raw, _CHUNK)
                    raw = decompressor.unconsumed_tail
                produced += len(out)
                if produced > info.file_size:
                    raise FileRefused(
                        "file.zip_bomb",
                        _(
                            "A part of the workbook (%(member)s) expands beyond the size it "
                            "declares; the file is damaged or crafted, and cannot be imported."
                        )
                        % {"member": info.filename},
                        details=[info.filename],
                    )
                if out:
                    yield out
    except zlib.error as exc:
        raise _not_tabular(_("a damaged zip archive")) from exc


def _sheet_members(path: str | os.PathLike[str]) -> dict[str, str]:
    """Worksheet name -> its XML member, from xl/workbook.xml and its relationships."""
    with zipfile.ZipFile(path) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        try:
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        except KeyError:
            return {}
    targets: dict[str, str] = {}
    for rel in rels.iter(f"{_NS_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        # Targets are relative to xl/ unless absolute within the package.
        member = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        targets[rel.get("Id", "")] = posixpath.normpath(member)
    members: dict[str, str] = {}
    for element in workbook.iter(f"{_NS_MAIN}sheet"):
        rel_id = element.get(f"{_NS_REL}id")
        if rel_id in targets:
            members[element.get("name", "")] = targets[rel_id]
    return members


def _refuse_formulas(path: str | os.PathLike[str], sheet: str, with_formulas: set[str]) -> None:
    """Refuse the workbook if the sheet to read has formulas, naming up to 20 of their cells."""
    try:
        member = _sheet_members(path).get(sheet)
    except (ElementTree.ParseError, zipfile.BadZipFile, KeyError) as exc:
        raise _not_tabular(_("a damaged Excel workbook")) from exc
    if member is not None and member not in with_formulas:
        return
    # If the sheet cannot be located, any sheet with formulas refuses the file: safe side.
    refs: list[str] = []
    with zipfile.ZipFile(path) as archive:
        for name in [member] if member else sorted(with_formulas):
            with archive.open(name) as xml:
                refs.extend(_formula_cells(xml, _MAX_FORMULA_CELLS - len(refs)))
            if len(refs) >= _MAX_FORMULA_CELLS:
                break
    # The cheap byte search can match an element the parser does not see as a cell's formula;
    # without a formula cell found, the sheet is fine.
    if refs:
        raise _formulas(refs)


def _formula_cells(xml: IO[bytes], limit: int) -> list[str]:
    """References (e.g. "C5") of the first `limit` formula cells of a worksheet's XML."""
    refs: list[str] = []
    row_number, column = 0, -1
    cell = ""
    try:
        for event, element in ElementTree.iterparse(xml, events=("start", "end")):
            tag = element.tag.rpartition("}")[2]
            if event == "start":
                if tag == "row":
                    r = element.get("r")
                    row_number = int(r) if r and r.isdigit() else row_number + 1
                    column = -1
                elif tag == "c":
                    r = element.get("r")
                    match = _CELL_COLUMN.match(r) if r else None
                    column = _column_index(match.group()) if match else column + 1
                    cell = r or f"{_column_letter(column)}{row_number}"
                elif tag == "f":
                    refs.append(cell)
                    if len(refs) >= limit:
                        break
            elif tag == "row":
                element.clear()  # keep memory flat on large sheets
    except ElementTree.ParseError as exc:
        raise _not_tabular(_("a damaged Excel workbook")) from exc
    return refs
