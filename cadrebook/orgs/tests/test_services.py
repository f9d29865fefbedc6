"""Writes on the org tree: creating and renaming units (orgs.services) and moving, merging and
dissolving them where members are concerned (members.services)."""

from __future__ import annotations

import datetime as dt

import pytest

from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.members import services as ms
from cadrebook.members.choices import EventType, MemberStatus
from cadrebook.members.models import ANCESTOR_COLUMNS, Member, MemberEvent, MemberPeriod
from cadrebook.members.selectors import members_as_of
from cadrebook.orgs.models import OrgUnit, UnitPlacement
from cadrebook.orgs.placements import ancestors_on, depth_on
from cadrebook.orgs.services import unit_create, unit_rename

D = dt.date
BIRTH = D(1985, 6, 15)


# unit_create ------------------------------------------------------------------------------
def test_the_tree_fixture_builds_the_expected_shape(tree):
    assert tree.P.depth == 1 and tree.C1.depth == 2 and tree.G1.depth == 3
    assert tree.K1.depth == 4 and tree.GC.depth == 3
    assert tree.K1.ancestor_ids() == [tree.P.pk, tree.C1.pk, tree.G1.pk, tree.K1.pk]


def test_a_created_unit_is_audited_and_has_a_normalized_name(actor, tree):
    unit = unit_create(
        actor=actor, code=" K3 ", name="  Chi bộ Đồng Xoài ", kind="cell", parent=tree.G1
    )
    assert unit.code == "K3"
    assert unit.name == "Chi bộ Đồng Xoài"
    assert unit.name_norm == "chi bo dong xoai"
    assert unit.get_parent() == tree.G1
    entry = AuditEntry.objects.get(event_type="unit.created", object_id=str(unit.pk))
    assert entry.after["kind"] == "cell"


def test_a_cell_at_the_root_of_the_tree_is_refused(actor, db):
    with pytest.raises(RuleViolation) as info:
        unit_create(actor=actor, code="X", name="Stray cell", kind="cell")
    assert info.value.code == "unit.parent_kind_not_allowed"
    assert info.value.source == "Party Statute art. 21"
    assert not OrgUnit.objects.exists()


def test_a_cell_directly_under_the_province_is_refused(actor, tree):
    with pytest.raises(RuleViolation) as info:
        unit_create(actor=actor, code="X", name="Cell", kind="cell", parent=tree.P)
    assert info.value.code == "unit.parent_kind_not_allowed"
    assert info.value.field == "parent"


def test_a_province_under_another_unit_is_refused(actor, tree):
    with pytest.raises(RuleViolation) as info:
        unit_create(
            actor=actor, code="P2", name="Province", kind="province_committee", parent=tree.C1
        )
    assert info.value.code == "unit.parent_kind_not_allowed"


def test_a_province_stands_at_the_top_or_under_the_central_committee_only(actor, db):
    central = unit_create(actor=actor, code="TW", name="Central", kind="central_committee")
    province = unit_create(
        actor=actor, code="P9", name="Province", kind="province_committee", parent=central
    )
    alone = unit_create(actor=actor, code="P8", name="Province", kind="province_committee")
    assert province.get_parent() == central and alone.is_root()
    with pytest.raises(RuleViolation) as info:
        unit_create(
            actor=actor, code="TW2", name="Central", kind="central_committee", parent=province
        )
    assert info.value.code == "unit.parent_kind_not_allowed"
    assert not OrgUnit.objects.filter(code="TW2").exists()


def test_a_cell_directly_under_a_commune_is_allowed(actor, tree):
    unit = unit_create(actor=actor, code="K3", name="Cell", kind="cell", parent=tree.C1)
    assert unit.depth == 3


def test_a_unit_code_is_unique(actor, tree):
    with pytest.raises(ServiceError) as info:
        unit_create(actor=actor, code="K1", name="Another", kind="cell", parent=tree.G1)
    assert info.value.code == "unit.code_taken"
    assert OrgUnit.objects.filter(code="K1").count() == 1


