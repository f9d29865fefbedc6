"""Reads of the inspection pages: the programs with their progress in one query, a
discipline's state on a day (in force, lapsed, annulled, changed) with its bans, the
documents a form may cite, and what the member's dossier shows (the member's disciplines to
those who read discipline files, the conclusions concerning the member to those who see the
member). Reads only; the writes are the services'."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from cadrebook.documents.choices import Status
from cadrebook.documents.models import Document
from cadrebook.documents.selectors import readable_documents
from cadrebook.inspections import discipline_rules as engine
from cadrebook.inspections import selectors
from cadrebook.inspections.choices import DisciplineStatus
from cadrebook.inspections.models import Discipline, InspectionProgram
from cadrebook.orgs.models import OrgUnit

DOCUMENT_CHOICES = 100  # the body's latest issued documents a form offers

LAPSED = "lapsed"


def programs_with_progress(user: Any) -> QuerySet[InspectionProgram]:
    """The user's programs, each annotated `planned`, `started` and `completed` ("completed
    N of M planned"), in one query."""
    return (
        selectors.programs(user)
        .select_related("body")
        .annotate(
            planned=Count("items"),
            started=Count("items", filter=Q(items__inspection__isnull=False)),
            completed=Count("items", filter=Q(items__inspection__concluded_on__isnull=False)),
        )
    )


def body_documents(user: Any, body: OrgUnit) -> list[Document]:
    """The issued documents of `body` that `user` may read, newest first: those a record
    of the body may cite."""
    return list(
        readable_documents(user)
        .filter(issuer=body)
        .exclude(status=Status.DRAFT)
        .order_by("-date", "-id")[:DOCUMENT_CHOICES]
    )


@dataclass(frozen=True)
class DisciplineState:
    """A discipline as it stands on a day: its state (in force, lapsed, annulled, changed),
    the day it lapses (None: not known to lapse), whether it never lapses (a standing
    decision of a form that never does, or held in force by a later one that never does),
    and its bans with the day each ends."""

    state: str
    label: str
    lapses_on: dt.date | None
    bans: list[dict[str, Any]]
    never_lapses: bool = False


def discipline_state(
    d: Discipline, day: dt.date, standing: engine.Standing | None = None
) -> DisciplineState:
    """`d` as it stands on `day`; `standing` (from `selectors.standings`, read here when not
    given): its appeals and the later decisions on its subject, which its lapse depends on."""
    rules = engine.discipline_rules()
    known = d.form in rules.severity
    if known and standing is None and d.status == DisciplineStatus.IN_FORCE:
        standing = selectors.standings([d]).get(d.pk)
    effects = (
        engine.effects(d.form, d.decided_on, rules=rules, standing=standing) if known else None
    )
    standing_now = d.status == DisciplineStatus.IN_FORCE
    # A decision annulled or changed on appeal no longer stands: it has no lapse to tell
    # (its months would read as "in force until"), nor "never lapses" for an expulsion
    # reversed on appeal.
    lapses_on = effects.lapses_on if effects and standing_now else None
    # While an appeal waits the lapse is not known yet: neither a day nor "never".
    never_lapses = (
        standing_now
        and known
        and lapses_on is None
        and not (standing is not None and standing.appeal_pending)
    )
    if not standing_now:
        state, label = d.status, d.get_status_display()
    elif lapses_on is not None and lapses_on <= day:
        state, label = LAPSED, _("Lapsed")
    else:
        state, label = d.status, d.get_status_display()
    bans = (
        [
            {
                "label": rules.ban_label(b.code),
                "until": b.until,
                "active": b in effects.active_bans(day),
            }
            for b in effects.bans
        ]
        if effects and d.status == DisciplineStatus.IN_FORCE
        else []
    )
    return DisciplineState(state, label, lapses_on, bans, never_lapses)


def member_disciplines(user: Any, member: Any, day: dt.date) -> list[dict[str, Any]]:
    """The member's disciplines that `user` may read (`view_inspections` on the member's
    unit), newest first, each with its state on `day`."""
    rules = engine.discipline_rules()
    rows = list(selectors.disciplines(user).filter(member=member).order_by("-decided_on", "-id"))
    known = selectors.standings(rows)
    return [
        {
            "discipline": d,
            "form": rules.form_label(d.form),
            "state": discipline_state(d, day, known.get(d.pk)),
        }
        for d in rows
    ]
