"""The selectors against a hand count, member by member, on generated data with corrections."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from cadrebook.core.errors import ServiceError
from cadrebook.core.rules import current_ruleset
from cadrebook.demo.generator import generate
from cadrebook.members import services
from cadrebook.members.models import Member, MemberEvent
from cadrebook.orgs.models import OrgUnit
from cadrebook.reports.models import StatsBuild
from cadrebook.reports.selectors import PeriodSource, unit_statistics
from cadrebook.reports.tests.reference import hand_count

TODAY = dt.date(2026, 6, 30)
SMALL = {
    "communes": 2,
    "grassroots_per_commune": 3,
    "cells_per_grassroots": 3,
    "members": 400,
    "today": TODAY,
}
WINDOWS = [
    (dt.date(2024, 1, 1), dt.date(2024, 12, 31), dt.date(2024, 12, 31)),
    (dt.date(2022, 3, 15), dt.date(2025, 8, 20), dt.date(2023, 7, 4)),
    (dt.date(2019, 1, 1), dt.date(2026, 6, 30), dt.date(2026, 6, 30)),
]


def _correct_some(actor: Any, seed: int) -> int:
    """Void or move a few events through the correction service (refused ones skipped)."""
    rng = random.Random(seed)
    events = list(
        MemberEvent.objects.filter(
            type__in=["exempted", "removed", "deceased", "admitted", "transfer_in"]
        ).order_by("id")
    )
    done = 0
    for event in rng.sample(events, min(len(events), 40)):
        try:
            if rng.random() < 0.5:
                services.member_correct_event(actor=actor, event=event, reason="test", void=True)
            else:
                day = event.date + dt.timedelta(days=rng.randint(-40, 40))
                services.member_correct_event(actor=actor, event=event, reason="test", date=day)
            done += 1
        except ServiceError:
            pass
    return done


@pytest.fixture
def generated(db: None, actor: Any) -> Any:
    generate(seed=11, **SMALL)
    assert _correct_some(actor, 11) > 5
    return OrgUnit.objects.get(depth=1)


def _sample_units() -> list[OrgUnit]:
    picks = []
    for depth in (1, 2, 3, 4):
        unit = OrgUnit.objects.filter(depth=depth).order_by("code").first()
        if unit is not None:
            picks.append(unit)
    return picks


@pytest.mark.parametrize("window", WINDOWS)
def test_period_path_equals_hand_count(generated: OrgUnit, window: Any) -> None:
    date_from, date_to, as_of = window
    for unit in _sample_units():
        got = unit_statistics(unit, date_from, date_to, as_of, source=PeriodSource())
        want = hand_count(unit, date_from, date_to, as_of)
        assert got["movements"] == want["movements"], unit.code
        assert got["members"] == want["members"], unit.code
        for child in got["children"]:
            sub = OrgUnit.objects.get(code=child["unit"])
            hand = hand_count(sub, date_from, date_to, as_of)
            assert child["movements"] == hand["movements"], child["unit"]
            assert child["members"]["total"] == hand["members"]["total"], child["unit"]


SNAPSHOT_WINDOWS = [
    (dt.date(2024, 1, 1), dt.date(2024, 12, 31), None),
    (dt.date(2025, 1, 1), dt.date(2025, 6, 30), None),
    (dt.date(2023, 4, 1), dt.date(2025, 9, 30), dt.date(2024, 12, 31)),
    (dt.date(2024, 3, 5), dt.date(2024, 12, 31), dt.date(2024, 11, 30)),  # partly periods
]
# Dates between snapshots: the nearest snapshot plus the changes in between, edge days of
# the windows from the period table.
BETWEEN_WINDOWS = [
    (dt.date(2023, 2, 14), dt.date(2025, 8, 17), dt.date(2025, 8, 17)),
    (dt.date(2021, 7, 9), dt.date(2024, 3, 3), dt.date(2022, 10, 1)),
    (dt.date(2024, 1, 1), dt.date(2024, 12, 31), dt.date(2024, 9, 15)),
    (dt.date(2024, 8, 2), dt.date(2024, 8, 30), dt.date(2025, 2, 10)),
    (dt.date(2016, 5, 5), dt.date(2017, 2, 2), dt.date(2016, 8, 8)),
    (dt.date(2015, 1, 1), dt.date(2015, 12, 31), None),  # before any period
]


def _units_founded_and_dissolved_between_snapshots(actor: Any) -> None:
    """A cell founded in August 2024 that members join, and one dissolved in February 2025."""
    from cadrebook.orgs.services import unit_create

    parent = OrgUnit.objects.filter(kind="grassroots_committee").order_by("path").first()
    new = unit_create(
        actor=actor,
        code="NEW",
        name="Chi bộ mới",
        kind="cell",
        parent=parent,
        founded_on=dt.date(2024, 8, 1),
    )
    movers = Member.objects.filter(status="full").exclude(unit__path__startswith=parent.path)
    moved = 0
    for member in movers.order_by("pk")[:6]:
        try:
            services.member_transfer(
                actor=actor, member=member, date=dt.date(2024, 9, 2), to_unit=new
            )
            moved += 1
        except ServiceError:
            pass
    assert moved >= 3
    gone = unit_create(
        actor=actor,
        code="GONE",
        name="Chi bộ cũ",
        kind="cell",
        parent=parent,
        founded_on=dt.date(2020, 1, 1),
    )
    OrgUnit.objects.filter(pk=gone.pk).update(dissolved_on=dt.date(2025, 2, 10))


def test_aggregates_equal_the_period_table(generated: OrgUnit, actor: Any) -> None:
    from cadrebook.evaluations.services import target_set
    from cadrebook.reports.aggregates import AggregateSource, best_source, rebuild_statistics

    for unit in _sample_units()[:2]:
        target_set(actor=actor, unit=unit, year=2024, indicator="admissions", target=7)
    _units_founded_and_dissolved_between_snapshots(actor)
    build = rebuild_statistics(today=TODAY)
    assert isinstance(best_source(), AggregateSource)
    fast = AggregateSource(build)
    used_snapshot = 0
    for window in [*SNAPSHOT_WINDOWS, *BETWEEN_WINDOWS]:
        for unit in OrgUnit.objects.order_by("path"):
            want = unit_statistics(unit, *window, source=PeriodSource())
            got = unit_statistics(unit, *window, source=fast)
            got.pop("source"), want.pop("source")
            assert got == want, (unit.code, window)
            used_snapshot += bool(unit.numchild)
    assert used_snapshot > 10


def _changes_of_a_day(actor: Any) -> None:
    """A working day's changes through the services: personal data, a card, admissions,
    recognitions, transfers within and across subtrees, an exemption, a removal, a death,
    corrections of earlier events."""
    rng = random.Random(5)
    day = TODAY
    full = list(Member.objects.filter(status="full").order_by("pk"))
    prob = list(Member.objects.filter(status="probationary").order_by("pk"))
    applicants = list(Member.objects.filter(status="applicant").order_by("pk"))
    cells = list(OrgUnit.objects.filter(kind__in=["cell", "grassroots_cell"]).order_by("path"))

    def attempt(fn: Any, **kw: Any) -> None:
        try:
            fn(actor=actor, **kw)
        except ServiceError:
            pass

    for m in full[:3]:
        attempt(
            services.member_update_personal,
            member=m,
            version=Member.objects.get(pk=m.pk).version,
            ethnicity="Tày",
            gender="female" if m.gender == "male" else "male",
        )
    attempt(services.member_set_card, member=full[3], card_number="09.111111")
    for m in applicants[:3]:
        attempt(services.member_admit, taken_over=True, member=m, date=dt.date(2024, 12, 20))
    for m in prob[:3]:
        attempt(services.member_recognize, taken_over=True, member=m, date=day)
    for m in full[4:8]:
        target = rng.choice([c for c in cells if c.pk != m.unit_id])
        attempt(services.member_transfer, member=m, date=dt.date(2025, 3, 3), to_unit=target)
    attempt(
        services.member_exempt,
        taken_over=True,
        member=full[8],
        date=dt.date(2024, 6, 1),
        reason="health",
    )
    attempt(
        services.member_remove,
        taken_over=True,
        member=full[9],
        date=dt.date(2025, 2, 2),
        reason="absent",
    )
    attempt(
        services.member_record_death, taken_over=True, member=full[10], date=dt.date(2024, 11, 11)
    )
    old = MemberEvent.objects.filter(type="admitted", member__in=full[11:14]).order_by("pk")
    for ev in old:
        attempt(services.member_correct_event, event=ev, reason="typo", date=ev.date.replace(day=2))
    # Take a cell down to below the minimum of full members (the "cells below" figure).
    minimum = current_ruleset().int("organization.cell_min_full_members")
    for cell in cells:
        full = list(Member.objects.filter(unit=cell, status="full").order_by("pk"))
        if len(full) < minimum:
            continue
        for member in full[: len(full) - minimum + 1]:
            attempt(
                services.member_remove, taken_over=True, member=member, date=TODAY, reason="absent"
            )
        if Member.objects.filter(unit=cell, status="full").count() < minimum:
            break
    else:
        raise AssertionError("no cell could be taken below the minimum")
    attempt(
        services.member_register_applicant,
        taken_over=True,
        unit=cells[0],
        date=dt.date(2024, 1, 5),
        full_name="Lê Thị Mới",
        gender="female",
        birth_date=dt.date(1999, 9, 9),
    )


def test_aggregates_stay_exact_after_a_day_of_changes(generated: OrgUnit, actor: Any) -> None:
    from cadrebook.reports.aggregates import AggregateSource, best_source, rebuild_statistics

    rebuild_statistics(today=TODAY)
    _changes_of_a_day(actor)
    source = best_source()
    assert isinstance(source, AggregateSource)
    assert len(source.changes.now) >= 15
    for window in [*SNAPSHOT_WINDOWS[:3], *BETWEEN_WINDOWS[:3], (dt.date(2026, 1, 1), TODAY, None)]:
        for unit in OrgUnit.objects.filter(numchild__gt=0).order_by("path"):
            want = unit_statistics(unit, *window, source=PeriodSource())
            got = unit_statistics(unit, *window, source=best_source())
            got.pop("source"), want.pop("source")
            assert got == want, (unit.code, window)


def test_a_unit_change_after_the_build_sends_reads_to_the_period_table(
    generated: OrgUnit, actor: Any
) -> None:
    from cadrebook.orgs.services import unit_rename
    from cadrebook.reports.aggregates import AggregateSource, best_source, rebuild_statistics

    rebuild_statistics(today=TODAY)
    assert isinstance(best_source(), AggregateSource)
    cell = OrgUnit.objects.filter(kind="cell").first()
    unit_rename(actor=actor, unit=cell, name="Chi bộ mới")
    assert isinstance(best_source(), PeriodSource)
    rebuild_statistics(today=TODAY)
    assert isinstance(best_source(), AggregateSource)


def test_reading_a_dossier_or_a_list_leaves_the_aggregates_current(
    generated: OrgUnit, actor: Any
) -> None:
    """Reads are audited under the members' names ("member.dossier_viewed"); they change
    nothing the statistics count, so the aggregates stay in use (a national deployment read
    its dossiers all day: every read sent the statistics to the period table)."""
    from cadrebook.members.models import Member
    from cadrebook.members.reads import member_list_read_record, member_read_record
    from cadrebook.reports.aggregates import AggregateSource, best_source, rebuild_statistics

    rebuild_statistics(today=TODAY)
    member = Member.objects.select_related("unit").first()
    assert member is not None
    member_read_record(actor=actor, member=member)
    member_list_read_record(actor=actor, unit=member.unit, members=[member], filters={})
    assert isinstance(best_source(), AggregateSource)


def test_the_top_of_the_tree_is_read_on_any_day(generated: OrgUnit) -> None:
    """The root and its children have figures for every day: a year to an arbitrary date is
    read from the aggregates alone, and agrees with the period table."""
    from cadrebook.reports.aggregates import AggregateSource, rebuild_statistics

    build = rebuild_statistics(today=TODAY)
    assert build.daily_depth == 2 and build.daily_from and build.daily_to == TODAY
    for window in [
        (dt.date(2025, 1, 1), dt.date(2025, 8, 17), None),
        (dt.date(2024, 2, 29), dt.date(2024, 10, 3), dt.date(2024, 5, 5)),
    ]:
        want = unit_statistics(generated, *window, source=PeriodSource())
        got = unit_statistics(generated, *window, source=AggregateSource(build))
        assert got.pop("source") == "snapshot"
        want.pop("source")
        assert got == want


@pytest.mark.parametrize("daily_depth", [0, 2])
def test_a_date_between_snapshots_does_not_count_the_whole_period_table(
    generated: OrgUnit, monkeypatch: Any, settings: Any, daily_depth: int
) -> None:
    """Members and units of a committee below the daily figures, on a date between
    snapshots, come from the nearest snapshot and the changes in between, not from a count of
    every period of the subtree."""
    from cadrebook.reports import periods
    from cadrebook.reports.aggregates import AggregateSource, rebuild_statistics

    settings.CADREBOOK_STATS_DAILY_DEPTH = daily_depth
    rebuild_statistics(today=TODAY)
    unit = (
        generated if daily_depth == 0 else OrgUnit.objects.filter(depth=3, numchild__gt=0).first()
    )
    want = unit_statistics(unit, *BETWEEN_WINDOWS[0], source=PeriodSource())
    counted: list[str] = []
    whole_count, whole_units = periods.members, periods.units

    def members(unit: OrgUnit, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("only") is None:  # not just the children without units below them
            counted.append(unit.code)
        return whole_count(unit, *args, **kwargs)

    def units(unit: OrgUnit, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("by_child"):  # children without units below them are counted
            counted.append(unit.code)
        return whole_units(unit, *args, **kwargs)

    monkeypatch.setattr(periods, "members", members)
    monkeypatch.setattr(periods, "units", units)
    got = unit_statistics(unit, *BETWEEN_WINDOWS[0], source=AggregateSource(build=_build()))
    assert got["source"] == "snapshot+periods"  # the changes and edge days are read there
    got.pop("source"), want.pop("source")
    assert got == want
    assert unit.code not in counted


def _build() -> StatsBuild:
    return StatsBuild.objects.filter(finished_at__isnull=False).first()