@pytest.mark.parametrize(
    ("code", "name", "error"),
    [
        ("", "Name", "unit.code_missing"),
        ("  ", "Name", "unit.code_missing"),
        ("K9", "", "unit.name_missing"),
    ],
)
def test_a_unit_needs_a_code_and_a_name(actor, tree, code, name, error):
    with pytest.raises(ServiceError) as info:
        unit_create(actor=actor, code=code, name=name, kind="cell", parent=tree.G1)
    assert info.value.code == error


def test_a_unit_kind_unknown_to_the_rule_set_is_refused(actor, tree):
    with pytest.raises(RuleViolation) as info:
        unit_create(
            actor=actor, code="D1", name="District", kind="district_committee", parent=tree.P
        )
    assert info.value.code == "unit.kind_unknown"


def test_a_unit_under_a_dissolved_unit_is_refused(actor, tree):
    ms.unit_dissolve(actor=actor, unit=tree.GC, date=D(2025, 1, 1))
    ms.unit_dissolve(actor=actor, unit=tree.C2, date=D(2025, 1, 1))
    tree.C2.refresh_from_db()
    with pytest.raises(ServiceError) as info:
        unit_create(actor=actor, code="K3", name="Cell", kind="cell", parent=tree.C2)
    assert info.value.code == "unit.parent_dissolved"


def test_the_tree_may_not_grow_deeper_than_the_setting(actor, tree, settings):
    settings.MAX_TREE_DEPTH = 3
    with pytest.raises(ServiceError) as info:
        unit_create(actor=actor, code="K3", name="Cell", kind="cell", parent=tree.G1)
    assert info.value.code == "unit.too_deep"


def test_unit_kinds_come_from_the_rule_set_in_force(actor, alt_tree):
    assert alt_tree.B1.get_parent() == alt_tree.N
    with pytest.raises(RuleViolation) as info:
        unit_create(actor=actor, code="K1", name="Cell", kind="cell", parent=alt_tree.N)
    assert info.value.code == "unit.kind_unknown"
    with pytest.raises(RuleViolation) as info:
        unit_create(actor=actor, code="B3", name="Root branch", kind="branch")
    assert info.value.code == "unit.parent_kind_not_allowed"
    assert info.value.source == "test statute 2"


# unit_rename ------------------------------------------------------------------------------
def test_renaming_a_unit_keeps_its_code_and_renormalizes_its_name(actor, tree):
    unit = unit_rename(actor=actor, unit=tree.K1, name="Chi bộ Ước Lễ")
    unit.refresh_from_db()
    assert unit.code == "K1"
    assert unit.name == "Chi bộ Ước Lễ"
    assert unit.name_norm == "chi bo uoc le"
    entry = AuditEntry.objects.get(event_type="unit.renamed")
    assert entry.before["name"] == "Unit K1"
    assert entry.after["name"] == "Chi bộ Ước Lễ"


def test_renaming_to_an_empty_name_is_refused(actor, tree):
    with pytest.raises(ServiceError) as info:
        unit_rename(actor=actor, unit=tree.K1, name="   ")
    assert info.value.code == "unit.name_missing"


# unit_move --------------------------------------------------------------------------------
def _anc(period: MemberPeriod) -> list[int | None]:
    return [getattr(period, f"anc{k}_id") for k in range(1, ANCESTOR_COLUMNS + 1)]


def _expected_anc(unit_id: int) -> list[int | None]:
    ids: list[int | None] = list(OrgUnit.objects.get(pk=unit_id).ancestor_ids())
    return ids + [None] * (ANCESTOR_COLUMNS - len(ids))


def _anc_snapshot() -> dict[int, list[int | None]]:
    return {p.pk: _anc(p) for p in MemberPeriod.objects.all()}


MOVED_ON = D(2025, 7, 1)


def _subtree_ids(unit: OrgUnit) -> set[int]:
    unit.refresh_from_db()
    return set(OrgUnit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))


