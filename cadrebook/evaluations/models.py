"""Targets set for units, and the annual evaluation and classification of members and party
organizations.

The evaluation: a `Round` opened by a committee for its subtree lists its `Subject`s (members
and units, the excluded ones with their reason); each subject's self-assessment, the cell's
proposal and the deciding committee's decision are rows appended one after the other
(`SelfAssessment`, `Proposal`, `Decision`: the latest counts, none is ever changed; database
triggers refuse it), a reconsideration after the round closed is a `Decision` of its own. The
resolved outcome of a subject and year is its `Rating`, which legacy imports write too; model
organizations ("four good", "clean and strong") are `ModelRecord`s per unit and year.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cadrebook.core.scoping import ScopedQuerySet
from cadrebook.evaluations.choices import (
    STATE_NOT_ASSESSED,
    Exclusion,
    Framework,
    Level,
    ModelStep,
    RatingSource,
    RoundStatus,
    SpecialCase,
    SubjectKind,
)


class TargetQuerySet(ScopedQuerySet["Target"]):
    pass


class Target(models.Model):
    """A number a unit's subtree is to reach in a calendar year for one indicator of the rule
    set (e.g. 820 admissions in 2024). A revised target replaces the number; the audit log
    keeps every earlier value."""

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="targets"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    indicator = models.CharField(_("indicator"), max_length=32)
    target = models.PositiveIntegerField(_("target"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = TargetQuerySet.as_manager()
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["unit", "year", "indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "indicator"], name="target_unit_year_indicator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year} {self.indicator} {self.target}"


# -- The evaluation ----------------------------------------------------------------------------

# The tables whose rows are appended, never changed (database triggers, core.append_only).
APPEND_ONLY = {
    "evaluations_selfassessment": "evaluation history is append-only",
    "evaluations_proposal": "evaluation history is append-only",
    "evaluations_decision": "evaluation history is append-only",
    "evaluations_modelrecord": "evaluation history is append-only",
    "evaluations_timetablechange": "evaluation history is append-only",
}
# Columns of the ancestor ids a rating copies (as members' periods do).
RATING_ANCESTOR_COLUMNS = 6


class AppendOnly(models.Model):
    """A row that is written once: a newer row supersedes it, nothing changes it."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("Evaluation history is append-only; record a new row instead")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Evaluation history is append-only; record a new row instead")


def _user(related_name: str = "+") -> Any:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name=related_name,
    )


def _unit(verbose: Any, *, null: bool = False, related_name: str = "+") -> Any:
    return models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=verbose,
        null=null,
        blank=null,
        on_delete=models.PROTECT,
        related_name=related_name,
    )


def _score(verbose: Any, *, null: bool = False) -> Any:
    return models.DecimalField(verbose, max_digits=6, decimal_places=2, null=null, blank=null)


class RoundQuerySet(ScopedQuerySet["Round"]):
    pass


