"""A restructuring never changes the past: provinces split and merged in the middle of 2025
(dated moves), checked on both statistics paths and after a rebuild."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import Q

from cadrebook.demo.generator import generate
from cadrebook.members import services
from cadrebook.orgs.models import OrgUnit, UnitPlacement
from cadrebook.orgs.services import unit_create
from cadrebook.reports.selectors import PeriodSource, unit_statistics

TODAY = dt.date(2026, 6, 30)
ON = dt.date(2025, 7, 1)  # the day of the reorganization
Y2024 = (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
Y2025 = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
GAINS = ("admitted", "readmitted", "transferred_in", "restructured_in")
LOSSES = (
    "not_recognized",
    "removed",
    "expelled",
    "deceased",
    "transferred_out",
    "restructured_out",
)


@pytest.fixture
def country(db: None) -> OrgUnit:
    """A central committee over three provinces, each with two communes."""
    generate(
        seed=7,
        provinces=3,
        communes=6,
        grassroots_per_commune=2,
        cells_per_grassroots=2,
        members=360,
        today=TODAY,
    )
    return OrgUnit.objects.get(depth=1)


def _provinces(root: OrgUnit) -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(depth=2, path__startswith=root.path).order_by("code"))


def _children(unit: OrgUnit) -> list[OrgUnit]:
    unit.refresh_from_db()
    return list(OrgUnit.objects.filter(depth=unit.depth + 1, path__startswith=unit.path))


def _reorganize(actor: Any, root: OrgUnit) -> dict[str, OrgUnit]:
    """On 1 July 2025 the first two provinces merge into a new one and the third is split:
    its second commune goes to another new province."""
    a, b, c = _provinces(root)
    merged = unit_create(
        actor=actor,
        code="PM",
        name="Tỉnh hợp nhất",
        kind="province_committee",
        parent=root,
        founded_on=ON,
    )
    split = unit_create(
        actor=actor,
        code="PS",
        name="Tỉnh tách",
        kind="province_committee",
        parent=root,
        founded_on=ON,
    )
    services.units_merge(actor=actor, units=[a, b], into=merged, date=ON, document="1-NQ/TW")
    moved = _children(c)[1]
    services.unit_move(actor=actor, unit=moved, new_parent=split, date=ON, document="2-NQ/TW")
    return {"a": a, "b": b, "c": c, "merged": merged, "split": split, "moved": moved}


def _all_statistics(units: list[OrgUnit], window: tuple[dt.date, dt.date], source: Any) -> Any:
    result = {}
    for unit in units:
        unit.refresh_from_db()
        stats = unit_statistics(unit, *window, source=source() if source else None)
        stats.pop("source")
        result[unit.code] = stats
    return result


def _reconciles(stats: dict[str, Any], start: dict[str, Any]) -> bool:
    moves = stats["movements"]
    gained = sum(moves[k] for k in GAINS)
    lost = sum(moves[k] for k in LOSSES)
    return start["members"]["total"] + gained - lost == stats["members"]["total"]


def test_a_province_merge_and_split_leave_2024_as_it_was_and_2025_reconciles(
    country: OrgUnit, actor: Any
) -> None:
    from cadrebook.reports.aggregates import AggregateSource, best_source, rebuild_statistics

    old_units = list(OrgUnit.objects.order_by("path"))
    before = _all_statistics(old_units, Y2024, PeriodSource)
    rebuild_statistics(today=TODAY)
    assert isinstance(best_source(), AggregateSource)
    assert _all_statistics(old_units, Y2024, None) == before

    units = _reorganize(actor, country)
    assert _all_statistics(old_units, Y2024, PeriodSource) == before
    rebuild_statistics(today=TODAY)
    assert isinstance(best_source(), AggregateSource)
    assert _all_statistics(old_units, Y2024, None) == before

    # 2025: members handed over with their units, not transfers; each side reconciles.
    for source in (PeriodSource, None):
        for key in ("a", "b", "c", "merged", "split"):
            unit = units[key]
            year = unit_statistics(unit, *Y2025, source=source() if source else None)
            start = unit_statistics(unit, *Y2024, source=source() if source else None)
            assert _reconciles(year, start), (key, source)
        a, b, merged = units["a"], units["b"], units["merged"]
        fig = {
            k: unit_statistics(units[k], *Y2025, source=source() if source else None)
            for k in ("a", "b", "merged", "c", "split")
        }
        on_the_eve = {
            k: unit_statistics(
                units[k], ON, ON, ON - dt.timedelta(days=1), source=source() if source else None
            )["members"]["total"]
            for k in ("a", "b")
        }
        assert fig["a"]["movements"]["restructured_out"] == on_the_eve["a"] > 0
        assert fig["b"]["movements"]["restructured_out"] == on_the_eve["b"] > 0
        assert fig["merged"]["movements"]["restructured_in"] == on_the_eve["a"] + on_the_eve["b"]
        assert (
            fig["c"]["movements"]["restructured_out"]
            == (fig["split"]["movements"]["restructured_in"])
        )
        assert fig["split"]["movements"]["restructured_in"] > 0
        # The units moved: the communes and everything under them.
        units["moved"].refresh_from_db()
        moved_units = OrgUnit.objects.filter(path__startswith=units["moved"].path).count()
        assert moved_units > 1
        assert fig["split"]["movements"]["units_restructured_in"] == moved_units
        assert fig["c"]["movements"]["units_restructured_out"] == moved_units
        # The country saw no restructuring at all: the moves stayed inside it.
        whole = unit_statistics(country, *Y2025, source=source() if source else None)
        assert whole["movements"]["restructured_in"] == 0
        assert whole["movements"]["restructured_out"] == 0
        assert {c["unit"] for c in whole["children"]} == {"PM", "PS", units["c"].code}
        assert a.code not in {c["unit"] for c in whole["children"]}
        assert merged.dissolved_on is None
        a.refresh_from_db(), b.refresh_from_db()
        assert a.dissolved_on == ON and b.dissolved_on == ON


def test_a_cell_moved_up_a_level_keeps_its_2024_figures_and_shows_no_movement_itself(
    tree: Any, actor: Any, make_member: Any
) -> None:
    """The district level abolished: a cell goes from under a grassroots committee (depth 4)
    directly under a commune (depth 3); its figures stay its own on both sides."""
    born = dt.date(1985, 6, 15)
    for day in (dt.date(2020, 1, 10), dt.date(2021, 3, 5), dt.date(2025, 9, 1)):
        make_member(tree.K1, born, day, recognized=day.year < 2025)
    make_member(tree.K2, born, dt.date(2020, 2, 2), recognized=True)
    units = [tree.P, tree.C1, tree.C2, tree.G1, tree.K1, tree.K2]
    before = _all_statistics(units, Y2024, PeriodSource)
    services.unit_move(actor=actor, unit=tree.K1, new_parent=tree.C2, date=ON)
    assert _all_statistics(units, Y2024, PeriodSource) == before
    tree.K1.refresh_from_db()
    year = unit_statistics(tree.K1, *Y2025, source=PeriodSource())
    assert year["members"]["total"] == 3
    assert year["movements"]["restructured_in"] == year["movements"]["restructured_out"] == 0
    assert year["movements"]["admitted"] == 1
    c1 = unit_statistics(tree.C1, *Y2025, source=PeriodSource())
    c2 = unit_statistics(tree.C2, *Y2025, source=PeriodSource())
    assert c1["movements"]["restructured_out"] == 2 == c2["movements"]["restructured_in"]
    assert (
        c1["movements"]["units_restructured_out"] == 1 == c2["movements"]["units_restructured_in"]
    )
    start = {u.code: before[u.code] for u in (tree.C1, tree.C2)}
    assert _reconciles(c1, start["C1"]) and _reconciles(c2, start["C2"])


def test_a_member_changed_after_a_rebuild_in_a_moved_unit_is_counted_on_the_old_line(
    tree: Any, actor: Any, make_member: Any
) -> None:
    """The aggregates' day-to-day correction groups by the tree as it stands: for a member of
    a unit that moved, it gives way to the period table rather than count 2024 elsewhere."""
    from cadrebook.reports.aggregates import AggregateSource, best_source, rebuild_statistics

    born = dt.date(1985, 6, 15)
    member = make_member(tree.K1, born, dt.date(2020, 1, 10), recognized=True)
    make_member(tree.K2, born, dt.date(2020, 2, 2), recognized=True)
    services.unit_move(actor=actor, unit=tree.G1, new_parent=tree.C2, date=ON)
    rebuild_statistics(today=TODAY)
    services.member_remove(
        actor=actor, member=member, date=dt.date(2024, 10, 1), reason="absent", document="1"
    )
    source = best_source()
    units = [tree.P, tree.C1, tree.C2, tree.G1]
    want = _all_statistics(units, Y2024, PeriodSource)
    assert want["C1"]["movements"]["removed"] == 1 and want["C2"]["movements"]["removed"] == 0
    assert _all_statistics(units, Y2024, lambda: source) == want
    assert source.name == "periods"  # the aggregates gave way until the next build
    rebuild_statistics(today=TODAY)
    assert isinstance(best_source(), AggregateSource)
    assert _all_statistics(units, Y2024, None) == want


def test_a_committee_moved_after_the_last_snapshot_is_counted_once_under_its_new_parent(
    tree: Any, actor: Any, make_member: Any
) -> None:
    """Between a snapshot and the asked date the aggregates add the members who entered the
    parent's subtree; a committee moved in between must not also bring its stored figures."""
    from cadrebook.reports.aggregates import AggregateSource, best_source, rebuild_statistics

    born = dt.date(1985, 6, 15)
    for cell, day in ((tree.K1, dt.date(2020, 1, 10)), (tree.K2, dt.date(2021, 3, 5))):
        make_member(cell, born, day, recognized=True)
    services.unit_move(actor=actor, unit=tree.G1, new_parent=tree.C2, date=dt.date(2026, 8, 1))
    rebuild_statistics(today=dt.date(2026, 10, 31))
    assert isinstance(best_source(), AggregateSource)
    units = [tree.P, tree.C1, tree.C2, tree.G1]
    window = (dt.date(2026, 1, 1), dt.date(2026, 9, 30))
    want = _all_statistics(units, window, PeriodSource)
    [g1] = [c for c in want["C2"]["children"] if c["unit"] == tree.G1.code]
    assert g1["members"]["total"] == 2
    assert _all_statistics(units, window, None) == want


