"""How a page of another app prints the document a record cites: `{% load
document_references %}{% document_reference document text readable %}`.

- a registered document the viewer may open: its symbol, linked to its page (when the
  register's pages are installed: the link is made by the URL name `documents:detail`, and
  without it the symbol is printed as text);
- a registered document the viewer may not open: its symbol, as text (symbols are never
  masked: they are printed on the record itself);
- no registered document, only text: the text, marked "as written, not in the register".
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


def document_url(pk: int) -> str | None:
    """The document's page, or None where the register has no pages (yet)."""
    try:
        return reverse("documents:detail", args=[pk])
    except NoReverseMatch:
        return None


@register.simple_tag
def document_reference(document: Any, text: str, readable: Any = ()) -> SafeString | str:
    """The cited document (a `Document` or None), its text as written, and the ids of the
    documents the viewer may open (`documents.references.readable_ids`)."""
    if document is not None:
        url = document_url(document.pk) if document.pk in readable else None
        if url is None:
            return format_html('<span data-document="{}">{}</span>', document.pk, document.symbol)
        return format_html(
            '<a href="{}" data-document="{}">{}</a>', url, document.pk, document.symbol
        )
    if not text:
        return ""
    return format_html(
        '<span class="text-secondary" data-document-text>{}</span>',
        _("as written: %(text)s, not in the register") % {"text": text},
    )
