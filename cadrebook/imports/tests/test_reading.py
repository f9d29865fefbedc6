"""Tests of opening uploaded files: detection, header matching, rows, and every refusal."""

from __future__ import annotations

import datetime
import io
import struct
import unicodedata
import zipfile

import openpyxl
import pytest

from cadrebook.core.values import clean_text
from cadrebook.imports.reading import (
    EXTRA,
    FileRefused,
    _formula_cells,
    _has_formula_tag,
    open_table,
)

UNITS_HEADER = "code,name,kind,parent_code,founded_on"


def write(tmp_path, data: bytes | str, name: str = "upload.bin"):
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def write_xlsx(tmp_path, rows, *, title="Sheet1", name="upload.xlsx", setup=None):
    """An .xlsx whose first sheet holds `rows` from A1; `setup(workbook)` may add more."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if setup:
        setup(workbook)
    path = tmp_path / name
    workbook.save(path)
    return path


def read(table) -> list[tuple[int, dict]]:
    return list(table.rows)


def refusal(code: str, path, **kwargs) -> FileRefused:
    """Open (and read) the file, expecting a FileRefused with `code`; return it."""
    kwargs.setdefault("kind", "units")
    with pytest.raises(FileRefused) as info:
        read(open_table(path, **kwargs))
    assert info.value.code == code, info.value.message
    assert info.value.message
    return info.value


def cp1258(text: str) -> bytes:
    """Encode like Windows tools do: precomposed letters where cp1258 has them, else the
    letter with its circumflex/breve/horn precomposed and the tone mark combining."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            head = unicodedata.normalize("NFC", base + "".join(marks[:-1]))
            out.append((head + marks[-1]).encode("cp1258"))
    return b"".join(out)


# --- CSV: encodings and delimiters ---------------------------------------------------------

MEMBERS_CSV = "external_id,full_name,gender,unit_code\nM1,Nguyễn Văn An,male,C01\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (MEMBERS_CSV.encode("utf-8"), "utf-8"),
        (MEMBERS_CSV.encode("utf-8-sig"), "utf-8-sig"),
        (MEMBERS_CSV.encode("utf-16"), "utf-16"),
        (MEMBERS_CSV.encode("utf-16-be"), None),  # without BOM: refused below
        (cp1258(MEMBERS_CSV), "cp1258"),
    ],
)
def test_csv_encodings_round_trip(tmp_path, data, encoding):
    path = write(tmp_path, data)
    if encoding is None:
        refusal("file.encoding", path, kind="members")
        return
    table = open_table(path, kind="members")
    assert table.format == "csv"
    assert table.encoding == encoding
    assert table.columns == ["external_id", "full_name", "gender", "unit_code"]
    [(number, values)] = read(table)
    assert number == 2
    assert clean_text(values["full_name"]) == "Nguyễn Văn An"
    assert values == values | {"external_id": "M1", "gender": "male", "unit_code": "C01"}


def test_cp1258_is_really_combining(tmp_path):
    # The fixture must exercise decomposed tone marks, which the reader leaves to clean_text.
    table = open_table(write(tmp_path, cp1258(MEMBERS_CSV)), kind="members")
    [(_, values)] = read(table)
    assert values["full_name"] != "Nguyễn Văn An"
    assert unicodedata.normalize("NFC", values["full_name"]) == "Nguyễn Văn An"


def test_semicolon_delimiter_keeps_commas_in_values(tmp_path):
    path = write(tmp_path, 'code;name;kind\nU1;Hà Nội, Việt Nam;cell\nU2;"a;b";cell\n')
    table = open_table(path, kind="units")
    assert table.delimiter == ";"
    assert read(table) == [
        (2, {"code": "U1", "name": "Hà Nội, Việt Nam", "kind": "cell"}),
        (3, {"code": "U2", "name": "a;b", "kind": "cell"}),
    ]


def test_comma_delimiter_with_semicolons_in_values(tmp_path):
    path = write(tmp_path, 'code,name,kind\nU1,"x;y;z",cell\n')
    table = open_table(path, kind="units")
    assert table.delimiter == ","
    assert read(table)[0][1]["name"] == "x;y;z"


def test_tab_delimiter_refused(tmp_path):
    refusal("file.delimiter", write(tmp_path, "code\tname\tkind\nU1\tA\tcell\n"))


def test_values_are_raw_strings(tmp_path):
    path = write(tmp_path, "code,name,kind\r\n  U1 , Spaced  ,cell\r\n")
    [(_, values)] = read(open_table(path, kind="units"))
    assert values == {"code": "  U1 ", "name": " Spaced  ", "kind": "cell"}


