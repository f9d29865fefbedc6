"""Row schemas of the import files: pydantic models built from the field types of
`core/fields.py` (whose validators are the cell parsers of `core/values.py`), of a unit
(`orgs/fields.py`) and of a member (`members/fields.py`), which the API's bodies share. One
schema per file kind. A schema checks one row on its own; references to units and members and
the rules of the rule set are checked by the importers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, NamedTuple

from django.utils.translation import gettext as _
from pydantic import BeforeValidator, ValidationError, field_validator

from cadrebook.core.fields import (
    Flag,
    OptDate,
    OptInt,
    ReqDate,
    RowModel,
    ShortId,
    Text64,
    opt_flag,
    remembered,
    required_id,
    required_int,
    required_text,
    text,
)
from cadrebook.core.values import ValueRefused, clean_code, clean_text, parse_date
from cadrebook.members.fields import PersonalData, StatusCode
from cadrebook.orgs.fields import UnitCode, UnitFields

__all__ = [
    "AppointmentRow",
    "PlanningRow",
    "SCHEMAS",
    "DisciplineRow",
    "DocumentRow",
    "InspectionRow",
    "ProgramRow",
    "EventRow",
    "MemberRow",
    "RatingRow",
    "RatingValues",
    "RowModel",
    "TargetRow",
    "UnitRow",
    "field_errors",
    "rating_values",
]


class UnitRow(UnitFields):
    """A row of a units file."""

    parent_code: Annotated[str, BeforeValidator(text(32))] = ""
    dissolved_on: OptDate = None
    # A new parent_code of a known unit is a move from this date (the tree has history).
    moved_on: OptDate = None
    document: Text64 = ""


class MemberRow(PersonalData):
    """A row of a members file: personal data and, optionally, the current state."""

    external_id: Annotated[str, BeforeValidator(required_id)]
    unit_code: UnitCode
    status: StatusCode = ""
    registered_on: OptDate = None
    admitted_on: OptDate = None
    recognized_on: OptDate = None
    card_number: ShortId = ""


class EventRow(RowModel):
    """A row of an events file: one fact of a member's history."""

    external_id: Annotated[str, BeforeValidator(required_id)]
    type: Annotated[str, BeforeValidator(remembered(clean_code))]
    date: ReqDate
    unit_code: Annotated[str, BeforeValidator(text(32))] = ""
    to_unit_code: Annotated[str, BeforeValidator(text(32))] = ""
    destination: Annotated[str, BeforeValidator(text(255))] = ""
    document: Annotated[str, BeforeValidator(text(64))] = ""
    reason: Annotated[str, BeforeValidator(text(255))] = ""
    taken_over: Flag = False
    until: OptDate = None
    for_study: Flag = False
    votes_for: OptInt = None
    votes_against: OptInt = None
    full_members: OptInt = None


class TargetRow(RowModel):
    """A row of a targets file."""

    unit_code: Annotated[str, BeforeValidator(required_text(32))]
    year: Annotated[int, BeforeValidator(required_int)]
    indicator: Annotated[str, BeforeValidator(remembered(clean_code))]
    target: Annotated[int, BeforeValidator(required_int)]


class DocumentRow(RowModel):
    """A row of a documents file: one document of the register."""

    issuer_code: Annotated[str, BeforeValidator(required_text(32))]
    type: Annotated[str, BeforeValidator(remembered(clean_code))]
    term: Annotated[str, BeforeValidator(required_text(32))]
    number: Annotated[int, BeforeValidator(required_int)]
    date: ReqDate
    title: Annotated[str, BeforeValidator(required_text(500))]
    signer: Annotated[str, BeforeValidator(text(255))] = ""
    confidentiality: Annotated[str, BeforeValidator(remembered(clean_code))] = ""
    status: Annotated[str, BeforeValidator(remembered(clean_code))] = ""
    symbol: Annotated[str, BeforeValidator(text(64))] = ""
    abstract: Annotated[str, BeforeValidator(text(20000))] = ""
    signer_position: Annotated[str, BeforeValidator(text(255))] = ""
    language: Annotated[str, BeforeValidator(remembered(clean_code))] = ""


