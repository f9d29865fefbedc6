"""The selectors against a hand count, member by member, on generated data with corrections."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from cadrebook.core.errors import ServiceError
from cadrebook.members import services
from cadrebook.members.models import Member, MemberEvent
from cadrebook.members.synthetic import generate
from cadrebook.orgs.models import OrgUnit
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


def test_aggregates_equal_the_period_table(generated: OrgUnit, actor: Any) -> None:
    from cadrebook.evaluations.services import target_set
    from cadrebook.reports.aggregates import AggregateSource, best_source, rebuild_statistics

    for unit in _sample_units()[:2]:
        target_set(actor=actor, unit=unit, year=2024, indicator="admissions", target=7)
    build = rebuild_statistics(today=TODAY)
    assert isinstance(best_source(), AggregateSource)
    fast = AggregateSource(build)
    used_snapshot = 0
    for window in SNAPSHOT_WINDOWS:
        for unit in OrgUnit.objects.order_by("path"):
            want = unit_statistics(unit, *window, source=PeriodSource())
            got = unit_statistics(unit, *window, source=fast)
            got.pop("source"), want.pop("source")
            assert got == want, (unit.code, window)
            used_snapshot += bool(unit.numchild)
    assert used_snapshot > 10


def test_a_change_after_the_build_sends_reads_to_the_period_table(
    generated: OrgUnit, actor: Any
) -> None:
    from cadrebook.reports.aggregates import AggregateSource, best_source, rebuild_statistics

    rebuild_statistics(today=TODAY)
    assert isinstance(best_source(), AggregateSource)
    member = Member.objects.filter(status="full").first()
    services.member_update_personal(
        actor=actor, member=member, version=member.version, ethnicity="Tày"
    )
    assert isinstance(best_source(), PeriodSource)
    rebuild_statistics(today=TODAY)
    assert isinstance(best_source(), AggregateSource)