def _target_actuals(unit: OrgUnit, window: tuple[dt.date, dt.date], source: Any) -> Any:
    """{unit code: {(year, indicator): actual}} of `unit`'s targets and of its children's."""
    unit.refresh_from_db()
    stats = unit_statistics(unit, *window, source=source)
    rows = [(unit.code, stats["targets"])] + [(c["unit"], c["targets"]) for c in stats["children"]]
    return {
        code: {(t["year"], t["indicator"]): t["actual"] for t in targets}
        for code, targets in rows
        if targets
    }


def test_targets_count_the_tree_as_it_stood_in_their_year(
    tree: Any, actor: Any, make_member: Any
) -> None:
    """A cell's 2024 admissions stay in its old committee's 2024 actual, and the cell's own
    2024 target stays among the old committee's children, after the cell moves to another
    committee in 2025; the new committee's 2024 shows neither, on both statistics paths."""
    from cadrebook.evaluations.services import target_set
    from cadrebook.reports.aggregates import AggregateSource, best_source, rebuild_statistics

    g2 = unit_create(
        actor=actor, code="G2", name="Unit G2", kind="grassroots_committee", parent=tree.C2
    )
    k3 = unit_create(actor=actor, code="K3", name="Unit K3", kind="cell", parent=g2)
    born = dt.date(1985, 6, 15)
    for day in (dt.date(2024, 3, 4), dt.date(2024, 9, 9)):
        make_member(tree.K1, born, day)
    make_member(k3, born, dt.date(2024, 5, 6))
    for unit in (tree.C1, tree.C2, tree.G1, g2, tree.K1, k3):
        target_set(actor=actor, unit=unit, year=2024, indicator="admissions", target=4)
    units = (tree.C1, tree.C2, tree.G1, g2)
    want = {u.code: _target_actuals(u, Y2024, PeriodSource()) for u in units}
    assert want["G1"] == {"G1": {(2024, "admissions"): 2}, "K1": {(2024, "admissions"): 2}}
    assert want["G2"] == {"G2": {(2024, "admissions"): 1}, "K3": {(2024, "admissions"): 1}}
    services.unit_move(actor=actor, unit=tree.K1, new_parent=g2, date=ON, document="3-QĐ")
    assert {u.code: _target_actuals(u, Y2024, PeriodSource()) for u in units} == want
    rebuild_statistics(today=TODAY)
    assert isinstance(best_source(), AggregateSource)
    assert {u.code: _target_actuals(u, Y2024, None) for u in units} == want


