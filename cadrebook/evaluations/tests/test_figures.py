"""The evaluation's figures against a hand count: the statistics' `evaluation` section through
the API and the CLI (members and units per level, those not rated, legacy labels by their
mapped level, the quota with an outstanding unit), the tally after a decision, a
reconsideration and a bulk write, the report's sentences and tables, the dashboard's chart,
form 7's figures, and the numbers the rule set gives."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections import Counter
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from cadrebook.accounts.services import role_grant
from cadrebook.core.rules import Ruleset, load_ruleset
from cadrebook.evaluations import figures
from cadrebook.evaluations import services as ev
from cadrebook.evaluations.contributions import (
    EVALUATION_FIGURE,
    EVALUATION_PANEL,
    EVALUATION_SECTION,
    evaluation_chart,
    evaluation_sentences,
    evaluation_tables,
)
from cadrebook.evaluations.models import Rating, RatingTally, Subject
from cadrebook.evaluations.rules import evaluation_rules, parse
from cadrebook.evaluations.selectors import level_counts, statistics_evaluation
from cadrebook.evaluations.tally import (
    TALLY_COLUMNS,
    tally_change,
    tally_keys_of_rows,
    tally_refresh,
    tally_units,
)
from cadrebook.evaluations.tests.test_rounds import BIRTH, _decide, _subject, world  # noqa: F401
from cadrebook.reports import document
from cadrebook.reports.aggregates import rebuild_statistics
from cadrebook.reports.selectors import PeriodSource, unit_statistics

D = dt.date
LEVELS = ("excellent", "good", "completed", "not_completed")


def _counts(**kw: int) -> dict[str, int]:
    return {level: 0 for level in LEVELS} | {"not_rated": 0} | kw


@pytest.fixture
def rated(world: SimpleNamespace) -> SimpleNamespace:  # noqa: F811
    """C1's round decided by hand (G1 marked outstanding): K1's seven at 1 excellent, 4
    good, 1 completed, 1 not completed; K2's member and the one away good; G1, K1, K2 good.
    Outside the round, by the import's service: GC "HTT" (good) and its member "DTC_HTXS"
    (excellent) for 2025, GC "TSVM" (excellent) for 2024."""
    w = world
    _decide(w, _subject(w.round, unit=w.tree.G1), "good", "80", document=w.docs.c1)
    for cell in (w.tree.K1, w.tree.K2):
        _decide(w, _subject(w.round, unit=cell), "good", "80")
    ev.round_mark_outstanding(actor=w.actor, round=w.round, unit=w.tree.G1)
    k1 = [_subject(w.round, member=m) for m in w.k1]
    for subject in k1[:4]:
        _decide(w, subject, "good", "80")
    _decide(w, k1[4], "excellent", "95")  # floor(0.25 x 4) = 1: G1 is outstanding
    _decide(w, k1[5], "completed", "60")
    _decide(w, k1[6], "not_completed", "40")
    _decide(w, _subject(w.round, member=w.k2), "good", "80")
    _decide(w, _subject(w.round, member=w.away), "good", "80")
    ev.rating_record(actor=w.actor, year=2025, unit=w.tree.GC, label="HTT")
    ev.rating_record(actor=w.actor, year=2025, member=w.outside, label="DTC_HTXS")
    ev.rating_record(actor=w.actor, year=2024, unit=w.tree.GC, label="TSVM")
    return w


# P on 31 December 2025: members K1 8 (7 + the recent one), K2 3, GC 1 = 12; rated 10.
P_MEMBERS = _counts(excellent=2, good=6, completed=1, not_completed=1, not_rated=2)
# Rated kinds in P: P, C1, C2 (committees, not rated), G1, K1, K2, GC (good).
P_UNITS = _counts(good=4, not_rated=3)
P_QUOTA = [
    {"unit": "C1", "role_group": "organization", "excellent": 0, "good": 1, "allowed": 0, "over": 0},
    # G1 is outstanding: floor(0.25 x 6) = 1.
    {"unit": "G1", "role_group": "member", "excellent": 1, "good": 6, "allowed": 1, "over": 0},
    {"unit": "G1", "role_group": "organization", "excellent": 0, "good": 2, "allowed": 0, "over": 0},
    # The member of GC recorded excellent with none good: over by one.
    {"unit": "GC", "role_group": "member", "excellent": 1, "good": 0, "allowed": 0, "over": 1},
]  # fmt: skip


def _stats(unit: Any, year: int = 2025) -> dict[str, Any]:
    return unit_statistics(unit, D(year, 1, 1), D(year, 12, 31), source=PeriodSource())


def test_the_statistics_section_against_a_hand_count(rated: SimpleNamespace) -> None:
    w = rated
    section = _stats(w.tree.P)["evaluation"]
    assert section["year"] == 2025
    assert section["members"] == P_MEMBERS
    assert section["units"] == P_UNITS
    assert section["units_by_kind"] == {
        "cell": _counts(good=2),
        "grassroots_cell": _counts(good=1),
        "grassroots_committee": _counts(good=1),
        "commune_committee": _counts(not_rated=2),
        "province_committee": _counts(not_rated=1),
    }
    assert section["quota"] == P_QUOTA
    assert section["shares"]["members"] == {
        "excellent": 20.0,
        "good": 60.0,
        "completed": 10.0,
        "not_completed": 10.0,
    }
    assert section["shares"]["units"]["good"] == 100.0
    # The selector gives the same section, and the subordinate units theirs.
    assert statistics_evaluation(w.tree.P, 2025) == section
    children = {c["unit"]: c["evaluation"] for c in _stats(w.tree.P)["children"]}
    assert children["C1"]["members"] == _counts(
        excellent=1, good=6, completed=1, not_completed=1, not_rated=2
    )
    assert children["C2"]["members"] == _counts(excellent=1)
    assert children["C2"]["units"] == _counts(good=1, not_rated=1)  # GC; C2 itself
    assert [q["unit"] for q in children["C2"]["quota"]] == ["GC"]
    # The year before: GC's legacy "TSVM", mapped to excellent.
    before = _stats(w.tree.P)["previous"]["evaluation"]
    assert (before["year"], before["units"]["excellent"]) == (2024, 1)


def test_the_aggregates_give_the_same_section(rated: SimpleNamespace) -> None:
    rebuild_statistics(today=D(2026, 1, 15))
    section = unit_statistics(rated.tree.P, D(2025, 1, 1), D(2025, 12, 31))["evaluation"]
    assert section["members"] == P_MEMBERS
    assert section["units"] == P_UNITS
    assert level_counts(rated.tree.P, 2025) == {"members": P_MEMBERS, "units": P_UNITS}


def test_the_api_and_the_cli_carry_the_section(
    rated: SimpleNamespace, django_user_model: Any, client: Any
) -> None:
    user = django_user_model.objects.create_user(username="reader")
    role_grant(actor=rated.actor, user=user, role="viewer", unit=rated.tree.P)
    client.force_login(user)
    response = client.get(
        "/api/v1/reports/stats", {"unit": "P", "from": "2025-01-01", "to": "2025-12-31"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["evaluation"]["members"] == P_MEMBERS
    assert body["evaluation"]["units"] == P_UNITS
    assert body["evaluation"]["quota"] == P_QUOTA
    assert body["previous"]["evaluation"]["year"] == 2024
    assert {c["unit"]: c["evaluation"]["members"]["excellent"] for c in body["children"]} == {
        "C1": 1,
        "C2": 1,
    }
    out = io.StringIO()
    call_command(
        "report", "stats", "--unit", "P", "--from", "2025-01-01", "--to", "2025-12-31",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    data = json.loads(out.getvalue())
    assert data["evaluation"]["members"] == P_MEMBERS
    assert data["evaluation"]["quota"] == P_QUOTA
    out = io.StringIO()
    call_command(
        "report", "stats", "--unit", "P", "--from", "2025-01-01", "--to", "2025-12-31",
        "--format", "csv", stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    lines = out.getvalue().splitlines()
    assert "evaluation,members.excellent,2" in lines
    assert "evaluation,quota.3.over,1" in lines


def _tally() -> dict[tuple[int, int, str, str], int]:
    return {(t.unit_id, t.year, t.key, t.level): t.n for t in RatingTally.objects.all() if t.n != 0}


def _by_hand(unit: Any, year: int) -> dict[str, Counter[str]]:
    """The level counts of a subtree by a query written by hand: the ratings whose ancestor
    column of the unit's depth names it."""
    column = f"anc{unit.depth}_id"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT subject_kind, level, COUNT(*) FROM evaluations_rating "
            f"WHERE {column} = %s AND year = %s GROUP BY subject_kind, level",
            [unit.pk, year],
        )
        out: dict[str, Counter[str]] = {"member": Counter(), "unit": Counter()}
        for kind, level, n in cursor.fetchall():
            out[kind][level] = n
    return out


