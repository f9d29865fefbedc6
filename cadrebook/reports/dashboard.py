"""The dashboard's charts: ECharts options and, for each, a table with the same numbers.

Pure functions of the statistics (docs/reports.md), the membership history and the tree
sizes, so what the chart draws and what its table says cannot differ. The page shows the
panels of the registry (`core/contributions.py`): these, which `apps.py` registers, and any
an app contributes.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from cadrebook.core import contributions
from cadrebook.core.contributions import Chart, PanelContribution
from cadrebook.reports.privacy import OTHER_GROUPS

__all__ = ["Chart", "dashboard_charts"]


def _legend_tooltip(option: dict[str, Any], axis: bool = True) -> dict[str, Any]:
    option.setdefault("tooltip", {"trigger": "axis" if axis else "item"})
    option.setdefault("legend", {"top": 0})
    option.setdefault(
        "grid", {"left": 50, "right": 20, "top": 40, "bottom": 40, "containLabel": True}
    )
    option["animation"] = False
    return option


def membership_chart(history: list[dict[str, Any]]) -> Chart:
    years = [str(h["year"]) for h in history]
    series = [
        ("total", _("Members")),
        ("full", _("Full members")),
        ("probationary", _("Probationary members")),
    ]
    option = _legend_tooltip(
        {
            "xAxis": {"type": "category", "data": years},
            "yAxis": {"type": "value"},
            "series": [
                {"name": label, "type": "line", "data": [h[key] for h in history]}
                for key, label in series
            ],
        }
    )
    rows = [[h["as_of"], h["total"], h["full"], h["probationary"]] for h in history]
    return Chart(
        "membership",
        _("Membership over ten years"),
        option,
        [_("Date"), *[label for _key, label in series]],
        rows,
    )


def _plotted(n: Any) -> int | None:
    """A count as a chart draws it: a count hidden for privacy ("< 5", or withheld) is no bar."""
    return n if isinstance(n, int) else None


def withheld_title(title: str, members: dict[str, Any]) -> str:
    """The title of a chart of a breakdown the reader's role is not given (privacy)."""
    if members.get("by_age_bracket") is not None:
        return title
    return _("%(title)s: not given for this date or this size of unit") % {"title": title}


def pyramid_chart(stats: dict[str, Any]) -> Chart:
    """Men to the left (as negative values, shown without sign), women to the right."""
    members = stats["members"]
    pyramid = members["by_age_bracket_gender"] or {}
    brackets = list(members["by_age_bracket"] or {})
    men = [pyramid.get(b, {}).get("male", 0) for b in brackets]
    women = [pyramid.get(b, {}).get("female", 0) for b in brackets]
    drawn_men = [_plotted(n) for n in men]
    option = _legend_tooltip(
        {
            "pyramid": True,  # the page's script shows these values without their sign
            "yAxis": {"type": "category", "data": brackets},
            "xAxis": {"type": "value"},
            "series": [
                {
                    "name": _("Men"),
                    "type": "bar",
                    "stack": "age",
                    "data": [None if n is None else -n for n in drawn_men],
                },
                {
                    "name": _("Women"),
                    "type": "bar",
                    "stack": "age",
                    "data": [_plotted(n) for n in women],
                },
            ],
        }
    )
    all_members = members["by_age_bracket"] or {}
    rows = [[b, m, w, all_members[b]] for b, m, w in zip(brackets, men, women, strict=True)]
    return Chart(
        "pyramid",
        withheld_title(_("Age pyramid"), members),
        option,
        [_("Age"), _("Men"), _("Women"), _("Members")],
        rows,
    )


# More bars than this are unreadable; the report's XLSX lists every subordinate unit.
MAX_BARS = 60


