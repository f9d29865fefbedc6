"""Member registry: members, their append-only events, and the derived status periods."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cadrebook.core.scoping import ScopedQuerySet
from cadrebook.members.choices import (
    EducationLevel,
    EventType,
    Gender,
    MemberStatus,
    PeriodStatus,
    TheoryLevel,
)

SENSITIVE_FIELDS = ("national_id", "ethnicity", "birth_date", "phone", "address")


class MemberQuerySet(ScopedQuerySet["Member"]):
    pass


class Member(models.Model):
    """A person in the registry: applicant, member, or former member.

    `status`, `unit` and the dates after `card_number` are a cache of the fold of the
    member's events, kept by `cadrebook.members.services`; the events are the truth.
    """

    full_name = models.CharField(_("full name"), max_length=200)
    # Indexed by member_name_norm_id (name_norm, id), which also serves prefix searches.
    name_norm = models.CharField(_("normalized name"), max_length=200)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=64, blank=True)
    national_id = models.CharField(
        _("national ID number"), max_length=20, null=True, blank=True, unique=True
    )
    hometown = models.CharField(_("hometown"), max_length=255, blank=True)
    education_level = models.CharField(
        _("general education"), max_length=20, choices=EducationLevel.choices, blank=True
    )
    theory_level = models.CharField(
        _("political theory level"), max_length=20, choices=TheoryLevel.choices, blank=True
    )
    occupation = models.CharField(_("occupation"), max_length=128, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    card_number = models.CharField(
        _("member card number"), max_length=20, null=True, blank=True, unique=True
    )
    external_id = models.CharField(
        _("external id"), max_length=64, null=True, blank=True, unique=True
    )

    status = models.CharField(
        _("status"), max_length=16, choices=MemberStatus.choices, db_index=True
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    exempt = models.BooleanField(_("exempt from activities"), default=False)
    admitted_on = models.DateField(_("admitted on"), null=True, blank=True)
    recognized_on = models.DateField(_("recognized on"), null=True, blank=True)
    # Kept by the fold like the fields above, for the due lists: the start of the running
    # probation (the latest admission or readmission, as corrected; None off probation) and
    # the planned end of the running temporary transfer (None when there is none).
    probation_start = models.DateField(_("probation started on"), null=True, blank=True)
    temporary_until = models.DateField(_("temporary transfer until"), null=True, blank=True)
    pending_transfer_to = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("transfer pending to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incoming_transfers",
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = MemberQuerySet.as_manager()
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [
            models.Index(fields=["name_norm", "id"], name="member_name_norm_id"),
            # Likely duplicates (same name, same date of birth) are found by this one.
            models.Index(fields=["name_norm", "birth_date"], name="member_name_norm_birth"),
            # Statistics between two dates find the members whose age bracket changed by it.
            models.Index(fields=["birth_date"], name="member_birth_date"),
            # Member lists sorted by admission date read this in order (keyset pages).
            models.Index(fields=["admitted_on"], name="member_admitted_on"),
            # The due list "due for recognition", in its order: the members on probation by
            # the date it began, without walking every admission since 1945 to reach them.
            models.Index(
                fields=["probation_start", "id"],
                name="member_probation_start",
                condition=models.Q(status="probationary"),
            ),
            # The due list "temporary transfers ending": the few members away, by the end.
            models.Index(
                fields=["temporary_until", "id"],
                name="member_temporary_until",
                condition=models.Q(temporary_until__isnull=False),
            ),
            # The same due lists' capped counts and first pages for a province or a commune:
            # the scope's units joined to these, each a short range per unit, instead of
            # walking the whole country's list in its order to keep one member in 34.
            models.Index(
                fields=["unit", "probation_start"],
                name="member_unit_probation",
                condition=models.Q(status="probationary"),
            ),
            models.Index(
                fields=["unit", "temporary_until"],
                name="member_unit_temporary",
                condition=models.Q(temporary_until__isnull=False),
            ),
            # The due list "full members without a card", in its order: a province's first
            # page and its capped count read the few such members, not the whole subtree.
            models.Index(
                fields=["name_norm", "id"],
                name="member_full_no_card",
                condition=models.Q(status="full")
                & (models.Q(card_number__isnull=True) | models.Q(card_number="")),
            ),
            models.Index(
                fields=["unit", "name_norm"],
                name="member_unit_full_no_card",
                condition=models.Q(status="full")
                & (models.Q(card_number__isnull=True) | models.Q(card_number="")),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name


class Sponsorship(models.Model):
    """A full member who sponsors an applicant (the rule set says how many an applicant
    needs). Recorded with the registration, never changed afterwards."""

    applicant = models.ForeignKey(
        Member, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="sponsorships"
    )
    sponsor = models.ForeignKey(
        Member, verbose_name=_("sponsor"), on_delete=models.PROTECT, related_name="sponsored"
    )
    since = models.DateField(_("since"))

    class Meta:
        verbose_name = _("sponsorship")
        verbose_name_plural = _("sponsorships")
        constraints = [
            models.UniqueConstraint(fields=["applicant", "sponsor"], name="sponsorship_once")
        ]

    def __str__(self) -> str:
        return f"{self.sponsor_id} sponsors {self.applicant_id}"


class MemberEventQuerySet(ScopedQuerySet["MemberEvent"]):
    """Events are append-only: bulk updates and deletes are refused."""

    def update(self, **kwargs: object) -> int:
        raise ValueError("Member events are append-only; record a correction instead")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError("Member events are append-only; record a correction instead")


class MemberPeriodQuerySet(ScopedQuerySet["MemberPeriod"]):
    pass


class MemberEvent(models.Model):
    """One fact of a member's life. Append-only: never edited, never deleted — the ORM
    refuses it, and so do database triggers (cadrebook.core.append_only).

    A mistaken event is corrected by a later `correction` event that points at it
    (`corrects`) and either voids it or restates it with the right date or unit.
    """

    # Indexed by (member, date, id) below; a second index of its own would only slow writes.
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
    )
    type = models.CharField(_("type"), max_length=32, choices=EventType.choices)
    date = models.DateField(_("date"))
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("to unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    destination = models.CharField(_("destination outside"), max_length=255, blank=True)
    # The deciding document as written (its symbol), and the registered document it is,
    # when it is in the register (`registered_document`). A record taken over from files
    # kept elsewhere, or citing a document nobody registered, keeps the text alone, and the
    # pages say so ("as written: …, not in the register").
    document = models.CharField(_("document"), max_length=64, blank=True)
    registered_document = models.ForeignKey(
        "documents.Document",
        verbose_name=_("registered document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="member_events",
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    void = models.BooleanField(_("voids the corrected event"), default=False)
    # A decision made before Cadrebook and copied from the old files: recorded as such, and
    # exempt from what those files may lack (the deciding document, the reason, the vote).
    # The database supplies the default, so the bulk writers may leave the column out.
    taken_over = models.BooleanField(
        _("taken over from earlier records"), default=False, db_default=False
    )
    # A temporary transfer's planned end, and whether it is for study (which may last longer).
    until = models.DateField(_("until"), null=True, blank=True)
    for_study = models.BooleanField(_("for study"), default=False, db_default=False)
    # The cell's vote on an admission or a recognition, checked against the rule set's share.
    votes_for = models.PositiveIntegerField(_("votes in favour"), null=True, blank=True)
    votes_against = models.PositiveIntegerField(_("votes against"), null=True, blank=True)
    full_members = models.PositiveIntegerField(_("full members of the cell"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = MemberEventQuerySet.as_manager()
    # Events follow the member: whoever may see the member sees the whole history.
    scope_path_field = "member__unit__path"

    class Meta:
        verbose_name = _("member event")
        verbose_name_plural = _("member events")
        ordering = ["date", "id"]
        indexes = [
            models.Index(fields=["member", "date", "id"]),
            models.Index(fields=["type", "date"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.date}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("Member events are append-only; record a correction instead")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Member events are append-only; record a correction instead")


# Columns of ancestor ids on every period; the tree may not be deeper (settings.MAX_TREE_DEPTH).
ANCESTOR_COLUMNS = 6


class MemberPeriod(models.Model):
    """A stretch of time during which a member belonged to one unit with one status.

    "As of D" is `valid_from <= D < coalesce(valid_to, infinity)`. `anc1` .. `anc6` copy the ids
    of the unit's ancestors (the unit itself at its own depth), so a subtree roll-up is a
    GROUP BY on one indexed column. Maintained by `cadrebook.members.services` only.
    """

    # member, unit and anc1 .. anc6 are indexed by the (column, valid_from) indexes below;
    # single-column indexes of their own would only slow the bulk writes.
    member = models.ForeignKey(
        Member,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="periods",
        db_index=False,
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=16, choices=PeriodStatus.choices)
    exempt = models.BooleanField(_("exempt"), default=False)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    anc1 = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("ancestor at depth 1"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    anc2 = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("ancestor at depth 2"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    anc3 = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("ancestor at depth 3"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    anc4 = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("ancestor at depth 4"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    anc5 = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("ancestor at depth 5"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    anc6 = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("ancestor at depth 6"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    objects = MemberPeriodQuerySet.as_manager()
    # A period belongs to the unit it was spent in.
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("member period")
        verbose_name_plural = _("member periods")
        ordering = ["member", "valid_from", "id"]
        indexes = [
            models.Index(fields=["member", "valid_from"], name="period_member_from"),
            models.Index(fields=["unit", "valid_from"], name="period_unit_from"),
            # The full members of each cell today (cells below the minimum on the unit page):
            # counted from this index alone.
            models.Index(
                fields=["unit"],
                name="period_unit_open_full",
                condition=models.Q(valid_to__isnull=True, status="full"),
            ),
            models.Index(fields=["anc1", "valid_from"], name="period_anc1_from"),
            models.Index(fields=["anc2", "valid_from"], name="period_anc2_from"),
            models.Index(fields=["anc3", "valid_from"], name="period_anc3_from"),
            models.Index(fields=["anc4", "valid_from"], name="period_anc4_from"),
            models.Index(fields=["anc5", "valid_from"], name="period_anc5_from"),
            models.Index(fields=["anc6", "valid_from"], name="period_anc6_from"),
            # Statistics between two dates find the periods that ended between them.
            models.Index(
                fields=["valid_to"],
                name="period_valid_to",
                condition=models.Q(valid_to__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.status} {self.valid_from}..{self.valid_to}"


class MemberNameKey(models.Model):
    """One word of a member's name onwards: the name from that word to its end.

    "Nguyễn Văn An" has three keys: "nguyen van an", "van an" and "an" (`key`, accents
    folded as in `Member.name_norm`), each with its lower-case form as written
    (`key_exact`: "nguyễn văn an", "văn an", "an"). A name search is a range of one of
    their indexes: the names in which a word starts what was typed, read in the index's
    order, so its first page costs the same whether ten names match or a million
    (`members.search`). Written with the name wherever a name is written
    (`members.name_keys`), never edited: a new name replaces the member's keys.
    """

    pk = models.CompositePrimaryKey("member_id", "position")
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="name_keys", db_index=False
    )
    position = models.PositiveSmallIntegerField(_("word"))
    key = models.CharField(_("name from this word"), max_length=200)
    key_exact = models.CharField(_("name from this word, as written"), max_length=200)
    # The whole name: the order among the names sharing a key (and the index carries it).
    name_norm = models.CharField(_("normalized name"), max_length=200)
    # The id of the member's unit's ancestor at `name_keys.PROVINCE_DEPTH` (its province;
    # the unit itself above that depth, so never empty), as the unit stands now: a search
    # within a province reads the province's own range of keys (`member_name_key_province`),
    # not the country's. Kept by whatever changes a member's unit or moves a unit
    # (`members.name_keys`). An id, not a path prefix: paths shift, ids never do.
    province = models.IntegerField(_("province"), default=0)

    class Meta:
        verbose_name = _("name key")
        verbose_name_plural = _("name keys")
        indexes = [
            models.Index(fields=["key", "name_norm", "member"], name="member_name_key"),
            models.Index(fields=["key_exact", "name_norm", "member"], name="member_name_key_exact"),
            models.Index(
                fields=["province", "key", "name_norm", "member"], name="member_name_key_province"
            ),
            models.Index(
                fields=["province", "key_exact", "name_norm", "member"],
                name="member_name_key_exact_province",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.key}"


# Column orders of the bulk writers (the demo's generator, bulk import): one place for both.
# fmt: off
MEMBER_COLUMNS = (
    "id", "full_name", "name_norm", "gender", "birth_date", "ethnicity", "national_id",
    "hometown", "education_level", "theory_level", "occupation", "phone", "address",
    "card_number", "external_id", "status", "unit_id", "exempt", "admitted_on", "recognized_on",
    "probation_start", "temporary_until", "pending_transfer_to_id", "version", "created_at",
)
EVENT_COLUMNS = (
    "member_id", "type", "date", "unit_id", "to_unit_id", "destination", "document", "reason",
    "corrects_id", "void", "recorded_at", "recorded_by_id", "taken_over",
)
PERIOD_COLUMNS = (
    "member_id", "unit_id", "status", "exempt", "valid_from", "valid_to",
    *(f"anc{k}_id" for k in range(1, ANCESTOR_COLUMNS + 1)),
)
NAME_KEY_COLUMNS = ("member_id", "position", "key", "key_exact", "name_norm", "province")
# fmt: on