def test_a_child_moved_within_the_targets_year_is_measured_over_the_whole_year(
    tree: Any, actor: Any, make_member: Any
) -> None:
    """A cell that moved in mid-2024 has its 2024 target measured on its own subtree over the
    whole year, under its new committee, like its own statistics."""
    from cadrebook.evaluations.services import target_set

    g2 = unit_create(
        actor=actor, code="G2", name="Unit G2", kind="grassroots_committee", parent=tree.C2
    )
    born = dt.date(1985, 6, 15)
    for day in (dt.date(2024, 3, 4), dt.date(2024, 9, 9)):
        make_member(tree.K1, born, day)
    target_set(actor=actor, unit=tree.K1, year=2024, indicator="admissions", target=4)
    services.unit_move(actor=actor, unit=tree.K1, new_parent=g2, date=dt.date(2024, 7, 1))
    own = _target_actuals(tree.K1, Y2024, PeriodSource())
    assert own == {"K1": {(2024, "admissions"): 2}}
    assert _target_actuals(g2, Y2024, PeriodSource())["K1"] == own["K1"]


MOVED_ON = dt.date(2025, 3, 15)
# Movements of a single unit: a child's add up to its parent's (transfers and handovers
# inside the parent are movements of its children, not of the parent).
OWN_MOVEMENTS = (
    "admitted",
    "recognized",
    "not_recognized",
    "exempted",
    "removed",
    "expelled",
    "deceased",
    "readmitted",
)