def _assert_tally_is_the_ratings(year: int, *units: Any) -> None:
    kept = _tally()
    tally_refresh(year)
    assert _tally() == kept, "the tally kept by the writes differs from a recount"
    for unit in units:
        counts = level_counts(unit, year)
        hand = _by_hand(unit, year)
        for part, kind in (("members", "member"), ("units", "unit")):
            assert {lv: counts[part][lv] for lv in LEVELS} == {lv: hand[kind][lv] for lv in LEVELS}


def test_the_tally_follows_decisions_and_a_reconsideration(rated: SimpleNamespace) -> None:
    w = rated
    _assert_tally_is_the_ratings(2025, w.tree.P, w.tree.C1, w.tree.K1, w.tree.GC)
    _assert_tally_is_the_ratings(2024, w.tree.P)
    # A decision rewritten in the open round, then a reconsideration after it closed.
    k1 = [_subject(w.round, member=m) for m in w.k1]
    _decide(w, k1[5], "good", "75")
    assert level_counts(w.tree.K1, 2025)["members"]["completed"] == 0
    ev.round_close(actor=w.actor, round=w.round)
    ev.subject_reconsider(
        actor=w.actor,
        subject=Subject.objects.get(pk=k1[6].pk),
        deciding_unit=w.tree.G1,
        level="completed",
        score=Decimal(55),
        document=w.docs.g1,
        reason="Appeal upheld",
    )
    counts = level_counts(w.tree.K1, 2025)["members"]
    assert (counts["good"], counts["completed"], counts["not_completed"]) == (5, 1, 0)
    _assert_tally_is_the_ratings(2025, w.tree.P, w.tree.C1, w.tree.K1)


