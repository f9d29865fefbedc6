"""The fixed codes of the register: confidentiality, status, links and files. The document
types and their printed codes are the rule set's (`documents.types`), not choices."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Confidentiality(models.TextChoices):
    NONE = "none", _("Not confidential")
    RESTRICTED = "restricted", _("Restricted")
    SECRET = "secret", _("Secret")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    AMENDED = "amended", _("Amended")
    REPLACED = "replaced", _("Replaced")
    REVOKED = "revoked", _("Revoked")


class LinkKind(models.TextChoices):
    """How a (newer) document stands to another: it implements, guides, amends, replaces or
    revokes it."""

    IMPLEMENTS = "implements", _("implements")
    GUIDES = "guides", _("guides")
    AMENDS = "amends", _("amends")
    REPLACES = "replaces", _("replaces")
    REVOKES = "revokes", _("revokes")


# What a link does to the status of the document it points to.
LINK_STATUS = {
    LinkKind.AMENDS: Status.AMENDED,
    LinkKind.REPLACES: Status.REPLACED,
    LinkKind.REVOKES: Status.REVOKED,
}


class FileKind(models.TextChoices):
    SIGNED = "signed", _("Signed document")
    ATTACHMENT = "attachment", _("Attachment")


# The names of the types the contract lists (the rule set's codes are English words); a type
# only a rule set names is shown by its code.
TYPE_NAMES = {
    "resolution": _("Resolution"),
    "decision": _("Decision"),
    "regulation": _("Regulation"),
    "working_rules": _("Working rules"),
    "directive": _("Directive"),
    "conclusion": _("Conclusion"),
    "guideline": _("Guideline"),
    "plan": _("Plan"),
    "notice": _("Notice"),
    "report": _("Report"),
    "program": _("Program"),
    "project": _("Project"),
    "official_letter": _("Official letter"),
    "minutes": _("Minutes"),
    "submission": _("Submission"),
    "circular": _("Circular"),
}


def type_name(code: str) -> str:
    """The name of the document type `code` in the active language (its code if unnamed)."""
    return str(TYPE_NAMES.get(code, code))