def _rows() -> set[tuple]:
    return {
        (p.member_id, p.unit_id, p.status, p.exempt, p.valid_from, p.valid_to, *_anc(p))
        for p in MemberPeriod.objects.all()
    }


def _assert_move_cut_periods(unit, before, old_anc, day=MOVED_ON):
    """Every period of the moved subtree running on `day` is cut there: before it the old
    ancestors, from it the new ones; every other period is as it was."""
    moved = _subtree_ids(unit)
    cut = 0
    for period in MemberPeriod.objects.all():
        if period.unit_id not in moved or (period.valid_to and period.valid_to <= day):
            if period.valid_from < day:
                assert _anc(period) == old_anc[period.unit_id], period
        if period.unit_id in moved and period.valid_from >= day:
            assert _anc(period) == _expected_anc(period.unit_id), period
            cut += 1
    assert cut
    before_day = {r for r in before if r[4] < day}
    after_day = {r for r in _rows() if r[4] < day}
    # Before the move every stretch is the same, only cut at the move date.
    assert {r[:4] + r[6:] for r in before_day} == {r[:4] + r[6:] for r in after_day}


def _old_ancestors() -> dict[int, list[int | None]]:
    return {u.pk: _expected_anc(u.pk) for u in OrgUnit.objects.all()}


@pytest.fixture
def populated(actor, tree, make_member):
    """Members in K1, K2 and GC, with history: one moved K1 -> K2, one K1 -> GC."""
    make_member(tree.K1, BIRTH, D(2020, 1, 10), recognized=True)
    make_member(tree.K2, BIRTH, D(2021, 1, 10))
    make_member(tree.GC, BIRTH, D(2020, 5, 5), recognized=True)
    to_k2 = make_member(tree.K1, BIRTH, D(2020, 2, 10), recognized=True)
    ms.member_transfer(actor=actor, member=to_k2, date=D(2022, 3, 1), to_unit=tree.K2)
    to_gc = make_member(tree.K1, BIRTH, D(2020, 2, 10), recognized=True)
    ms.member_transfer(actor=actor, member=to_gc, date=D(2022, 3, 1), to_unit=tree.GC)
    return tree


def test_every_period_starts_with_the_ancestors_of_its_unit(populated):
    for period in MemberPeriod.objects.all():
        assert _anc(period) == _expected_anc(period.unit_id)


def test_every_unit_has_one_open_placement_from_its_beginning(populated):
    for unit in OrgUnit.objects.all():
        (placement,) = UnitPlacement.objects.filter(unit=unit)
        assert placement.valid_from is None and placement.valid_to is None
        assert list(placement.ancestors) == unit.ancestor_ids()


def test_a_dated_move_cuts_the_periods_of_the_subtree_at_its_date(actor, populated):
    t = populated
    before, old = _rows(), _old_ancestors()
    ms.unit_move(actor=actor, unit=t.G1, new_parent=t.C2, date=MOVED_ON, document="12-QĐ/TU")
    t.G1.refresh_from_db()
    assert OrgUnit.objects.get_parent(t.G1) == t.C2
    _assert_move_cut_periods(t.G1, before, old)
    k1_open = MemberPeriod.objects.get(unit=t.K1, valid_to__isnull=True)
    assert _anc(k1_open)[:4] == [t.P.pk, t.C2.pk, t.G1.pk, t.K1.pk]
    assert k1_open.valid_from == MOVED_ON
    k1_before = MemberPeriod.objects.get(unit=t.K1, valid_to=MOVED_ON)
    assert _anc(k1_before)[:4] == [t.P.pk, t.C1.pk, t.G1.pk, t.K1.pk]


