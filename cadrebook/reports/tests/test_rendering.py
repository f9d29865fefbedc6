"""The standard tables and their renderings (XLSX, CSV, SVG charts, PDF) from a hand-made
statistics dict: no database. One PDF is rendered here (in Khmer, the script most likely to
go wrong); the Vietnamese one is rendered in test_documents."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any

from openpyxl import load_workbook
from pypdf import PdfReader

from cadrebook.reports import document
from cadrebook.reports.tests.test_narrative import KHMER, sample_stats


def _table(tables: list[document.Table], title_start: str) -> document.Table:
    return next(t for t in tables if t.title.startswith(title_start))


def test_the_standard_tables() -> None:
    tables = document.tables(sample_stats(), "en")
    titles = [t.title for t in tables]
    assert titles == [
        "Members on 31 December 2024",
        "Movements from 1 January 2024 to 31 December 2024",
        "Members by gender",
        "Members by age",
        "Members by ethnic group",
        "Members by general education",
        "Members by political theory level",
        "Party organizations by kind",
        "Targets",
        "By subordinate unit",
    ]
    for table in tables:
        assert all(len(row) == len(table.headers) for row in table.rows), table.title


def test_counts_come_with_a_year_earlier_and_the_change() -> None:
    tables = document.tables(sample_stats(), "en")
    members = _table(tables, "Members on")
    assert members.headers == ["Figure", "Now", "A year earlier", "Change %"]
    assert members.rows[0] == ["Members", 8123, 7956, 2.1]
    assert members.rows[1] == ["Probationary members", 610, 632, -3.48]
    assert all(type(row[1]) is int for row in members.rows)  # numbers stay numbers
    movements = _table(tables, "Movements")
    assert ["Admitted", 830, 790, 5.06] in movements.rows
    assert ["Readmitted", 0, 0, None] in movements.rows  # no change % from nothing


def test_breakdowns_targets_and_children() -> None:
    tables = document.tables(sample_stats(), "en")
    assert _table(tables, "Members by gender").rows == [["Men", 4874], ["Women", 3249]]
    assert _table(tables, "Members by age").rows[0] == ["18-30", 700, 503, 1203]
    ethnic = _table(tables, "Members by ethnic group").rows
    assert ethnic[:2] == [["Majority", 7030], ["Minorities", 1093]] and ["Tày", 890] in ethnic
    assert _table(tables, "Party organizations by kind").rows[-1] == [
        "Cells with fewer than 3 full members",
        4,
    ]
    assert _table(tables, "Targets").rows == [[2024, "admissions", 820, 830, 101.22]]
    assert _table(tables, "By subordinate unit").rows == [
        ["Đảng bộ xã An Bình", 8123, 7513, 610, 830, 790, 820]
    ]


def test_tables_without_targets_or_children_leave_them_out() -> None:
    stats = sample_stats()
    stats["targets"], stats["children"] = [], []
    titles = [t.title for t in document.tables(stats, "en")]
    assert "Targets" not in titles and "By subordinate unit" not in titles


def test_labels_follow_the_language() -> None:
    vi = document.tables(sample_stats(), "vi")
    assert vi[0].title == "Đảng viên tính đến 31/12/2024"
    assert vi[0].headers == ["Nội dung", "Kỳ này", "Cùng kỳ năm trước", "Tăng, giảm (%)"]
    assert KHMER.search(document.tables(sample_stats(), "km")[2].title)


def test_xlsx_one_sheet_per_table_numbers_as_numbers() -> None:
    stats = sample_stats()
    book = load_workbook(io.BytesIO(document.stats_xlsx(stats, "vi")))
    tables = document.tables(stats, "vi")
    names = book.sheetnames
    assert len(names) == len(tables) + 1
    assert len(set(names)) == len(names) and all(len(n) <= 31 for n in names)
    cover = book.worksheets[0]
    assert [c.value for c in cover[1]] == ["Đơn vị", "Đảng bộ tỉnh Phú Lâm", "P01"]
    members = book.worksheets[1]
    assert [c.value for c in members[2]] == ["Đảng viên", 8123, 7956, 2.1]
    targets = book.worksheets[len(tables) - 1]
    assert targets["E2"].value == 101.22 and isinstance(targets["E2"].value, float)


def test_csv_is_one_figure_a_row_in_english_codes() -> None:
    rows = list(csv.reader(io.StringIO(document.stats_csv(sample_stats()))))
    assert rows[0] == ["section", "figure", "value"]
    assert all(len(row) == 3 for row in rows)
    found = {(s, f): v for s, f, v in rows[1:]}
    assert found["report", "unit"] == "P01"
    assert found["members", "total"] == "8123"
    assert found["members", "by_ethnicity.groups.Tày"] == "890"
    assert found["previous.members", "total"] == "7956"
    assert found["movements", "admitted"] == "830"
    assert found["change_pct", "movements.readmitted"] == ""  # null: no previous count
    assert found["targets", "2024.admissions.achievement_pct"] == "101.22"
    assert found["children.C001.movements", "admitted"] == "830"


def test_bar_chart_is_plain_svg_with_escaped_labels() -> None:
    svg = document.bar_chart_svg([("A & B <1>", 30.0, 40.0), ("C", 10.0, None)])
    root = ET.fromstring(svg)  # well-formed, so WeasyPrint can draw it
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "A & B <1>" in texts
    assert len(list(root.iter("{http://www.w3.org/2000/svg}rect"))) == 2
    assert len(list(root.iter("{http://www.w3.org/2000/svg}line"))) == 1  # one target mark


def test_the_khmer_pdf_embeds_the_vendored_fonts() -> None:
    pdf = document.stats_pdf(sample_stats(), "km", title="Annual report 2024")
    reader = PdfReader(io.BytesIO(pdf))
    fonts = set()
    for page in reader.pages:
        resources: Any = page["/Resources"].get_object()  # pypdf's types stop at PdfObject
        for font in resources["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    # The vendored subsets, not a system font: Khmer for the narrative, Vietnamese for the name.
    assert {"Cb-Khmer", "Cb-Vietnamese", "Cb-Latin"} <= fonts
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 in points
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Đảng bộ tỉnh Phú Lâm" in text
    assert "101,22%" in text and "8.123" in text
    assert KHMER.search(text)
