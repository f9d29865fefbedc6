"""Field types of the rows of an import file and of the API's request bodies: pydantic
annotations whose validators are the cell parsers of `core/values.py`.

A row and a request body check a field the same way (the same cleaning, limits and codes), so
the types they share live here, below every app; the field types of one app's records build on
them in that app (`orgs/fields.py`, `members/fields.py`), and the import's rows put them
together (`imports/schemas.py`). The length limits are checked by the cleaning (with its own
codes); the `Field` repeats them only so that the API's schema documents them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from django.utils.translation import gettext as _
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from cadrebook.core.normalize import normalize_name
from cadrebook.core.values import (
    ValueRefused,
    clean_code,
    clean_id,
    clean_text,
    parse_date,
    parse_int,
)

# How many distinct cells a remembering validator keeps before it starts over.
MEMO_LIMIT = 65_536


def remembered(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`check`, remembering its answer for each text cell it has seen.

    For columns whose values repeat from row to row (codes, dates, names, places): a bulk
    import meets the same status, unit code or date of birth thousands of times, and a
    dictionary look-up costs a fraction of cleaning the text again. The checks are pure
    functions of the cell, and their answers (text, dates) immutable, so remembering them
    changes nothing but the time. Refusals are not remembered: they raise each time, with
    the message in the language of the moment. Unique columns (ids) are not wrapped."""
    seen: dict[str, Any] = {}

    def remembering(value: Any) -> Any:
        if type(value) is not str:
            return check(value)
        try:
            return seen[value]
        except KeyError:
            pass
        answer = check(value)
        if len(seen) >= MEMO_LIMIT:
            seen.clear()
        seen[value] = answer
        return answer

    remembering.__doc__ = check.__doc__
    return remembering


def text(max_length: int) -> Callable[[Any], str]:
    """Clean text of at most `max_length` characters, empty allowed."""

    def check(value: Any) -> str:
        return clean_text(value, max_length=max_length)

    return remembered(check)


def required_text(max_length: int) -> Callable[[Any], str]:
    """Clean text of at most `max_length` characters, refused when empty."""

    def check(value: Any) -> str:
        text = clean_text(value, max_length=max_length)
        if not text:
            raise ValueRefused("value.required", _("This column may not be empty."))
        return text

    return remembered(check)


def required_id(value: Any) -> str:
    """An identifier (see `clean_id`), refused when empty."""
    text = clean_id(value)
    if not text:
        raise ValueRefused("value.required", _("This column may not be empty."))
    return text


def _short_id(value: Any) -> str:
    return clean_id(value, max_length=20)


def choice(codes: list[str], *, required: bool = False) -> Callable[[Any], str]:
    """A code among `codes`: the cell cleaned as a code (case and spaces forgiven)."""
    allowed = frozenset(codes)

    def check(value: Any) -> str:
        code = clean_code(value)
        if not code and required:
            raise ValueRefused("value.required", _("This column may not be empty."))
        if code and code not in allowed:
            raise ValueRefused(
                "value.unknown_code",
                _("%(v)s is not one of: %(codes)s.")
                % {"v": code, "codes": ", ".join(sorted(c for c in allowed if c))},
            )
        return code

    return remembered(check)


def listed(codes: list[str], *, required: bool = False) -> WithJsonSchema:
    """The codes in the schema, so that the API documents them."""
    codes_listed = sorted(set(codes) | (set() if required else {""}))
    return WithJsonSchema({"type": "string", "enum": codes_listed})


def _required_date(value: Any) -> dt.date:
    day = parse_date(value)
    if day is None:
        raise ValueRefused("value.required", _("This column may not be empty."))
    return day


def required_int(value: Any) -> int:
    """A whole number (see `parse_int`), refused when empty."""
    number = parse_int(value)
    if number is None:
        raise ValueRefused("value.required", _("This column may not be empty."))
    return number


# Yes/no cells: what people type in a spreadsheet, in English and Vietnamese (accents and
# case forgiven); an empty cell is "no".
FLAG_WORDS = {
    "": False,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
    "khong": False,
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "x": True,
    "co": True,
}


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = normalize_name(clean_text(value, max_length=16))
    if word not in FLAG_WORDS:
        raise ValueRefused(
            "value.not_a_flag",
            _("%(v)s is not yes or no.") % {"v": value},
        )
    return FLAG_WORDS[word]


def opt_flag(value: Any) -> bool | None:
    """A yes/no cell where empty means "not said" (None), not "no"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _flag(value)


Flag = Annotated[bool, BeforeValidator(_flag), WithJsonSchema({"type": "boolean"})]
OptDate = Annotated[dt.date | None, BeforeValidator(remembered(parse_date))]
OptInt = Annotated[int | None, BeforeValidator(parse_int)]
ReqDate = Annotated[dt.date, BeforeValidator(remembered(_required_date))]


class RowModel(BaseModel):
    """A row of a file or a request body: no field beyond the declared ones, never changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


ShortId = Annotated[str, BeforeValidator(_short_id), Field(max_length=20)]
Text32 = Annotated[str, BeforeValidator(text(32)), Field(max_length=32)]
Text64 = Annotated[str, BeforeValidator(text(64)), Field(max_length=64)]
Text128 = Annotated[str, BeforeValidator(text(128)), Field(max_length=128)]
Text255 = Annotated[str, BeforeValidator(text(255)), Field(max_length=255)]