def test_a_move_is_placed_in_the_tree_history_of_every_unit_below(actor, populated):
    t = populated
    ms.unit_move(actor=actor, unit=t.G1, new_parent=t.C2, date=MOVED_ON, document="12-QĐ/TU")
    for unit in (t.G1, t.K1, t.K2):
        old, new = UnitPlacement.objects.filter(unit=unit).order_by("id")
        assert (old.valid_from, old.valid_to) == (None, MOVED_ON)
        assert (new.valid_from, new.valid_to, new.document) == (MOVED_ON, None, "12-QĐ/TU")
        assert t.C1.pk in old.ancestors and t.C2.pk in new.ancestors
    assert ancestors_on(t.K1, D(2025, 6, 30)) == (t.P.pk, t.C1.pk, t.G1.pk, t.K1.pk)
    assert ancestors_on(t.K1, MOVED_ON) == (t.P.pk, t.C2.pk, t.G1.pk, t.K1.pk)
    entry = AuditEntry.objects.get(event_type="unit.moved")
    assert entry.before == {"parent": "C1"}
    assert entry.after == {"parent": "C2", "date": "2025-07-01", "document": "12-QĐ/TU"}


def test_moving_a_cell_up_directly_under_a_commune_clears_the_deeper_column_from_the_date(
    actor, populated
):
    t = populated
    before, old = _rows(), _old_ancestors()
    ms.unit_move(actor=actor, unit=t.K1, new_parent=t.C2, date=MOVED_ON)
    t.K1.refresh_from_db()
    assert t.K1.depth == 3
    _assert_move_cut_periods(t.K1, before, old)
    for period in MemberPeriod.objects.filter(unit=t.K1, valid_from__gte=MOVED_ON):
        assert _anc(period) == [t.P.pk, t.C2.pk, t.K1.pk, None, None, None]
    assert depth_on(t.K1, D(2024, 12, 31)) == 4 and depth_on(t.K1, MOVED_ON) == 3


def test_moving_a_cell_down_under_a_grassroots_committee_adds_a_level_from_the_date(
    actor, populated, make_member
):
    t = populated
    k3 = unit_create(actor=actor, code="K3", name="Cell 3", kind="cell", parent=t.C1)
    make_member(k3, BIRTH, D(2022, 1, 10), recognized=True)
    before, old = _rows(), _old_ancestors()
    ms.unit_move(actor=actor, unit=k3, new_parent=t.G1, date=MOVED_ON)
    k3.refresh_from_db()
    assert k3.depth == 4
    _assert_move_cut_periods(k3, before, old)
    for period in MemberPeriod.objects.filter(unit=k3, valid_from__gte=MOVED_ON):
        assert _anc(period) == [t.P.pk, t.C1.pk, t.G1.pk, k3.pk, None, None]


def test_a_move_leaves_the_members_of_every_earlier_date_where_they_were(actor, populated):
    t = populated
    day = D(2024, 12, 31)
    c1_before, c2_before = set(members_as_of(t.C1, day)), set(members_as_of(t.C2, day))
    assert c1_before
    ms.unit_move(actor=actor, unit=t.G1, new_parent=t.C2, date=MOVED_ON)
    assert set(members_as_of(t.C1, day)) == c1_before
    assert set(members_as_of(t.C2, day)) == c2_before
    after = D(2025, 7, 1)
    assert not members_as_of(t.C1, after).exists()
    assert c1_before <= set(members_as_of(t.C2, after))


def test_a_member_s_next_event_keeps_the_periods_a_move_cut(actor, populated):
    t = populated
    ms.unit_move(actor=actor, unit=t.G1, new_parent=t.C2, date=MOVED_ON)
    member = Member.objects.filter(unit=t.K1, status=MemberStatus.FULL).first()
    cut = set(
        MemberPeriod.objects.filter(member=member, valid_to=MOVED_ON).values_list("pk", flat=True)
    )
    assert cut
    ms.member_exempt(actor=actor, member=member, date=D(2025, 9, 1), reason="health")
    assert (
        set(
            MemberPeriod.objects.filter(member=member, valid_to=MOVED_ON).values_list(
                "pk", flat=True
            )
        )
        == cut
    )
    rows = MemberPeriod.objects.filter(member=member).order_by("valid_from")
    assert [(p.valid_to, p.exempt, p.anc2_id) for p in rows][-3:] == [
        (MOVED_ON, False, t.C1.pk),
        (D(2025, 9, 1), False, t.C2.pk),
        (None, True, t.C2.pk),
    ]


