"""Calendar arithmetic in whole months, as regulations count ages and periods."""

from __future__ import annotations

import calendar
import datetime as dt

from django.utils.translation import gettext as _

from cadrebook.core.errors import ServiceError

# The years a date given by a person may have, in the browser, the API and the imports alike:
# beyond them a date is a typing error (0001-01-01, 9999-12-31), and date-times near year 1
# or 9999 cannot even be moved into UTC.
MIN_YEAR = 1900
MAX_YEAR = 2100


def implausible_year(day: dt.date) -> str:
    """Why `day` is refused as a typing error, or "" when its year is plausible."""
    if MIN_YEAR <= day.year <= MAX_YEAR:
        return ""
    return _("The year must be between %(min)d and %(max)d.") % {"min": MIN_YEAR, "max": MAX_YEAR}


def check_plausible(day: dt.date | None, *, field: str = "date") -> None:
    """Refuse a date whose year is implausible (`value.bad_date`, the import's code), with
    the words the API's date validation uses."""
    if day is not None and (message := implausible_year(day)):
        raise ServiceError("value.bad_date", message, field=field)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    if day.day <= 28:  # every month has these days: no need to ask the calendar
        return dt.date(year, month, day.day)
    last = 29 if month == 2 and calendar.isleap(year) else _MONTH_DAYS[month]
    return dt.date(year, month, min(day.day, last))


_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def months_between(start: dt.date, end: dt.date) -> int:
    """Completed whole months from `start` to `end` (negative if `end` is earlier)."""
    if end < start:
        return -months_between(end, start)
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, months) > end:
        months -= 1
    return months


def age_in_months(birth: dt.date, on: dt.date) -> int:
    return months_between(birth, on)


def age_in_years(birth: dt.date, on: dt.date) -> int:
    return months_between(birth, on) // 12