def test_a_bulk_write_then_tally_refresh(rated: SimpleNamespace) -> None:
    """What the import does: rows written in bulk (no service per row), then the tallies of
    the units they stand under counted again."""
    w = rated
    k1 = w.tree.K1
    line = {"anc1_id": w.tree.P.pk, "anc2_id": w.tree.C1.pk, "anc3_id": w.tree.G1.pk}
    rows = [
        Rating(
            year=2023,
            subject_kind="member",
            member=m,
            level=level,
            label=label,
            source="import",
            rated_in=k1,
            quota_unit=w.tree.G1,
            role_group="member",
            anc4_id=k1.pk,
            **line,
        )
        for m, (level, label) in zip(
            w.k1,
            [("excellent", "DTC_HTXS"), ("good", "DTC_HTT"), ("good", "DTC_HTT")]
            + [("completed", "DTC_HT")] * 3
            + [("not_completed", "VPTC")],
            strict=True,
        )
    ]
    Rating.objects.bulk_create(rows)
    assert level_counts(k1, 2023)["members"]["good"] == 0  # not counted yet
    tally_change(tally_keys_of_rows([]), tally_keys_of_rows(rows))  # new rows: none replaced
    assert {lv: n for lv, n in level_counts(w.tree.P, 2023)["members"].items() if lv != "not_rated"} == {
        "excellent": 1, "good": 2, "completed": 3, "not_completed": 1,
    }  # fmt: skip
    assert figures.rating_quota(w.tree.C1, 2023) == [
        {"unit": "G1", "role_group": "member", "excellent": 1, "good": 2, "allowed": 0, "over": 1}
    ]
    _assert_tally_is_the_ratings(2023, w.tree.P, k1)
    # Rewritten in bulk: the difference between the rows replaced and the rows written...
    changed = Rating.objects.filter(year=2023, level="completed")
    replaced = list(changed.values(*TALLY_COLUMNS))
    ids = list(changed.values_list("id", flat=True))
    changed.update(level="good")
    written = Rating.objects.filter(pk__in=ids).values(*TALLY_COLUMNS)
    tally_change(tally_keys_of_rows(replaced), tally_keys_of_rows(written))
    assert level_counts(k1, 2023)["members"]["good"] == 5
    _assert_tally_is_the_ratings(2023, w.tree.P, k1)
    # ...or the units the rows stand under counted again.
    touched = tally_units(Rating.objects.filter(year=2023).values(*TALLY_COLUMNS))
    Rating.objects.filter(year=2023, level="good").update(level="excellent")
    tally_refresh(2023, touched)
    assert level_counts(k1, 2023)["members"]["excellent"] == 6
    _assert_tally_is_the_ratings(2023, w.tree.P, k1)


