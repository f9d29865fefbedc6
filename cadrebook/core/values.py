"""Parsers for the cells of an imported file: dates, whole numbers, text, codes and identifiers.

They live in core because the field types built on them (`core/fields.py`, `orgs/fields.py`,
`members/fields.py`) check the API's request bodies as well as the import's rows.

Every import row goes through these functions, so they are written for speed: no regular
expression is compiled per call, and the common case (an ASCII string from a CSV file) takes
a short path. They accept what the readers yield: `str` from CSV files, and `str`, `int`,
`float`, `bool`, `datetime.date`/`datetime.datetime` or `None` from Excel files.

A value that cannot be read raises `ValueRefused`, which carries a stable `code` (for
programs and tests) and an English `message` (for people, translated through gettext) that
says what was wrong with the value.
"""

from __future__ import annotations

import datetime
import unicodedata
from typing import Any

from django.utils.translation import gettext as _

from cadrebook.core.dates import MAX_YEAR, MIN_YEAR

__all__ = [
    "ValueRefused",
    "ascii_digits",
    "clean_code",
    "clean_id",
    "clean_text",
    "parse_date",
    "parse_int",
]


# Longest whole number accepted: enough for any count or year, and far below the length at
# which int() becomes slow or refuses (CPython's int_max_str_digits).
_MAX_INT_DIGITS = 18

# The digit scripts people type or paste in this deployment's region. Each is a contiguous
# block of ten code points, zero first; the first element names the script in messages.
_DIGIT_SCRIPTS: tuple[tuple[str, int], ...] = (
    ("Khmer", 0x17E0),
    ("Arabic-Indic", 0x0660),
    ("Persian", 0x06F0),
    ("fullwidth", 0xFF10),
)
_TO_ASCII = {start + i: ord("0") + i for _name, start in _DIGIT_SCRIPTS for i in range(10)}
# Code point -> index of its script in _DIGIT_SCRIPTS, used to tell whether a value mixes scripts.
_SCRIPT_OF = {start + i: n for n, (_name, start) in enumerate(_DIGIT_SCRIPTS) for i in range(10)}

# Characters after which an apostrophe is our exports' formula neutralization, not content.
_FORMULA_STARTS = frozenset("=+-@")