def test_quoted_newline_counts_as_one_row(tmp_path):
    path = write(tmp_path, 'code,name,kind\nU1,"two\nlines",cell\nU2,B,cell\n')
    rows = read(open_table(path, kind="units"))
    assert [n for n, _ in rows] == [2, 3]
    assert rows[0][1]["name"] == "two\nlines"


# --- Headers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "external_id,full_name,gender,unit_code",
        "Mã định danh,HỌ VÀ TÊN,Giới tính,Mã chi bộ",
        "ma dinh danh,ho va ten,gioi tinh,ma chi bo",
        "EXTERNAL ID, Full Name ,gender,Unit_Code",
        "mã định danh;họ và tên;giới tính;mã chi bộ",
    ],
)
def test_header_spellings(tmp_path, header):
    delimiter = ";" if ";" in header else ","
    row = delimiter.join(["M1", "An", "male", "C01"])
    table = open_table(write(tmp_path, f"{header}\n{row}\n"), kind="members")
    assert table.columns == ["external_id", "full_name", "gender", "unit_code"]
    assert table.headers == header.split(delimiter)
    assert read(table)[0][1]["full_name"] == "An"


def test_columns_follow_file_order(tmp_path):
    table = open_table(write(tmp_path, "kind,code,name\ncell,U1,A\n"), kind="units")
    assert table.columns == ["kind", "code", "name"]
    assert read(table) == [(2, {"kind": "cell", "code": "U1", "name": "A"})]


def test_empty_header_refused(tmp_path):
    error = refusal("file.empty_header", write(tmp_path, "code,,name,kind\nU1,,A,cell\n"))
    assert "2 (B)" in error.message
    assert error.details == ["2 (B)"]


def test_duplicate_headers_refused(tmp_path):
    path = write(tmp_path, "external_id,full_name,gender,unit_code,Họ và tên\nM1,A,male,C,A\n")
    error = refusal("file.duplicate_headers", path, kind="members")
    assert "full_name" in error.message and "Họ và tên" in error.message


def test_unknown_columns_refused(tmp_path):
    path = write(tmp_path, "code,name,kind,colour,Size\nU1,A,cell,red,1\n")
    error = refusal("file.unknown_columns", path)
    assert error.details == ["colour", "Size"]
    assert "'colour'" in error.message and "'Size'" in error.message
    assert "parent_code (mã đơn vị cấp trên)" in error.message  # the accepted names


def test_missing_columns_refused(tmp_path):
    error = refusal("file.missing_columns", write(tmp_path, "code,parent_code\nU1,\n"))
    assert error.details == ["name", "kind"]
    assert "name (tên đơn vị)" in error.message


def test_trailing_empty_headers_ignored(tmp_path):
    path = write(tmp_path, "code,name,kind,,\nU1,A,cell,,\nU2,B,cell\n")
    table = open_table(path, kind="units")
    assert table.headers == ["code", "name", "kind"]
    assert read(table) == [
        (2, {"code": "U1", "name": "A", "kind": "cell"}),
        (3, {"code": "U2", "name": "B", "kind": "cell"}),
    ]


# --- Rows ----------------------------------------------------------------------------------


def test_header_only_yields_no_rows(tmp_path):
    assert read(open_table(write(tmp_path, "code,name,kind\n"), kind="units")) == []


def test_blank_rows_skipped_and_numbers_kept(tmp_path):
    path = write(tmp_path, "\ncode,name,kind\nU1,A,cell\n\n,,\n , ,\nU2,B,cell\n")
    rows = read(open_table(path, kind="units"))
    # Blank line 1 precedes the header (row 2); data rows keep their spreadsheet numbers.
    assert [n for n, _ in rows] == [3, 7]


def test_short_row_padded_and_extra_cells_reported(tmp_path):
    path = write(tmp_path, "code,name,kind\nU1,A\nU2,B,cell,surprise,,again\nU3,C,cell,,\n")
    rows = read(open_table(path, kind="units"))
    assert rows == [
        (2, {"code": "U1", "name": "A", "kind": ""}),
        (3, {"code": "U2", "name": "B", "kind": "cell", EXTRA: ["surprise", "again"]}),
        (4, {"code": "U3", "name": "C", "kind": "cell"}),
    ]


def test_rows_are_lazy(tmp_path):
    data = UNITS_HEADER + "\n" + "".join(f"U{i},Unit {i},cell,,\n" for i in range(1000))
    table = open_table(write(tmp_path, data), kind="units")
    first = next(table.rows)
    assert first == (
        2,
        {"code": "U0", "name": "Unit 0", "kind": "cell", "parent_code": "", "founded_on": ""},
    )
    assert sum(1 for _ in table.rows) == 999