def test_the_report_says_the_levels_with_their_shares_and_the_year_before(
    rated: SimpleNamespace,
) -> None:
    stats = _stats(rated.tree.P)
    sentences = evaluation_sentences(stats)
    assert sentences[0] == (
        "In 2025 10 members were rated: 2 excellent (20.00%), 6 good (60.00%), "
        "1 completed (10.00%) and 1 not completed (10.00%)."
    )
    assert sentences[1] == "2 members were not rated."
    assert sentences[2] == "20.00% of the members rated were rated excellent."
    assert sentences[3] == "4 party organizations were rated: 4 good (100.00%)."
    assert sentences[4] == (
        "0.00% of the organizations rated were rated excellent (100.00% in 2024)."
    )
    narrative = document.narrative(stats, "en")
    assert "In 2025 10 members were rated" in narrative
    [levels, quota] = evaluation_tables(stats)
    assert levels.rows[0] == ["Excellently completed duties", 2, 20.0, 0, 0.0]
    assert levels.rows[-1] == ["Not rated", 2, None, 3, None]
    assert quota.rows == [["GC", "member", 1, 0, 0, 1]]  # only those over the quota
    # One member rated: the singular.
    one = {"evaluation": stats["evaluation"] | {"members": _counts(good=1), "units": _counts()}}
    assert evaluation_sentences(one)[0] == "In 2025 1 member was rated: 1 good (100.00%)."
    # Nothing rated: no sentence, no table.
    none = {"evaluation": stats["evaluation"] | {"members": _counts(), "units": _counts()}}
    assert evaluation_sentences(none) == [] and evaluation_tables(none) == []
    # Other languages render (their words come from the .po files).
    assert document.narrative(stats, "vi") and document.narrative(stats, "km")


def test_the_dashboard_draws_the_levels(
    rated: SimpleNamespace, django_user_model: Any, client: Any
) -> None:
    chart = evaluation_chart(_stats(rated.tree.P))
    assert chart.rows[0] == ["Excellently completed duties", 2, 16.67, 0, 0.0]
    assert chart.rows[1][1:] == [6, 50.0, 4, 57.14]
    assert [s["data"] for s in chart.option["series"]][-1] == [16.67, 42.86]  # not rated
    user = django_user_model.objects.create_user(username="viewer")
    role_grant(actor=rated.actor, user=user, role="viewer", unit=rated.tree.P)
    client.force_login(user)
    page = client.get("/reports/", {"year": "2025"})
    assert page.status_code == 200
    html = page.content.decode()
    options = dict(
        re.findall(r'<script id="([a-z]+)-option" type="application/json">(.*?)</script>', html)
    )
    drawn = json.loads(options["evaluation"])
    assert drawn["series"][0]["data"] == [16.67, 0.0]
    assert "Ratings of 2025 by level" in html


