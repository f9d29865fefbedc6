"""What the register shows on a unit's page (registered in `DocumentsConfig.ready` through
`orgs/panels.py`: orgs sits below documents and never imports it): the unit's latest
documents, the numbers missing from its running term, and the way to its full register."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from cadrebook.documents.numbering import document_types, printed_symbol
from cadrebook.documents.selectors import (
    masking,
    may_issue,
    number_gaps,
    search_documents,
    term_on,
)
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.panels import UnitPanel, register_unit_panel

LATEST = 5  # documents shown on the unit page; the register has the rest


def _documents(request: HttpRequest, unit: OrgUnit) -> dict[str, Any]:
    documents = list(search_documents(request.user, unit=unit)[:LATEST])
    masked = masking(request.user)
    codes = {t.type: t.code for t in document_types().values()}
    term = term_on(unit, timezone.localdate())
    gaps = number_gaps(unit, term) if term is not None else {}
    return {
        "latest_documents": [
            {
                "doc": d,
                "masked": masked(d),
                "printed": printed_symbol(d.symbol),
                "code": codes.get(d.type, d.type),
            }
            for d in documents
        ],
        "document_term": term,
        "document_gaps": [{"counter": c, "numbers": n} for c, n in gaps.items() if n],
        "may_issue_documents": may_issue(request.user, unit),
    }


def register() -> None:
    register_unit_panel(
        UnitPanel(
            name="documents",
            place="main",
            template="documents/_unit_panel.html",
            context=_documents,
        )
    )
