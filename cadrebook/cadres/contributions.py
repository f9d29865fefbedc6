"""What the cadres app contributes to the statistics, the dashboard and the report document,
through the registry of `core/contributions.py` (registered in `apps.py`):

- the figure "cadres" (`figures.py`): the committee posts held on the period's end by
  position and level of the unit, their holders by gender, age bracket, ethnicity and
  qualification, the planning's structure against the rule set's targets (shortfalls
  marked), and the period's elections and appointments, ends, rotations and confidence
  votes;
- its tables, the dashboard's chart (posts, holders and people in planning by level) and
  the report's sentences: "12 committee posts held on 31/12/2024 by 12 people: 3 women
  (25.00%), 1 from an ethnic minority (8.33%). Planning: 18 people for 7 posts; women
  22.22% against a target of 25.00% (short), young 16.67% against a target of 15.00%."

Privacy: the age brackets and the ethnicity are read from the members' sensitive fields. A
reader without `view_sensitive` on the unit gets the figure as `reports/privacy.py` gives a
confidential figure: withheld (None) for a small subtree and per subordinate unit, else with
the age and ethnicity breakdowns (and the planning's brackets, young and minority shares)
withheld (`cadres_mask`), as the planning structure's API masks them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cadrebook.cadres.choices import EndReason, HoldingHow
from cadrebook.cadres.figures import CADRES, MAJORITY, MINORITIES, UNKNOWN, cadre_figures
from cadrebook.cadres.planning_selectors import DISMISSAL, OUT_OF_PLANNING
from cadrebook.cadres.rules import cadre_rules
from cadrebook.core.contributions import (
    Chart,
    FigureContribution,
    FigureScope,
    PanelContribution,
    ReportSection,
    Stats,
    Table,
)
from cadrebook.core.numbers import pct, percent
from cadrebook.core.permissions import VIEW_SENSITIVE
from cadrebook.core.rules import current_ruleset
from cadrebook.members.choices import EducationLevel, Gender, TheoryLevel

PANEL = CADRES
# The breakdowns derived from the members' sensitive fields (date of birth, ethnicity).
SENSITIVE = ("by_age_bracket", "by_ethnicity")
SENSITIVE_SHARES = ("young", "ethnic_minority")


def _load_nothing(parent: Any, first_year: int, last_year: int, children: bool) -> None:
    return None  # counted per period in the compute: a few grouped queries


def _cadres(scope: FigureScope, _loaded: Any) -> dict[int, dict[str, Any]]:
    return cadre_figures(scope.units, scope.date_from, scope.date_to, scope.as_of, scope.rules)


# Labels -------------------------------------------------------------------------------------


def level_label(level: str) -> str:
    """A level of `[cadres] kind_levels` by the unit kinds on it: "Commune committee"."""
    rules = current_ruleset()
    kinds = [k for k, lv in cadre_rules().kind_levels.items() if str(lv) == str(level)]
    names = [rules.unit_kinds[k].display_label for k in kinds if k in rules.unit_kinds]
    return " / ".join(names) or _("Other units")


def target_label(code: str) -> str:
    return {
        "women": _("Women"),
        "young": _("Young"),
        "ethnic_minority": _("Ethnic minorities"),
    }.get(code, code)


def ethnicity_label(key: str) -> str:
    return {
        MAJORITY: _("Majority group"),
        MINORITIES: _("Ethnic minorities"),
        UNKNOWN: _("Not recorded"),
    }.get(key, key)


def outcome_label(key: str) -> str:
    return {
        DISMISSAL: _("Low confidence: dismissal share reached"),
        OUT_OF_PLANNING: _("Low confidence: out of planning"),
    }.get(key, _("No consequence"))


def _choice_label(choices: Any, key: str) -> str:
    try:
        return str(choices(key).label)
    except ValueError:
        return _("Not recorded") if key in (UNKNOWN, "") else key


def _date(value: str) -> str:
    return formats.date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT", use_l10n=True)


def _listed(phrases: list[str]) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return _("%(list)s and %(last)s") % {"list": ", ".join(phrases[:-1]), "last": phrases[-1]}


# The sentences ------------------------------------------------------------------------------


def _holders_sentence(figure: dict[str, Any], as_of: str) -> str | None:
    posts, people = figure["posts"], figure["people"]
    if not posts:
        return None
    head = ngettext(
        "%(n)d committee post held on %(date)s by %(people)s",
        "%(n)d committee posts held on %(date)s by %(people)s",
        posts,
    ) % {
        "n": posts,
        "date": _date(as_of),
        "people": ngettext("%(n)d person", "%(n)d people", people) % {"n": people},
    }
    parts = []
    women = figure["by_gender"].get(Gender.FEMALE, 0)
    parts.append(
        ngettext("%(n)d woman (%(pct)s%%)", "%(n)d women (%(pct)s%%)", women)
        % {"n": women, "pct": pct(percent(women, people))}
    )
    ethnicity = figure.get("by_ethnicity")
    if ethnicity is not None:
        n = ethnicity.get(MINORITIES, 0)
        parts.append(
            ngettext(
                "%(n)d from an ethnic minority (%(pct)s%%)",
                "%(n)d from ethnic minorities (%(pct)s%%)",
                n,
            )
            % {"n": n, "pct": pct(percent(n, people))}
        )
    return _("%(head)s: %(list)s.") % {"head": head, "list": _listed(parts)}


def _planning_sentence(planning: dict[str, Any]) -> str | None:
    people = planning["people"]
    if not people:
        return None
    head = ngettext(
        "Planning: %(n)d person for %(posts)s", "Planning: %(n)d people for %(posts)s", people
    ) % {
        "n": people,
        "posts": ngettext("%(n)d post", "%(n)d posts", planning["lists"])
        % {"n": planning["lists"]},
    }
    parts = []
    for code, share in planning["shares"].items():
        if share["percent"] is None:
            continue  # masked
        values = {
            "what": target_label(code),
            "pct": pct(share["percent"]),
            "target": pct(share["target_percent"]),
        }
        if share["target_percent"] is None:
            parts.append(_("%(what)s %(pct)s%%") % values)
        elif share["short"]:
            parts.append(_("%(what)s %(pct)s%% against a target of %(target)s%% (short)") % values)
        else:
            parts.append(_("%(what)s %(pct)s%% against a target of %(target)s%%") % values)
    if not parts:
        return _("%(head)s.") % {"head": head}
    return _("%(head)s; %(list)s.") % {"head": head, "list": _listed(parts)}


def _period_sentence(figure: dict[str, Any]) -> str | None:
    started = figure["started"]
    parts = []
    for how, phrase in (
        (HoldingHow.ELECTED, lambda n: ngettext("%(n)d elected", "%(n)d elected", n)),
        (HoldingHow.APPOINTED, lambda n: ngettext("%(n)d appointed", "%(n)d appointed", n)),
        (HoldingHow.ACTING, lambda n: ngettext("%(n)d acting", "%(n)d acting", n)),
        (HoldingHow.SECONDED, lambda n: ngettext("%(n)d seconded", "%(n)d seconded", n)),
    ):
        n = started.get(how, 0)
        if n:
            parts.append(phrase(n) % {"n": n})
    ended = sum(figure["ended"].values())
    if ended:
        parts.append(ngettext("%(n)d post ended", "%(n)d posts ended", ended) % {"n": ended})
    stints = figure["rotations_started"]
    if stints:
        parts.append(
            ngettext("%(n)d cadre rotated", "%(n)d cadres rotated", stints) % {"n": stints}
        )
    confidence = figure["confidence"]
    if confidence["sessions"]:
        parts.append(
            ngettext(
                "%(n)d confidence vote on %(people)s",
                "%(n)d confidence votes on %(people)s",
                confidence["sessions"],
            )
            % {
                "n": confidence["sessions"],
                "people": ngettext("%(n)d person", "%(n)d people", confidence["results"])
                % {"n": confidence["results"]},
            }
        )
    if not parts:
        return None
    return _("Posts in the period: %(list)s.") % {"list": _listed(parts)}


def cadres_sentences(stats: Stats) -> list[str]:
    """The posts held on the period's end and their women and minorities; the planning's
    structure against its targets; the period's elections, appointments, ends, rotations
    and votes. None when there is nothing (or the figure is withheld)."""
    figure = stats.get(CADRES)
    if not figure:
        return []
    sentences = [
        _holders_sentence(figure, stats["as_of"]),
        _planning_sentence(figure["planning"]),
        _period_sentence(figure),
    ]
    return [s for s in sentences if s]


# The tables ---------------------------------------------------------------------------------


def _has_anything(figure: dict[str, Any]) -> bool:
    return bool(
        figure["posts"]
        or figure["planning"]["people"]
        or any(figure["started"].values())
        or any(figure["ended"].values())
        or figure["rotations_started"]
        or figure["confidence"]["sessions"]
    )


def cadres_tables(stats: Stats) -> list[Table]:
    """The posts by position and by level; their holders by gender, age bracket, ethnicity
    and qualification; the planning's structure by level against the targets; the period's
    posts begun and ended, rotations and votes. None when there is nothing."""
    figure = stats.get(CADRES)
    if not figure or not _has_anything(figure):
        return []
    rules = cadre_rules()
    tables = []
    if figure["posts"]:
        posts = Table(_("Committee posts by position"), [_("Position"), _("Posts")])
        for code, n in figure["by_position"].items():
            if n:
                posts.rows.append([rules.position_label(code), n])
        posts.rows.append([_("Total"), figure["posts"]])
        tables.append(posts)
        levels = Table(
            _("Committee posts by level"), [_("Level of the units"), _("Posts"), _("People")]
        )
        for level, counts in figure["by_level"].items():
            levels.rows.append([level_label(level), counts["posts"], counts["people"]])
        tables.append(levels)
        holders = Table(
            _("Post holders"),
            [
                _("Breakdown"),
                _("Group"),
                _("People"),
                # xgettext:no-python-format
                _("% of holders"),
            ],
        )
        people = figure["people"]

        def add(title: str, counts: dict[str, Any] | None, label: Any) -> None:
            if counts is None:
                holders.rows.append([title, _("Withheld"), None, None])
                return
            for key, n in counts.items():
                holders.rows.append([title, label(key), n, percent(n, people)])

        add(_("Gender"), figure["by_gender"], lambda k: _choice_label(Gender, k))
        add(_("Age"), figure["by_age_bracket"], lambda k: _("Unknown") if k == UNKNOWN else k)
        add(_("Ethnicity"), figure["by_ethnicity"], ethnicity_label)
        add(_("Education"), figure["by_education"], lambda k: _choice_label(EducationLevel, k))
        add(
            _("Political theory"),
            figure["by_theory"],
            lambda k: _choice_label(TheoryLevel, "" if k == "none" else k),
        )
        tables.append(holders)
    planning = figure["planning"]
    if planning["people"]:
        table = Table(
            _("Planning structure"),
            [
                _("Level of the units"),
                _("People"),
                # xgettext:no-python-format
                _("Women %"),
                # xgettext:no-python-format
                _("Young %"),
                # xgettext:no-python-format
                _("Ethnic minorities %"),
                _("Short of the targets"),
            ],
        )
        rows = [(_("All levels"), planning)] + [
            (level_label(k), v) for k, v in planning["by_level"].items()
        ]
        for label, s in rows:
            shares = s["shares"]
            table.rows.append(
                [
                    label,
                    s["people"],
                    *(shares[c]["percent"] for c in ("women", "young", "ethnic_minority")),
                    ", ".join(target_label(c) for c in s["shortfalls"] if c != "age_brackets")
                    + (_(" (an empty age bracket)") if "age_brackets" in s["shortfalls"] else ""),
                ]
            )
        targets = planning["shares"]
        table.rows.append(
            [
                _("Targets"),
                None,
                *(targets[c]["target_percent"] for c in ("women", "young", "ethnic_minority")),
                None,
            ]
        )
        tables.append(table)
        if planning["by_age_bracket"] is not None:
            brackets = Table(_("Planning by age bracket"), [_("Age"), _("People")])
            for label, n in planning["by_age_bracket"].items():
                brackets.rows.append([label, n])
            tables.append(brackets)
    period = Table(
        _("Posts, rotations and confidence votes in the period"), [_("What"), _("Count")]
    )
    for how in HoldingHow:
        period.rows.append([_("Began: %(how)s") % {"how": how.label}, figure["started"][how]])
    for reason in EndReason:
        period.rows.append(
            [_("Ended: %(reason)s") % {"reason": reason.label}, figure["ended"][reason]]
        )
    period.rows.append([_("Rotation stints started"), figure["rotations_started"]])
    confidence = figure["confidence"]
    period.rows.append([_("Confidence votes held"), confidence["sessions"]])
    period.rows.append([_("People voted on"), confidence["results"]])
    for key, n in confidence["by_outcome"].items():
        period.rows.append([outcome_label(key), n])
    tables.append(period)
    return tables


# The dashboard ------------------------------------------------------------------------------


def cadres_chart(stats: Stats) -> Chart:
    """The posts held, their holders and the people in planning by level of the unit, as
    bars; the table gives the same numbers."""
    figure = stats.get(CADRES) or {"by_level": {}, "planning": {"by_level": {}}}
    planning = figure["planning"]["by_level"]
    levels = sorted(set(figure["by_level"]) | set(planning), key=lambda k: -int(k))
    labels = [level_label(k) for k in levels]
    posts = [figure["by_level"].get(k, {}).get("posts", 0) for k in levels]
    people = [figure["by_level"].get(k, {}).get("people", 0) for k in levels]
    planned = [planning.get(k, {}).get("people", 0) for k in levels]
    option = {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 50, "right": 20, "top": 40, "bottom": 40, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "data": labels, "inverse": True},
        "series": [
            {"name": _("Posts held"), "type": "bar", "data": posts},
            {"name": _("Post holders"), "type": "bar", "data": people},
            {"name": _("People in planning"), "type": "bar", "data": planned},
        ],
    }
    rows = [[label, posts[i], people[i], planned[i]] for i, label in enumerate(labels)]
    return Chart(
        PANEL,
        _("Committee posts and planning by level"),
        option,
        [_("Level of the units"), _("Posts held"), _("Post holders"), _("People in planning")],
        rows,
    )


# Privacy ------------------------------------------------------------------------------------


def _mask_structure(s: dict[str, Any]) -> None:
    s["by_age_bracket"] = None
    for code in SENSITIVE_SHARES:
        if code in s["shares"]:
            s["shares"][code].update(count=None, percent=None, short=False)
    s["shortfalls"] = [
        c for c in s["shortfalls"] if c not in SENSITIVE_SHARES and c != "age_brackets"
    ]


def cadres_mask(figure: dict[str, Any] | None, small: int) -> dict[str, Any] | None:
    """The cadres figure for a reader who may not read the members' sensitive fields: the
    breakdowns by age bracket and ethnicity withheld (None), and the planning's brackets,
    young and minority shares too, no shortfall claimed for them (as the planning
    structure's API masks them). The posts, the genders, the qualifications and the
    period's counts stay: they are not derived from sensitive fields."""
    if figure is None:
        return None
    for key in SENSITIVE:
        figure[key] = None
    planning = figure["planning"]
    _mask_structure(planning)
    for s in planning["by_level"].values():
        _mask_structure(s)
    return figure


CADRES_FIGURE = FigureContribution(
    key=CADRES,
    load=_load_nothing,
    compute=_cadres,
    read_action=VIEW_SENSITIVE,
    mask_small=cadres_mask,
)
# After the discipline (76), before the subordinate units (90).
CADRES_SECTION = ReportSection(
    id=CADRES, order=80, tables=cadres_tables, sentences=cadres_sentences
)
# After the inspections (38), before the members by status (40).
CADRES_PANEL = PanelContribution(PANEL, 39, lambda stats, history, tree: cadres_chart(stats))