def admissions_chart(stats: dict[str, Any]) -> Chart:
    """Admissions and targets of the subordinate units (the MAX_BARS largest by members)."""
    names, admitted, targets = [], [], []
    children = stats["children"]
    if len(children) > MAX_BARS:
        biggest = sorted(children, key=lambda c: (-c["members"]["total"], c["unit"]))[:MAX_BARS]
        keep = {c["unit"] for c in biggest}
        children = [c for c in children if c["unit"] in keep]
    for child in children:
        names.append(child["name"])
        admitted.append(child["movements"]["admitted"])
        targets.append(
            next(
                (t["target"] for t in child.get("targets", []) if t["indicator"] == "admissions"),
                None,
            )
        )
    series: list[dict[str, Any]] = [{"name": _("Admitted"), "type": "bar", "data": admitted}]
    if any(t is not None for t in targets):
        series.append({"name": _("Target"), "type": "bar", "data": targets})
    option = _legend_tooltip(
        {
            "xAxis": {"type": "category", "data": names, "axisLabel": {"rotate": 30}},
            "yAxis": {"type": "value"},
            "dataZoom": [{"type": "slider"}] if len(names) > 30 else [],
            "series": series,
        }
    )
    rows = [[n, a, t] for n, a, t in zip(names, admitted, targets, strict=True)]
    title = _("Admissions against target by subordinate unit")
    if len(stats["children"]) > MAX_BARS:
        title = _("Admissions against target: the %(n)s largest of %(total)s subordinate units") % {
            "n": MAX_BARS,
            "total": len(stats["children"]),
        }
    return Chart(
        "admissions",
        title,
        option,
        [_("Unit"), _("Admitted"), _("Target")],
        rows,
    )


def _pie(chart_id: str, title: str, pairs: list[tuple[str, int]]) -> Chart:
    option = _legend_tooltip(
        {
            "series": [
                {
                    "name": title,
                    "type": "pie",
                    "radius": ["40%", "70%"],
                    "data": [{"name": label, "value": _plotted(n)} for label, n in pairs],
                }
            ]
        },
        axis=False,
    )
    return Chart(chart_id, title, option, [_("Group"), _("Members")], [list(p) for p in pairs])


def status_chart(stats: dict[str, Any]) -> Chart:
    m = stats["members"]
    chart = _pie(
        "status",
        _("Members by status"),
        [(_("Full members"), m["full"]), (_("Probationary members"), m["probationary"])],
    )
    chart.rows.append([_("of whom exempt from activities"), m["exempt"]])
    return chart


def ethnicity_chart(stats: dict[str, Any]) -> Chart:
    eth = stats["members"]["by_ethnicity"] or {"groups": {}}
    pairs = [(_("Other groups") if g == OTHER_GROUPS else g, n) for g, n in eth["groups"].items()]
    if eth.get("unknown"):
        pairs.append((_("Not recorded"), eth["unknown"]))
    title = withheld_title(_("Members by ethnic group"), stats["members"])
    return _pie("ethnicity", title, pairs)


def tree_chart(tree: dict[str, Any]) -> Chart:
    def node(n: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"name": n["name"], "value": n["value"]}
        if n["children"]:
            out["children"] = [node(c) for c in n["children"]]
        return out

    option = {
        "animation": False,
        "tooltip": {"trigger": "item"},
        "series": [
            {
                "type": "treemap",
                "name": tree["name"],
                "roam": False,
                "leafDepth": 1,
                "data": [node(c) for c in tree["children"]],
            }
        ],
    }
    rows = [[c["name"], c["value"]] for c in tree["children"]]
    return Chart("tree", _("Members by unit"), option, [_("Unit"), _("Members")], rows)


# The reports' own panels, in their order on the page; other apps' panels go between them.
PANELS = [
    PanelContribution("membership", 10, lambda stats, history, tree: membership_chart(history)),
    PanelContribution("pyramid", 20, lambda stats, history, tree: pyramid_chart(stats)),
    PanelContribution("admissions", 30, lambda stats, history, tree: admissions_chart(stats)),
    PanelContribution("status", 40, lambda stats, history, tree: status_chart(stats)),
    PanelContribution("ethnicity", 50, lambda stats, history, tree: ethnicity_chart(stats)),
    PanelContribution("tree", 60, lambda stats, history, tree: tree_chart(tree)),
]


def dashboard_charts(
    stats: dict[str, Any], history: list[dict[str, Any]], tree: dict[str, Any]
) -> list[Chart]:
    """The charts of every registered panel, in their order."""
    return [panel.build(stats, history, tree) for panel in contributions.panels()]