def test_events_dated_before_a_move_get_the_ancestors_of_their_time(actor, populated):
    t = populated
    ms.unit_move(actor=actor, unit=t.G1, new_parent=t.C2, date=MOVED_ON)
    member = Member.objects.filter(unit=t.GC, status=MemberStatus.FULL).first()
    ms.member_transfer(actor=actor, member=member, date=D(2025, 2, 3), to_unit=t.K1)
    rows = list(MemberPeriod.objects.filter(member=member, unit=t.K1).order_by("valid_from"))
    assert [(p.valid_from, p.valid_to, p.anc2_id) for p in rows] == [
        (D(2025, 2, 3), MOVED_ON, t.C1.pk),
        (MOVED_ON, None, t.C2.pk),
    ]


def test_moving_a_unit_under_a_kind_the_rule_set_forbids_is_refused(actor, populated):
    t = populated
    before = _anc_snapshot()
    path = t.K1.path
    with pytest.raises(RuleViolation) as info:
        ms.unit_move(actor=actor, unit=t.K1, new_parent=t.P, date=MOVED_ON)
    assert info.value.code == "unit.parent_kind_not_allowed"
    t.K1.refresh_from_db()
    assert t.K1.path == path
    assert _anc_snapshot() == before
    assert UnitPlacement.objects.filter(valid_from__isnull=False).count() == 0


def test_moving_a_unit_into_its_own_subtree_is_refused(actor, populated):
    t = populated
    with pytest.raises(ServiceError) as info:
        ms.unit_move(actor=actor, unit=t.G1, new_parent=t.K1, date=MOVED_ON)
    assert info.value.code == "unit.move_into_itself"


def test_a_move_that_would_make_the_tree_too_deep_is_refused(actor, tree, settings):
    k3 = unit_create(actor=actor, code="K3", name="Cell 3", kind="cell", parent=tree.C1)
    settings.MAX_TREE_DEPTH = 3
    with pytest.raises(ServiceError) as info:
        ms.unit_move(actor=actor, unit=k3, new_parent=tree.G1, date=MOVED_ON)
    assert info.value.code == "unit.too_deep"


def test_moving_a_unit_under_a_dissolved_unit_is_refused(actor, tree):
    ms.unit_dissolve(actor=actor, unit=tree.GC, date=D(2025, 1, 1))
    ms.unit_dissolve(actor=actor, unit=tree.C2, date=D(2025, 1, 1))
    k3 = unit_create(actor=actor, code="K3", name="Cell 3", kind="cell", parent=tree.C1)
    with pytest.raises(ServiceError) as info:
        ms.unit_move(actor=actor, unit=k3, new_parent=tree.C2, date=MOVED_ON)
    assert info.value.code == "unit.parent_dissolved"
    k3.refresh_from_db()
    assert OrgUnit.objects.get_parent(k3) == tree.C1


def test_a_move_dated_before_the_last_change_of_the_subtree_is_refused(actor, populated):
    t = populated
    ms.unit_move(actor=actor, unit=t.G1, new_parent=t.C2, date=MOVED_ON)
    before = _rows()
    with pytest.raises(ServiceError) as info:
        ms.unit_move(actor=actor, unit=t.K1, new_parent=t.C1, date=D(2025, 3, 1))
    assert info.value.code == "unit.move_before_history"
    assert _rows() == before


def test_a_move_in_the_future_is_refused(actor, populated):
    with pytest.raises(ServiceError) as info:
        ms.unit_move(actor=actor, unit=populated.G1, new_parent=populated.C2, date=D(2099, 1, 1))
    assert info.value.code == "event.in_future"