# --- CSV formulas and syntax ---------------------------------------------------------------


def test_csv_formula_refused_while_iterating(tmp_path):
    path = write(tmp_path, "code,name,kind\nU1,A,cell\nU2,B,=1+1\n=A1,C,cell\n")
    table = open_table(path, kind="units")  # headers are fine: the file opens
    rows = table.rows
    assert next(rows)[0] == 2
    with pytest.raises(FileRefused) as info:
        next(rows)
    assert info.value.code == "file.formulas"
    assert info.value.details == ["C3", "A4"]
    assert "C3" in info.value.message


def test_csv_neutralized_formula_and_inner_equals_accepted(tmp_path):
    path = write(tmp_path, "code,name,kind\nU1,'=1+1,cell\nU2,a = b,cell\n")
    rows = read(open_table(path, kind="units"))
    assert rows[0][1]["name"] == "'=1+1"
    assert clean_text(rows[0][1]["name"]) == "=1+1"
    assert rows[1][1]["name"] == "a = b"


def test_csv_syntax_error_refused_while_iterating(tmp_path):
    # An unclosed quote swallows the rest of the file into one over-long cell.
    path = write(tmp_path, 'code,name,kind\nU1,"A,cell\n' + "x" * 200_000 + "\n")
    error = refusal("file.bad_csv", path)
    assert error.details == ["2"]


# --- Size, emptiness, type -----------------------------------------------------------------


def test_too_large_by_argument(tmp_path):
    path = write(tmp_path, "code,name,kind\nU1,A,cell\n")
    error = refusal("file.too_large", path, max_bytes=10)
    assert "MB" in error.message


def test_too_large_by_setting(tmp_path, settings):
    settings.CADREBOOK_IMPORT_MAX_BYTES = 3 * 1024 * 1024
    path = write(tmp_path, b"x" * (3 * 1024 * 1024 + 1))
    error = refusal("file.too_large", path)
    assert "3 MB" in error.message


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \r\n\t\n",
        b"\xef\xbb\xbf",
        b"\xef\xbb\xbf \n",
        "\n\n".encode("utf-16"),
        b",,,\n;;\n",
    ],
)
def test_empty_files_refused(tmp_path, data):
    refusal("file.empty", write(tmp_path, data))


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"\x01\x02\x00\x00\xff\xfe\x00random\x00bytes" * 20, "binary"),
        (b"<?xml version='1.0'?><Workbook/>", "XML"),
        (b"  <html><table><tr><td>code</td></tr></table></html>", "HTML"),
    ],
)
def test_not_tabular_by_content(tmp_path, data, says):
    error = refusal("file.not_tabular", write(tmp_path, data, name="members.csv"))
    assert says in error.message


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("members", "says"),
    [
        ({"word/document.xml": b"<w:document/>"}, "Word"),
        ({"readme.txt": b"hello"}, "zip archive"),
    ],
)
def test_not_tabular_zips(tmp_path, members, says):
    # Named .xlsx on purpose: the content decides.
    error = refusal("file.not_tabular", write(tmp_path, zip_bytes(members), name="u.xlsx"))
    assert says in error.message


def test_damaged_workbook_refused(tmp_path):
    data = zip_bytes({"[Content_Types].xml": b"<nope", "xl/workbook.xml": b"not xml at all"})
    refusal("file.not_tabular", write(tmp_path, data, name="u.xlsx"))


def test_invalid_in_every_encoding_refused(tmp_path):
    # 0x81 is neither valid UTF-8 here nor defined in Windows-1258.
    error = refusal("file.encoding", write(tmp_path, b"code,name,kind\nU1,\x81\xff,cell\n"))
    assert "UTF-8" in error.message


def test_replacement_character_refused(tmp_path):
    refusal("file.encoding", write(tmp_path, "code,name,kind\nU1,Nguy\ufffdn,cell\n"))


def test_nul_in_utf16_text_refused(tmp_path):
    data = "code,name,kind\nU1,A\x00B,cell\n".encode("utf-16")
    refusal("file.encoding", write(tmp_path, data))


# --- XLSX ----------------------------------------------------------------------------------


