"""What the register contributes to the statistics, through the registry of
`core/contributions.py` (registered in `apps.py`): the figure "documents", `{"by_type": {type
code: count}}`, the documents the units of each subtree issued (drafts aside) in the period,
and the report's sentence that states them ("Documents issued: 13 regulations, 19 plans and
7 guidelines."), most first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cadrebook.core.contributions import FigureContribution, FigureScope, ReportSection, Stats
from cadrebook.core.numbers import num
from cadrebook.documents.numbering import document_types
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


# How the report counts each type of the rule set, with its plural forms (a type the rule
# set adds later is counted as "n documents (type)" until it has its words here).
COUNTED: dict[str, Callable[[int], str]] = {
    "resolution": lambda n: ngettext("%(count)s resolution", "%(count)s resolutions", n),
    "decision": lambda n: ngettext("%(count)s decision", "%(count)s decisions", n),
    "regulation": lambda n: ngettext("%(count)s regulation", "%(count)s regulations", n),
    "working_rules": lambda n: ngettext(
        "%(count)s set of working rules", "%(count)s sets of working rules", n
    ),
    "directive": lambda n: ngettext("%(count)s directive", "%(count)s directives", n),
    "conclusion": lambda n: ngettext("%(count)s conclusion", "%(count)s conclusions", n),
    "guideline": lambda n: ngettext("%(count)s guideline", "%(count)s guidelines", n),
    "plan": lambda n: ngettext("%(count)s plan", "%(count)s plans", n),
    "notice": lambda n: ngettext("%(count)s notice", "%(count)s notices", n),
    "report": lambda n: ngettext("%(count)s report", "%(count)s reports", n),
    "program": lambda n: ngettext("%(count)s program", "%(count)s programs", n),
    "project": lambda n: ngettext("%(count)s project", "%(count)s projects", n),
    "official_letter": lambda n: ngettext(
        "%(count)s official letter", "%(count)s official letters", n
    ),
    "minutes": lambda n: ngettext("%(count)s set of minutes", "%(count)s sets of minutes", n),
    "submission": lambda n: ngettext("%(count)s submission", "%(count)s submissions", n),
    "circular": lambda n: ngettext("%(count)s circular", "%(count)s circulars", n),
}


def counted(type_code: str, count: int) -> str:
    """ "13 regulations", in the active language."""
    phrase = COUNTED.get(type_code)
    if phrase is None:
        return ngettext(
            "%(count)s document (%(type)s)", "%(count)s documents (%(type)s)", count
        ) % {"count": num(count), "type": type_code}
    return phrase(count) % {"count": num(count)}


def document_sentences(stats: Stats) -> list[str]:
    """The report's sentence, "Documents issued: 13 regulations, 19 plans and 7
    guidelines.": the types issued in the period, the most issued first (ties in the rule
    set's order of types), those with none left out; no sentence when nothing was issued."""
    by_type = (stats.get(FIGURE) or {}).get("by_type") or {}
    order = {code: i for i, code in enumerate(document_types())}
    issued = sorted(
        ((code, n) for code, n in by_type.items() if n),
        key=lambda item: (-item[1], order.get(item[0], len(order)), item[0]),
    )
    if not issued:
        return []
    phrases = [counted(code, n) for code, n in issued]
    if len(phrases) == 1:
        listed = phrases[0]
    else:
        listed = _("%(list)s and %(last)s") % {"list": ", ".join(phrases[:-1]), "last": phrases[-1]}
    return [_("Documents issued: %(list)s.") % {"list": listed}]


# After the targets (50), before the subordinate units (90).
DOCUMENT_SECTION = ReportSection(id=FIGURE, order=60, sentences=document_sentences)