# unit_merge -------------------------------------------------------------------------------
@pytest.fixture
def k2_members(actor, tree, make_member):
    full = make_member(tree.K2, BIRTH, D(2020, 1, 10), recognized=True)
    probationary = make_member(tree.K2, BIRTH, D(2025, 3, 10))
    pending = make_member(tree.K2, BIRTH, D(2020, 1, 10), recognized=True)
    ms.member_transfer_out(actor=actor, member=pending, date=D(2025, 4, 1), to_unit=tree.GC)
    applicant = make_member(tree.K2, BIRTH, registered_on=D(2025, 2, 1))
    left = make_member(tree.K2, BIRTH, D(2020, 1, 10), recognized=True)
    ms.member_remove(taken_over=True, actor=actor, member=left, date=D(2024, 1, 1), reason="absent")
    return {
        "full": full,
        "probationary": probationary,
        "pending": pending,
        "applicant": applicant,
        "removed": left,
    }


def test_merging_a_cell_transfers_its_members_and_dissolves_it(actor, tree, k2_members):
    day = D(2025, 6, 1)
    old_periods = {
        p.pk: (p.unit_id, p.status, p.valid_from) for p in MemberPeriod.objects.filter(unit=tree.K2)
    }
    ms.unit_merge(actor=actor, unit=tree.K2, into=tree.K1, date=day)
    tree.K2.refresh_from_db()
    assert tree.K2.dissolved_on == day
    for key in ("full", "probationary", "pending"):
        member = Member.objects.get(pk=k2_members[key].pk)
        assert member.unit == tree.K1, key
        assert member.pending_transfer_to is None
        old = MemberPeriod.objects.get(member=member, unit=tree.K2, valid_to=day)
        assert old.pk in old_periods
        new = MemberPeriod.objects.get(member=member, valid_to__isnull=True)
        assert (new.unit_id, new.valid_from) == (tree.K1.pk, day)
        out = MemberEvent.objects.get(member=member, type=EventType.TRANSFER_OUT, to_unit=tree.K1)
        assert out.reason == "reorganization"
        assert MemberEvent.objects.filter(
            member=member, type=EventType.TRANSFER_IN, date=day
        ).exists()
    # History is kept: every period that was in K2 is still there, its start unchanged.
    for pk, (unit_id, status, valid_from) in old_periods.items():
        row = MemberPeriod.objects.get(pk=pk)
        assert (row.unit_id, row.status, row.valid_from) == (unit_id, status, valid_from)


def test_merging_a_cell_moves_its_applicants_and_leaves_former_members(actor, tree, k2_members):
    ms.unit_merge(actor=actor, unit=tree.K2, into=tree.K1, date=D(2025, 6, 1))
    applicant = Member.objects.get(pk=k2_members["applicant"].pk)
    assert applicant.unit == tree.K1
    assert applicant.status == MemberStatus.APPLICANT
    removed = Member.objects.get(pk=k2_members["removed"].pk)
    assert removed.unit == tree.K2
    assert removed.status == MemberStatus.REMOVED


def test_merged_members_keep_counting_in_the_old_cell_before_the_merge(actor, tree, k2_members):
    ms.unit_merge(actor=actor, unit=tree.K2, into=tree.K1, date=D(2025, 6, 1))
    tree.K2.refresh_from_db()
    tree.K1.refresh_from_db()
    assert members_as_of(tree.K2, D(2025, 5, 31)).count() == 3
    assert members_as_of(tree.K2, D(2025, 6, 1)).count() == 0
    assert members_as_of(tree.K1, D(2025, 6, 1)).count() == 3


def test_the_transfer_in_event_of_a_merge_names_the_receiving_cell(actor, tree, k2_members):
    ms.unit_merge(actor=actor, unit=tree.K2, into=tree.K1, date=D(2025, 6, 1))
    for key in ("full", "probationary", "pending"):
        event = MemberEvent.objects.get(member=k2_members[key], type=EventType.TRANSFER_IN)
        assert event.unit == tree.K1, key