def test_xlsx_types_and_dates(tmp_path):
    path = write_xlsx(
        tmp_path,
        [
            ["code", "name", "kind", "founded_on", "dissolved_on"],
            ["U1", "Chi bộ 1", "cell", datetime.date(2001, 5, 19), None],
            [1234, "Numbered", "cell", "19/05/2001", datetime.datetime(2020, 1, 2, 3, 4)],
        ],
        title="Đơn vị",
        name="named.csv",  # the name lies; the content decides
    )
    table = open_table(path, kind="units")
    assert (table.format, table.sheet, table.encoding, table.delimiter) == (
        "xlsx",
        "Đơn vị",
        None,
        None,
    )
    rows = read(table)
    assert rows[0] == (
        2,
        {
            "code": "U1",
            "name": "Chi bộ 1",
            "kind": "cell",
            "founded_on": datetime.date(2001, 5, 19),
            "dissolved_on": None,
        },
    )
    number, values = rows[1]
    assert number == 3
    assert values["code"] == 1234 and clean_text(values["code"]) == "1234"
    assert values["founded_on"] == "19/05/2001"
    assert values["dissolved_on"] == datetime.datetime(2020, 1, 2, 3, 4)


def test_xlsx_sheet_choice(tmp_path):
    def setup(workbook):
        other = workbook.create_sheet("Members")
        other.append(["external_id", "full_name", "gender", "unit_code"])
        other.append(["M1", "An", "male", "C01"])

    path = write_xlsx(tmp_path, [["code", "name", "kind"], ["U1", "A", "cell"]], setup=setup)
    assert open_table(path, kind="units").sheet == "Sheet1"
    table = open_table(path, kind="members", sheet="Members")
    assert read(table) == [
        (2, {"external_id": "M1", "full_name": "An", "gender": "male", "unit_code": "C01"})
    ]
    error = refusal("file.sheet_missing", path, sheet="Nope")
    assert error.details == ["Sheet1", "Members"]
    assert "'Nope'" in error.message and "'Members'" in error.message


def test_xlsx_hidden_first_sheet_skipped(tmp_path):
    def setup(workbook):
        workbook.active.sheet_state = "hidden"
        visible = workbook.create_sheet("Data")
        visible.append(["code", "name", "kind"])
        visible.append(["U1", "A", "cell"])
        workbook.active = 1

    path = write_xlsx(tmp_path, [["lookup"], ["x"]], title="Lists", setup=setup)
    table = open_table(path, kind="units")
    assert table.sheet == "Data"


def test_xlsx_formula_refused(tmp_path):
    def setup(workbook):
        workbook.active["C2"] = "=1+1"
        workbook.active["A4"] = "=B3"

    path = write_xlsx(
        tmp_path,
        [["code", "name", "kind"], ["U1", "A", None], ["U2", "B", "cell"], [None, "C", "cell"]],
        setup=setup,
    )
    with pytest.raises(FileRefused) as info:
        open_table(path, kind="units")  # refused before any row is read
    assert info.value.code == "file.formulas"
    assert info.value.details == ["C2", "A4"]
    assert "C2" in info.value.message


def test_xlsx_formula_in_other_sheet_ignored(tmp_path):
    def setup(workbook):
        workbook.create_sheet("Calc")["A1"] = "=SUM(1,2)"

    path = write_xlsx(tmp_path, [["code", "name", "kind"], ["U1", "A", "cell"]], setup=setup)
    assert len(read(open_table(path, kind="units"))) == 1
    refusal("file.formulas", path, sheet="Calc")


def test_xlsx_neutralized_formula_text_accepted(tmp_path):
    path = write_xlsx(tmp_path, [["code", "name", "kind"], ["U1", "'=1+1", "cell"]])
    [(_, values)] = read(open_table(path, kind="units"))
    assert clean_text(values["name"]) == "=1+1"


def test_xlsx_rows_blank_offset_and_extra(tmp_path):
    def setup(workbook):
        sheet = workbook.active
        sheet["B3"], sheet["C3"], sheet["D3"] = "code", "name", "kind"
        sheet["B4"], sheet["C4"], sheet["D4"] = "U1", "A", "cell"
        sheet["B6"], sheet["C6"], sheet["D6"], sheet["F6"] = "U2", "B", "cell", "extra"
        sheet["C7"] = "   "

    path = write_xlsx(tmp_path, [], setup=setup)
    table = open_table(path, kind="units")
    assert table.headers == ["code", "name", "kind"]
    assert read(table) == [
        (4, {"code": "U1", "name": "A", "kind": "cell"}),
        (6, {"code": "U2", "name": "B", "kind": "cell", EXTRA: ["extra"]}),
    ]


