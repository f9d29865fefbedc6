"""The synthetic data generator: deterministic, rule-abiding, and consistent with the fold."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import pytest
from django.db import connection

from cadrebook.core.dates import age_in_months
from cadrebook.core.models import AuditEntry
from cadrebook.core.rules import current_ruleset
from cadrebook.demo.generator import generate
from cadrebook.members.choices import EventType, MemberStatus
from cadrebook.members.lifecycle import fold
from cadrebook.members.models import Member, MemberEvent, MemberPeriod
from cadrebook.members.selectors import event_data, member_state
from cadrebook.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db


TODAY = dt.date(2026, 6, 30)
SMALL = {
    "communes": 2,
    "grassroots_per_commune": 4,
    "cells_per_grassroots": 3,
    "members": 200,
    "today": TODAY,
}


def _province(code: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Unit and member facts of one generated province, free of ids and codes."""
    root = OrgUnit.objects.get(code=code)
    units = list(
        OrgUnit.objects.filter(path__startswith=root.path)
        .order_by("path")
        .values_list("name", "kind", "depth", "numchild")
    )
    members = list(
        Member.objects.filter(unit__path__startswith=root.path)
        .order_by("id")
        .values_list(
            "full_name",
            "gender",
            "birth_date",
            "ethnicity",
            "status",
            "admitted_on",
            "recognized_on",
            "exempt",
            "unit__name",
        )
    )
    return units, members


def test_the_same_seed_gives_the_same_province() -> None:
    first = generate(seed=7, **SMALL)
    second = generate(seed=7, **SMALL)
    assert (first.root_code, second.root_code) == ("P01", "P02")
    assert (first.units, first.members, first.events, first.periods) == (
        second.units,
        second.members,
        second.events,
        second.periods,
    )
    assert first.statuses == second.statuses
    assert _province("P01") == _province("P02")
    other = generate(seed=8, **SMALL)
    assert _province(other.root_code)[1] != _province("P01")[1]


def test_every_members_periods_and_cached_fields_are_the_fold_of_its_events() -> None:
    summary = generate(seed=3, **SMALL)
    rules = current_ruleset()
    units = {u.pk: u for u in OrgUnit.objects.all()}

    def check_unit(unit_id: int, day: dt.date, field_name: str) -> None:
        unit = units[unit_id]
        assert rules.unit_kind(unit.kind).holds_members, unit
        assert unit.is_active_on(day), (unit, day)

    members = list(Member.objects.order_by("id"))
    assert len(members) == summary.members == 200
    events: dict[int, list[MemberEvent]] = defaultdict(list)
    for event in MemberEvent.objects.order_by("date", "id"):
        events[event.member_id].append(event)
    periods: dict[int, list[MemberPeriod]] = defaultdict(list)
    for period in MemberPeriod.objects.order_by("valid_from", "id"):
        periods[period.member_id].append(period)
    assert sum(map(len, events.values())) == summary.events
    assert sum(map(len, periods.values())) == summary.periods
    by_path = {u.path: u.pk for u in units.values()}
    for member in members:
        history = [event_data(e) for e in events[member.pk]]
        assert history and history[0].type == EventType.REGISTERED
        assert all(e.date <= TODAY for e in history)
        # Every history obeys the rule set, units included.
        state = fold(history, rules=rules, birth_date=member.birth_date, check_unit=check_unit)
        rows = periods[member.pk]
        assert [(r.unit_id, r.status, r.exempt, r.valid_from, r.valid_to) for r in rows] == [
            (p.unit_id, p.status, p.exempt, p.valid_from, p.valid_to) for p in state.periods
        ]
        for row in rows:
            ancestors = [by_path[p] for p in units[row.unit_id].ancestor_paths()]
            assert [
                row.anc1_id,
                row.anc2_id,
                row.anc3_id,
                row.anc4_id,
                row.anc5_id,
                row.anc6_id,
            ] == ancestors + [None] * (6 - len(ancestors))
        assert member.status == state.status
        assert member.unit_id == state.unit_id
        assert member.exempt == state.exempt
        assert member.admitted_on == state.admitted_on
        assert member.recognized_on == state.recognized_on
        assert member.pending_transfer_to_id == state.pending_to
    # The services' own fold of the stored events agrees (spot check).
    assert (
        member_state(members[0]).periods
        == fold(
            [event_data(e) for e in events[members[0].pk]],
            rules=rules,
            birth_date=members[0].birth_date,
        ).periods
    )


def test_histories_are_varied_and_people_plausible() -> None:
    summary = generate(seed=5, **{**SMALL, "members": 400})
    rules = current_ruleset()
    types = set(MemberEvent.objects.values_list("type", flat=True))
    assert {
        EventType.REGISTERED,
        EventType.ADMITTED,
        EventType.RECOGNIZED,
        EventType.TRANSFER_OUT,
        EventType.TRANSFER_IN,
    } <= types
    assert summary.statuses[MemberStatus.FULL] > summary.members / 2
    women = Member.objects.filter(gender="female").count()
    assert 0.25 < women / summary.members < 0.55
    assert Member.objects.filter(ethnicity="Kinh").count() > summary.members * 0.7
    low, high = rules.int("admission.min_age_months"), rules.int("admission.max_age_months")
    for birth, admitted in Member.objects.filter(admitted_on__isnull=False).values_list(
        "birth_date", "admitted_on"
    ):
        assert low <= age_in_months(birth, admitted) <= high
    for recognized, admitted in Member.objects.filter(recognized_on__isnull=False).values_list(
        "recognized_on", "admitted_on"
    ):
        assert recognized >= admitted
    ids = [n for n in Member.objects.values_list("national_id", flat=True) if n]
    assert len(ids) > summary.members * 0.9
    assert all(re.fullmatch(r"\d{12}", n) for n in ids)
    assert len(set(ids)) == len(ids)