class Round(models.Model):
    """An evaluation opened by a committee (`unit`) for its subtree: of a kind the rule set
    declares (the yearly one gives the year's ratings), as the subtree stood on the reference
    date, with its timetable: self-assessment until D1, the cells' proposals until D2, the
    decisions until D3. Closed when every rated subject has a decided level; a closed round
    changes only by a reconsideration with its document."""

    kind = models.CharField(_("kind"), max_length=32)
    year = models.PositiveSmallIntegerField(_("year"))
    unit = _unit(_("opened by"), related_name="evaluation_rounds")
    reference_date = models.DateField(_("reference date"))
    self_assessment_until = models.DateField(_("self-assessment until (D1)"))
    proposals_until = models.DateField(_("proposals until (D2)"))
    decisions_until = models.DateField(_("decisions until (D3)"))
    status = models.CharField(
        _("status"), max_length=8, choices=RoundStatus.choices, default=RoundStatus.OPEN
    )
    ruleset = models.CharField(_("rule set"), max_length=64)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    opened_by = _user()
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = _user()

    objects = RoundQuerySet.as_manager()
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("evaluation round")
        verbose_name_plural = _("evaluation rounds")
        ordering = ["-year", "unit", "kind"]
        indexes = [models.Index(fields=["year", "kind"], name="round_year_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year} {self.unit_id}"

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN


class TimetableChange(AppendOnly):
    """A round's timetable changed by the committee that opened it: the dates before and
    after, with the reason. The round carries the dates in force; these rows keep every
    earlier timetable."""

    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.PROTECT, related_name="timetable_changes"
    )
    previous_self_assessment_until = models.DateField(_("self-assessment until, before"))
    previous_proposals_until = models.DateField(_("proposals until, before"))
    previous_decisions_until = models.DateField(_("decisions until, before"))
    self_assessment_until = models.DateField(_("self-assessment until (D1)"))
    proposals_until = models.DateField(_("proposals until (D2)"))
    decisions_until = models.DateField(_("decisions until (D3)"))
    reason = models.TextField(_("reason"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = _user()

    class Meta:
        verbose_name = _("timetable change")
        verbose_name_plural = _("timetable changes")
        ordering = ["round", "id"]

    def __str__(self) -> str:
        return f"{self.round_id}: {self.decisions_until}"


class SubjectQuerySet(ScopedQuerySet["Subject"]):
    pass


class Subject(models.Model):
    """Who a round evaluates: a member (rated at `home`, the cell the member belonged to on
    the reference date) or a party organization (`unit`, its own home). Listed when the round
    opens, with what the rule set decides for it: the framework of its criteria groups, the
    unit that decides its level (and whose quota it counts in, with its group of similar
    roles), and, for a member who is not rated, the reason (`excluded`): never dropped.

    `state` is where the subject stands in the round's work (`choices.STATES`): excluded, not
    self-assessed, self-assessed without the cell's proposal, awaiting the decision, decided.
    It is a cache, like the ratings' tally (`tally.py`): a function of `excluded` and of the
    subject's step records (`SelfAssessment`, `Proposal`, `Decision`, which stay append-only:
    the history is never overwritten), stored so that the round's progress counts and
    worklists read an index rather than three correlated subqueries per subject. Who keeps it:
    `round_open` writes the initial one (excluded or not self-assessed), `subject_self_assess`,
    `subject_propose`, `subject_decide`, `subject_reconsider` and `subject_mark` (when it
    changes the exclusion) set it in their transaction (`services/rounds.py`). No other code
    writes the step records. `selectors.subject_state` over `with_state` works it out from the
    records (the definition, which the tests check the stored state against); the counts per
    state of the whole round are kept in `RoundStateCount`."""

    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.PROTECT, related_name="subjects"
    )
    kind = models.CharField(_("subject kind"), max_length=8, choices=SubjectKind.choices)
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluation_subjects",
    )
    unit = _unit(_("organization"), null=True)
    home = _unit(_("rated in"))
    framework = models.CharField(_("framework"), max_length=16, choices=Framework.choices)
    role_group = models.CharField(_("group of similar roles"), max_length=64)
    deciding_unit = _unit(_("deciding unit"))
    excluded = models.CharField(
        _("not rated because"), max_length=24, choices=Exclusion.choices, blank=True
    )
    special_case = models.CharField(
        _("special case"), max_length=24, choices=SpecialCase.choices, blank=True
    )
    host_unit = _unit(_("host cell"), null=True)
    leads = _unit(_("leads"), null=True)
    note = models.TextField(_("note"), blank=True)
    state = models.CharField(_("state"), max_length=24, default=STATE_NOT_ASSESSED, editable=False)

    objects = SubjectQuerySet.as_manager()
    scope_path_field = "home__path"

    class Meta:
        verbose_name = _("evaluation subject")
        verbose_name_plural = _("evaluation subjects")
        ordering = ["round", "home", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "member"],
                condition=models.Q(member__isnull=False),
                name="subject_round_member",
            ),
            models.UniqueConstraint(
                fields=["round", "unit"],
                condition=models.Q(unit__isnull=False),
                name="subject_round_unit",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind=SubjectKind.MEMBER, member__isnull=False, unit__isnull=True)
                    | models.Q(kind=SubjectKind.UNIT, member__isnull=True, unit__isnull=False)
                ),
                name="subject_member_or_unit",
            ),
        ]
        indexes = [
            models.Index(fields=["round", "deciding_unit"], name="subject_round_decider"),
            models.Index(fields=["round", "home"], name="subject_round_home"),
            # The round's progress (a count per state) and a worklist (one state, in the
            # order of the homes' paths): `selectors.round_progress`, `round_subjects`.
            models.Index(fields=["round", "state", "home"], name="subject_round_state_home"),
        ]

    def __str__(self) -> str:
        who = f"member {self.member_id}" if self.member_id else f"unit {self.unit_id}"
        return f"{self.round_id}: {who}"

    @property
    def is_rated(self) -> bool:
        return not self.excluded


