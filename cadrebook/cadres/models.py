"""Who holds which post: `PostHolding` (a member holding a position of the rule set in a unit,
from a date, elected, appointed, acting or seconded, in a committee term, on a decision of
the register) and `PostEnd` (the dated fact that ended it, with its reason).

The committees' terms are the register's (`documents.Term`: a unit's term runs from the day
after one congress closes to the close of the next; the same term numbers its documents).

History is never overwritten: both tables are append-only (database triggers,
`core.append_only`); a holding ends by a `PostEnd`, never by an edit, so "who held the post
on D" is `started_on <= D` and no end before D (an end's day is the last day held). Every
write is audited by the services (`services/`).

Scoping: by the post's unit as it stands now (`unit__path`): a committee reads the posts of
its subtree. The planning, rotation and confidence votes of the next pass hang their rows on
these (a planned candidate for a position of a unit and term, a stint from a holding).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cadrebook.cadres.choices import EndReason, HoldingHow
from cadrebook.core.scoping import ScopedQuerySet

# The tables whose rows are appended, never changed (database triggers, core.append_only).
APPEND_ONLY = {
    "cadres_postholding": "post holdings are append-only: end one with a post end",
    "cadres_postend": "post ends are append-only",
}


def _user() -> Any:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )


def _document(verbose: Any) -> Any:
    """A document of the register a record rests on; the text as written stands beside it."""
    return models.ForeignKey(
        "documents.Document",
        verbose_name=verbose,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )


class PostHoldingQuerySet(ScopedQuerySet["PostHolding"]):
    def held_on(self, day: Any) -> PostHoldingQuerySet:
        """The holdings running on `day`: begun, and not ended before it (the end's day is
        the last day held)."""
        return self.filter(started_on__lte=day).filter(
            Q(end__isnull=True) | Q(end__ended_on__gte=day)
        )

    def from_day(self, day: Any) -> PostHoldingQuerySet:
        """The holdings held on `day` or at any time after it (those beginning later too):
        what a new post from `day`, open-ended, would run beside."""
        return self.filter(Q(end__isnull=True) | Q(end__ended_on__gte=day))

    def running(self) -> PostHoldingQuerySet:
        """The holdings no end has been recorded for."""
        return self.filter(end__isnull=True)


class PostHolding(models.Model):
    """A member holding a position (the rule set's `[cadres] positions`) in a unit's
    committee from `started_on`: elected (with the votes for of the votes cast), appointed
    (until `planned_end`, the rule set's appointment length), acting or seconded; in a
    committee term of the unit (`term`: required for an election); on a decision of the
    register (`document`, with the text as written beside it, or the text alone for a paper
    the register does not hold). Ended only by its `PostEnd`."""

    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="post_holdings",
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.CharField(_("position"), max_length=32)
    term = models.ForeignKey(
        "documents.Term",
        verbose_name=_("term"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="post_holdings",
    )
    how = models.CharField(_("how"), max_length=16, choices=HoldingHow.choices)
    started_on = models.DateField(_("from"))
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    document = _document(_("decision"))
    document_text = models.CharField(_("decision as written"), max_length=255, blank=True)
    votes_for = models.PositiveIntegerField(_("votes for"), null=True, blank=True)
    votes_total = models.PositiveIntegerField(_("votes cast"), null=True, blank=True)
    ruleset = models.CharField(_("rule set"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    objects = PostHoldingQuerySet.as_manager()
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("post holding")
        verbose_name_plural = _("post holdings")
        ordering = ["-started_on", "-id"]
        indexes = [
            models.Index(fields=["unit", "position", "started_on"], name="holding_unit_pos"),
            models.Index(fields=["member", "started_on"], name="holding_member"),
            models.Index(fields=["planned_end"], name="holding_planned_end"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(votes_for__isnull=True)
                | Q(votes_total__isnull=True)
                | Q(votes_for__lte=models.F("votes_total")),
                name="holding_votes_for_within_total",
            ),
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True) | Q(planned_end__gt=models.F("started_on")),
                name="holding_planned_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position} {self.unit_id} {self.member_id} {self.started_on}"


class PostEnd(models.Model):
    """The dated fact that ended a holding: its day (the last day it was held), why
    (`reason`), the decision (document of the register or text), and, when a discipline
    decision removed the member from post, that decision (`discipline`)."""

    holding = models.OneToOneField(
        PostHolding, verbose_name=_("holding"), on_delete=models.PROTECT, related_name="end"
    )
    ended_on = models.DateField(_("ended on"))
    reason = models.CharField(_("reason"), max_length=32, choices=EndReason.choices)
    document = _document(_("decision"))
    document_text = models.CharField(_("decision as written"), max_length=255, blank=True)
    discipline = models.ForeignKey(
        "inspections.Discipline",
        verbose_name=_("discipline decision"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    class Meta:
        verbose_name = _("post end")
        verbose_name_plural = _("post ends")
        ordering = ["-ended_on", "-id"]

    def __str__(self) -> str:
        return f"{self.holding_id} {self.reason} {self.ended_on}"
