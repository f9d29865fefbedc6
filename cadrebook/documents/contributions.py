"""What the register contributes to the statistics, through the registry of
`core/contributions.py` (registered in `apps.py`): the figure "documents", `{"by_type": {type
code: count}}`, the documents the units of each subtree issued (drafts aside) in the period.
The report's sentence ("issued 13 regulations, 19 plans …") is not written yet."""

from __future__ import annotations

from typing import Any

from cadrebook.core.contributions import FigureContribution, FigureScope
from cadrebook.documents.selectors import counts_by_type

FIGURE = "documents"


def document_figures(scope: FigureScope, _loaded: Any) -> dict[int, dict[str, Any]]:
    """Unit id -> {"by_type": {type: count}} over the scope's period (the previous year's
    statistics ask again with their own period)."""
    counts = counts_by_type(scope.units, scope.date_from, scope.date_to)
    return {u.pk: {"by_type": counts.get(u.pk, {})} for u in scope.units}


def _load(parent: Any, first_year: int, last_year: int, children: bool) -> None:
    return None  # counted per period in `document_figures`: one query per depth


def _csv_key(item: Any) -> str:
    return str(item)


DOCUMENT_FIGURE = FigureContribution(
    key=FIGURE, load=_load, compute=document_figures, csv_key=_csv_key
)