class ValueRefused(ValueError):
    """A cell value that cannot be read: `code` is stable, `message` says what was wrong."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def ascii_digits(text: str) -> str:
    """Convert Khmer, Arabic-Indic, Persian and fullwidth digits to ASCII digits.

    The conversion is accepted only when it is unambiguous: all the digits of the value come
    from one script (ASCII being one of them). "១៩៩០" becomes "1990"; "12٣4" is refused with
    code "value.mixed_digits". Characters that are not digits are left as they are.
    """
    if text.isascii():
        return text
    converted = text.translate(_TO_ASCII)
    if converted == text:
        # Non-ASCII (e.g. Vietnamese letters) but no foreign digit: nothing to convert.
        return text
    scripts = {_SCRIPT_OF[ord(ch)] for ch in text if ord(ch) in _SCRIPT_OF}
    has_ascii_digit = any("0" <= ch <= "9" for ch in text)
    if len(scripts) + has_ascii_digit > 1:
        raise ValueRefused(
            "value.mixed_digits",
            _("%(value)s mixes digits of different scripts; write all its digits the same way.")
            % {"value": text},
        )
    return converted


def _bad_date_format(value: object) -> ValueRefused:
    return ValueRefused(
        "value.bad_date_format",
        _("%(value)s is not a date in a known form; write it as YYYY-MM-DD or DD/MM/YYYY.")
        % {"value": value},
    )


def _checked_year(day: datetime.date, value: object) -> datetime.date:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueRefused(
            "value.bad_date",
            _("%(value)s is not a plausible date: the year must be between %(min)d and %(max)d.")
            % {"value": value, "min": MIN_YEAR, "max": MAX_YEAR},
        )
    return day


def parse_date(value: Any) -> datetime.date | None:
    """Read a date: "YYYY-MM-DD", "DD/MM/YYYY" (day and month may have one digit), or an Excel
    date cell (`datetime.date`, or `datetime.datetime` whose date is kept).

    Empty (None, "" or blanks) gives None. Digits may be in any one script (see
    `ascii_digits`). A date that does not exist (31/02/2020) or whose year is outside
    1900-2100 is refused with "value.bad_date"; anything else, including an Excel serial
    number, with "value.bad_date_format".
    """
    # Strings first: they are what almost every call gets.
    if type(value) is str:
        text = value.strip()
        if not text:
            return None
        if not text.isascii():
            text = ascii_digits(text)
            if not text.isascii():
                raise _bad_date_format(value)
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            iso = text
            digits = text[:4] + text[5:7] + text[8:]
        else:
            parts = text.split("/")
            if len(parts) != 3:
                raise _bad_date_format(value)
            day_s, month_s, year_s = parts
            if not (1 <= len(day_s) <= 2 and 1 <= len(month_s) <= 2 and len(year_s) == 4):
                raise _bad_date_format(value)
            iso = "-".join((year_s, month_s.zfill(2), day_s.zfill(2)))
            digits = day_s + month_s + year_s
        # On ASCII text isdigit() admits only 0-9: no signs or spaces. fromisoformat() then
        # sees exactly YYYY-MM-DD, and is several times faster than three int() calls.
        if not digits.isdigit():
            raise _bad_date_format(value)
        try:
            day = datetime.date.fromisoformat(iso)
        except ValueError:
            raise ValueRefused(
                "value.bad_date", _("%(value)s is not a real date.") % {"value": value}
            ) from None
        return _checked_year(day, value)
    if value is None:
        return None
    # datetime is a subclass of date: test it first, and keep only its date.
    if isinstance(value, datetime.datetime):
        return _checked_year(value.date(), value)
    if isinstance(value, datetime.date):
        return _checked_year(value, value)
    if isinstance(value, str):  # a str subclass: read it as a plain string
        return parse_date(str(value))
    raise _bad_date_format(value)


def _not_integer(value: object) -> ValueRefused:
    return ValueRefused(
        "value.not_integer",
        _("%(value)s is not a whole number; write digits only, without separators.")
        % {"value": value},
    )


def parse_int(value: Any) -> int | None:
    """Read a whole number: digits (in any one script) with an optional sign, or a numeric
    Excel cell whose value is whole (820.0 gives 820).

    Empty gives None. Thousands separators ("1,000", "1.000") are refused because they are
    ambiguous between locales; so are fractions, booleans and other types
    ("value.not_integer").
    """
    if value is None:
        return None
    # bool is a subclass of int: a TRUE/FALSE cell is not a number.
    if isinstance(value, bool):
        raise _not_integer(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise _not_integer(value)
    if not isinstance(value, str):
        raise _not_integer(value)
    text = value.strip()
    if not text:
        return None
    text = ascii_digits(text)
    digits = text[1:] if text[0] in "+-" else text
    # isascii() first: str.isdigit() also admits digits of scripts we do not convert.
    if not (digits.isascii() and digits.isdigit()):
        raise _not_integer(value)
    if len(digits) > _MAX_INT_DIGITS:
        raise ValueRefused(
            "value.not_integer",
            _("%(value)s is too large a number.") % {"value": value},
        )
    return int(text)


def _has_control_chars(text: str) -> bool:
    # Cs: half of a UTF-16 surrogate pair, alone (JSON's "\ud800"); no encoding can store it.
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def clean_text(value: Any, *, max_length: int | None = None) -> str:
    """Make a cell into clean text.

    Strings are NFC-normalized (Windows-1258 files spell tone marks as combining
    characters), stripped, and their runs of whitespace (tabs, newlines, no-break spaces)
    become one space. Control characters that remain (e.g. NUL, BEL) are refused
    ("value.control_chars"). An apostrophe before = + - @ is removed: it is how exports
    neutralize formulas, so exported files import unchanged. Markup is kept as text.

    Excel cells: None gives "", a whole number gives its digits (an ID typed as a number,
    1234.0, gives "1234"), a date its ISO form. Longer than `max_length` characters:
    "value.too_long".
    """
    if isinstance(value, str):
        text = value
        if not text.isascii() and not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        # split() with no argument splits on every Unicode whitespace, NBSP included.
        text = " ".join(text.split())
        # After the join the only whitespace left is " ", which isprintable() accepts; so
        # a printable string (the usual case) cannot hold a control character.
        if not text.isprintable() and _has_control_chars(text):
            raise ValueRefused(
                "value.control_chars",
                _("%(value)r contains control characters, which are not allowed in text.")
                % {"value": text},
            )
        # Our exports put one apostrophe before a text that starts like a formula (also
        # before one that already starts with apostrophes), so exactly one comes off here.
        if len(text) > 1 and text[0] == "'" and text.lstrip("'")[:1] in _FORMULA_STARTS:
            text = text[1:]
    elif value is None:
        return ""
    elif isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else str(value)
    elif isinstance(value, datetime.datetime):
        # Excel stores dates as date-times at midnight; show those as plain dates.
        if value.time() == datetime.time():
            text = value.date().isoformat()
        else:
            text = value.isoformat(sep=" ")
    elif isinstance(value, datetime.date | datetime.time):
        text = value.isoformat()
    else:
        text = " ".join(str(value).split())
    if max_length is not None and len(text) > max_length:
        raise ValueRefused(
            "value.too_long",
            _("The text is %(length)d characters long; at most %(limit)d are allowed.")
            % {"length": len(text), "limit": max_length},
        )
    return text


def clean_code(value: Any, *, max_length: int | None = None) -> str:
    """Make a cell into a code: clean text, lower-cased, spaces and hyphens as underscores.

    "Probationary" gives "probationary", "not recognized" gives "not_recognized".
    """
    text = clean_text(value, max_length=max_length)
    if text.isascii() and text.islower() and " " not in text and "-" not in text:
        return text
    return text.lower().replace(" ", "_").replace("-", "_")


def clean_id(value: Any, *, max_length: int = 64) -> str:
    """Make a cell into an identifier: clean text with ASCII digits and no spaces.

    Digits in one other script are converted; mixed scripts give "value.mixed_digits", a
    space inside "value.bad_id".
    """
    text = ascii_digits(clean_text(value, max_length=max_length))
    if " " in text:
        raise ValueRefused(
            "value.bad_id",
            _("%(value)s is not a valid identifier: it must not contain spaces.") % {"value": text},
        )
    return text
