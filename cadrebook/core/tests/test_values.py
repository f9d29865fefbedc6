"""Tests of the cell-value parsers: what each accepts, and the code of each refusal."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cadrebook.core.values import (
    ValueRefused,
    ascii_digits,
    clean_code,
    clean_id,
    clean_text,
    parse_date,
    parse_int,
)


def refused(code: str, func, *args, **kwargs) -> ValueRefused:
    """Call func, expect a ValueRefused with `code`, and return it."""
    with pytest.raises(ValueRefused) as info:
        func(*args, **kwargs)
    assert info.value.code == code, info.value.message
    assert info.value.message
    return info.value


# --- ascii_digits --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1990", "1990"),
        ("", ""),
        ("១៩៩០", "1990"),  # Khmer
        ("٢٠٢٤", "2024"),  # Arabic-Indic
        ("۱۴۰۲", "1402"),  # Persian
        ("２０２４", "2024"),  # fullwidth
        ("១៩/០៣/១៩៩០", "19/03/1990"),
        ("Nguyễn", "Nguyễn"),  # non-ASCII without digits is unchanged
        ("Số ១២", "Số 12"),
    ],
)
def test_ascii_digits_converts_one_script(text, expected):
    assert ascii_digits(text) == expected


@pytest.mark.parametrize("text", ["12٣4", "១2", "٢۴", "١٢٣٤٥٦٧٨٩٠ ０"])
def test_ascii_digits_refuses_mixed_scripts(text):
    error = refused("value.mixed_digits", ascii_digits, text)
    assert text in error.message


def test_ascii_digits_returns_ascii_unchanged():
    text = "abc 123"
    assert ascii_digits(text) is text


# --- parse_date ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-02-03", datetime.date(2020, 2, 3)),
        ("03/02/2020", datetime.date(2020, 2, 3)),
        ("3/2/2020", datetime.date(2020, 2, 3)),
        ("29/02/2020", datetime.date(2020, 2, 29)),
        ("  2020-02-03 ", datetime.date(2020, 2, 3)),
        ("១៩/០៣/១៩៩០", datetime.date(1990, 3, 19)),
        ("٢٠٢٤-٠١-٠٥", datetime.date(2024, 1, 5)),
        (datetime.date(2020, 2, 3), datetime.date(2020, 2, 3)),
        (datetime.datetime(2020, 2, 3, 0, 0), datetime.date(2020, 2, 3)),
        (datetime.datetime(2020, 2, 3, 13, 45), datetime.date(2020, 2, 3)),
        (None, None),
        ("", None),
        ("   ", None),
    ],
)
def test_parse_date_accepts(value, expected):
    result = parse_date(value)
    assert result == expected
    assert type(result) is (datetime.date if expected else type(None))


@pytest.mark.parametrize(
    "value",
    ["31/02/2020", "2020-13-01", "2021-02-29", "00/01/2020", "1899-12-31", "01/01/2101"],
)
def test_parse_date_refuses_impossible_dates(value):
    error = refused("value.bad_date", parse_date, value)
    assert value in error.message


def test_parse_date_refuses_excel_dates_out_of_range():
    refused("value.bad_date", parse_date, datetime.date(1850, 1, 1))
    refused("value.bad_date", parse_date, datetime.datetime(2200, 1, 1))


@pytest.mark.parametrize(
    "value",
    [
        "2020/02/03",
        "03.02.2020",
        "03-02-2020",
        "2020-2-3",
        "3/2/20",
        "003/02/2020",
        "20200203",
        "Feb 3, 2020",
        "+3/02/2020",
        "2020-02-03 00:00:00",
        "12٣4-01-01",
        "๑/๒/๒๕๖๓",  # Thai digits: not converted, so not a date
        43864,
        43864.0,
        True,
        datetime.time(12, 0),
    ],
)
def test_parse_date_refuses_other_forms(value):
    if value == "12٣4-01-01":
        refused("value.mixed_digits", parse_date, value)
        return
    error = refused("value.bad_date_format", parse_date, value)
    assert "YYYY-MM-DD or DD/MM/YYYY" in error.message


@given(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 12, 31)))
def test_parse_date_round_trips_both_forms(day):
    assert parse_date(day.isoformat()) == day
    assert parse_date(day.strftime("%d/%m/%Y")) == day


# --- parse_int -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("820", 820),
        (" 42 ", 42),
        ("+7", 7),
        ("-7", -7),
        ("007", 7),
        ("٢٠٢٤", 2024),
        ("១២", 12),
        (820, 820),
        (820.0, 820),
        (-3.0, -3),
        (None, None),
        ("", None),
        ("  ", None),
    ],
)
def test_parse_int_accepts(value, expected):
    result = parse_int(value)
    assert result == expected
    assert type(result) is (int if expected is not None else type(None))


@pytest.mark.parametrize(
    "value",
    [
        "1,000",
        "1.000",
        "1 000",
        "1_000",
        "12.5",
        "abc",
        "+",
        "--1",
        "๑๒",  # Thai digits are not converted
        "1" * 40,
        820.5,
        float("nan"),
        float("inf"),
        True,
        False,
        datetime.date(2020, 1, 1),
    ],
)
def test_parse_int_refuses(value):
    refused("value.not_integer", parse_int, value)


def test_parse_int_refuses_mixed_digits():
    refused("value.mixed_digits", parse_int, "12٣4")


# --- clean_text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("  Nguyễn   Văn\tAn \n", "Nguyễn Văn An"),
        ("Nguy\u00ea\u0303n", "Nguyễn"),  # Windows-1258 spelling: combining tone mark
        ("Hà\u00a0Nội", "Hà Nội"),  # no-break space
        ("line one\r\nline two", "line one line two"),
        ("'=SUM(A1)", "=SUM(A1)"),
        ("'=1+1", "=1+1"),
        ("'+84 90", "+84 90"),
        ("'-5", "-5"),
        ("'@user", "@user"),
        ("'quoted'", "'quoted'"),  # an apostrophe before anything else is content
        ("'", "'"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("", ""),
        (None, ""),
        (1234, "1234"),
        (1234.0, "1234"),
        (12.5, "12.5"),
        (True, "TRUE"),
        (datetime.date(2020, 2, 3), "2020-02-03"),
        (datetime.datetime(2020, 2, 3), "2020-02-03"),
        (datetime.datetime(2020, 2, 3, 8, 30), "2020-02-03 08:30:00"),
        ("soft\u00adhyphen", "soft\u00adhyphen"),  # format characters are not control ones
    ],
)
def test_clean_text(value, expected):
    assert clean_text(value) == expected


@pytest.mark.parametrize(
    "value", ["a\x00b", "bell\x07", "esc\x1b[0m", "del\x7f", "c1\x80", "half\ud800", "\udfff"]
)
def test_clean_text_refuses_control_characters(value):
    refused("value.control_chars", clean_text, value)


def test_clean_text_max_length():
    assert clean_text("x" * 10, max_length=10) == "x" * 10
    # The limit applies to the cleaned text, not to surrounding blanks.
    assert clean_text("  " + "x" * 10 + "  ", max_length=10) == "x" * 10
    error = refused("value.too_long", clean_text, "x" * 11, max_length=10)
    assert "10" in error.message and "11" in error.message


# --- clean_code and clean_id ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Probationary", "probationary"),
        ("not recognized", "not_recognized"),
        ("  Not  Recognized ", "not_recognized"),
        ("transferred-out", "transferred_out"),
        ("full", "full"),
        ("", ""),
        (None, ""),
    ],
)
def test_clean_code(value, expected):
    assert clean_code(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("M0001", "M0001"),
        (" 001234 ", "001234"),
        (1234.0, "1234"),
        (1234, "1234"),
        ("០០១២", "0012"),
        ("28-NQ/TU", "28-NQ/TU"),
    ],
)
def test_clean_id(value, expected):
    assert clean_id(value) == expected


def test_clean_id_refusals():
    refused("value.bad_id", clean_id, "12 34")
    refused("value.mixed_digits", clean_id, "១2")
    refused("value.too_long", clean_id, "1" * 65)
    assert clean_id("1" * 10, max_length=10) == "1" * 10
    refused("value.control_chars", clean_id, "12\x0034")


def test_a_repeated_cell_is_checked_the_same_way_every_time():
    """The row schemas remember the answers for repeated cells (codes, dates, names): a
    refusal must still come every time, and in the language of the moment."""
    from django.utils import translation
    from pydantic import ValidationError

    from cadrebook.imports.schemas import MemberRow, field_errors

    good = {"external_id": "E1", "full_name": " Lê  Văn An ", "gender": "Male", "unit_code": "C1"}
    for _ in range(3):
        row = MemberRow(**good, birth_date="31/01/1990")
        assert (row.full_name, row.gender, row.birth_date) == (
            "Lê Văn An",
            "male",
            datetime.date(1990, 1, 31),
        )
    messages = []
    for language in ("en", "vi", "en"):
        with translation.override(language), pytest.raises(ValidationError) as info:
            MemberRow(**good, birth_date="31/02/1990")
        [(column, value, code, message)] = field_errors(info.value)
        assert (column, value, code) == ("birth_date", "31/02/1990", "value.bad_date")
        messages.append(message)
    assert messages[0] == messages[2] != messages[1]
    # Another type than text is never taken for the text it prints as.
    assert MemberRow(**good, birth_date=datetime.date(1990, 1, 31)).birth_date == datetime.date(
        1990, 1, 31
    )
