"""How a record elsewhere cites a document of the register: the symbol read out of free
text ("Số 28-NQ/TU", "QĐ số 01-QĐ/TW"), the registered document it stands for, and the
checks a cited document passes (the citing actor may read it; it was issued).

Other apps (members' events today; discipline, appointments and inspections later) ask these
before they store a reference, and the members' migration that links the old free text asks
`match_symbol` with its historical models: so its queries name only fields every version of
`Document` has (`symbol_norm`, `issuer__path`, `date`, `term__start`, `term__end`, `status`).
Reads only; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from cadrebook.core.errors import ServiceError
from cadrebook.core.normalize import normalize_name
from cadrebook.documents.choices import Status
from cadrebook.documents.models import Document
from cadrebook.documents.selectors import readable_documents

# A symbol in folded text: the number, a dash, the type's code, a slash, the issuer's code
# ("28-nq/tu", "01-qd/tw", "12 - qd / du", "167-kh/tu-btc"). The codes are letters (folded:
# "QĐ" reads "qd", "QĐi" "qdi"); the issuer's may hold dashes and digits ("ubkttw", "tu-btc").
SYMBOL_RE = re.compile(
    r"(?<![\w-])(\d{1,6})\s*-\s*([a-z]{1,8})\s*/\s*([a-z][a-z0-9]*(?:-[a-z0-9]+)*)(?![\w/])"
)
# The widths a number may be printed with (the rule set pads to `number_width`: "01").
NUMBER_WIDTHS = (1, 2, 3, 4)


def symbol_key(text: str) -> str | None:
    """The one symbol `text` names, folded, its number without padding ("Số 01-QĐ/TW" ->
    "1-qd/tw"); None when it names none or more than one (a reader must decide)."""
    found = {
        f"{int(n)}-{code}/{issuer}" for n, code, issuer in SYMBOL_RE.findall(normalize_name(text))
    }
    return found.pop() if len(found) == 1 else None


def symbol_forms(key: str) -> list[str]:
    """The folded symbols (`Document.symbol_norm`) a key may be stored as: its number padded
    to each width a rule set may print ("1-qd/tw", "01-qd/tw", "001-qd/tw"…)."""
    number, _dash, rest = key.partition("-")
    return sorted({f"{number.zfill(width)}-{rest}" for width in NUMBER_WIDTHS})


def match_symbol(
    documents: QuerySet[Any], text: str, ancestor_paths: list[str], day: dt.date
) -> Any | None:
    """The registered document that `text` cites, for a record of a unit whose ancestors
    (itself included) have `ancestor_paths`, dated `day`; None when there is no such one
    document.

    A record rests on a document of its own unit or of a committee above it, issued on or
    before its date (drafts were never issued). The same symbol comes back each term
    (399-QĐ/TW of term XIII, 01-QĐ/TW of term XIV, and later a second 01-QĐ/TW): among
    several, the one of a term that covers the day is taken; if that still leaves more
    than one, or none, the text names no single document and stays text."""
    key = symbol_key(text)
    if key is None or not ancestor_paths:
        return None
    candidates = list(
        documents.filter(
            symbol_norm__in=symbol_forms(key),
            issuer__path__in=ancestor_paths,
            date__lte=day,
        )
        .exclude(status=Status.DRAFT)
        .select_related("term")[:20]
    )
    if len(candidates) > 1:
        candidates = [
            d
            for d in candidates
            if d.term.start <= day and (d.term.end is None or day <= d.term.end)
        ]
    return candidates[0] if len(candidates) == 1 else None


def _not_in_register(reference: object) -> ServiceError:
    # The same words for a document that does not exist and one the actor may not read,
    # as a 404 is the same for both: a refusal must not tell what exists out of sight.
    return ServiceError(
        "not_found",
        _("No document %(ref)s in the register you can read.") % {"ref": reference},
        field="document",
    )


def cited_document(actor: Any, document: Document | int) -> Document:
    """The document a record cites by its id (or as given), checked: the actor may read it
    (else refused as missing) and it was issued (a draft is refused)."""
    pk = document.pk if isinstance(document, Document) else document
    found = readable_documents(actor).filter(pk=pk).first()
    if found is None:
        raise _not_in_register(f"#{pk}")
    if found.status == Status.DRAFT:
        raise ServiceError(
            "document.not_issued",
            _("%(symbol)s is a draft: a record can only rest on an issued document.")
            % {"symbol": found.symbol},
            field="document",
        )
    return found


def document_by_symbol(
    actor: Any, text: str, ancestor_paths: list[str], day: dt.date
) -> Document | None:
    """The issued document `text` cites (`match_symbol`) among those the actor may read;
    None when it names none of them (the text then stays text: a document out of the
    actor's sight is not linked, and its existence is not told)."""
    match: Document | None = match_symbol(readable_documents(actor), text, ancestor_paths, day)
    return match


def readable_ids(actor: Any, ids: set[int]) -> set[int]:
    """Which of the documents `ids` the actor may open (one query): a page links those and
    prints the others' symbols as text."""
    if not ids:
        return set()
    return set(readable_documents(actor).filter(Q(pk__in=ids)).values_list("pk", flat=True))
