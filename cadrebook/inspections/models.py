"""Inspection, supervision and discipline.

An inspecting or deciding *body* is an org unit (`body`) and which of its organs acts
(`body_kind`: its committee, standing committee, inspection committee, or a cell; the codes
and the unit kinds each may sit on are the rule set's `[inspection] bodies`).

- `InspectionProgram`: a body's yearly program; its `ProgramItem`s are the planned
  inspections and supervisions, each linked to the `Inspection` done against it.
- `Inspection`: one inspection or supervision (its kind from the rule set), decided by a body
  with its decision document, with its team (`InspectionTeamMember`), its steps and their
  dates (`InspectionStep`), its subjects and the findings on each (`InspectionSubject`), its
  conclusion, and its recommendations (`Recommendation`) followed up over time
  (`RecommendationFollowUp`: the history; the recommendation's status is the latest).
- `Discipline`: a decision on a member or an organization, and the `Appeal`s against it.

Scoping: each record copies the path of the unit that scopes it when it is written (`path`:
the inspecting or deciding body's; `subject_path`: the subject's unit's), so the statistics
and the scoped lists read one indexed column instead of joining the tree. Inspection files are
confidential: the selectors read them with `view_inspections` (`permissions.py`).

Nothing here is deleted: corrections are new rows (a follow-up, an appeal) and every change
is audited by the services (`services/`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cadrebook.core.permissions import VIEW
from cadrebook.core.scoping import ScopedQuerySet, scope_for, subtree_q
from cadrebook.inspections.choices import (
    AppealOutcome,
    DisciplineStatus,
    FollowUpStatus,
    SubjectKind,
    SubjectStatus,
)

# The tables whose rows are appended, never changed (database triggers, core.append_only).
APPEND_ONLY = {
    "inspections_recommendationfollowup": "recommendation follow-ups are append-only",
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


def _unit(verbose: Any, *, null: bool = False, related_name: str = "+") -> Any:
    return models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=verbose,
        null=null,
        blank=null,
        on_delete=models.PROTECT,
        related_name=related_name,
    )


def _member(verbose: Any, related_name: str = "+") -> Any:
    return models.ForeignKey(
        "members.Member",
        verbose_name=verbose,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name=related_name,
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


def _path(verbose: Any) -> Any:
    return models.CharField(verbose, max_length=255, db_index=False)


BODY_KIND = 32


# -- Programs ------------------------------------------------------------------------------


class InspectionProgramQuerySet(ScopedQuerySet["InspectionProgram"]):
    pass


class InspectionProgram(models.Model):
    """A body's program of inspections and supervisions for a year (its items are the plan;
    what was done against it is read from the items' inspections: "completed 9 of 10")."""

    body = _unit(_("body"), related_name="inspection_programs")
    body_kind = models.CharField(_("body kind"), max_length=BODY_KIND)
    path = _path(_("body's path"))
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=255)
    document = _document(_("document"))
    document_text = models.CharField(_("document as written"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    objects = InspectionProgramQuerySet.as_manager()
    scope_path_field = "path"

    class Meta:
        verbose_name = _("inspection program")
        verbose_name_plural = _("inspection programs")
        ordering = ["-year", "path", "body_kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["body", "body_kind", "year"], name="inspection_program_body_year"
            )
        ]
        indexes = [models.Index(fields=["path", "year"], name="inspection_program_path_year")]

    def __str__(self) -> str:
        return f"{self.body_id} {self.body_kind} {self.year}"


class ProgramItemQuerySet(ScopedQuerySet["ProgramItem"]):
    pass


class ProgramItem(models.Model):
    """One planned inspection or supervision of a program: its kind, its subject (a unit, or
    the subject as written: "the members of the standing committee"), the planned period, and
    the inspection that carried it out (None while not done)."""

    program = models.ForeignKey(
        InspectionProgram,
        verbose_name=_("program"),
        on_delete=models.PROTECT,
        related_name="items",
    )
    kind = models.CharField(_("kind"), max_length=32)
    subject_unit = _unit(_("subject unit"), null=True)
    subject_text = models.CharField(_("subject as written"), max_length=255, blank=True)
    planned_from = models.DateField(_("planned from"), null=True, blank=True)
    planned_to = models.DateField(_("planned to"), null=True, blank=True)
    inspection = models.OneToOneField(
        "Inspection",
        verbose_name=_("inspection"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="program_item_done",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    objects = ProgramItemQuerySet.as_manager()
    scope_path_field = "program__path"

    class Meta:
        verbose_name = _("program item")
        verbose_name_plural = _("program items")
        ordering = ["program", "planned_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(subject_unit__isnull=False) | ~Q(subject_text=""),
                name="program_item_has_subject",
            ),
            models.CheckConstraint(
                condition=Q(planned_from__isnull=True)
                | Q(planned_to__isnull=True)
                | Q(planned_from__lte=models.F("planned_to")),
                name="program_item_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program_id}: {self.kind} {self.subject_unit_id or self.subject_text}"


# -- Inspections ---------------------------------------------------------------------------


class InspectionQuerySet(ScopedQuerySet["Inspection"]):
    pass


class Inspection(models.Model):
    """An inspection or supervision decided by a body (`body`, `body_kind`) on `decided_on`
    with its decision document, of a kind of the rule set, on the period `period_from` ..
    `period_to` of its subjects' work; concluded on `concluded_on` with the conclusion's
    document and summary (the findings per subject are on the subjects).

    `from_higher_level`: the body stands above the own committee of an inspected unit (the
    unit itself when it has a committee, else the committee its cell belongs to): the
    inspection is "received from higher levels" on the inspected side."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    body = _unit(_("body"), related_name="inspections")
    body_kind = models.CharField(_("body kind"), max_length=BODY_KIND)
    path = _path(_("body's path"))
    kind = models.CharField(_("kind"), max_length=32)
    program_item = models.ForeignKey(
        ProgramItem,
        verbose_name=_("program item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_on = models.DateField(_("decided on"))
    decision_document = _document(_("decision document"))
    decision_document_text = models.CharField(
        _("decision document as written"), max_length=255, blank=True
    )
    period_from = models.DateField(_("period inspected from"), null=True, blank=True)
    period_to = models.DateField(_("period inspected to"), null=True, blank=True)
    concluded_on = models.DateField(_("concluded on"), null=True, blank=True)
    conclusion_document = _document(_("conclusion document"))
    conclusion_document_text = models.CharField(
        _("conclusion document as written"), max_length=255, blank=True
    )
    conclusion_summary = models.TextField(_("conclusion"), blank=True)
    from_higher_level = models.BooleanField(_("from a higher level"), default=False)
    ruleset = models.CharField(_("rule set"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    objects = InspectionQuerySet.as_manager()
    scope_path_field = "path"

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_from__isnull=True)
                | Q(period_to__isnull=True)
                | Q(period_from__lte=models.F("period_to")),
                name="inspection_period_order",
            ),
            models.CheckConstraint(
                condition=Q(concluded_on__isnull=True)
                | Q(concluded_on__gte=models.F("decided_on")),
                name="inspection_concluded_after_decision",
            ),
        ]
        indexes = [
            # The statistics: inspections by bodies in a subtree in a period.
            models.Index(fields=["path", "decided_on"], name="inspection_path_decided"),
            models.Index(fields=["decided_on"], name="inspection_decided_on"),
            # Completed in a period (concluded), by bodies in a subtree.
            models.Index(fields=["path", "concluded_on"], name="inspection_path_concluded"),
        ]

    def __str__(self) -> str:
        return self.code


class InspectionTeamMember(models.Model):
    """A member of an inspection's team: a registered member, or a name as written (an
    inspector of another committee), and whether they lead the team."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.PROTECT, related_name="team"
    )
    member = _member(_("member"))
    name = models.CharField(_("name"), max_length=200)
    is_leader = models.BooleanField(_("leads the team"), default=False)

    class Meta:
        verbose_name = _("inspection team member")
        verbose_name_plural = _("inspection team members")
        ordering = ["inspection", "-is_leader", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["inspection"],
                condition=Q(is_leader=True),
                name="inspection_one_leader",
            )
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}: {self.name}"


class InspectionStep(models.Model):
    """One step of an inspection (the rule set's steps, in their order): due on the day the
    rule set's days after the decision give (for the worklist), done on the day recorded."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.PROTECT, related_name="steps"
    )
    step = models.CharField(_("step"), max_length=32)
    position = models.PositiveSmallIntegerField(_("position"))
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    recorded_by = _user()

    class Meta:
        verbose_name = _("inspection step")
        verbose_name_plural = _("inspection steps")
        ordering = ["inspection", "position"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "step"], name="inspection_step_unique")
        ]
        indexes = [
            # The worklist: steps not done past their day.
            models.Index(
                fields=["due_on"], condition=Q(done_on__isnull=True), name="inspection_step_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}: {self.step}"


class InspectionSubjectQuerySet(ScopedQuerySet["InspectionSubject"]):
    pass


class InspectionSubject(models.Model):
    """A subject of an inspection, exactly one of a unit or a member, with the findings of
    the conclusion on it: whether a violation was found (None until concluded) and its kind
    (the rule set's `violation_kinds`).

    `subject_path` is the path of the unit inspected (the member's unit when recorded);
    `path`, `kind`, `decided_on` and `concluded_on` copy the inspection's (the last when it
    is concluded), so the statistics count subjects by the inspecting body's subtree or the
    subject's, decided or completed in a period, by kind, from this table alone: a join to
    the inspections read the whole subtree's subjects of every year (bench/inspections.py)."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.PROTECT, related_name="subjects"
    )
    unit = _unit(_("unit"), null=True, related_name="inspected_as")
    member = _member(_("member"), related_name="inspected_as")
    path = _path(_("body's path"))
    subject_path = _path(_("subject's path"))
    kind = models.CharField(_("kind"), max_length=32, blank=True)
    decided_on = models.DateField(_("decided on"))
    concluded_on = models.DateField(_("concluded on"), null=True, blank=True)
    from_higher_level = models.BooleanField(_("from a higher level"), default=False)
    violation_found = models.BooleanField(_("violation found"), null=True, blank=True)
    violation_kind = models.CharField(_("kind of violation"), max_length=32, blank=True)
    findings = models.TextField(_("findings"), blank=True)

    objects = InspectionSubjectQuerySet.as_manager()
    scope_path_field = "path"

    class Meta:
        verbose_name = _("inspection subject")
        verbose_name_plural = _("inspection subjects")
        ordering = ["inspection", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=False) & Q(member__isnull=True))
                | (Q(unit__isnull=True) & Q(member__isnull=False)),
                name="inspection_subject_exactly_one",
            ),
            models.UniqueConstraint(
                fields=["inspection", "unit"],
                condition=Q(unit__isnull=False),
                name="inspection_subject_unit_once",
            ),
            models.UniqueConstraint(
                fields=["inspection", "member"],
                condition=Q(member__isnull=False),
                name="inspection_subject_member_once",
            ),
        ]
        indexes = [
            models.Index(fields=["path", "decided_on"], name="insp_subject_path_decided"),
            models.Index(fields=["path", "concluded_on"], name="insp_subject_path_concluded"),
            models.Index(fields=["subject_path", "decided_on"], name="insp_subject_subj_decided"),
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}: {self.unit_id or self.member_id}"


