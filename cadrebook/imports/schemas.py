"""Row schemas of the import files: pydantic models whose validators are the cell parsers of
`cadrebook.imports.values`. One schema per file kind; the API shares them where the shape is
the same. A schema checks one row on its own; references to units and members and the rules
of the rule set are checked by the importers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from django.utils.translation import gettext as _
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)

from cadrebook.core.normalize import normalize_name
from cadrebook.imports.values import (
    ValueRefused,
    clean_code,
    clean_id,
    clean_text,
    parse_date,
    parse_int,
)
from cadrebook.members.choices import EducationLevel, Gender, MemberStatus, TheoryLevel

# How many distinct cells a remembering validator keeps before it starts over.
MEMO_LIMIT = 65_536


def _remembered(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
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


def _text(max_length: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        return clean_text(value, max_length=max_length)

    return _remembered(check)


def _required_text(max_length: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = clean_text(value, max_length=max_length)
        if not text:
            raise ValueRefused("value.required", _("This column may not be empty."))
        return text

    return _remembered(check)


def _required_id(value: Any) -> str:
    text = clean_id(value)
    if not text:
        raise ValueRefused("value.required", _("This column may not be empty."))
    return text


def _short_id(value: Any) -> str:
    return clean_id(value, max_length=20)


def _choice(codes: list[str], *, required: bool = False) -> Callable[[Any], str]:
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

    return _remembered(check)


def _listed(codes: list[str], *, required: bool = False) -> WithJsonSchema:
    """The codes in the schema, so that the API documents them."""
    listed = sorted(set(codes) | (set() if required else {""}))
    return WithJsonSchema({"type": "string", "enum": listed})


def _required_date(value: Any) -> dt.date:
    day = parse_date(value)
    if day is None:
        raise ValueRefused("value.required", _("This column may not be empty."))
    return day


def _required_int(value: Any) -> int:
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


Flag = Annotated[bool, BeforeValidator(_flag), WithJsonSchema({"type": "boolean"})]
OptDate = Annotated[dt.date | None, BeforeValidator(_remembered(parse_date))]
OptInt = Annotated[int | None, BeforeValidator(parse_int)]
ReqDate = Annotated[dt.date, BeforeValidator(_remembered(_required_date))]


class RowModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Field types shared by the import files and the API (a row and a request body check the
# same field the same way: the same cleaning, limits and codes).
# The length limits are checked by the cleaning (with its own codes); the Field repeats them
# only so that the API's schema documents them.
UnitCode = Annotated[str, BeforeValidator(_required_text(32)), Field(min_length=1, max_length=32)]
UnitName = Annotated[str, BeforeValidator(_required_text(255)), Field(min_length=1, max_length=255)]
KindCode = Annotated[str, BeforeValidator(_remembered(clean_code))]
FullName = Annotated[str, BeforeValidator(_required_text(200)), Field(min_length=1, max_length=200)]
GenderCode = Annotated[
    str,
    BeforeValidator(_choice(list(Gender.values), required=True)),
    _listed(list(Gender.values), required=True),
]
ShortId = Annotated[str, BeforeValidator(_short_id), Field(max_length=20)]
Text32 = Annotated[str, BeforeValidator(_text(32)), Field(max_length=32)]
Text64 = Annotated[str, BeforeValidator(_text(64)), Field(max_length=64)]
Text128 = Annotated[str, BeforeValidator(_text(128)), Field(max_length=128)]
Text255 = Annotated[str, BeforeValidator(_text(255)), Field(max_length=255)]
EducationCode = Annotated[
    str,
    BeforeValidator(_choice(list(EducationLevel.values))),
    _listed(list(EducationLevel.values)),
]
TheoryCode = Annotated[
    str, BeforeValidator(_choice(list(TheoryLevel.values))), _listed(list(TheoryLevel.values))
]
StatusCode = Annotated[
    str, BeforeValidator(_choice(list(MemberStatus.values))), _listed(list(MemberStatus.values))
]


class UnitFields(RowModel):
    """What a unit is: a row of a units file and the API's new unit share it."""

    code: UnitCode
    name: UnitName
    kind: KindCode
    founded_on: OptDate = None


class UnitRow(UnitFields):
    """A row of a units file."""

    parent_code: Annotated[str, BeforeValidator(_text(32))] = ""
    dissolved_on: OptDate = None
    # A new parent_code of a known unit is a move from this date (the tree has history).
    moved_on: OptDate = None
    document: Text64 = ""


class PersonalData(RowModel):
    """A member's personal data, as a members file and the API's member bodies take it."""

    full_name: FullName
    gender: GenderCode
    birth_date: OptDate = None
    ethnicity: Text64 = ""
    national_id: ShortId = ""
    hometown: Text255 = ""
    education_level: EducationCode = ""
    theory_level: TheoryCode = ""
    occupation: Text128 = ""
    phone: Text32 = ""
    address: Text255 = ""


class MemberRow(PersonalData):
    """A row of a members file: personal data and, optionally, the current state."""

    external_id: Annotated[str, BeforeValidator(_required_id)]
    unit_code: UnitCode
    status: StatusCode = ""
    registered_on: OptDate = None
    admitted_on: OptDate = None
    recognized_on: OptDate = None
    card_number: ShortId = ""


class EventRow(RowModel):
    """A row of an events file: one fact of a member's history."""

    external_id: Annotated[str, BeforeValidator(_required_id)]
    type: Annotated[str, BeforeValidator(_remembered(clean_code))]
    date: ReqDate
    unit_code: Annotated[str, BeforeValidator(_text(32))] = ""
    to_unit_code: Annotated[str, BeforeValidator(_text(32))] = ""
    destination: Annotated[str, BeforeValidator(_text(255))] = ""
    document: Annotated[str, BeforeValidator(_text(64))] = ""
    reason: Annotated[str, BeforeValidator(_text(255))] = ""
    taken_over: Flag = False
    until: OptDate = None
    for_study: Flag = False
    votes_for: OptInt = None
    votes_against: OptInt = None
    full_members: OptInt = None


class TargetRow(RowModel):
    """A row of a targets file."""

    unit_code: Annotated[str, BeforeValidator(_required_text(32))]
    year: Annotated[int, BeforeValidator(_required_int)]
    indicator: Annotated[str, BeforeValidator(_remembered(clean_code))]
    target: Annotated[int, BeforeValidator(_required_int)]


SCHEMAS: dict[str, type[RowModel]] = {
    "units": UnitRow,
    "members": MemberRow,
    "events": EventRow,
    "targets": TargetRow,
}


def field_errors(exc: ValidationError) -> list[tuple[str, Any, str, str]]:
    """(column, value, code, message) for each field a row failed on."""
    out = []
    for err in exc.errors(include_url=False):
        column = str(err["loc"][0]) if err["loc"] else ""
        original = (err.get("ctx") or {}).get("error")
        if isinstance(original, ValueRefused):
            out.append((column, err.get("input"), original.code, str(original.message)))
        elif err["type"] == "missing":
            out.append((column, "", "value.required", _("This column is missing.")))
        else:
            out.append((column, err.get("input"), "value.invalid", str(err["msg"])))
    return out