class RoundStateCount(models.Model):
    """How many subjects of a round stand at a state (`Subject.state`): what the whole round's
    progress reads instead of counting its million subjects. A cache like the state itself:
    `round_open` writes a row per state, each change of a subject's state moves one from its
    old row to its new one in the same transaction (under the lock on the round's row that
    every step takes); the sum of a round's rows is its subjects. Rebuilt from the subjects
    by migration 0006; never edited by hand."""

    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="state_counts"
    )
    state = models.CharField(_("state"), max_length=24)
    n = models.IntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("subjects at a state")
        verbose_name_plural = _("subjects at each state")
        constraints = [
            models.UniqueConstraint(fields=["round", "state"], name="round_state_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.state} {self.n}"


class SelfAssessment(AppendOnly):
    """A member's (or a collective's) own scores on the framework's criteria groups and
    review; a later one supersedes it."""

    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.PROTECT, related_name="assessments"
    )
    scores = models.JSONField(_("scores per criteria group"))
    score = _score(_("score"))
    review = models.TextField(_("self-review"), blank=True)
    late = models.BooleanField(_("recorded after its deadline"), default=False)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = _user()

    class Meta:
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")
        ordering = ["subject", "id"]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.score}"


class Proposal(AppendOnly):
    """The cell's (for a unit, its own collective's) proposed score and level, with the vote
    that carried it; for a member on temporary transfer, the host cell's comments."""

    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.PROTECT, related_name="proposals"
    )
    score = _score(_("score"))
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    votes_for = models.PositiveIntegerField(_("votes in favour"))
    votes_against = models.PositiveIntegerField(_("votes against"))
    present = models.PositiveIntegerField(_("members present"))
    host_comments = models.TextField(_("host cell's comments"), blank=True)
    note = models.TextField(_("note"), blank=True)
    late = models.BooleanField(_("recorded after its deadline"), default=False)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = _user()

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["subject", "id"]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.level}"


class Decision(AppendOnly):
    """The deciding unit's level for a subject, on its document from the register: the
    disqualifiers that applied (their caps), the recorded reason when the level stands above a
    cap or off the score, and whether it went over the quota with a warning. A later decision
    in the open round supersedes it; after the round closed, only a reconsideration
    (`reconsideration`, with its document and reason)."""

    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.PROTECT, related_name="decisions"
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    score = _score(_("score"))
    deciding_unit = _unit(_("deciding unit"))
    document = models.ForeignKey(
        "documents.Document",
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluation_decisions",
    )
    disqualifiers = models.JSONField(_("disqualifiers"), default=list)
    override_reason = models.CharField(_("reason for the level"), max_length=32, blank=True)
    override_text = models.TextField(_("reason, as recorded"), blank=True)
    over_quota = models.BooleanField(_("over the quota (warned)"), default=False)
    reconsideration = models.BooleanField(_("reconsideration"), default=False)
    reason = models.TextField(_("reason for the reconsideration"), blank=True)
    late = models.BooleanField(_("recorded after its deadline"), default=False)
    # The steps the rule set puts before the decision that were not recorded when it was
    # made (`[evaluation.steps]` warns): "self_assessment", "proposal".
    missing_steps = models.JSONField(_("steps missing when decided"), default=list, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = _user()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["subject", "id"]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.level}"


class OutstandingUnit(models.Model):
    """A unit the deciding level marks outstanding in a round: its quota of "excellent" is the
    rule set's larger share."""

    round = models.ForeignKey(
        Round, verbose_name=_("round"), on_delete=models.PROTECT, related_name="outstanding"
    )
    unit = _unit(_("unit"))
    marked_at = models.DateTimeField(_("marked at"), auto_now_add=True)
    marked_by = _user()

    class Meta:
        verbose_name = _("outstanding unit")
        verbose_name_plural = _("outstanding units")
        constraints = [
            models.UniqueConstraint(fields=["round", "unit"], name="outstanding_round_unit")
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.unit_id}"


class RatingQuerySet(ScopedQuerySet["Rating"]):
    pass


def _ancestor(k: int) -> Any:
    return models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("ancestor at depth %(k)d") % {"k": k},
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )


