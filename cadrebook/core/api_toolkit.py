"""What every router of the API shares: where it is mounted, the shape of a refusal, the dates
it takes, and the two refusals that scoping gives (a missing or out-of-scope object; an object
in scope whose action the role lacks).

It lives in core, not in the `api` package, because every app's `api.py` (core's audit API
included) builds on it, while `api` sits on top and mounts those routers (`api/root.py`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, Field

from cadrebook.core.dates import implausible_year
from cadrebook.core.errors import ServiceError

API_ROOT = "/api/v1"  # where the routers are mounted (Location headers name created objects)


class ErrorOut(Schema):
    """Every refusal of the API: the rule's or error's code, a message for people, the field
    at fault and the regulation a rule comes from (when there is one)."""

    code: str
    message: str
    field: str | None = None
    source: str | None = None
    errors: list[dict[str, Any]] | None = Field(
        None, description="Every field at fault (validation errors only)"
    )


# The refusals any operation may answer, documented on each so that clients (and the
# schema fuzzing) know their shape.
REFUSALS: dict[int, type[ErrorOut]] = {
    code: ErrorOut for code in (400, 401, 403, 404, 409, 413, 422, 429)
}


def answers(ok: dict[int, Any]) -> dict[int, Any]:
    """An operation's responses: its own, and the refusals in the one shape."""
    return {**REFUSALS, **ok}


def _plausible(value: dt.date) -> dt.date:
    # The same bounds and words as the browser's and the services' (core.dates); beyond them
    # a date is a typing error, and date-times near year 1 or 9999 cannot even be moved into UTC.
    message = implausible_year(value)
    if message:
        raise ValueError(message)
    return value


# Dates and times the API takes: ISO 8601, with the import's plausible years.
ApiDate = Annotated[dt.date, AfterValidator(_plausible)]
ApiMoment = Annotated[dt.datetime, AfterValidator(_plausible)]


def found(queryset: QuerySet[Any], **lookup: Any) -> Any:
    """The object, or the API's 404 (the same for a missing object and one out of scope)."""
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise not_found()
    return obj


def not_found() -> ServiceError:
    return ServiceError("not_found", _("Not found."))


def forbidden() -> ServiceError:
    """For an object the caller may see, when their role does not allow the action."""
    return ServiceError("forbidden", _("Your role does not allow this here."))


def date_cursor(day: dt.date, pk: int) -> str:
    """The cursor of a list in (date, id) order after the row (`day`, `pk`)."""
    return f"{day.isoformat()}~{pk}"


def read_date_cursor(cursor: str) -> tuple[dt.date, int] | None:
    """The (date, id) after which a page starts (None: the first page); a cursor this API
    did not give is refused."""
    if not cursor:
        return None
    day, _sep, pk = cursor.partition("~")
    try:
        # Ids as this API writes them: plain digits that fit the column (int() also reads
        # "1_0" or a 40-digit number, which no query can use).
        if not (pk.isascii() and pk.isdigit() and len(pk) <= 18):
            raise ValueError(pk)
        return dt.date.fromisoformat(day), int(pk)
    except ValueError:
        raise ServiceError(
            "cursor.invalid", _("This cursor was not given by this list."), field="cursor"
        ) from None
