"""Choices of the members app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class MemberStatus(models.TextChoices):
    """Where a person stands now; derived from the events by the services."""

    APPLICANT = "applicant", _("Applicant")
    PROBATIONARY = "probationary", _("Probationary member")
    FULL = "full", _("Full member")
    REMOVED = "removed", _("Removed from the rolls")
    EXPELLED = "expelled", _("Expelled")
    DECEASED = "deceased", _("Deceased")
    LEFT = "left", _("Transferred out of this deployment")


ACTIVE_STATUSES = (MemberStatus.PROBATIONARY, MemberStatus.FULL)


class PeriodStatus(models.TextChoices):
    PROBATIONARY = "probationary", _("Probationary member")
    FULL = "full", _("Full member")


class EventType(models.TextChoices):
    REGISTERED = "registered", _("Registered as applicant")
    # The cell's resolution proposing the admission, sent up: the upper committee's decision
    # deadline runs from it. Neither it nor an extension changes status or periods.
    ADMISSION_PROPOSED = "admission_proposed", _("Admission proposed by the cell")
    DECISION_EXTENDED = "decision_extended", _("Decision deadline extended")
    ADMITTED = "admitted", _("Admitted (probationary)")
    RECOGNIZED = "recognized", _("Recognized as full member")
    NOT_RECOGNIZED = "not_recognized", _("Not recognized (removed)")
    TRANSFER_OUT = "transfer_out", _("Transfer issued")
    TRANSFER_IN = "transfer_in", _("Transfer accepted")
    TRANSFER_RETURNED = "transfer_returned", _("Transfer returned")
    TEMPORARY_TRANSFER = "temporary_transfer", _("Temporary transfer")
    TEMPORARY_TRANSFER_ENDED = "temporary_transfer_ended", _("Temporary transfer ended")
    EXEMPTED = "exempted", _("Exempted from activities")
    EXEMPTION_ENDED = "exemption_ended", _("Exemption ended")
    REMOVED = "removed", _("Removed from the rolls")
    EXPELLED = "expelled", _("Expelled")
    DECEASED = "deceased", _("Deceased")
    READMITTED = "readmitted", _("Readmitted")
    CORRECTION = "correction", _("Correction")


class EducationLevel(models.TextChoices):
    LITERATE = "literate", _("Literate")
    PRIMARY = "primary", _("Primary")
    LOWER_SECONDARY = "lower_secondary", _("Lower secondary")
    UPPER_SECONDARY = "upper_secondary", _("Upper secondary")


class TheoryLevel(models.TextChoices):
    NONE = "", _("None")
    ELEMENTARY = "elementary", _("Elementary")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")
