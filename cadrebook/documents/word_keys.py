"""Writing the search keys of documents (`DocumentWord`), and reading a PDF's text for them.

The registration writes a document's keys in its transaction, an attached file adds its
text's (`write_words`); the migration that made the keys writes them for the documents
already there (`fill_words`), the synthetic generator computes them with the same
`documents.words` functions and copies them in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from cadrebook.documents.models import Document, DocumentWord
from cadrebook.documents.words import document_keys

log = logging.getLogger(__name__)

# A PDF's text is read from its first pages only, and kept to this many characters: the
# register searches what a document is about, not every word of a 300-page annex.
PDF_PAGES = 30
PDF_TEXT_LENGTH = 100_000


def word_rows(document: Document, texts: Iterable[str] = ()) -> list[DocumentWord]:
    """The keys of `document` (its symbol, title, abstract, and `texts`)."""
    keys = document_keys(document.symbol, [document.title, document.abstract, *texts])
    return [
        DocumentWord(document_id=document.pk, word=word, symbol=symbol)
        for word, symbol in keys.items()
    ]


def write_words(document: Document) -> None:
    """Write the keys of `document`, its files' text included, replacing any it had."""
    texts = list(document.files.exclude(text="").values_list("text", flat=True))
    DocumentWord.objects.filter(document=document).delete()
    DocumentWord.objects.bulk_create(word_rows(document, texts), batch_size=2000)


def fill_words() -> None:
    """Write the keys of every document (the migration that made them)."""
    for document in Document.objects.order_by("pk").iterator(chunk_size=2000):
        write_words(document)


def pdf_text(path: Path) -> str:
    """The text layer of a PDF (empty for a scan or a damaged file): at most
    PDF_TEXT_LENGTH characters of its first PDF_PAGES pages."""
    from pypdf import PdfReader  # read only when a file is attached

    parts: list[str] = []
    size = 0
    try:
        reader = PdfReader(str(path))
        for page in reader.pages[:PDF_PAGES]:
            text = page.extract_text() or ""
            parts.append(text)
            size += len(text)
            if size >= PDF_TEXT_LENGTH:
                break
    except Exception:  # noqa: BLE001 - any unreadable PDF is kept, without text
        log.warning("No text read from %s", path.name)
        return ""
    return "\n".join(parts)[:PDF_TEXT_LENGTH]
