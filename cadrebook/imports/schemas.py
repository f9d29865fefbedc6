"""Row schemas of the import files: pydantic models whose validators are the cell parsers of
`cadrebook.imports.values`. One schema per file kind; the API shares them where the shape is
the same. A schema checks one row on its own; references to units and members and the rules
of the rule set are checked by the importers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from django.utils.translation import gettext as _
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from cadrebook.imports.values import (
    ValueRefused,
    clean_code,
    clean_id,
    clean_text,
    parse_date,
    parse_int,
)
from cadrebook.members.choices import EducationLevel, Gender, MemberStatus, TheoryLevel


def _text(max_length: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        return clean_text(value, max_length=max_length)

    return check


def _required_text(max_length: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = clean_text(value, max_length=max_length)
        if not text:
            raise ValueRefused("value.required", _("This column may not be empty."))
        return text

    return check


def _required_id(value: Any) -> str:
    text = clean_id(value)
    if not text:
        raise ValueRefused("value.required", _("This column may not be empty."))
    return text


def _short_id(value: Any) -> str:
    return clean_id(value, max_length=20)


def _choice(codes: list[str], *, required: bool = False) -> Callable[[Any], str]:
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

    return check


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


OptDate = Annotated[dt.date | None, BeforeValidator(parse_date)]
ReqDate = Annotated[dt.date, BeforeValidator(_required_date)]


class RowModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitRow(RowModel):
    """A row of a units file."""

    code: Annotated[str, BeforeValidator(_required_text(32))]
    name: Annotated[str, BeforeValidator(_required_text(255))]
    kind: Annotated[str, BeforeValidator(clean_code)]
    parent_code: Annotated[str, BeforeValidator(_text(32))] = ""
    founded_on: OptDate = None
    dissolved_on: OptDate = None


class MemberRow(RowModel):
    """A row of a members file: personal data and, optionally, the current state."""

    external_id: Annotated[str, BeforeValidator(_required_id)]
    full_name: Annotated[str, BeforeValidator(_required_text(200))]
    gender: Annotated[str, BeforeValidator(_choice(list(Gender.values), required=True))]
    birth_date: OptDate = None
    ethnicity: Annotated[str, BeforeValidator(_text(64))] = ""
    national_id: Annotated[str, BeforeValidator(_short_id)] = ""
    unit_code: Annotated[str, BeforeValidator(_required_text(32))]
    status: Annotated[str, BeforeValidator(_choice(list(MemberStatus.values)))] = ""
    registered_on: OptDate = None
    admitted_on: OptDate = None
    recognized_on: OptDate = None
    card_number: Annotated[str, BeforeValidator(_short_id)] = ""
    hometown: Annotated[str, BeforeValidator(_text(255))] = ""
    education_level: Annotated[str, BeforeValidator(_choice(list(EducationLevel.values)))] = ""
    theory_level: Annotated[str, BeforeValidator(_choice(list(TheoryLevel.values)))] = ""
    occupation: Annotated[str, BeforeValidator(_text(128))] = ""
    phone: Annotated[str, BeforeValidator(_text(32))] = ""
    address: Annotated[str, BeforeValidator(_text(255))] = ""


class EventRow(RowModel):
    """A row of an events file: one fact of a member's history."""

    external_id: Annotated[str, BeforeValidator(_required_id)]
    type: Annotated[str, BeforeValidator(clean_code)]
    date: ReqDate
    unit_code: Annotated[str, BeforeValidator(_text(32))] = ""
    to_unit_code: Annotated[str, BeforeValidator(_text(32))] = ""
    destination: Annotated[str, BeforeValidator(_text(255))] = ""
    document: Annotated[str, BeforeValidator(_text(64))] = ""
    reason: Annotated[str, BeforeValidator(_text(255))] = ""


class TargetRow(RowModel):
    """A row of a targets file."""

    unit_code: Annotated[str, BeforeValidator(_required_text(32))]
    year: Annotated[int, BeforeValidator(_required_int)]
    indicator: Annotated[str, BeforeValidator(clean_code)]
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
