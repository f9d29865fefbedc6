"""Writing the search keys of documents (`DocumentWord`), and reading a PDF's text for them.

The registration writes a document's keys in its transaction, an attached file adds its
text's (`write_words`); the migration that made the keys wrote them for the documents
already there with the same `documents.words` functions, and the synthetic generator
computes them so and copies them in. A document and its keys carry its issuer's province
(`area`), which follows a unit's move (`move_areas`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from cadrebook.core.scoping import PATH_END
from cadrebook.documents.models import AREA_DEPTH, Document, DocumentWord
from cadrebook.documents.words import document_keys
from cadrebook.orgs.models import OrgUnit

log = logging.getLogger(__name__)

# A PDF's text is read from its first pages only, and kept to this many characters: the
# register searches what a document is about, not every word of a 300-page annex.
PDF_PAGES = 30
PDF_TEXT_LENGTH = 100_000


def word_rows(document: Document, texts: Iterable[str] = ()) -> list[DocumentWord]:
    """The keys of `document` (its symbol, title, abstract, and `texts`)."""
    keys = document_keys(document.symbol, [document.title, document.abstract, *texts])
    area = document.area
    return [
        DocumentWord(document_id=document.pk, word=word, symbol=symbol, area=area)
        for word, symbol in keys.items()
    ]


def write_words(document: Document) -> None:
    """Write the keys of `document`, its files' text included, replacing any it had."""
    texts = list(document.files.exclude(text="").values_list("text", flat=True))
    DocumentWord.objects.filter(document=document).delete()
    DocumentWord.objects.bulk_create(word_rows(document, texts), batch_size=2000)


def area_path(path: str) -> str:
    """The path of the unit that names the `area` of a unit at `path` (itself above
    AREA_DEPTH)."""
    return path[: AREA_DEPTH * OrgUnit.steplen]


def area_of(issuer: OrgUnit) -> int:
    """The `area` of the keys of a document `issuer` issued: the id of its unit at
    AREA_DEPTH."""
    if issuer.depth <= AREA_DEPTH:
        return int(issuer.pk)
    return int(OrgUnit.objects.values_list("pk", flat=True).get(path=area_path(issuer.path)))


def move_areas(path: str) -> None:
    """After the unit at `path` (its new path) moved, with its subtree: set the `area` of the
    documents its subtree issued and of their keys from the issuers' places now (the
    subtree may have gone to another province). The keys follow their issuer, or a search
    within the new province would miss them and one within the old would find them."""
    fill_document_areas(path)
    fill_key_areas(path)


def _areas(path: str) -> dict[int, list[int]]:
    """Area -> the units under `path` (every unit when empty) whose documents are in it."""
    units = OrgUnit.objects.all()
    if path:
        units = units.filter(path__gte=path, path__lt=path + PATH_END)
    issuers = list(units.values_list("pk", "path", "depth"))
    tops = dict(
        OrgUnit.objects.filter(
            path__in={area_path(p) for _pk, p, d in issuers if d > AREA_DEPTH}
        ).values_list("path", "pk")
    )
    by_area: dict[int, list[int]] = defaultdict(list)
    for pk, unit_path, depth in issuers:
        by_area[pk if depth <= AREA_DEPTH else tops[area_path(unit_path)]].append(pk)
    return by_area


def fill_document_areas(path: str = "") -> None:
    """Set the `area` of the documents issued in the subtree at `path` (every document when
    empty) from their issuers' places now: one UPDATE per area (those already right are
    not written)."""
    for area, unit_ids in _areas(path).items():
        Document.objects.filter(issuer_id__in=unit_ids).exclude(area=area).update(area=area)


def fill_key_areas(path: str = "") -> None:
    """Set the `area` of the keys of the documents issued in the subtree at `path` (every
    document when empty) to their documents' area: one UPDATE per area."""
    for area, unit_ids in _areas(path).items():
        documents = Document.objects.filter(issuer_id__in=unit_ids).values("pk")
        DocumentWord.objects.filter(document_id__in=documents).exclude(area=area).update(area=area)


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
