"""Fixed codes of the inspections app: what a subject of a discipline is, the member's standing
at the decision, the state of a discipline, the outcome of an appeal, and the recommendation's
follow-up states. The lists that regulations may change (kinds of inspection, steps, violation
kinds, the bodies that may inspect, the forms of discipline) are the rule set's."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The most full members a voting body may be recorded with (the deciding body, the
# proposing one): not a regulation's number but the records' bound, far above any party
# body, which keeps a count within what the database stores.
MAX_VOTERS = 100_000


class SubjectKind(models.TextChoices):
    MEMBER = "member", _("Member")
    UNIT = "unit", _("Party organization")


class SubjectStatus(models.TextChoices):
    """A disciplined member's standing on the day of the decision (the forms differ)."""

    FULL = "full", _("Full member")
    PROBATIONARY = "probationary", _("Probationary member")


class DisciplineStatus(models.TextChoices):
    IN_FORCE = "in_force", _("In force")
    ANNULLED = "annulled", _("Annulled")
    CHANGED = "changed", _("Changed")


class AppealOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    UPHELD = "upheld", _("Upheld")
    CHANGED = "changed", _("Changed")
    ANNULLED = "annulled", _("Annulled")


class FollowUpStatus(models.TextChoices):
    """A recommendation's follow-up: the rule set labels the same three codes
    (`[inspection] recommendation_statuses`)."""

    OPEN = "open", _("Not done")
    PARTLY = "partly", _("Partly done")
    DONE = "done", _("Done")


# Derived, never stored: an open or partly done recommendation past its deadline.
OVERDUE = "overdue"

# The steps of an inspection the services know by name (the rule set lists them in order with
# their days; these two are recorded by opening and concluding the inspection).
STEP_DECISION = "decision"
STEP_CONCLUSION = "conclusion"
