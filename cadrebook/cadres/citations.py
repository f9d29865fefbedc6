"""What the register's pages show of cadre work: the records of this app that cite a
document (registered with `documents.citations` in `apps.py`; the register never imports
cadres): the posts held on a decision (an election's resolution, an appointment), the ends
of posts, the corrections voiding a post recorded in error, the planning approvals and
removals, and the rotation plans.

Each lists only the records the user may `view` (the post's or the planning's unit, the
plan's deciding unit: the scope of the cadres' pages and API), and names what those name to
everyone who may read them: the position, the unit and the person's name, never their
personal data (date of birth, ethnicity: masked there without `view_sensitive`). A citation
naming a person links to their dossier when the user may open it.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from cadrebook.cadres.models import (
    PlanningEntry,
    PlanningRemoval,
    PostCorrection,
    PostEnd,
    PostHolding,
    RotationPlan,
)
from cadrebook.cadres.rules import cadre_rules
from cadrebook.core.permissions import VIEW
from cadrebook.core.scoping import scope_for
from cadrebook.documents.citations import Citation, register_citations
from cadrebook.documents.models import Document

KIND_POST = "appointment"
KIND_PLANNING = "planning"
KIND_ROTATION = "rotation"
# The most records of one kind one document lists.
LIMIT = 1000


class _People:
    """The dossier's link for a person the user may open (their unit in the user's `view`
    scope), else none."""

    def __init__(self, user: Any) -> None:
        self.scope = scope_for(user, VIEW)

    def url(self, member: Any) -> str | None:
        if not self.scope.covers_path(member.unit.path):
            return None
        return reverse("members:dossier", args=[member.pk]) + "#history"


def _post(h: PostHolding) -> dict[str, str]:
    return {
        "position": cadre_rules().position_label(h.position),
        "unit": h.unit.code,
        "name": h.member.full_name,
    }


def post_citations(document: Document, user: Any) -> list[Citation]:
    """The posts held on `document`, the ends of posts and the corrections it decided, of
    the units `user` may view."""
    visible = PostHolding.objects.visible_to(user, VIEW)
    people = _People(user)
    related = ("unit", "member__unit")
    out = [
        Citation(
            label=_("%(how)s %(position)s of %(unit)s: %(name)s")
            % {"how": h.get_how_display(), **_post(h)},
            date=h.started_on,
            url=people.url(h.member),
            kind=KIND_POST,
        )
        for h in visible.filter(document=document)
        .select_related(*related)
        .order_by("-started_on", "-id")[:LIMIT]
    ]
    ends = (
        PostEnd.objects.filter(document=document, holding__in=visible.values("id"))
        .select_related(*(f"holding__{r}" for r in related))
        .order_by("-ended_on", "-id")[:LIMIT]
    )
    out += [
        Citation(
            label=_("Post ended (%(reason)s), %(position)s of %(unit)s: %(name)s")
            % {"reason": e.get_reason_display(), **_post(e.holding)},
            date=e.ended_on,
            url=people.url(e.holding.member),
            kind=KIND_POST,
        )
        for e in ends
    ]
    corrections = (
        PostCorrection.objects.filter(document=document, holding__in=visible.values("id"))
        .select_related(*(f"holding__{r}" for r in related))
        .order_by("-created_at", "-id")[:LIMIT]
    )
    out += [
        Citation(
            label=_("Post voided as recorded in error, %(position)s of %(unit)s: %(name)s")
            % _post(c.holding),
            date=c.created_at.date(),
            url=people.url(c.holding.member),
            kind=KIND_POST,
        )
        for c in corrections
    ]
    return out


def _planned(e: PlanningEntry) -> dict[str, str]:
    return {
        "position": cadre_rules().position_label(e.position),
        "unit": e.unit.code,
        "name": e.member.full_name,
    }


def planning_citations(document: Document, user: Any) -> list[Citation]:
    """The planning entries `document` approved and the removals it decided, of the units
    `user` may view."""
    visible = PlanningEntry.objects.visible_to(user, VIEW)
    people = _People(user)
    related = ("unit", "member__unit")
    out = [
        Citation(
            label=_("In the planning for %(position)s of %(unit)s: %(name)s") % _planned(e),
            date=e.added_on,
            url=people.url(e.member),
            kind=KIND_PLANNING,
        )
        for e in visible.filter(document=document)
        .select_related(*related)
        .order_by("-added_on", "-id")[:LIMIT]
    ]
    removals = (
        PlanningRemoval.objects.filter(document=document, entry__in=visible.values("id"))
        .select_related(*(f"entry__{r}" for r in related))
        .order_by("-removed_on", "-id")[:LIMIT]
    )
    out += [
        Citation(
            label=_("Out of the planning (%(reason)s) for %(position)s of %(unit)s: %(name)s")
            % {"reason": r.get_reason_display(), **_planned(r.entry)},
            date=r.removed_on,
            url=people.url(r.entry.member),
            kind=KIND_PLANNING,
        )
        for r in removals
    ]
    return out


def rotation_citations(document: Document, user: Any) -> list[Citation]:
    """The rotation plans decided by `document`, of the deciding units `user` may view."""
    plans = (
        RotationPlan.objects.visible_to(user, VIEW)
        .filter(document=document)
        .select_related("unit")
        .order_by("-decided_on", "-id")[:LIMIT]
    )
    return [
        Citation(
            label=_("Rotation plan of %(unit)s for %(year)d")
            % {"unit": p.unit.code, "year": p.year},
            date=p.decided_on,
            url=None,
            kind=KIND_ROTATION,
        )
        for p in plans
    ]


def register() -> None:
    register_citations(post_citations, name=KIND_POST)
    register_citations(planning_citations, name=KIND_PLANNING)
    register_citations(rotation_citations, name=KIND_ROTATION)
