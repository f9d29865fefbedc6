"""The register of issued documents: the issuers' terms, the documents numbered within them,
the links between documents, their files, and the append-only history of their statuses.

Written only through `cadrebook.documents.services`. Documents are scoped by their issuer
(a unit's grant covers the documents its subtree issued); restricted and secret ones need
the grants of `documents/permissions.py` to be read (`documents/selectors.py`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cadrebook.core.scoping import ScopedQuerySet
from cadrebook.documents.choices import Confidentiality, FileKind, LinkKind, Status


def _by() -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )


# The depth of the unit a document's (and its keys') `area` names: the provinces (the centre
# is at 1).
AREA_DEPTH = 2


class TermQuerySet(ScopedQuerySet["Term"]):
    pass


class Term(models.Model):
    """A term of an issuing unit: from the day after one congress closes to the close of the
    next (`end` None while it runs). Numbers restart with each term. A congress itself is a
    term of its own (`congress`): one counter for all its documents. The term keeps the
    issuer's printed code (TU, ĐU, HU…) as it stood, so the symbols of its documents never
    change with the rule set or the unit's kind."""

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="terms"
    )
    label = models.CharField(_("label"), max_length=32)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    congress = models.BooleanField(_("congress"), default=False)
    issuer_symbol = models.CharField(_("issuer's printed code"), max_length=16)
    # Created by an import from its years alone: its bounds are the years' first and last
    # days, not the congresses' dates.
    approximate = models.BooleanField(_("bounds approximate"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _by()

    objects = TermQuerySet.as_manager()
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["unit", "start"]
        constraints = [models.UniqueConstraint(fields=["unit", "label"], name="term_unit_label")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.label}"

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class DocumentQuerySet(ScopedQuerySet["Document"]):
    pass


class Document(models.Model):
    """One issued (or drafted) document of the register: numbered in its issuer's counter for
    its term, with the symbol printed on it."""

    issuer = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("issuer"), on_delete=models.PROTECT, related_name="+"
    )
    # A type of the rule set (`documents.types`: "decision"), and the counter it was numbered
    # in when registered ("QĐ": decisions and regulations share one).
    type = models.CharField(_("type"), max_length=32)
    counter = models.CharField(_("counter"), max_length=32)
    term = models.ForeignKey(
        Term, verbose_name=_("term"), on_delete=models.PROTECT, related_name="documents"
    )
    number = models.PositiveIntegerField(_("number"))
    date = models.DateField(_("date"))
    # As printed: rendered from the parts by the rule set, or kept verbatim when given
    # (`symbol_legacy`: an old code such as "QĐi" or "HU").
    symbol = models.CharField(_("symbol"), max_length=64)
    symbol_legacy = models.BooleanField(_("legacy symbol"), default=False)
    title = models.CharField(_("title"), max_length=500)
    abstract = models.TextField(_("abstract"), blank=True, default="")
    signer_name = models.CharField(_("signer"), max_length=255, blank=True, default="")
    signer_position = models.CharField(
        _("signer's position"), max_length=255, blank=True, default=""
    )
    confidentiality = models.CharField(
        _("confidentiality"),
        max_length=16,
        choices=Confidentiality.choices,
        default=Confidentiality.NONE,
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ISSUED
    )
    language = models.CharField(_("language"), max_length=8, default="vi")
    # Accent-folded symbol (core.normalize). A search reads the document's words
    # (`DocumentWord`).
    symbol_norm = models.CharField(_("normalized symbol"), max_length=64, db_index=True)
    # The id of the issuer's unit at AREA_DEPTH (its province), as its keys carry it
    # (`DocumentWord.area`): a search within a province walks the province's register
    # latest first by its own index, not the whole register by date.
    area = models.IntegerField(_("area"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = _by()

    objects = DocumentQuerySet.as_manager()
    scope_path_field = "issuer__path"

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "term", "counter", "number"], name="document_number_once"
            )
        ]
        indexes = [
            # A unit's register, latest first; the counts by type over a period.
            models.Index(fields=["issuer", "date"], name="document_issuer_date"),
            models.Index(fields=["date", "type"], name="document_date_type"),
            # The whole register (a search's walk), latest first.
            models.Index(fields=["date", "id"], name="document_date_id"),
            # A province's register, latest first (a search's walk within a province).
            models.Index(fields=["area", "date", "id"], name="document_area_date_id"),
        ]

    def __str__(self) -> str:
        return self.symbol


class DocumentStatusChange(models.Model):
    """One status a document took, when and why (registration, a change, a later document
    replacing or revoking it). Append-only, in the database too (core.append_only)."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="statuses"
    )
    status_from = models.CharField(_("from"), max_length=16, blank=True, default="")
    status_to = models.CharField(_("to"), max_length=16, choices=Status.choices)
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=255, blank=True, default="")
    # The later document that changed it, when a link did.
    by_document = models.ForeignKey(
        Document,
        verbose_name=_("by document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _by()

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["document", "id"]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.status_from} -> {self.status_to}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("A document's history is append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("A document's history is append-only")


class DocumentLink(models.Model):
    """`source` (the later document) implements, guides, amends, replaces or revokes
    `target`; shown on both."""

    source = models.ForeignKey(
        Document, verbose_name=_("from"), on_delete=models.PROTECT, related_name="links_out"
    )
    target = models.ForeignKey(
        Document, verbose_name=_("to"), on_delete=models.PROTECT, related_name="links_in"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LinkKind.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _by()

    class Meta:
        verbose_name = _("document link")
        verbose_name_plural = _("document links")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="document_link_once")
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class DocumentFile(models.Model):
    """A file of a document (the signed PDF, attachments), stored under the var directory
    by its checksum (`settings.DOCUMENT_DIR`), never under a public URL: it is served only by
    the scoped download."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="files"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=FileKind.choices)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    # The text of the file where it can be read out (a PDF's text layer; a scan has none):
    # searched with the document's title.
    text = models.TextField(_("text"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = _by()

    class Meta:
        verbose_name = _("document file")
        verbose_name_plural = _("document files")
        ordering = ["document", "id"]

    def __str__(self) -> str:
        return self.original_name


class DocumentWord(models.Model):
    """One key a document is searched by (`documents.words`): a folded word of its symbol,
    title, abstract or files' text, or a tail of one ("28-nq/tu", "nq/tu", "tu").

    A search word is a range of the key index (every key it starts), so a word costs one
    index range however many documents hold it; `symbol` marks the keys of the symbol, the
    only ones a reader finds a masked document by. Written with the document (and its
    files) by `documents.services`, never edited: the document's keys are replaced.
    """

    pk = models.CompositePrimaryKey("document_id", "word")
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="words", db_index=False
    )
    word = models.CharField(_("word"), max_length=64)
    symbol = models.BooleanField(_("in the symbol"), default=False)
    # The id of the issuer's unit at AREA_DEPTH (its province; the issuer itself above it),
    # written with the keys and rewritten when a unit moves to another province
    # (`word_keys.fill_areas`): a search within a province reads its own keys only (the
    # index `document_word_area`), not every province's. An id, not a path prefix: paths
    # shift when a sibling is added in code order, ids never do.
    area = models.IntegerField(_("area"), default=0)

    class Meta:
        verbose_name = _("document word")
        verbose_name_plural = _("document words")
        indexes = [
            models.Index(fields=["word", "document"], name="document_word"),
            models.Index(fields=["area", "word", "document"], name="document_word_area"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} {self.word}"