def _stood_below(parent: OrgUnit, date_from: dt.date, date_to: dt.date) -> set[str]:
    """The codes of the units that stood directly below `parent` on some day of the window
    or the day before it (a member leaving on the first day leaves the unit of that day)."""
    date_from -= dt.timedelta(days=1)
    return set(
        UnitPlacement.objects.filter(parent=parent)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=date_to))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=date_from))
        .values_list("unit__code", flat=True)
    )


def _statistics(unit: OrgUnit, window: tuple[dt.date, ...], source: Any) -> dict[str, Any]:
    unit.refresh_from_db()
    stats = unit_statistics(unit, *window, source=source)
    stats.pop("source")
    return stats


@pytest.mark.parametrize("daily_depth", [2, 3])
def test_a_committee_moved_mid_year_is_counted_under_each_parent_while_it_stood_there(
    tree: Any, actor: Any, make_member: Any, settings: Any, daily_depth: int
) -> None:
    """G1 moves from C1 to C2 on 15 March 2025 (cold probe of issue 14). In the breakdown
    by children of either commune, G1's movements are those made while it stood under that
    commune, so the children add up to the parent; the period table and the aggregates (by
    month, by snapshot, by day) agree on every figure for windows before, across and after
    the move, whatever the date the children are listed on."""
    from cadrebook.evaluations.services import target_set
    from cadrebook.reports.aggregates import AggregateSource, best_source, rebuild_statistics

    settings.CADREBOOK_STATS_DAILY_DEPTH = daily_depth
    D = dt.date
    g3 = unit_create(
        actor=actor, code="G3", name="Unit G3", kind="grassroots_committee", parent=tree.C1
    )
    k3 = unit_create(actor=actor, code="K3", name="Unit K3", kind="cell", parent=g3)
    born = D(1985, 6, 15)
    for cell, day in (
        (tree.K1, D(2025, 1, 10)),
        (tree.K1, D(2025, 2, 20)),
        (tree.K2, D(2025, 3, 14)),
        (tree.K1, D(2025, 3, 15)),
        (tree.K1, D(2025, 4, 10)),
        (tree.K2, D(2025, 8, 5)),
        (tree.GC, D(2025, 2, 1)),
        (tree.GC, D(2025, 7, 1)),
        (k3, D(2025, 5, 5)),
    ):
        make_member(cell, born, day)
    # Recognitions at the end of probation, before and after the move.
    for cell, day in ((tree.K2, D(2024, 2, 1)), (tree.K1, D(2024, 6, 1)), (k3, D(2024, 4, 1))):
        make_member(cell, born, day, recognized=True)
    old = {
        name: make_member(cell, born, D(2020, 1, 10), recognized=True)
        for name, cell in (
            ("removed_before", tree.K1),
            ("removed_on_the_day", tree.K2),
            ("removed_after", tree.K2),
            ("exempt_before", tree.K2),
            ("exempt_after", tree.K1),
            ("moves_within_c1", tree.K1),
            ("moves_to_g1", k3),
            ("dies", tree.K2),
        )
    }
    paper = {"actor": actor, "document": "1-QĐ"}
    services.member_remove(**paper, member=old["removed_before"], date=D(2025, 2, 10), reason="-")
    services.member_exempt(**paper, member=old["exempt_before"], date=D(2025, 3, 1), reason="-")
    services.member_transfer(
        **paper, member=old["moves_within_c1"], date=D(2025, 2, 15), to_unit=k3
    )
    # Recorded before the move, on its day: the member leaves G1 as it stood the day before.
    services.member_remove(**paper, member=old["removed_on_the_day"], date=MOVED_ON, reason="-")
    services.unit_move(actor=actor, unit=tree.G1, new_parent=tree.C2, date=MOVED_ON, document="4")
    services.member_remove(**paper, member=old["removed_after"], date=D(2025, 9, 1), reason="-")
    services.member_exempt(**paper, member=old["exempt_after"], date=D(2025, 5, 1), reason="-")
    services.member_transfer(
        **paper, member=old["moves_to_g1"], date=D(2025, 6, 10), to_unit=tree.K2
    )
    services.member_record_death(**paper, member=old["dies"], date=D(2025, 11, 20))
    for unit in (tree.C1, tree.C2, tree.G1, g3, tree.GC):
        target_set(actor=actor, unit=unit, year=2025, indicator="admissions", target=3)

    eve = MOVED_ON - dt.timedelta(days=1)
    windows = [
        (*Y2025, Y2025[1]),  # across the move
        (D(2025, 1, 1), D(2025, 6, 30), eve),
        (D(2025, 1, 1), D(2025, 6, 30), D(2025, 6, 30)),
        (D(2025, 2, 10), D(2025, 5, 20), D(2025, 5, 20)),
        (D(2025, 3, 1), D(2025, 3, 31), D(2025, 3, 31)),
        (D(2025, 1, 1), D(2025, 2, 28), D(2025, 2, 28)),  # before it
        (D(2025, 1, 1), eve, eve),
        (*Y2024, Y2024[1]),
        (MOVED_ON, D(2025, 12, 31), D(2025, 12, 31)),  # after it
        (D(2025, 7, 1), D(2025, 12, 31), D(2025, 12, 31)),
        (D(2025, 7, 1), D(2025, 12, 31), eve),  # G1 listed under C1, standing under C2
        (MOVED_ON, D(2025, 12, 31), eve),
    ]
    parents = (tree.C1, tree.C2, tree.P)
    want = {(p.code, w): _statistics(p, w, PeriodSource()) for p in parents for w in windows}

    # The breakdown is one of the parent: each child while it stood under it.
    by_child = {c["unit"]: c for c in want[("C2", windows[0])]["children"]}
    assert set(by_child) == {"G1", "GC"}
    assert by_child["G1"]["movements"]["admitted"] == 3  # from 15 March, not the year's 6
    assert by_child["G1"]["movements"]["removed"] == 1
    by_child = {c["unit"]: c for c in want[("C1", windows[1])]["children"]}
    assert set(by_child) == {"G1", "G3"}
    assert by_child["G1"]["movements"] == {
        **by_child["G1"]["movements"],
        **{"admitted": 3, "recognized": 1, "removed": 2, "exempted": 1, "transferred_out": 1},
    }
    by_child = {c["unit"]: c for c in want[("C1", windows[-1])]["children"]}
    assert by_child["G1"]["movements"]["admitted"] == 0  # listed on the eve, gone in the window
    summed = set()
    for (code, window), stats in want.items():
        children = {c["unit"] for c in stats["children"]}
        parent = {p.code: p for p in parents}[code]
        if not _stood_below(parent, *window[:2]) <= children:
            continue  # a child of part of the window is not listed on `as_of`
        summed.add((code, window))
        for movement in OWN_MOVEMENTS:
            total = sum(c["movements"][movement] for c in stats["children"])
            assert total == stats["movements"][movement], (code, window, movement)
    assert {("C2", windows[0]), ("C1", windows[1]), ("C2", windows[2])} <= summed
    # Each commune reconciles over the year and from the move (members handed over with G1
    # are restructured; the member removed on the day left C1).
    for code in ("C1", "C2"):
        assert _reconciles(want[(code, windows[0])], want[(code, windows[7])]), code
        assert _reconciles(want[(code, windows[8])], want[(code, windows[6])]), code
    assert want[("C1", windows[8])]["movements"]["removed"] == 1
    # The targets' actuals: each commune's 2025 admissions as the tree stood on each day
    # (the move was recorded after admissions dated after it); G1, moved within the year,
    # is measured on its own subtree over the whole year.
    actual = {c: [t["actual"] for t in want[(c, windows[0])]["targets"]] for c in ("C1", "C2")}
    assert actual == {"C1": [4], "C2": [5]}
    [g1] = [c for c in want[("C2", windows[0])]["children"] if c["unit"] == "G1"]
    assert g1["targets"][0]["actual"] == 6

    rebuild_statistics(today=TODAY)
    assert isinstance(best_source(), AggregateSource)
    got = {(p.code, w): _statistics(p, w, None) for p in parents for w in windows}
    assert [key for key, stats in want.items() if got[key] != stats] == []
