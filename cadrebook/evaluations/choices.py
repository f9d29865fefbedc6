"""Fixed codes of the evaluation: the four levels (the contract of the statistics and the
API; their thresholds and labels are the rule set's), the frameworks, what a subject is, why
a member is not rated, the special cases, where a rating comes from, a round's state."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    EXCELLENT = "excellent", _("Excellently completed duties")
    GOOD = "good", _("Well completed duties")
    COMPLETED = "completed", _("Completed duties")
    NOT_COMPLETED = "not_completed", _("Did not complete duties")


# Best first: a level's index is its rank (a cap is the worst level a subject may reach).
LEVEL_ORDER: tuple[str, ...] = tuple(Level.values)


class Framework(models.TextChoices):
    """Whose criteria groups score the subject (the groups are the rule set's)."""

    MEMBER = "member", _("Member without a leading post")
    LEADER = "leader", _("Member holding a leading post")
    ORGANIZATION = "organization", _("Party organization")


class SubjectKind(models.TextChoices):
    MEMBER = "member", _("Member")
    UNIT = "unit", _("Party organization")


class RoundStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Exclusion(models.TextChoices):
    """Why a member of the round's subtree is not rated (the rule set lists the same codes)."""

    EXEMPT = "exempt", _("Exempt from activities")
    SUSPENDED = "suspended", _("Suspended from activities")
    RECENTLY_ADMITTED = "recently_admitted", _("Admitted too recently")


class SpecialCase(models.TextChoices):
    """Rated, in a way of their own (the rule set lists the same codes)."""

    TEMPORARY_TRANSFER = "temporary_transfer", _("On temporary transfer")
    LONG_LEAVE = "long_leave", _("On long sick or maternity leave")


class RatingSource(models.TextChoices):
    ROUND = "round", _("Evaluation round")
    IMPORT = "import", _("Imported")


class ModelStep(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    RECOGNIZED = "recognized", _("Recognized")
    NOT_RECOGNIZED = "not_recognized", _("Not recognized")


# A subject's place in the round's work, as the worklists show it (`Subject.state`).
STATE_EXCLUDED = "excluded"
STATE_NOT_ASSESSED = "not_assessed"
STATE_NO_PROPOSAL = "no_proposal"
STATE_AWAITING_DECISION = "awaiting_decision"
STATE_DECIDED = "decided"
STATES = (
    STATE_EXCLUDED,
    STATE_NOT_ASSESSED,
    STATE_NO_PROPOSAL,
    STATE_AWAITING_DECISION,
    STATE_DECIDED,
)