def _score(value: Any) -> Decimal | None:
    """A score cell: empty, or a decimal number (a comma as the decimal mark too); the scale
    is the rule set's, checked by the importer."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueRefused("value.invalid", _("Write the score as a number."))
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except ArithmeticError:
        raise ValueRefused("value.invalid", _("Write the score as a number.")) from None
    if not number.is_finite():
        raise ValueRefused("value.invalid", _("Write the score as a number."))
    return number


# The cell checks of a ratings row, named once: the schema and its fast path share them.
_RATING_KIND = remembered(clean_code)
_RATING_YEAR = remembered(required_int)
_RATING_LEVEL = remembered(clean_code)
_RATING_SCORE = remembered(_score)
_RATING_DOCUMENT = text(64)
_RATING_LABEL = text(64)
SUBJECT_KINDS = ("member", "unit")


class RatingRow(RowModel):
    """A row of a ratings file: a member's or a unit's rating for a year."""

    subject_kind: Annotated[str, BeforeValidator(_RATING_KIND)]
    subject: Annotated[str, BeforeValidator(required_id)]
    year: Annotated[int, BeforeValidator(_RATING_YEAR)]
    level: Annotated[str, BeforeValidator(_RATING_LEVEL)] = ""
    score: Annotated[Decimal | None, BeforeValidator(_RATING_SCORE)] = None
    document: Annotated[str, BeforeValidator(_RATING_DOCUMENT)] = ""
    label: Annotated[str, BeforeValidator(_RATING_LABEL)] = ""

    @field_validator("subject_kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in SUBJECT_KINDS:
            raise ValueRefused(
                "value.invalid", _("Write member or unit, not %(v)s.") % {"v": value}
            )
        return value


class RatingValues(NamedTuple):
    """A ratings row as `RatingRow` reads it, made by `rating_values` without pydantic: the
    same attributes, values and defaults."""

    subject_kind: str
    subject: str
    year: int
    level: str = ""
    score: Decimal | None = None
    document: str = ""
    label: str = ""


_RATING_FIELDS = frozenset(RatingValues._fields)


def rating_values(raw: dict[str, Any]) -> RatingValues | None:
    """The fast path of a ratings row (a national round's file has millions): the cells
    through the very checks of `RatingRow`, without building a pydantic model (which costs
    more than the checks). None when a check refuses a cell or the row has anything unusual
    (a missing required column, an unknown one): `RatingRow` then reads it, and says what is
    wrong exactly as it always does."""
    if not raw.keys() <= _RATING_FIELDS:
        return None
    try:
        kind = _RATING_KIND(raw["subject_kind"])
        if kind not in SUBJECT_KINDS:
            return None
        get = raw.get
        return RatingValues(
            kind,
            required_id(raw["subject"]),
            _RATING_YEAR(raw["year"]),
            _RATING_LEVEL(get("level")) if "level" in raw else "",
            _RATING_SCORE(get("score")) if "score" in raw else None,
            _RATING_DOCUMENT(get("document")) if "document" in raw else "",
            _RATING_LABEL(get("label")) if "label" in raw else "",
        )
    except Exception:  # noqa: BLE001 (the schema says what it is, or raises it again)
        return None


def _codes(value: Any) -> tuple[str, ...]:
    """A list of codes or identifiers separated by ";" (empty entries dropped, each kept
    once, in the file's order)."""
    cleaned = clean_text(value, max_length=20000)
    out: list[str] = []
    for part in cleaned.split(";"):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return tuple(out)


def _violations(value: Any) -> tuple[tuple[str, str], ...]:
    """`subject=violation_kind` pairs separated by ";"."""
    out: list[tuple[str, str]] = []
    for part in _codes(value):
        subject, sep, kind = part.partition("=")
        if not sep or not subject.strip() or not kind.strip():
            raise ValueRefused(
                "value.invalid",
                _("Write each violation as subject=kind, not %(v)s.") % {"v": part},
            )
        out.append((subject.strip(), clean_code(kind)))
    return tuple(out)


def _votes(value: Any) -> tuple[tuple[str, int], ...]:
    """`form=count` pairs separated by ";" (`none=count` for the votes for no form)."""
    out: list[tuple[str, int]] = []
    for part in _codes(value):
        form, sep, count = part.partition("=")
        number = count.strip()
        if not sep or not form.strip() or not number.isdigit():
            raise ValueRefused(
                "value.invalid",
                _("Write each vote as form=count, not %(v)s.") % {"v": part},
            )
        out.append((clean_code(form), int(number)))
    return tuple(out)


# A discipline's state as the files write it: the stored ones and "lapsed" (in force by the
# record, its rule-set months past).
DISCIPLINE_STATUSES = ("in_force", "lapsed", "annulled", "changed")
APPEAL_OUTCOMES = ("pending", "upheld", "changed", "annulled")


def _steps(value: Any) -> tuple[tuple[str, dt.date], ...]:
    """`step=date` pairs separated by ";"."""
    out: list[tuple[str, dt.date]] = []
    for part in _codes(value):
        step, sep, day = part.partition("=")
        parsed = parse_date(day.strip()) if sep and step.strip() else None
        if parsed is None:
            raise ValueRefused(
                "value.invalid",
                _("Write each step as step=YYYY-MM-DD, not %(v)s.") % {"v": part},
            )
        out.append((clean_code(step), parsed))
    return tuple(out)


class RecommendationCell(NamedTuple):
    """One recommendation of a `recommendations` cell."""

    owner: str
    deadline: dt.date | None
    status: str
    on: dt.date | None
    text: str


def _recommendations(value: Any) -> tuple[RecommendationCell, ...]:
    """One recommendation a line: `owner | deadline | follow-up | text`."""
    out: list[RecommendationCell] = []
    raw = "" if value is None else str(value)
    if len(raw) > 100000:
        raise ValueRefused("value.too_long", _("The cell is too long."))
    # Lines first: cleaning a cell makes its line breaks spaces.
    for line in (clean_text(part) for part in raw.splitlines()):
        if not line:
            continue
        parts = [p.strip() for p in line.split("|", 3)]
        if len(parts) != 4 or not parts[0] or not parts[3]:
            raise ValueRefused(
                "value.invalid",
                _("Write each recommendation as owner | deadline | follow-up | text, not %(v)s.")
                % {"v": line},
            )
        owner, deadline, follow_up, text_ = parts
        status, _sep, on = follow_up.partition(" ")
        status = clean_code(status) if status else "open"
        day = parse_date(on.strip()) if on.strip() else None
        if status not in ("open", "partly", "done") or (status != "open") != (day is not None):
            raise ValueRefused(
                "value.invalid",
                _("Write the follow-up as open, or partly or done with its date, not %(v)s.")
                % {"v": follow_up},
            )
        out.append(
            RecommendationCell(
                owner, parse_date(deadline) if deadline else None, status, day, text_
            )
        )
    return tuple(out)


class InspectionRow(RowModel):
    """A row of an inspections file: one inspection or supervision, its subjects and, when
    concluded, the day and the violations found."""

    code: Annotated[str, BeforeValidator(required_id)]
    body_code: Annotated[str, BeforeValidator(required_text(32))]
    kind: Annotated[str, BeforeValidator(remembered(clean_code))]
    decided_on: ReqDate
    concluded_on: OptDate = None
    subject_units: Annotated[tuple[str, ...], BeforeValidator(_codes)] = ()
    subject_members: Annotated[tuple[str, ...], BeforeValidator(_codes)] = ()
    from_higher_level: Annotated[bool | None, BeforeValidator(opt_flag)] = None
    body_kind: Annotated[str, BeforeValidator(remembered(clean_code))] = ""
    decision_document: Annotated[str, BeforeValidator(text(64))] = ""
    conclusion_document: Annotated[str, BeforeValidator(text(64))] = ""
    violations: Annotated[tuple[tuple[str, str], ...], BeforeValidator(_violations)] = ()
    period_from: OptDate = None
    period_to: OptDate = None
    team: Annotated[tuple[str, ...], BeforeValidator(_codes)] = ()
    team_leader: Annotated[str, BeforeValidator(text(200))] = ""
    steps: Annotated[tuple[tuple[str, dt.date], ...], BeforeValidator(_steps)] = ()
    recommendations: Annotated[
        tuple[RecommendationCell, ...], BeforeValidator(_recommendations)
    ] = ()


class DisciplineRow(RowModel):
    """A row of a disciplines file: one decision on a member or an organization."""

    subject_kind: Annotated[str, BeforeValidator(_RATING_KIND)]
    subject: Annotated[str, BeforeValidator(required_id)]
    form: Annotated[str, BeforeValidator(remembered(clean_code))]
    body_code: Annotated[str, BeforeValidator(required_text(32))]
    decided_on: ReqDate
    violation_on: ReqDate
    document: Annotated[str, BeforeValidator(text(255))] = ""
    body_kind: Annotated[str, BeforeValidator(remembered(clean_code))] = ""
    violation: Annotated[str, BeforeValidator(text(20000))] = ""
    violation_kind: Annotated[str, BeforeValidator(remembered(clean_code))] = ""
    status: Annotated[str, BeforeValidator(remembered(clean_code))] = ""
    votes: Annotated[tuple[tuple[str, int], ...], BeforeValidator(_votes)] = ()
    voters_total: OptInt = None
    proposing_for: OptInt = None
    proposing_total: OptInt = None
    holds_post: Annotated[bool | None, BeforeValidator(opt_flag)] = None
    raising_child_under_12_months: Flag = False
    members_to: Annotated[str, BeforeValidator(text(32))] = ""
    appeal_outcome: Annotated[str, BeforeValidator(remembered(clean_code))] = ""
    appeal_lodged_on: OptDate = None
    appeal_received_on: OptDate = None
    appeal_body_code: Annotated[str, BeforeValidator(text(32))] = ""
    appeal_body_kind: Annotated[str, BeforeValidator(remembered(clean_code))] = ""
    appeal_decided_on: OptDate = None
    appeal_new_form: Annotated[str, BeforeValidator(remembered(clean_code))] = ""
    appeal_document: Annotated[str, BeforeValidator(text(255))] = ""
    relations: Annotated[tuple[str, ...], BeforeValidator(_codes)] = ()
    may_admit: Flag = False

    @field_validator("subject_kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in SUBJECT_KINDS:
            raise ValueRefused(
                "value.invalid", _("Write member or unit, not %(v)s.") % {"v": value}
            )
        return value

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        if value and value not in DISCIPLINE_STATUSES:
            raise ValueRefused(
                "value.invalid",
                _("Write in_force, lapsed, annulled or changed, not %(v)s.") % {"v": value},
            )
        return value

    @field_validator("appeal_outcome")
    @classmethod
    def _outcome(cls, value: str) -> str:
        if value and value not in APPEAL_OUTCOMES:
            raise ValueRefused(
                "value.invalid",
                _("Write pending, upheld, changed or annulled, not %(v)s.") % {"v": value},
            )
        return value


class ProgramRow(RowModel):
    """A row of an inspection-programs file: a body's program for a year and, when `kind`
    is given, one planned item of it."""

    body_code: Annotated[str, BeforeValidator(required_text(32))]
    year: Annotated[int, BeforeValidator(required_int)]
    body_kind: Annotated[str, BeforeValidator(remembered(clean_code))] = ""
    title: Annotated[str, BeforeValidator(text(255))] = ""
    document: Annotated[str, BeforeValidator(text(255))] = ""
    kind: Annotated[str, BeforeValidator(remembered(clean_code))] = ""
    subject_unit: Annotated[str, BeforeValidator(text(32))] = ""
    subject: Annotated[str, BeforeValidator(text(255))] = ""
    planned_from: OptDate = None
    planned_to: OptDate = None


class AppointmentRow(RowModel):
    """A row of an appointments file: one post held, and its end when it ended."""

    unit_code: Annotated[str, BeforeValidator(required_text(32))]
    position: Annotated[str, BeforeValidator(remembered(clean_code))]
    member: Annotated[str, BeforeValidator(required_id)]
    how: Annotated[str, BeforeValidator(remembered(clean_code))]
    started_on: ReqDate
    planned_end: OptDate = None
    ended_on: OptDate = None
    end_reason: Annotated[str, BeforeValidator(remembered(clean_code))] = ""
    document: Annotated[str, BeforeValidator(text(255))] = ""
    votes_for: OptInt = None
    votes_cast: OptInt = None


class PlanningRow(RowModel):
    """A row of a planning file: one person in the planning for a post of a unit in a
    committee term, and their removal when they left it."""

    unit_code: Annotated[str, BeforeValidator(required_text(32))]
    position: Annotated[str, BeforeValidator(remembered(clean_code))]
    term: Annotated[str, BeforeValidator(text(32))] = ""
    member: Annotated[str, BeforeValidator(required_id)]
    added_on: ReqDate
    document: Annotated[str, BeforeValidator(text(255))] = ""
    removed_on: OptDate = None
    removal_reason: Annotated[str, BeforeValidator(remembered(clean_code))] = ""
    removal_note: Annotated[str, BeforeValidator(text(500))] = ""
    removal_document: Annotated[str, BeforeValidator(text(255))] = ""


SCHEMAS: dict[str, type[RowModel]] = {
    "units": UnitRow,
    "members": MemberRow,
    "events": EventRow,
    "targets": TargetRow,
    "documents": DocumentRow,
    "ratings": RatingRow,
    "inspections": InspectionRow,
    "disciplines": DisciplineRow,
    "inspection-programs": ProgramRow,
    "appointments": AppointmentRow,
    "planning": PlanningRow,
}


# Fast paths of a kind's rows: the row's values, or None to read it with the schema.
FAST_ROWS: dict[str, Callable[[dict[str, Any]], Any]] = {"ratings": rating_values}


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