def test_xlsx_header_problems_name_the_column_letter(tmp_path):
    path = write_xlsx(tmp_path, [["code", None, "name", "kind"], ["U1", None, "A", "cell"]])
    error = refusal("file.empty_header", path)
    assert error.details == ["B"]
    path = write_xlsx(tmp_path, [["Mã đơn vị", "TÊN ĐƠN VỊ", "loai", "colour"]], name="b.xlsx")
    error = refusal("file.unknown_columns", path)
    assert error.details == ["colour"]


def test_xlsx_empty_sheet_refused(tmp_path):
    refusal("file.empty", write_xlsx(tmp_path, []))


def test_xlsx_header_only(tmp_path):
    assert read(open_table(write_xlsx(tmp_path, [["code", "name", "kind"]]), kind="units")) == []


def test_formula_cells_with_prefixes_and_without_references():
    xml = (
        b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<x:sheetData>"
        b'<x:row r="2"><x:c><x:v>1</x:v></x:c><x:c><x:f t="shared" si="0"/><x:v>2</x:v></x:c>'
        b"</x:row><x:row><x:c r='D3'><x:f>A1</x:f></x:c></x:row>"
        b"</x:sheetData></x:worksheet>"
    )
    assert _formula_cells(io.BytesIO(xml), 20) == ["B2", "D3"]
    assert _formula_cells(io.BytesIO(xml), 1) == ["B2"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'<c r="A1"><f>1+1</f></c>', True),
        (b'<c r="A1"><f t="shared" ref="A1:A9" si="0">1+1</f></c>', True),
        (b'<c r="A2"><f t="shared" si="0"/></c>', True),
        (b'<x:c r="A1"><x:f>1+1</x:f></x:c>', True),
        (b"<headerFooter><firstFooter>page</firstFooter></headerFooter>", False),
        (b'<worksheet xmlns:foo="urn:x"><c><is><t>of f&gt; :f</t></is></c>', False),
        (b"", False),
    ],
)
def test_has_formula_tag(data, expected):
    assert _has_formula_tag(data) is expected


# --- Zip bombs and encryption --------------------------------------------------------------

WORKBOOK_XML = (
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)


def test_zip_bomb_by_ratio(tmp_path):
    bomb = b"<worksheet>" + b"0" * (50 * 1024 * 1024) + b"</worksheet>"
    path = write(
        tmp_path, zip_bytes({"xl/workbook.xml": WORKBOOK_XML, "xl/worksheets/sheet1.xml": bomb})
    )
    assert path.stat().st_size < 200_000
    refusal("file.zip_bomb", path)


def test_zip_bomb_by_total_size(tmp_path, settings):
    settings.CADREBOOK_IMPORT_MAX_UNCOMPRESSED_BYTES = 1024 * 1024
    path = write_xlsx(tmp_path, [["code", "name", "kind"]] + [["U", "x" * 200, "cell"]] * 6000)
    error = refusal("file.zip_bomb", path)
    assert "1 MB" in error.message


def patch_zip(data: bytes, name: bytes, *, size: int | None = None, flags: int | None = None):
    """Rewrite a member's declared size or flags in both its local and central headers."""
    data = bytearray(data)
    local = data.find(b"PK\x03\x04" + b"", 0)
    while local != -1:
        name_length = struct.unpack_from("<H", data, local + 26)[0]
        if bytes(data[local + 30 : local + 30 + name_length]) == name:
            if size is not None:
                struct.pack_into("<I", data, local + 22, size)
            if flags is not None:
                struct.pack_into("<H", data, local + 6, flags)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + name_length]) == name:
            if size is not None:
                struct.pack_into("<I", data, central + 24, size)
            if flags is not None:
                struct.pack_into("<H", data, central + 8, flags)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def test_zip_bomb_with_lying_sizes(tmp_path):
    # 5 MB of zeros (not a bomb by ratio alone, being under 10 MB) declared as 1 KB: the
    # declared sizes pass, and only decompressing shows the lie.
    data = zip_bytes(
        {"xl/workbook.xml": WORKBOOK_XML, "xl/worksheets/sheet1.xml": b"0" * (5 * 1024 * 1024)}
    )
    data = patch_zip(data, b"xl/worksheets/sheet1.xml", size=1024)
    refusal("file.zip_bomb", write(tmp_path, data))


def test_encrypted_zip_member_refused(tmp_path):
    data = zip_bytes({"xl/workbook.xml": WORKBOOK_XML, "xl/worksheets/sheet1.xml": b"<x/>"})
    data = patch_zip(data, b"xl/worksheets/sheet1.xml", flags=0x1)
    refusal("file.encrypted", write(tmp_path, data))
