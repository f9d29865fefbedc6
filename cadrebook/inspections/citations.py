"""What the register's pages show of inspections and disciplines: the records of this app
that cite a document (registered with `documents.citations` in `apps.py`; the register never
imports inspections).

Inspection and discipline files are confidential: a citation is listed only to a user whose
`view_inspections` scope covers the record (the inspecting body's for an inspection, the
subject's for a discipline or an appeal), and it names only what the file's list names (the
inspection's code and kind; the discipline's form and date), never the subject's name. Each
links to the record's page (the inspection's, the discipline's: an appeal's is its
discipline's), which the same `view_inspections` scope opens.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from cadrebook.documents.citations import Citation, register_citations
from cadrebook.documents.models import Document
from cadrebook.inspections import selectors
from cadrebook.inspections.discipline_rules import discipline_rules
from cadrebook.inspections.rules import inspection_rules

KIND_INSPECTION = "inspection"
KIND_DISCIPLINE = "discipline"
# The most records one document lists.
LIMIT = 1000


def inspection_citations(document: Document, user: Any) -> list[Citation]:
    """The inspections in the user's sight decided or concluded by `document`."""
    found = (
        selectors.inspections(user)
        .filter(Q(decision_document=document) | Q(conclusion_document=document))
        .order_by("-decided_on", "-id")[:LIMIT]
    )
    rules = inspection_rules()
    out = []
    for i in found:
        url = reverse("inspections:inspection", args=[i.pk])
        if i.decision_document_id == document.pk:
            out.append(
                Citation(
                    label=_("Inspection %(code)s decided: %(kind)s")
                    % {"code": i.code, "kind": rules.kind_label(i.kind)},
                    date=i.decided_on,
                    url=url,
                    kind=KIND_INSPECTION,
                )
            )
        if i.conclusion_document_id == document.pk and i.concluded_on is not None:
            out.append(
                Citation(
                    label=_("Inspection %(code)s concluded: %(kind)s")
                    % {"code": i.code, "kind": rules.kind_label(i.kind)},
                    date=i.concluded_on,
                    url=url,
                    kind=KIND_INSPECTION,
                )
            )
    return out


def discipline_citations(document: Document, user: Any) -> list[Citation]:
    """The disciplines and appeals in the user's sight that rest on `document`."""
    rules = discipline_rules()
    out = [
        Citation(
            label=_("Discipline: %(form)s") % {"form": rules.form_label(d.form)},
            date=d.decided_on,
            url=reverse("inspections:discipline", args=[d.pk]),
            kind=KIND_DISCIPLINE,
        )
        for d in selectors.disciplines(user).filter(document=document)[:LIMIT]
    ]
    out += [
        Citation(
            label=_("Appeal decided: %(outcome)s") % {"outcome": a.get_outcome_display()},
            date=a.decided_on or a.lodged_on,
            url=reverse("inspections:discipline", args=[a.discipline_id]),
            kind=KIND_DISCIPLINE,
        )
        for a in selectors.appeals(user).filter(document=document)[:LIMIT]
    ]
    return out


def register() -> None:
    register_citations(inspection_citations, name=KIND_INSPECTION)
    register_citations(discipline_citations, name=KIND_DISCIPLINE)