def test_the_unit_tree_is_valid_and_follows_the_rule_set() -> None:
    summary = generate(seed=1, **SMALL)
    assert all(not problems for problems in OrgUnit.objects.find_problems())
    kinds = current_ruleset().unit_kinds
    units = list(OrgUnit.objects.all())
    assert len(units) == summary.units
    by_path = {u.path: u for u in units}
    for unit in units:
        assert unit.numchild == sum(
            1 for u in units if u.path.startswith(unit.path) and u.depth == unit.depth + 1
        )
        parent = by_path.get(unit.path[: -OrgUnit.steplen])
        assert (parent.kind in kinds[unit.kind].parents) if parent else kinds[unit.kind].top
        assert unit.code.startswith(parent.code + ".") if parent else unit.code == "P01"
        assert unit.name_norm and unit.founded_on and unit.founded_on <= TODAY
    root = OrgUnit.objects.get(code="P01")
    assert root.kind == "province_committee"
    assert [u.code for u in OrgUnit.objects.get_children(root)][:2] == ["P01.C01", "P01.C02"]
    assert OrgUnit.objects.filter(code__regex=r"^P01\.C01\.G01(\.K1)?$").exists()
    holders = OrgUnit.objects.filter(kind__in=["cell", "grassroots_cell"]).count()
    assert holders == summary.member_units
    assert set(Member.objects.values_list("unit__kind", flat=True)) <= {"cell", "grassroots_cell"}


def test_a_national_tree_has_the_central_committee_over_its_provinces() -> None:
    summary = generate(
        seed=1,
        provinces=3,
        communes=7,
        grassroots_per_commune=2,
        cells_per_grassroots=2,
        members=300,
        years=3,
        today=TODAY,
    )
    assert all(not problems for problems in OrgUnit.objects.find_problems())
    kinds = current_ruleset().unit_kinds
    by_path = {u.path: u for u in OrgUnit.objects.all()}
    for unit in by_path.values():
        parent = by_path.get(unit.path[: -OrgUnit.steplen])
        assert (parent.kind in kinds[unit.kind].parents) if parent else kinds[unit.kind].top
    root = OrgUnit.objects.get(code=summary.root_code)
    assert root.kind == "central_committee" and root.is_root()
    provinces = list(OrgUnit.objects.get_children(root))
    assert [p.code for p in provinces] == ["P01", "P02", "P03"]
    assert [p.numchild for p in provinces] == [2, 2, 3]  # seven communes shared out
    assert OrgUnit.objects.filter(kind="commune_committee", depth=3).count() == 7
    assert MemberPeriod.objects.filter(anc1=root).count() == MemberPeriod.objects.count() > 0


def test_the_named_members_are_there_for_the_search_tests() -> None:
    generate(seed=1, **SMALL)
    uoc = Member.objects.get(full_name="Đặng Đức Ước")
    assert uoc.name_norm == "dang duc uoc"
    assert uoc.status == MemberStatus.FULL
    assert Member.objects.filter(full_name="Nguyễn Văn An", name_norm="nguyen van an").exists()


def test_card_numbers_only_on_full_members_and_in_the_rule_set_format() -> None:
    generate(seed=2, **SMALL)
    pattern = current_ruleset().card_pattern()
    cards = list(Member.objects.exclude(card_number=None).values_list("card_number", "status"))
    assert len(cards) > 50
    for number, status in cards:
        assert status == MemberStatus.FULL
        assert pattern.match(number)
    full = Member.objects.filter(status=MemberStatus.FULL).count()
    assert len(cards) >= full * 0.9


def test_the_run_is_audited_once() -> None:
    summary = generate(seed=1, **SMALL)
    entry = AuditEntry.objects.get(event_type="demo.generated")
    assert entry.actor is None
    assert entry.after["members"] == summary.members
    assert entry.unit.code == "P01"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_writes_the_same_rows_as_bulk_create() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'members_member%%'")
        indexes_before = cursor.fetchone()[0]
    by_orm = generate(seed=9, **SMALL)
    by_copy = generate(seed=9, copy=True, **SMALL)
    assert (by_orm.events, by_orm.periods) == (by_copy.events, by_copy.periods)
    assert _province(by_orm.root_code) == _province(by_copy.root_code)
    root = OrgUnit.objects.get(code=by_copy.root_code)
    copied = Member.objects.filter(unit__path__startswith=root.path)
    assert all(m.created_at is not None for m in copied)
    assert not MemberEvent.objects.filter(recorded_at__isnull=True).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'members_member%%'")
        assert cursor.fetchone()[0] == indexes_before
        # The id sequences moved past the ids the generator gave.
        for table, model in (("orgs_orgunit", OrgUnit), ("members_member", Member)):
            cursor.execute(f"SELECT last_value FROM {table}_id_seq")
            assert cursor.fetchone()[0] == model.objects.order_by("-id").first().pk
