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