class RecommendationQuerySet(ScopedQuerySet["Recommendation"]):
    pass


class Recommendation(models.Model):
    """What a conclusion asks someone to do (`owner_unit`, or the owner as written) by a
    deadline, about one subject or the inspection as a whole. `status` is the latest
    follow-up's (the follow-ups are the history); "overdue" is derived: not done past the
    deadline."""

    inspection = models.ForeignKey(
        Inspection,
        verbose_name=_("inspection"),
        on_delete=models.PROTECT,
        related_name="recommendations",
    )
    subject = models.ForeignKey(
        InspectionSubject,
        verbose_name=_("subject"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recommendations",
    )
    text = models.TextField(_("recommendation"))
    owner_unit = _unit(_("owner"), null=True)
    owner_text = models.CharField(_("owner as written"), max_length=255, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    path = _path(_("body's path"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    objects = RecommendationQuerySet.as_manager()
    scope_path_field = "path"

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["inspection", "id"]
        indexes = [
            # The worklist: recommendations not done, by deadline.
            models.Index(
                fields=["deadline"],
                condition=~Q(status=FollowUpStatus.DONE),
                name="recommendation_open_deadline",
            )
        ]

    def __str__(self) -> str:
        return f"{self.inspection_id}: {self.text[:40]}"


class RecommendationFollowUp(models.Model):
    """What was done on a recommendation by a day (appended, never changed)."""

    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("recommendation"),
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    on = models.DateField(_("on"))
    status = models.CharField(_("status"), max_length=8, choices=FollowUpStatus.choices)
    note = models.TextField(_("note"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = _user()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["recommendation", "on", "id"]

    def __str__(self) -> str:
        return f"{self.recommendation_id}: {self.on} {self.status}"


# -- Discipline ----------------------------------------------------------------------------


def _current_subject_q(user: Any, action: str, prefix: str = "") -> Q | None:
    """Disciplines whose subject stands in the user's scope *now*: a member's by the member's
    current unit, a unit's by the unit's current path (None: everything). `subject_path`
    stays what it was at the decision, for the record and the statistics; the reach follows
    the subject, so after a transfer the new unit sees the member's record and the old one
    no longer does."""
    scope = scope_for(user, action)
    if scope.everything:
        return None
    if scope.nothing:
        return Q(pk__in=[])
    return subtree_q(f"{prefix}member__unit__path", scope.paths) | subtree_q(
        f"{prefix}unit__path", scope.paths
    )


class DisciplineQuerySet(ScopedQuerySet["Discipline"]):
    def visible_to(self, user: Any, action: str = VIEW) -> DisciplineQuerySet:
        q = _current_subject_q(user, action)
        return self if q is None else self.filter(q)


class Discipline(models.Model):
    """A discipline decision on a member or an organization (exactly one, as `subject_kind`
    says): the form (the rule set's forms for that kind of subject), the deciding body, the
    decision's document, the violation (its kind, when it was committed, whether it concerned
    the member's duties), the body's votes (`votes`: {form: count, "none": count} of
    `voters_total`; for an expulsion, the proposing body's count too), the basis of the body's
    authority (`relations`: the subject's relations to the body, found and declared;
    `may_admit`: declared), and what became of it (`status`: in force, annulled or changed
    on appeal, `annulled_by` the appeal).

    Scoped by the subject as it stands now (`visible_to`: the member's current unit, the
    unit's current path: the member's record follows the member); `subject_path` is the
    subject's unit's path at the decision (the record, the statistics); `path` is the
    deciding body's, for the body's own lists and figures."""

    subject_kind = models.CharField(_("subject kind"), max_length=8, choices=SubjectKind.choices)
    member = _member(_("member"), related_name="disciplines")
    unit = _unit(_("unit"), null=True, related_name="disciplines")
    subject_status = models.CharField(
        _("standing at the decision"), max_length=16, choices=SubjectStatus.choices, blank=True
    )
    subject_path = _path(_("subject's path"))
    form = models.CharField(_("form"), max_length=32)
    body = _unit(_("body"), related_name="disciplines_decided")
    body_kind = models.CharField(_("body kind"), max_length=BODY_KIND)
    path = _path(_("body's path"))
    decided_on = models.DateField(_("decided on"))
    document = _document(_("document"))
    document_text = models.CharField(_("document as written"), max_length=255, blank=True)
    violation = models.TextField(_("violation"))
    violation_kind = models.CharField(_("kind of violation"), max_length=32, blank=True)
    violation_on = models.DateField(_("violation committed on"))
    duty_related = models.BooleanField(_("related to duties"), default=False)
    votes = models.JSONField(_("votes"), default=dict, blank=True)
    voters_total = models.PositiveIntegerField(_("voters"), null=True, blank=True)
    proposing_for = models.PositiveIntegerField(_("proposing votes for"), null=True, blank=True)
    proposing_total = models.PositiveIntegerField(_("proposing voters"), null=True, blank=True)
    # The basis on which the body's authority was accepted: the subject's relations to the
    # body as found (read from the tree, with those the caller declared: committee seats and
    # cadre management, until their records exist with issue 20) and whether the caller
    # declared the body holds the power to admit. Stored so that the decision's basis can be
    # read later, not re-derived from a tree that has since changed.
    relations = models.JSONField(_("relations to the body"), default=list, blank=True)
    may_admit = models.BooleanField(_("body may admit"), default=False)
    inspection = models.ForeignKey(
        Inspection,
        verbose_name=_("inspection"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disciplines",
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DisciplineStatus.choices,
        default=DisciplineStatus.IN_FORCE,
    )
    annulled_by = models.ForeignKey(
        "Appeal",
        verbose_name=_("changed or annulled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ruleset = models.CharField(_("rule set"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    objects = DisciplineQuerySet.as_manager()
    scope_path_field = "subject_path"

    class Meta:
        verbose_name = _("discipline")
        verbose_name_plural = _("disciplines")
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(subject_kind=SubjectKind.MEMBER)
                    & Q(member__isnull=False)
                    & Q(unit__isnull=True)
                )
                | (
                    Q(subject_kind=SubjectKind.UNIT)
                    & Q(unit__isnull=False)
                    & Q(member__isnull=True)
                ),
                name="discipline_exactly_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(violation_on__lte=models.F("decided_on")),
                name="discipline_violation_before_decision",
            ),
        ]
        indexes = [
            # The statistics: disciplines on subjects in a subtree, and by bodies in one.
            models.Index(fields=["subject_path", "decided_on"], name="discipline_subject_decided"),
            models.Index(fields=["path", "decided_on"], name="discipline_path_decided"),
        ]

    def __str__(self) -> str:
        return f"{self.form} {self.member_id or self.unit_id} {self.decided_on}"

    @property
    def current_subject_path(self) -> str:
        """The path the subject stands at now (the member's unit's, or the unit's)."""
        if self.member_id is not None:
            return self.member.unit.path
        return self.unit.path


class AppealQuerySet(ScopedQuerySet["Appeal"]):
    def visible_to(self, user: Any, action: str = VIEW) -> AppealQuerySet:
        """Scoped like the discipline appealed: by its subject as it stands now."""
        q = _current_subject_q(user, action, prefix="discipline__")
        return self if q is None else self.filter(q)


class Appeal(models.Model):
    """An appeal against a discipline: lodged on `lodged_on`, the decision having been
    received on `received_on` (the deadline counts from it), decided by the body the rule set
    names, with its outcome (a changed form in `new_form`) and its document."""

    discipline = models.ForeignKey(
        Discipline, verbose_name=_("discipline"), on_delete=models.PROTECT, related_name="appeals"
    )
    lodged_on = models.DateField(_("lodged on"))
    received_on = models.DateField(_("decision received on"))
    body = _unit(_("body"), related_name="appeals_decided")
    body_kind = models.CharField(_("body kind"), max_length=BODY_KIND)
    path = _path(_("body's path"))
    subject_path = _path(_("subject's path"))
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=8, choices=AppealOutcome.choices, default=AppealOutcome.PENDING
    )
    new_form = models.CharField(_("new form"), max_length=32, blank=True)
    document = _document(_("document"))
    document_text = models.CharField(_("document as written"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _user()

    objects = AppealQuerySet.as_manager()
    scope_path_field = "subject_path"

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-lodged_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(received_on__lte=models.F("lodged_on")),
                name="appeal_lodged_after_received",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=AppealOutcome.CHANGED) | ~Q(new_form=""),
                name="appeal_changed_names_form",
            ),
        ]
        indexes = [
            models.Index(fields=["subject_path", "lodged_on"], name="appeal_subject_lodged"),
            models.Index(fields=["path", "lodged_on"], name="appeal_path_lodged"),
        ]

    def __str__(self) -> str:
        return f"{self.discipline_id}: {self.lodged_on} {self.outcome}"
