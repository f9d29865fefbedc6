"""Restrictions on a member that other capabilities read: while a discipline is in force the
member is not transferred, appointed or given a title; after removal from post no equal or
higher post for a while (the rule set's `[discipline.bans]`).

Core sits below the apps that impose them and never imports them: an app registers at
start-up a provider that gives the restrictions of a member on a day
(`register_restriction_provider`), and the services that a restriction stops ask
`active_restrictions` or `check_unrestricted`. No provider registered: no restriction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from cadrebook.core.errors import RuleViolation

# The kinds of restriction the services ask about (a provider may give others).
TRANSFER = "transfer"
APPOINTMENT = "appointment"
TITLE = "title"


@dataclass(frozen=True)
class Restriction:
    """A bar on a member: its `kind`, the first day it no longer applies (`until`; None while
    what imposes it stays in force), what imposes it as a person reads it (`reason`, e.g.
    "Warning decided on 2026-03-02, 12-QĐ/ĐU") and the regulation it comes from (`source`)."""

    kind: str
    until: dt.date | None
    reason: str
    source: str


RestrictionProvider = Callable[[int, dt.date, str], Iterable[Restriction]]

_providers: list[RestrictionProvider] = []


def register_restriction_provider(provider: RestrictionProvider) -> None:
    """`provider(member_id, day, kind)` gives the member's restrictions of `kind` in force on
    `day`. Registering the same provider twice keeps one."""
    if provider not in _providers:
        _providers.append(provider)


def unregister_restriction_provider(provider: RestrictionProvider) -> None:
    """For the tests: take a provider out again."""
    if provider in _providers:
        _providers.remove(provider)


def active_restrictions(member_id: int, day: dt.date, kind: str) -> tuple[Restriction, ...]:
    """The member's restrictions of `kind` in force on `day`, from every provider (a
    restriction is kept only if it is of `kind` and still runs on `day`)."""
    return tuple(
        r
        for provider in _providers
        for r in provider(member_id, day, kind)
        if r.kind == kind and (r.until is None or day < r.until)
    )


def check_unrestricted(
    member_id: int, day: dt.date, kind: str, *, field: str | None = "date"
) -> None:
    """Refuse what a restriction of `kind` stops on `day`, naming what imposes it and its
    source."""
    found = active_restrictions(member_id, day, kind)
    if not found:
        return
    first = found[0]
    if first.until is None:
        message = _("Not possible on %(day)s: %(reason)s, in force.") % {
            "day": day.isoformat(),
            "reason": first.reason,
        }
    else:
        message = _("Not possible on %(day)s: %(reason)s, in force until %(until)s.") % {
            "day": day.isoformat(),
            "reason": first.reason,
            "until": first.until.isoformat(),
        }
    raise RuleViolation(f"restriction.{kind}", message, source=first.source, field=field)
