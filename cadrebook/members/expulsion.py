"""An expulsion is a discipline decision (issue 19): the `expelled` event is recorded by the
discipline service (`inspections.services.discipline_decide`, `appeal_decide`), which checks
the form, the deciding body's authority, its votes and the limitation period, and then records
the event inside `by_discipline_decision()`. Recorded any other way (the browser's action, the
member events API, a direct call of `member_expel`), it is refused, naming the discipline
route. The events import of past events (`cadrebook import events`, the first load of the
old files: `docs/import-formats.md` lists `expelled` among its types) does not go through the
event engine and keeps importing past expulsions: that is the one other way in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils.translation import gettext as _

from cadrebook.core.errors import RuleViolation

_DECIDED: ContextVar[bool] = ContextVar("expulsion_by_discipline", default=False)


@contextmanager
def by_discipline_decision() -> Iterator[None]:
    """The `expelled` events recorded inside follow a discipline decision."""
    token = _DECIDED.set(True)
    try:
        yield
    finally:
        _DECIDED.reset(token)


def refusal() -> RuleViolation:
    return RuleViolation(
        "event.expulsion_by_discipline",
        _(
            "An expulsion is decided as a discipline: record the discipline decision "
            "(Disciplines; POST /api/v1/disciplines with the form expulsion), which records "
            "the expelled event."
        ),
        field="type",
    )


def check_expulsion_route() -> None:
    """Refuse an `expelled` event recorded outside a discipline decision."""
    if not _DECIDED.get():
        raise refusal()