def test_a_same_day_transfer_names_the_receiving_cell_on_both_events(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, D(2024, 1, 10))
    accepted = ms.member_transfer(actor=actor, member=member, date=D(2025, 2, 3), to_unit=tree.K2)
    issued = member.events.get(type=EventType.TRANSFER_OUT)
    assert issued.to_unit == tree.K2
    assert accepted.unit == tree.K2


def test_merging_a_unit_into_itself_is_refused(actor, tree):
    with pytest.raises(ServiceError) as info:
        ms.unit_merge(actor=actor, unit=tree.K1, into=tree.K1, date=D(2025, 6, 1))
    assert info.value.code == "unit.merge_into_itself"


def test_merging_into_a_unit_that_holds_no_members_is_refused_and_changes_nothing(
    actor, tree, k2_members
):
    events = MemberEvent.objects.count()
    with pytest.raises(RuleViolation) as info:
        ms.unit_merge(actor=actor, unit=tree.K2, into=tree.G1, date=D(2025, 6, 1))
    assert info.value.code == "unit.holds_no_members"
    assert MemberEvent.objects.count() == events
    tree.K2.refresh_from_db()
    assert tree.K2.dissolved_on is None


def test_merging_a_unit_whose_units_below_cannot_stand_under_the_other_changes_nothing(
    actor, populated
):
    t = populated
    before = _rows()
    with pytest.raises(RuleViolation) as info:
        ms.unit_merge(actor=actor, unit=t.G1, into=t.GC, date=D(2025, 6, 1))
    assert info.value.code == "unit.parent_kind_not_allowed"
    assert _rows() == before
    t.G1.refresh_from_db()
    assert t.G1.dissolved_on is None
    assert not UnitPlacement.objects.filter(valid_from__isnull=False).exists()


def test_merging_a_commune_moves_its_units_below_with_their_members_not_transfers(actor, populated):
    t = populated
    events = MemberEvent.objects.count()
    c1_2024 = set(members_as_of(t.C1, D(2024, 12, 31)))
    ms.unit_merge(actor=actor, unit=t.C1, into=t.C2, date=MOVED_ON, document="3-NQ/TU")
    t.C1.refresh_from_db()
    t.G1.refresh_from_db()
    assert t.C1.dissolved_on == MOVED_ON
    assert OrgUnit.objects.get_parent(t.G1) == t.C2
    assert MemberEvent.objects.count() == events  # handed over, not transferred
    assert set(members_as_of(t.C1, D(2024, 12, 31))) == c1_2024
    assert c1_2024 <= set(members_as_of(t.C2, MOVED_ON))
    assert not members_as_of(t.C1, MOVED_ON).exists()


def test_several_units_merge_into_a_new_one_in_one_step(actor, populated):
    t = populated
    new = unit_create(
        actor=actor, code="C3", name="Commune 3", kind="commune_committee", parent=t.P
    )
    ms.units_merge(actor=actor, units=[t.C1, t.C2], into=new, date=MOVED_ON, document="4-NQ")
    for unit in (t.C1, t.C2):
        unit.refresh_from_db()
        assert unit.dissolved_on == MOVED_ON
    assert set(OrgUnit.objects.filter(depth=3).values_list("code", flat=True)) == {"G1", "GC"}
    assert all(OrgUnit.objects.get_parent(u) == new for u in OrgUnit.objects.filter(depth=3))
    entry = AuditEntry.objects.get(event_type="unit.merged")
    assert entry.after["merged"] == ["C1", "C2"]


def test_a_merge_that_names_a_unit_twice_is_refused(actor, tree):
    with pytest.raises(ServiceError) as info:
        ms.units_merge(actor=actor, units=[tree.C1, tree.C1], into=tree.C2, date=MOVED_ON)
    assert info.value.code == "unit.merge_twice"


