"""The fixed codes of cadre work (the API's and the imports' words). The positions and their
seats are the rule set's (`[cadres]`), not codes here."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class HoldingHow(models.TextChoices):
    """How a post came to be held."""

    ELECTED = "elected", _("Elected")
    APPOINTED = "appointed", _("Appointed")
    ACTING = "acting", _("Acting")
    SECONDED = "seconded", _("Seconded")


class EndReason(models.TextChoices):
    """Why a holding ended."""

    RESIGNED = "resigned", _("Resigned")
    DISMISSED = "dismissed", _("Dismissed")
    END_OF_TERM = "end_of_term", _("End of term")
    REMOVED_BY_DISCIPLINE = "removed_by_discipline", _("Removed from post by discipline")
    RETIRED = "retired", _("Retired")


# The reasons a person records with `holding_end`; the others come with what causes them
# (the term's close, a discipline decision).
ENDED_BY_HAND = (EndReason.RESIGNED, EndReason.DISMISSED, EndReason.END_OF_TERM, EndReason.RETIRED)


class NominationStep(models.TextChoices):
    """The step of the planning (or appointment) procedure a nomination round was held at."""

    LEADERSHIP = "leadership", _("Nominated by the leadership")
    EXPANDED_MEETING = "expanded_meeting", _("Expanded meeting")
    COMMITTEE = "committee", _("Committee vote")


class NominationPurpose(models.TextChoices):
    """What a person is nominated for in a round."""

    PLANNING = "planning", _("Planning")
    APPOINTMENT = "appointment", _("Appointment")


class PlanningRemovalReason(models.TextChoices):
    """Why a person left a planning list."""

    REVIEW = "review", _("Yearly review: standards or duties not met")
    AGE_LIMIT = "age_limit", _("Past the age limit")
    DISCIPLINE = "discipline", _("Disciplined at reprimand or above")
    CONFIDENCE_VOTE = "confidence_vote", _("Low confidence vote")
    APPOINTED = "appointed", _("Appointed or elected to the post")
    OTHER = "other", _("Other reason")
