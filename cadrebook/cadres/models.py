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
its subtree. The planning, rotation and confidence votes hang their rows on these (a planned
candidate for a position of a unit and term; a rotation stint from a holding, scoped by its
plan's deciding unit, ended by a `RotationStintEnd`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cadrebook.cadres.choices import (
    EndReason,
    HoldingHow,
    NominationPurpose,
    NominationStep,
    PlanningRemovalReason,
)
from cadrebook.core.scoping import ScopedQuerySet

# The tables whose rows are appended, never changed (database triggers, core.append_only).
APPEND_ONLY = {
    "cadres_postholding": "post holdings are append-only: end one with a post end",
    "cadres_postend": "post ends are append-only",
    "cadres_postcorrection": "post corrections are append-only",
    "cadres_postrestoration": "post restorations are append-only",
    "cadres_nominationround": "nomination rounds are append-only",
    "cadres_nomination": "nominations are append-only",
    "cadres_planningreview": "planning reviews are append-only",
    "cadres_planningentry": "planning entries are append-only: remove one with a removal",
    "cadres_planningremoval": "planning removals are append-only",
    "cadres_confidencesession": "confidence vote sessions are append-only",
    "cadres_confidenceresult": "confidence vote results are append-only",
    "cadres_rotationplan": "rotation plans are append-only",
    "cadres_rotationstint": "rotation stints are append-only: end one with a stint end",
    "cadres_rotationstintend": "rotation stint ends are append-only",
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
    def valid(self) -> PostHoldingQuerySet:
        """The holdings not voided by a correction (recorded in error: never held)."""
        return self.filter(correction__isnull=True)

    def held_on(self, day: Any) -> PostHoldingQuerySet:
        """The holdings running on `day`: begun, and not ended before it (the end's day is
        the last day held); a holding voided by a correction never ran."""
        return (
            self.valid()
            .filter(started_on__lte=day)
            .filter(Q(end__isnull=True) | Q(end__ended_on__gte=day))
        )

    def from_day(self, day: Any) -> PostHoldingQuerySet:
        """The holdings held on `day` or at any time after it (those beginning later too):
        what a new post from `day`, open-ended, would run beside."""
        return self.valid().filter(Q(end__isnull=True) | Q(end__ended_on__gte=day))

    def running(self) -> PostHoldingQuerySet:
        """The holdings no end has been recorded for (and not voided)."""
        return self.valid().filter(end__isnull=True)


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


class PostCorrection(models.Model):
    """The correction of a holding recorded in error (the wrong person, post, unit or day):
    the holding is voided, not deleted nor edited. A voided holding counts nowhere (not in
    the holders on a day, the seats, the due lists, the checks); the history still shows it,
    struck, with the reason, the decision (a document of the register or the text as
    written), who recorded the correction and when. One correction a holding."""

    holding = models.OneToOneField(
        PostHolding,
        verbose_name=_("holding"),
        on_delete=models.PROTECT,
        related_name="correction",
    )
    reason = models.CharField(_("reason"), max_length=500)
    document = _document(_("decision"))
    document_text = models.CharField(_("decision as written"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    class Meta:
        verbose_name = _("post correction")
        verbose_name_plural = _("post corrections")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.holding_id} voided"


class PostRestoration(models.Model):
    """The end of a post voided because the discipline that caused it (a removal from post)
    was annulled on appeal, or changed to a form that is no removal from post: the end stays
    as recorded, this record beside it says it no longer stands, why (`reason`, the appeal's
    decision as written) and which discipline. The post runs again by `restored`, a holding
    of the same post, member, term and decision from the day after the voided end (none when
    the post's planned end or its term's close came before that day: then it would not have
    run on anyway). One restoration an end."""

    end = models.OneToOneField(
        PostEnd, verbose_name=_("end voided"), on_delete=models.PROTECT, related_name="restoration"
    )
    discipline = models.ForeignKey(
        "inspections.Discipline",
        verbose_name=_("discipline annulled"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500)
    document_text = models.CharField(_("decision as written"), max_length=255, blank=True)
    restored = models.OneToOneField(
        PostHolding,
        verbose_name=_("holding run again"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="restores",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    class Meta:
        verbose_name = _("post restoration")
        verbose_name_plural = _("post restorations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.end_id} restored"


# -- Planning (succession pools) -------------------------------------------------------------


class NominationRound(models.Model):
    """A round of nominations for the posts of a unit in a committee term (`term`: the term
    the planning is made in): the step it was held at (the leadership's nomination, the
    expanded meeting, the committee's vote), the day, the ballots cast (`ballots`: those
    voting), on a document or the text of its minutes. Its `Nomination`s carry each
    person's votes."""

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    term = models.ForeignKey(
        "documents.Term", verbose_name=_("term"), on_delete=models.PROTECT, related_name="+"
    )
    step = models.CharField(_("step"), max_length=32, choices=NominationStep.choices)
    held_on = models.DateField(_("held on"))
    ballots = models.PositiveIntegerField(_("ballots cast"))
    document = _document(_("minutes"))
    document_text = models.CharField(_("minutes as written"), max_length=255, blank=True)
    ruleset = models.CharField(_("rule set"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("nomination round")
        verbose_name_plural = _("nomination rounds")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.step} {self.held_on}"


class Nomination(models.Model):
    """A person nominated in a round, for planning or for appointment to a post of the
    round's unit, with the votes for of the round's ballots."""

    round = models.ForeignKey(
        NominationRound,
        verbose_name=_("round"),
        on_delete=models.PROTECT,
        related_name="nominations",
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.CharField(_("position"), max_length=32)
    purpose = models.CharField(_("purpose"), max_length=16, choices=NominationPurpose.choices)
    votes_for = models.PositiveIntegerField(_("votes for"))

    class Meta:
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        ordering = ["round_id", "position", "-votes_for", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "member", "position"], name="nomination_once_per_round"
            )
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.member_id} {self.position} {self.votes_for}"


class PlanningReview(models.Model):
    """The yearly review of a unit's planning in a term: the year, the day, the competent
    body's decision. The entries it added and the removals it made point to it."""

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    term = models.ForeignKey(
        "documents.Term", verbose_name=_("term"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveIntegerField(_("year"))
    reviewed_on = models.DateField(_("reviewed on"))
    document = _document(_("decision"))
    document_text = models.CharField(_("decision as written"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("planning review")
        verbose_name_plural = _("planning reviews")
        ordering = ["-year", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "term", "year"], name="planning_review_year")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.term_id} {self.year}"


class PlanningEntryQuerySet(ScopedQuerySet["PlanningEntry"]):
    def in_on(self, day: Any) -> PlanningEntryQuerySet:
        """The entries in planning on `day`: added by then, not removed on or before it (a
        removal's day is the first day out)."""
        return self.filter(added_on__lte=day).filter(
            Q(removal__isnull=True) | Q(removal__removed_on__gt=day)
        )

    def from_day(self, day: Any) -> PlanningEntryQuerySet:
        """The entries in planning on `day` or at any time after it."""
        return self.filter(Q(removal__isnull=True) | Q(removal__removed_on__gt=day))


class PlanningEntry(models.Model):
    """A person in the planning for a post (`position`) of a unit in a committee term, from
    `added_on`, approved by the competent body (`document`, or the text as written); from a
    nomination, and by a yearly review when it added them. Taken out only by its
    `PlanningRemoval` (a dated fact), never deleted."""

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    term = models.ForeignKey(
        "documents.Term", verbose_name=_("term"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.CharField(_("position"), max_length=32)
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="planning_entries",
    )
    added_on = models.DateField(_("added on"))
    document = _document(_("approval"))
    document_text = models.CharField(_("approval as written"), max_length=255, blank=True)
    nomination = models.ForeignKey(
        Nomination,
        verbose_name=_("nomination"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review = models.ForeignKey(
        PlanningReview,
        verbose_name=_("review"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="added",
    )
    ruleset = models.CharField(_("rule set"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    objects = PlanningEntryQuerySet.as_manager()
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("planning entry")
        verbose_name_plural = _("planning entries")
        ordering = ["unit_id", "position", "added_on", "id"]
        indexes = [
            models.Index(fields=["unit", "term", "position"], name="planning_unit_term_pos"),
            models.Index(fields=["member", "added_on"], name="planning_member"),
        ]

    def __str__(self) -> str:
        return f"{self.position} {self.unit_id} {self.member_id} {self.added_on}"


class PlanningRemoval(models.Model):
    """The dated fact that took a person out of a planning list: the day (the first day
    out), why, a note, the decision, and the review that made it, if any."""

    entry = models.OneToOneField(
        PlanningEntry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="removal"
    )
    removed_on = models.DateField(_("removed on"))
    reason = models.CharField(_("reason"), max_length=32, choices=PlanningRemovalReason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    document = _document(_("decision"))
    document_text = models.CharField(_("decision as written"), max_length=255, blank=True)
    review = models.ForeignKey(
        PlanningReview,
        verbose_name=_("review"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="removed",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    class Meta:
        verbose_name = _("planning removal")
        verbose_name_plural = _("planning removals")
        ordering = ["-removed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.reason} {self.removed_on}"


# -- Confidence votes --------------------------------------------------------------------------


class ConfidenceSession(models.Model):
    """A confidence vote (96-QĐ/TW 2023) held by the body of `unit` on `held_on`: how many
    were summoned and how many were present (valid only with the rule set's quorum: the
    service refuses a session without it). Secrecy: only counts are kept; nothing records
    who voted, nor how."""

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    held_on = models.DateField(_("held on"))
    summoned = models.PositiveIntegerField(_("summoned"))
    present = models.PositiveIntegerField(_("present"))
    document = _document(_("minutes"))
    document_text = models.CharField(_("minutes as written"), max_length=255, blank=True)
    ruleset = models.CharField(_("rule set"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("confidence vote")
        verbose_name_plural = _("confidence votes")
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(present__lte=models.F("summoned")),
                name="confidence_present_le_summoned",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.held_on}"


class ConfidenceResult(models.Model):
    """The counts of one person's ballots in a session: "high", "confidence" and "low"
    confidence (their sum at most those present: the rest blank or spoilt). Counts only."""

    session = models.ForeignKey(
        ConfidenceSession,
        verbose_name=_("session"),
        on_delete=models.PROTECT,
        related_name="results",
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="confidence_results",
    )
    position = models.CharField(_("position"), max_length=32, blank=True)
    high = models.PositiveIntegerField(_("high confidence"))
    confidence = models.PositiveIntegerField(_("confidence"))
    low = models.PositiveIntegerField(_("low confidence"))

    class Meta:
        verbose_name = _("confidence vote result")
        verbose_name_plural = _("confidence vote results")
        ordering = ["session_id", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="confidence_once_a_session")
        ]

    def __str__(self) -> str:
        return f"{self.session_id} {self.member_id} {self.high}/{self.confidence}/{self.low}"


# -- Rotation (65-QĐ/TW) ---------------------------------------------------------------------


class RotationPlan(models.Model):
    """A unit's rotation plan for a year (65-QĐ/TW 2022): the deciding unit, the year, the
    day decided and its decision (a document of the register, or the text as written). Its
    `RotationStint`s are the moves it plans."""

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("deciding unit"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveIntegerField(_("year"))
    decided_on = models.DateField(_("decided on"))
    document = _document(_("decision"))
    document_text = models.CharField(_("decision as written"), max_length=255, blank=True)
    ruleset = models.CharField(_("rule set"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("rotation plan")
        verbose_name_plural = _("rotation plans")
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year}"


class RotationStintQuerySet(ScopedQuerySet["RotationStint"]):
    def running_on(self, day: Any) -> RotationStintQuerySet:
        """The stints begun by `day` and not ended before it (an end's day is the last day
        of the stint)."""
        return self.filter(planned_start__lte=day).filter(
            Q(end__isnull=True) | Q(end__ended_on__gte=day)
        )


class RotationStint(models.Model):
    """One move of a plan: a member rotated from the post they hold (`from_holding`, its
    unit and position kept beside it) to an equal post (`to_position` of `to_unit`) from
    `planned_start` to `planned_end`. Ended only by its `RotationStintEnd` (a dated fact)."""

    plan = models.ForeignKey(
        RotationPlan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="stints"
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="rotation_stints",
    )
    from_holding = models.ForeignKey(
        PostHolding,
        verbose_name=_("post held"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("from unit"), on_delete=models.PROTECT, related_name="+"
    )
    from_position = models.CharField(_("from position"), max_length=32)
    to_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("to unit"), on_delete=models.PROTECT, related_name="+"
    )
    to_position = models.CharField(_("to position"), max_length=32)
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    ruleset = models.CharField(_("rule set"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    objects = RotationStintQuerySet.as_manager()
    scope_path_field = "plan__unit__path"

    class Meta:
        verbose_name = _("rotation stint")
        verbose_name_plural = _("rotation stints")
        ordering = ["-planned_start", "-id"]
        indexes = [models.Index(fields=["member", "planned_start"], name="stint_member")]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__gt=models.F("planned_start")),
                name="stint_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.to_position} {self.to_unit_id} {self.planned_start}"


class RotationStintEnd(models.Model):
    """The dated fact that ended a stint: its day (the last day of it), a note, and the
    decision (a document of the register or the text as written)."""

    stint = models.OneToOneField(
        RotationStint, verbose_name=_("stint"), on_delete=models.PROTECT, related_name="end"
    )
    ended_on = models.DateField(_("ended on"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    document = _document(_("decision"))
    document_text = models.CharField(_("decision as written"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    class Meta:
        verbose_name = _("rotation stint end")
        verbose_name_plural = _("rotation stint ends")
        ordering = ["-ended_on", "-id"]

    def __str__(self) -> str:
        return f"{self.stint_id} {self.ended_on}"
