"""The figure `cadres` of the statistics: the posts held on the period's end by position and
level, their holders by gender, age bracket, ethnicity and qualification, the planning's
structure against the targets, and the period's posts begun and ended and confidence votes;
for a subtree and each subordinate unit, a sibling's records left out; the number of
queries does not grow with the units."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cadrebook.cadres.figures import CADRES, born_by, cadre_figures
from cadrebook.cadres.planning_selectors import confidence_outcome
from cadrebook.cadres.services import (
    committee_term_open,
    confidence_session_record,
    holding_end,
    planning_add,
    post_appoint,
    post_elect,
)
from cadrebook.reports.selectors import PeriodSource, unit_statistics

D = dt.date
OUTSIDE_PLANNING = "05-QĐ/TU (outside planning)"
Y2025 = (D(2025, 1, 1), D(2025, 12, 31))


@pytest.fixture
def world(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
    make_member: Any,
) -> SimpleNamespace:
    """On 31/12/2025, C1's committee: k1 secretary (elected), a Tày woman born 1990
    deputy secretary (appointed), k1b inspection chair (appointed, resigned 30/06/2025);
    G1's secretary: k1b (elected). C2's subtree: GC's secretary (elected, outside C1).
    Planning of C1 from 2025-03-05: the woman for secretary, another woman born 1995 for
    deputy secretary. A confidence vote of C1 on 2025-11-20 (k1 with a low vote)."""
    woman = make_member(
        tree.K1, D(1990, 6, 1), D(2012, 5, 1), recognized=True, gender="female", ethnicity="Tày"
    )
    young = make_member(tree.K1, D(1995, 6, 1), D(2018, 5, 1), recognized=True, gender="female")
    gc_term = committee_term_open(actor=organizer, unit=tree.GC, start=D(2025, 1, 1))
    elected = {"term": terms.c1, "votes_for": 7, "votes_total": 9, "started_on": D(2025, 1, 5)}
    secretary = post_elect(
        actor=organizer, member=people.k1, unit=tree.C1, position="secretary", **elected
    )
    appointed = {"started_on": D(2025, 3, 10), "document": decision}
    deputy = post_appoint(
        actor=organizer,
        member=woman,
        unit=tree.C1,
        position="deputy_secretary",
        outside_planning_text=OUTSIDE_PLANNING,
        **appointed,
    )
    chair = post_appoint(
        actor=organizer,
        member=people.k1b,
        unit=tree.C1,
        position="inspection_chair",
        outside_planning_text=OUTSIDE_PLANNING,
        **appointed,
    )
    holding_end(actor=organizer, holding=chair, ended_on=D(2025, 6, 30), reason="resigned")
    g1_secretary = post_elect(
        actor=organizer,
        member=people.k1b,
        unit=tree.G1,
        position="secretary",
        term=terms.g1,
        started_on=D(2025, 1, 6),
        votes_for=5,
        votes_total=6,
    )
    gc_secretary = post_elect(
        actor=organizer,
        member=people.gc,
        unit=tree.GC,
        position="secretary",
        term=gc_term,
        started_on=D(2025, 1, 7),
        votes_for=5,
        votes_total=6,
    )
    planned = {"actor": organizer, "unit": tree.C1, "term": terms.c1}
    planned["document_text"] = "12-QĐ/TU (planning)"
    planning_add(**planned, position="secretary", member=woman, added_on=D(2025, 3, 5))
    planning_add(**planned, position="deputy_secretary", member=young, added_on=D(2025, 3, 5))
    confidence_session_record(
        actor=organizer,
        unit=tree.C1,
        held_on=D(2025, 11, 20),
        summoned=30,
        present=21,
        results=[
            {"member": people.k1, "high": 5, "confidence": 5, "low": 11},
            {"member": woman, "high": 15, "confidence": 5, "low": 1},
        ],
    )
    return SimpleNamespace(
        woman=woman,
        young=young,
        secretary=secretary,
        deputy=deputy,
        chair=chair,
        g1_secretary=g1_secretary,
        gc_secretary=gc_secretary,
    )


def test_posts_and_holders_on_the_period_s_end(tree: SimpleNamespace, world: Any) -> None:
    figure = cadre_figures([tree.C1], *Y2025)[tree.C1.pk]
    # k1 secretary and the woman deputy of C1, k1b secretary of G1: the chair ended.
    assert figure["posts"] == 3 and figure["people"] == 3
    assert figure["by_position"]["secretary"] == 2
    assert figure["by_position"]["deputy_secretary"] == 1
    assert figure["by_position"]["inspection_chair"] == 0
    # C1 is a commune committee (level 3), G1 a grassroots committee (level 2).
    assert figure["by_level"] == {"3": {"posts": 2, "people": 2}, "2": {"posts": 1, "people": 1}}
    assert figure["by_gender"] == {"male": 2, "female": 1}
    assert figure["by_ethnicity"] == {"majority": 0, "minorities": 1, "unknown": 2}
    # Born 1980-03-01 (two) and 1990-06-01: 45 and 35 on 31/12/2025.
    assert figure["by_age_bracket"]["41-50"] == 2
    assert figure["by_age_bracket"]["31-40"] == 1
    assert sum(figure["by_education"].values()) == 3
    assert sum(figure["by_theory"].values()) == 3


def test_the_chair_is_counted_while_she_held_the_post(tree: SimpleNamespace, world: Any) -> None:
    figure = cadre_figures([tree.C1], D(2025, 1, 1), D(2025, 6, 30))[tree.C1.pk]
    assert figure["by_position"]["inspection_chair"] == 1
    # k1b holds two posts (C1's inspection chair, G1's secretary): one person.
    assert figure["posts"] == 4 and figure["people"] == 3


def test_the_period_s_posts_begun_and_ended_and_votes(tree: SimpleNamespace, world: Any) -> None:
    figure = cadre_figures([tree.C1], *Y2025)[tree.C1.pk]
    assert figure["started"]["elected"] == 2 and figure["started"]["appointed"] == 2
    assert figure["ended"]["resigned"] == 1
    confidence = figure["confidence"]
    assert confidence["sessions"] == 1 and confidence["results"] == 2
    # 11 "low" of 21 present: more than half, less than two thirds (the rule set's shares),
    # as `confidence_outcome` says.
    assert confidence_outcome(11, 21)[0] == "out_of_planning"
    assert confidence["by_outcome"] == {"dismissal": 0, "out_of_planning": 1, "none": 1}
    # Another year: nothing in the period, the posts still held.
    later = cadre_figures([tree.C1], D(2026, 1, 1), D(2026, 12, 31))[tree.C1.pk]
    assert later["posts"] == 3 and not any(later["started"].values())
    assert later["confidence"]["sessions"] == 0


def test_the_planning_structure_against_the_targets(tree: SimpleNamespace, world: Any) -> None:
    planning = cadre_figures([tree.C1], *Y2025)[tree.C1.pk]["planning"]
    assert (planning["people"], planning["entries"], planning["lists"]) == (2, 2, 2)
    # Both women, 35 and 30 on 31/12/2025: both young (44 or less), in the first bracket.
    assert planning["by_age_bracket"] == {"0-44": 2, "45-54": 0, "55+": 0}
    assert planning["shares"]["women"] == {
        "count": 2,
        "percent": 100.0,
        "target_percent": 25.0,
        "short": False,
    }
    assert planning["shares"]["young"]["count"] == 2
    assert planning["shares"]["ethnic_minority"]["count"] == 1
    assert planning["shares"]["ethnic_minority"]["target_percent"] is None
    # Two brackets empty: marked as the structure report marks them.
    assert planning["shortfalls"] == ["age_brackets"]
    assert list(planning["by_level"]) == ["3"] and planning["by_level"]["3"]["people"] == 2


def test_a_subtree_leaves_out_its_siblings(tree: SimpleNamespace, world: Any) -> None:
    figures = cadre_figures([tree.P, tree.C1, tree.C2], *Y2025)
    assert figures[tree.P.pk]["posts"] == 4  # C1's two, G1's and GC's
    assert figures[tree.C2.pk]["posts"] == 1
    assert figures[tree.C2.pk]["planning"]["people"] == 0
    assert figures[tree.C2.pk]["confidence"]["sessions"] == 0
    assert figures[tree.C1.pk]["posts"] == 3
    # GC (a grassroots cell, level 2) in the province's figures only.
    assert figures[tree.P.pk]["by_level"]["2"] == {"posts": 2, "people": 2}
    g1 = cadre_figures([tree.G1], *Y2025)[tree.G1.pk]
    assert g1["posts"] == 1 and g1["planning"]["people"] == 0


def test_the_queries_do_not_grow_with_the_units(tree: SimpleNamespace, world: Any) -> None:
    with CaptureQueriesContext(connection) as one:
        cadre_figures([tree.P, tree.C1], *Y2025)
    with CaptureQueriesContext(connection) as three:
        cadre_figures([tree.P, tree.C1, tree.C2, tree.G1], *Y2025)
    # One more depth (G1's) adds its distinct counts; more units at a depth add nothing.
    with CaptureQueriesContext(connection) as same_depth:
        cadre_figures([tree.P, tree.C1, tree.C2], *Y2025)
    assert len(same_depth) == len(one)
    assert len(three) <= len(one) + 6


def test_the_statistics_carry_the_figure_for_the_unit_and_its_children(
    tree: SimpleNamespace, world: Any
) -> None:
    stats = unit_statistics(tree.P, *Y2025, source=PeriodSource())
    assert stats[CADRES]["posts"] == 4
    by_child = {c["unit"]: c[CADRES] for c in stats["children"]}
    assert by_child["C1"]["posts"] == 3 and by_child["C2"]["posts"] == 1
    # The year before: nobody held a post yet.
    assert stats["previous"][CADRES]["posts"] == 0


@pytest.mark.parametrize(
    ("day", "years", "born"),
    [
        (D(2025, 12, 31), 45, D(1980, 12, 31)),
        (D(2024, 2, 29), 45, D(1979, 2, 28)),
        (D(2025, 3, 1), 0, D(2025, 3, 1)),
    ],
)
def test_born_by_counts_whole_years_as_the_planning_does(
    day: dt.date, years: int, born: dt.date
) -> None:
    from cadrebook.cadres.planning_selectors import _age

    assert born_by(day, years) == born
    assert _age(born, day) >= years
    assert _age(born + dt.timedelta(days=1), day) < years
