"""The spreadsheet writers: encodings, types, formula neutralization, several sheets."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os

import openpyxl
import pytest

from cadrebook.core import spreadsheets
from cadrebook.core.spreadsheets import (
    TableWriter,
    TooManyRows,
    neutralize,
    write_table,
    write_workbook,
)

ROWS = [
    ["Nguyễn Văn An", dt.date(2020, 2, 1), 42, None],
    ['=HYPERLINK("http://evil","x")', dt.date(1999, 12, 31), 0, "+84 90"],
]


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes, sheet: str = "data") -> openpyxl.worksheet.worksheet.Worksheet:
    return openpyxl.load_workbook(io.BytesIO(data))[sheet]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+84 90", "'+84 90"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),
        ("'plain", "'plain"),
        ("Nguyễn = An", "Nguyễn = An"),
        ("", ""),
    ],
)
def test_neutralize_prefixes_an_apostrophe_only_before_a_formula(text, expected):
    assert neutralize(text) == expected


def test_csv_is_utf8_with_bom_and_iso_dates():
    out = io.BytesIO()
    count = write_table(out, "csv", ["name", "date", "n", "phone"], ROWS)
    data = out.getvalue()
    assert count == 2
    assert data.startswith(b"\xef\xbb\xbf")
    rows = read_csv(data)
    assert rows[0] == ["name", "date", "n", "phone"]
    assert rows[1] == ["Nguyễn Văn An", "2020-02-01", "42", ""]
    assert rows[2] == ['\'=HYPERLINK("http://evil","x")', "1999-12-31", "0", "'+84 90"]


def test_csv_quotes_commas_and_newlines_and_keeps_them():
    out = io.BytesIO()
    write_table(out, "csv", ["a", "b"], [["x, y", "line\nbreak"]])
    assert read_csv(out.getvalue())[1] == ["x, y", "line\nbreak"]


def test_csv_of_many_rows_is_written_completely():
    out = io.BytesIO()
    rows = [[i, f"name {i}"] for i in range(1234)]
    assert write_table(out, "csv", ["i", "name"], rows) == 1234
    read = read_csv(out.getvalue())
    assert len(read) == 1235
    assert read[-1] == ["1233", "name 1233"]


def test_xlsx_writes_dates_numbers_and_text_as_their_types():
    out = io.BytesIO()
    write_table(out, "xlsx", ["name", "date", "n", "phone"], ROWS, date_columns=[1])
    sheet = read_xlsx(out.getvalue())
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == ["name", "date", "n", "phone"]
    name, date, number, phone = rows[1]
    assert name.value == "Nguyễn Văn An" and name.data_type == "s"
    assert date.data_type == "d" and date.value.date() == dt.date(2020, 2, 1)
    assert date.number_format == "yyyy-mm-dd"
    assert number.value == 42 and number.data_type == "n"
    assert phone.value is None
    formula, _, _, plus = rows[2]
    assert formula.data_type == "s"
    assert formula.value == '\'=HYPERLINK("http://evil","x")'
    assert plus.value == "'+84 90"


def test_xlsx_keeps_leading_zeros_of_identifiers_as_text():
    out = io.BytesIO()
    write_table(out, "xlsx", ["national_id"], [["001090000001"]])
    cell = read_xlsx(out.getvalue())["A2"]
    assert cell.value == "001090000001" and cell.data_type == "s"


def test_xlsx_drops_characters_a_spreadsheet_cannot_hold():
    out = io.BytesIO()
    write_table(out, "xlsx", ["name"], [["An\x00\x07 Bình"]])
    assert read_xlsx(out.getvalue())["A2"].value == "An Bình"


def test_xlsx_text_that_looks_like_an_error_code_stays_text():
    out = io.BytesIO()
    write_table(out, "xlsx", ["a"], [["#N/A"], ["#REF!"]])
    sheet = read_xlsx(out.getvalue())
    assert [(c.value, c.data_type) for c in (sheet["A2"], sheet["A3"])] == [
        ("#N/A", "s"),
        ("#REF!", "s"),
    ]


def test_xlsx_refuses_more_rows_than_a_sheet_holds(monkeypatch):
    monkeypatch.setattr(spreadsheets, "XLSX_MAX_ROWS", 3)  # header + 2 data rows
    out = io.BytesIO()
    assert write_table(out, "xlsx", ["a"], [[1], [2]]) == 2
    with pytest.raises(TooManyRows, match="at most 2 rows"):
        write_table(io.BytesIO(), "xlsx", ["a"], [[1], [2], [3]])
    with pytest.raises(TooManyRows):
        write_workbook(io.BytesIO(), [("s", ["a"], [[1], [2], [3]])])
    # CSV has no such limit.
    assert write_table(io.BytesIO(), "csv", ["a"], [[1], [2], [3]]) == 3


def test_xlsx_header_that_looks_like_a_formula_stays_text():
    out = io.BytesIO()
    write_table(out, "xlsx", ["=cmd"], [])
    cell = read_xlsx(out.getvalue())["A1"]
    assert cell.value == "'=cmd" and cell.data_type == "s"


def test_empty_xlsx_table_has_its_header_row():
    out = io.BytesIO()
    assert write_table(out, "xlsx", ["a", "b"], [], sheet_title="my sheet") == 0
    sheet = read_xlsx(out.getvalue(), "my sheet")
    assert [c.value for c in next(sheet.iter_rows())] == ["a", "b"]
    assert sheet.max_row == 1


def test_table_writer_counts_rows_and_refuses_unknown_formats():
    out = io.BytesIO()
    with TableWriter(out, "csv", ["a"]) as writer:
        writer.writerow([1])
        writer.writerows([[2], [3]])
    assert writer.rows == 3
    with pytest.raises(ValueError):
        TableWriter(io.BytesIO(), "ods", ["a"])


def test_table_writer_writes_no_xlsx_when_the_block_fails():
    out = io.BytesIO()
    with pytest.raises(RuntimeError), TableWriter(out, "xlsx", ["a"]) as writer:
        writer.writerow([1])
        raise RuntimeError("stop")
    assert out.getvalue() == b""
    # The streamed sheet's temporary file is gone too.
    (sheet,) = writer._workbook.worksheets
    assert not os.path.exists(sheet._writer.out)


def test_workbook_has_one_sheet_per_table_in_order():
    out = io.BytesIO()
    counts = write_workbook(
        out,
        [
            ("rows", ["row", "errors"], [[2, "=bad"], [3, ""]]),
            ("summary", ["what", "count"], [["refused", 1]]),
        ],
        date_columns={"rows": [0]},
    )
    assert counts == [2, 1]
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["rows", "summary"]
    assert book["rows"]["B2"].value == "'=bad"
    assert book["rows"]["B2"].data_type == "s"
    assert book["summary"]["B2"].value == 1


def test_sheet_titles_are_made_acceptable_to_excel():
    out = io.BytesIO()
    write_workbook(out, [("a/b:c" + "x" * 40, ["h"], [])])
    (title,) = openpyxl.load_workbook(io.BytesIO(out.getvalue())).sheetnames
    assert len(title) == 31 and "/" not in title and ":" not in title
