"""Writes of a committee's terms. A committee term is the register's term of the unit
(`documents.Term`: from the day after one congress closes to the close of the next; the same
term numbers the unit's documents), so these open and close it through the register's
services, which audit it, and add what cadre work needs: the actor's `manage_cadres` scope,
a unit that has posts, and, when a term closes, the end of the posts elected for it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.cadres.rules import cadre_rules
from cadrebook.cadres.services._checks import check_not_future, check_scope
from cadrebook.cadres.services.posts import _end_with_term
from cadrebook.core.errors import ServiceError
from cadrebook.documents.models import Term
from cadrebook.documents.services import term_close, term_create
from cadrebook.orgs.models import OrgUnit


def committee_term_open(
    *, actor: Any, unit: OrgUnit, start: dt.date, end: dt.date | None = None, label: str = ""
) -> Term:
    """Open a committee term of `unit` from `start` (the day after its congress closed),
    labelled by its years unless `label` is given (`documents.services.term_create`, which
    refuses a term overlapping another). Refused besides: a unit whose kind has no posts in
    the rule set (`[cadres] seats`)."""
    rules = cadre_rules()
    check_scope(actor, unit)
    if not any(unit.kind in s.unit_kinds for s in rules.seats):
        raise rules.violation(
            "cadres.unit_without_posts",
            _("A unit of kind %(kind)s has no committee posts in the rule set.")
            % {"kind": unit.kind},
            field="unit",
        )
    return term_create(actor=actor, unit=unit, start=start, end=end, label=label)


def committee_term_close(*, actor: Any, term: Term, end: dt.date) -> Term:
    """Close the running committee `term` on `end` (the day the next congress closes:
    `documents.services.term_close`), and end on that day every post of the term still
    running, for end of term, in the same transaction. Refused besides: a congress (not a
    committee term), a post of the term beginning after `end`."""
    if term.congress:
        raise ServiceError(
            "cadres.term_not_units",
            _("%(label)s is a congress, not a committee term.") % {"label": term.label},
            field="term",
        )
    with transaction.atomic():
        check_scope(actor, term.unit)
        check_not_future(end, "end")
        closed = term_close(actor=actor, term=term, end=end)
        _end_with_term(actor, closed)
    return closed