def test_the_contributions_are_registered() -> None:
    from cadrebook.core import contributions

    assert EVALUATION_FIGURE in contributions.figures()
    assert EVALUATION_SECTION in contributions.report_sections()
    assert EVALUATION_PANEL in contributions.panels()


def test_form_7_figures(rated: SimpleNamespace) -> None:
    form = figures.form7_figures(rated.tree.P, 2025)
    assert form["members"] | {"shares": None} == {
        "total": 12, "rated": 10, **P_MEMBERS, "shares": None,
    }  # fmt: skip
    assert form["members"]["shares"]["excellent"] == 20.0
    assert form["kinds"] == {
        "grassroots": ["grassroots_cell", "grassroots_committee"],
        "cells": ["cell"],
        "above_grassroots": ["commune_committee", "province_committee"],
    }
    assert (form["grassroots"]["total"], form["grassroots"]["good"]) == (2, 2)  # G1, GC
    assert (form["cells"]["total"], form["cells"]["good"]) == (2, 2)  # K1, K2
    assert (form["above_grassroots"]["total"], form["above_grassroots"]["not_rated"]) == (3, 3)
    change = figures.level_change(rated.tree.P, 2025)
    assert change["units"]["excellent"] == {"count": 0, "previous": 1, "change": -1}


def _changed(change: Any) -> Ruleset:
    base = load_ruleset("vn-2025")
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.data.items()}
    data["evaluation"] = dict(base.data["evaluation"])
    change(data["evaluation"])
    return Ruleset(id="changed", name="changed", version=1, data=data)


def test_the_quota_and_the_rated_kinds_come_from_the_rule_set(
    rated: SimpleNamespace, monkeypatch: Any
) -> None:
    """Halve the share and rate no committee above the grassroots: the allowed counts and
    the units not rated follow the rule set, not the code."""
    changed = parse(
        _changed(
            lambda e: e.update(
                quota=e["quota"] | {"share": "0.5", "outstanding_share": "0.5"},
                deciders=e["deciders"]
                | {
                    "units": {
                        "cell": "parent",
                        "grassroots_cell": "parent",
                        "grassroots_committee": "parent",
                    }
                },
            )
        )
    )
    assert evaluation_rules().quota_share != changed.quota_share
    monkeypatch.setattr(figures, "evaluation_rules", lambda ruleset=None: changed)
    quota = {
        (q["unit"], q["role_group"]): q["allowed"] for q in figures.rating_quota(rated.tree.P, 2025)
    }
    assert quota[("G1", "member")] == 3  # floor(0.5 x 6)
    assert quota[("G1", "organization")] == 1  # floor(0.5 x 2)
    units = level_counts(rated.tree.P, 2025)["units"]
    assert units["not_rated"] == 0  # P, C1 and C2 are not of a rated kind any more


def test_the_annual_reports_section_names_the_levels_in_its_language(
    rated: SimpleNamespace,
) -> None:
    stats = _stats(rated.tree.P)
    tables = {lang: document.tables(stats, lang) for lang in ("vi", "km")}
    text = {lang: repr([t.rows for t in ts]) for lang, ts in tables.items()}
    assert "Hoàn thành xuất sắc nhiệm vụ" in text["vi"]
    assert "Không hoàn thành nhiệm vụ" in text["vi"]
    assert "បំពេញភារកិច្ចបានយ៉ាងល្អប្រសើរ" in text["km"]
    assert "Excellently completed duties" not in text["vi"] + text["km"]