class Rating(models.Model):
    """The rating of a subject (member or unit) for a year: what the figures, the dossier and
    the honours read. Written by the decision of a yearly round (and rewritten by its
    reconsideration: the decisions keep the history) or by an import of earlier ratings,
    which keeps the original label (`label`, e.g. "TSVM") beside the level the rule set maps
    it to. `rated_in` is the unit the subject was rated in (a member's cell, a unit itself);
    `anc1` .. `anc6` copy the ids of its ancestors as the tree stood on the round's reference
    date, so a subtree's counts are one GROUP BY on one indexed column, as the statistics
    count members' periods."""

    year = models.PositiveSmallIntegerField(_("year"))
    subject_kind = models.CharField(_("subject kind"), max_length=8, choices=SubjectKind.choices)
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
        db_index=False,
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
        db_index=False,
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    label = models.CharField(_("original label"), max_length=64, blank=True)
    score = _score(_("score"), null=True)
    source = models.CharField(_("source"), max_length=8, choices=RatingSource.choices)
    round = models.ForeignKey(
        Round, verbose_name=_("round"), null=True, blank=True, on_delete=models.PROTECT
    )
    decision = models.ForeignKey(
        Decision, verbose_name=_("decision"), null=True, blank=True, on_delete=models.PROTECT
    )
    document = models.ForeignKey(
        "documents.Document",
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    document_text = models.CharField(_("document, as written"), max_length=64, blank=True)
    rated_in = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("rated in"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # The grassroots organization (the deciding unit) whose quota of "excellent" the rating
    # counts in, with the subject's group of similar roles; empty for ratings imported
    # without one.
    quota_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("quota unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    role_group = models.CharField(_("group of similar roles"), max_length=64, blank=True)
    anc1 = _ancestor(1)
    anc2 = _ancestor(2)
    anc3 = _ancestor(3)
    anc4 = _ancestor(4)
    anc5 = _ancestor(5)
    anc6 = _ancestor(6)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    objects = RatingQuerySet.as_manager()
    scope_path_field = "rated_in__path"

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["year", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "year"],
                condition=models.Q(member__isnull=False),
                name="rating_member_year",
            ),
            models.UniqueConstraint(
                fields=["unit", "year"],
                condition=models.Q(unit__isnull=False),
                name="rating_unit_year",
            ),
        ]
        # A subtree's counts by level read one of these (its depth's column) and nothing else.
        indexes = [
            models.Index(
                fields=[f"anc{k}", "year", "subject_kind", "level"], name=f"rating_anc{k}_year"
            )
            for k in range(1, RATING_ANCESTOR_COLUMNS + 1)
        ] + [
            models.Index(fields=["rated_in", "year"], name="rating_rated_in_year"),
            models.Index(fields=["quota_unit", "year"], name="rating_quota_unit_year"),
        ]

    def __str__(self) -> str:
        who = f"member {self.member_id}" if self.member_id else f"unit {self.unit_id}"
        return f"{who} {self.year} {self.level}"


class ModelRecord(AppendOnly):
    """A unit's step towards a model title of the year (four good, clean and strong: the rule
    set's kinds): registered at the start of the year, recognized (or not) at its end."""

    unit = _unit(_("unit"), related_name="model_records")
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("model"), max_length=32)
    step = models.CharField(_("step"), max_length=16, choices=ModelStep.choices)
    date = models.DateField(_("date"))
    document = models.ForeignKey(
        "documents.Document",
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = _user()

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("model organization record")
        verbose_name_plural = _("model organization records")
        ordering = ["year", "unit", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "kind", "step"], name="modelrecord_unit_year_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year} {self.kind} {self.step}"


class RatingTally(models.Model):
    """How many ratings of a year stand under a unit, per key and level: what the figures
    read instead of counting millions of ratings (`evaluations/tally.py` keeps it).

    A rating counts once under each of its ancestors (`anc1` .. `anc6`, the unit itself
    included) with the key "member", or "unit:<kind of the rated unit>"; a rating with a
    quota unit counts once more under that unit with the key "quota:<group of similar
    roles>" (excellent and good only: what the quota reads). Derived data, rebuilt from the
    ratings by `tally_refresh`; never edited by hand."""

    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    key = models.CharField(_("key"), max_length=80)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    n = models.IntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("rating tally")
        verbose_name_plural = _("rating tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "key", "level"], name="rating_tally_unique"
            )
        ]
        indexes = [models.Index(fields=["year", "key"], name="rating_tally_year_key")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year} {self.key} {self.level}: {self.n}"