# unit_dissolve ----------------------------------------------------------------------------
def test_dissolving_a_cell_with_active_members_is_refused(actor, tree, make_member):
    make_member(tree.K1, BIRTH, D(2024, 1, 10))
    with pytest.raises(ServiceError) as info:
        ms.unit_dissolve(actor=actor, unit=tree.K1, date=D(2025, 1, 1))
    assert info.value.code == "unit.has_members"
    tree.K1.refresh_from_db()
    assert tree.K1.dissolved_on is None


def test_dissolving_a_committee_with_active_members_below_it_is_refused(actor, tree, make_member):
    make_member(tree.K1, BIRTH, D(2024, 1, 10))
    ms.unit_dissolve(actor=actor, unit=tree.K2, date=D(2025, 1, 1))
    with pytest.raises(ServiceError) as info:
        ms.unit_dissolve(actor=actor, unit=tree.G1, date=D(2025, 1, 1))
    assert info.value.code == "unit.has_members"


def test_dissolving_a_committee_with_active_units_below_it_is_refused(actor, tree):
    with pytest.raises(ServiceError) as info:
        ms.unit_dissolve(actor=actor, unit=tree.G1, date=D(2025, 1, 1))
    assert info.value.code == "unit.has_active_children"


def test_dissolving_a_cell_with_a_transfer_pending_to_it_is_refused(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, D(2024, 1, 10))
    ms.member_transfer_out(actor=actor, member=member, date=D(2025, 2, 1), to_unit=tree.K2)
    with pytest.raises(ServiceError) as info:
        ms.unit_dissolve(actor=actor, unit=tree.K2, date=D(2025, 3, 1))
    assert info.value.code == "unit.has_pending_transfers"


def test_a_cell_whose_members_all_left_can_be_dissolved_once(actor, tree, make_member):
    member = make_member(tree.K2, BIRTH, D(2020, 1, 10), recognized=True)
    ms.member_remove(
        taken_over=True, actor=actor, member=member, date=D(2024, 6, 1), reason="absent"
    )
    unit = ms.unit_dissolve(actor=actor, unit=tree.K2, date=D(2025, 1, 1))
    assert unit.dissolved_on == D(2025, 1, 1)
    assert not unit.is_active
    assert unit.is_active_on(D(2024, 12, 31)) and not unit.is_active_on(D(2025, 1, 1))
    with pytest.raises(ServiceError) as info:
        ms.unit_dissolve(actor=actor, unit=tree.K2, date=D(2025, 2, 1))
    assert info.value.code == "unit.already_dissolved"


def test_dissolving_on_a_future_date_or_before_the_units_history_is_refused(tree, make_member):
    import datetime as dt

    from cadrebook.core.errors import ServiceError
    from cadrebook.members import services as ms

    m = make_member(tree.K2, dt.date(1990, 1, 1), admitted_on=dt.date(2020, 1, 1))
    ms.member_remove(taken_over=True, actor=None, member=m, date=dt.date(2023, 6, 1), reason="test")
    with pytest.raises(ServiceError) as exc:
        ms.unit_dissolve(actor=None, unit=tree.K2, date=dt.date(2023, 1, 1))
    assert exc.value.code == "unit.dissolved_before_history"
    with pytest.raises(ServiceError) as exc:
        ms.unit_dissolve(actor=None, unit=tree.K2, date=dt.date(2099, 1, 1))
    assert exc.value.code == "event.in_future"
    tree.K2.refresh_from_db()
    assert tree.K2.dissolved_on is None
    ms.unit_dissolve(actor=None, unit=tree.K2, date=dt.date(2023, 6, 1))
    tree.K2.refresh_from_db()
    assert tree.K2.dissolved_on == dt.date(2023, 6, 1)


def test_a_unit_written_without_placements_gives_its_periods_its_current_line(
    actor, tree, make_member
):
    UnitPlacement.objects.filter(unit=tree.K1).delete()  # as a hand-written load would leave it
    member = make_member(tree.K1, BIRTH, D(2020, 1, 10))
    (period,) = MemberPeriod.objects.filter(member=member)
    assert _anc(period) == _expected_anc(tree.K1.pk)
