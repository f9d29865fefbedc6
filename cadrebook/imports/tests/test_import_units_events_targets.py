"""Importing units, events (histories) and targets files."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from cadrebook.core.models import AuditEntry
from cadrebook.evaluations.models import Target
from cadrebook.members.models import Member, MemberEvent, MemberPeriod
from cadrebook.members.selectors import periods_as_of
from cadrebook.orgs.models import OrgUnit

D = dt.date
pytestmark = pytest.mark.django_db

UNITS = """code,name,kind,parent_code,founded_on
K1,Chi bộ 1,cell,G1,2000-01-01
P,Tỉnh,province_committee,,1990-01-01
C1,Xã 1,commune_committee,P,1995-01-01
G1,Đảng bộ cơ sở 1,grassroots_committee,C1,1996-01-01
K2,Chi bộ 2,cell,G1,2000-01-01
"""


# Units ---------------------------------------------------------------------------------------
def test_units_come_in_with_parents_later_in_the_file(run):
    report = run("units", UNITS)
    assert report.ok and report.created == 5
    k1 = OrgUnit.objects.get(code="K1")
    assert [u.code for u in OrgUnit.objects.get_ancestors(k1)] == ["P", "C1", "G1"]
    assert k1.founded_on == D(2000, 1, 1)


def test_importing_the_same_units_twice_changes_nothing(run):
    run("units", UNITS)
    audit = AuditEntry.objects.count()
    report = run("units", UNITS)
    assert report.unchanged == 5 and report.created == 0
    assert AuditEntry.objects.count() == audit


def test_a_new_name_renames_the_unit_and_a_new_parent_without_a_date_is_refused(run):
    run("units", UNITS)
    renamed = run("units", UNITS.replace("Chi bộ 2", "Chi bộ Hai"))
    assert renamed.updated == 1
    assert OrgUnit.objects.get(code="K2").name == "Chi bộ Hai"
    moved = run("units", UNITS.replace("K2,Chi bộ 2,cell,G1", "K2,Chi bộ 2,cell,C1"))
    assert [(e.column, e.code) for e in moved.errors] == [("parent_code", "import.move_needs_date")]


MERGE = """code,name,kind,parent_code,founded_on,dissolved_on,moved_on,document
C2,Xã 2,commune_committee,P,2025-07-01,,,
G1,Đảng bộ cơ sở 1,grassroots_committee,C2,1996-01-01,,2025-07-01,5-NQ/TU
C1,Xã 1,commune_committee,P,1995-01-01,2025-07-01,,
"""


def test_a_dated_parent_change_moves_the_unit_and_a_merge_dissolves_the_old_one(
    run, actor, make_member
):
    from cadrebook.members.selectors import members_as_of
    from cadrebook.orgs.placements import ancestors_on

    run("units", UNITS)
    c1, g1 = OrgUnit.objects.get(code="C1"), OrgUnit.objects.get(code="G1")
    member = make_member(OrgUnit.objects.get(code="K1"), D(1990, 1, 1), D(2020, 1, 10))
    report = run("units", MERGE)
    assert report.ok, report.errors
    assert (report.created, report.updated) == (1, 2)
    c1.refresh_from_db(), g1.refresh_from_db()
    c2 = OrgUnit.objects.get(code="C2")
    assert OrgUnit.objects.get_parent(g1) == c2 and c1.dissolved_on == D(2025, 7, 1)
    assert ancestors_on(g1, D(2025, 6, 30))[1] == c1.pk
    assert member in members_as_of(c1, D(2025, 6, 30))
    assert member in members_as_of(c2, D(2025, 7, 1))
    entry = AuditEntry.objects.get(event_type="unit.moved")
    assert entry.after == {"parent": "C2", "date": "2025-07-01", "document": "5-NQ/TU"}
    again = run("units", MERGE)
    assert again.ok and again.unchanged == 3


def test_a_dated_move_the_tree_refuses_is_refused_with_the_service_s_reason(run):
    run("units", UNITS)
    report = run(
        "units",
        "code,name,kind,parent_code,moved_on\nK2,Chi bộ 2,cell,P,2025-07-01\n",
    )
    assert [(e.column, e.code) for e in report.errors] == [
        ("parent_code", "unit.parent_kind_not_allowed")
    ]
    assert OrgUnit.objects.get_parent(OrgUnit.objects.get(code="K2")).code == "G1"


def test_a_kind_the_rule_set_does_not_allow_under_the_parent_is_refused_with_its_source(run):
    report = run("units", UNITS.replace("K2,Chi bộ 2,cell,G1", "K2,Chi bộ 2,cell,P"))
    [error] = report.errors
    assert (error.row, error.column, error.code) == (
        6,
        "parent_code",
        "unit.parent_kind_not_allowed",
    )
    assert error.source
    assert OrgUnit.objects.count() == 0


def test_unknown_parents_unknown_kinds_and_cycles_are_refused(run):
    text = "code,name,kind,parent_code\nX,X,cell,NOWHERE\nY,Y,spaceship,\nA,A,cell,B\nB,B,cell,A\n"
    report = run("units", text)
    assert sorted((e.row, e.code) for e in report.errors) == [
        (2, "import.unit_unknown"),
        (3, "unit.kind_unknown"),
        (4, "import.parent_cycle"),
        (5, "import.parent_cycle"),
    ]


def test_a_unit_with_a_dissolution_date_is_created_and_dissolved(run):
    text = UNITS.replace("founded_on\n", "founded_on,dissolved_on\n")
    report = run("units", text + "K3,Chi bộ 3,cell,G1,2000-01-01,2010-05-01\n")
    assert report.ok, report.errors
    assert OrgUnit.objects.get(code="K3").dissolved_on == D(2010, 5, 1)
    assert OrgUnit.objects.get(code="K1").dissolved_on is None


def test_an_organizer_adds_units_only_under_their_subtree(run, tree, grant):
    organizer = get_user_model().objects.create_user(username="org")
    grant(organizer, "organizer", tree.C1)
    text = "code,name,kind,parent_code\nK7,Chi bộ 7,cell,G1\nK8,Chi bộ 8,grassroots_cell,C2\nR,Root,province_committee,\n"
    report = run("units", text, actor=organizer, valid_rows_only=True)
    assert sorted((e.row, e.code) for e in report.errors) == [
        (3, "import.unit_unknown"),
        (4, "import.root_not_allowed"),
    ]
    assert OrgUnit.objects.filter(code="K7").exists()
    assert not OrgUnit.objects.filter(code__in=["K8", "R"]).exists()


# Events --------------------------------------------------------------------------------------
MEMBERS = (
    "external_id,full_name,gender,birth_date,unit_code,status\n"
    "A1,Nguyễn Văn An,male,1990-02-01,K1,\n"
    "A2,Trần Thị Bình,female,1992-03-04,K1,\n"
)
# Old records, taken over: the admissions come without the cell's vote.
EVENTS = """external_id,type,date,unit_code,to_unit_code,destination,document,reason,taken_over
A1,recognized,2021-01-12,,,,,,yes
A1,admitted,2020-01-10,K1,,,28-NQ/TU,,yes
A1,registered,2019-06-01,K1,,,,,
A1,transferred,2022-03-01,,K2,,15-QĐ/ĐU,,
A2,registered,2019-06-01,K1,,,,,
A2,admitted,2020-02-10,,,,,,yes
A2,exempted,2021-05-01,,,,,tuổi cao,
"""


@pytest.fixture
def people(run, tree):
    assert run("members", MEMBERS).ok
    return {m.external_id: m for m in Member.objects.all()}


def test_events_are_applied_in_date_order_per_member(run, tree, people):
    report = run("events", EVENTS)
    assert report.ok, report.errors
    a1 = Member.objects.get(external_id="A1")
    assert (a1.status, a1.unit_id) == ("full", tree.K2.pk)
    assert list(a1.events.values_list("type", flat=True)) == [
        "registered",
        "admitted",
        "recognized",
        "transfer_out",
        "transfer_in",
    ]
    assert a1.events.get(type="admitted").document == "28-NQ/TU"
    on = periods_as_of(D(2021, 6, 1)).get(member=a1)
    assert (on.unit_id, on.status) == (tree.K1.pk, "full")
    assert periods_as_of(D(2023, 1, 1)).get(member=a1).unit_id == tree.K2.pk
    a2 = Member.objects.get(external_id="A2")
    assert a2.exempt and a2.status == "probationary"


def test_importing_the_same_events_twice_changes_nothing(run, tree, people):
    run("events", EVENTS)
    before = (MemberEvent.objects.count(), MemberPeriod.objects.count())
    report = run("events", EVENTS)
    assert report.ok and report.created == 0 and report.unchanged == 7
    assert (MemberEvent.objects.count(), MemberPeriod.objects.count()) == before


def test_later_events_extend_a_recorded_history(run, tree, people):
    run("events", EVENTS)
    more = "external_id,type,date,document\nA2,exemption_ended,2022-01-01,\nA2,deceased,2023-01-01,7-TB\n"
    report = run("events", more)
    assert report.ok and report.created == 2
    a2 = Member.objects.get(external_id="A2")
    assert a2.status == "deceased"
    assert periods_as_of(D(2023, 6, 1)).filter(member=a2).count() == 0


def test_an_event_dated_before_the_recorded_history_is_refused(run, tree, people):
    run("events", EVENTS)
    early = "external_id,type,date,unit_code\nA1,exempted,2021-01-01,\n"
    report = run("events", early)
    assert [(e.column, e.code) for e in report.errors] == [("date", "import.history_change")]


def test_one_refused_event_refuses_the_members_other_rows_too(run, tree, people):
    bad = EVENTS.replace("A1,recognized,2021-01-12", "A1,recognized,2020-06-12")
    report = run("events", bad, valid_rows_only=True)
    refused = sorted((e.row, e.code) for e in report.errors)
    assert (2, "probation.not_completed") in refused
    assert {r for r, _ in refused} == {2, 3, 4, 5}  # every row of A1
    assert not Member.objects.get(external_id="A1").events.exists()
    assert Member.objects.get(external_id="A2").events.count() == 3  # A2 came in


def test_events_of_unknown_members_corrections_and_unknown_types_are_refused(run, tree, people):
    text = (
        "external_id,type,date\n"
        "NOBODY,registered,2020-01-01\n"
        "A1,correction,2020-01-01\n"
        "A2,promoted,2020-01-01\n"
    )
    report = run("events", text)
    assert sorted((e.row, e.code) for e in report.errors) == [
        (2, "import.member_unknown"),
        (3, "import.correction_not_imported"),
        (4, "event.type_unknown"),
    ]


def test_a_clerk_cannot_import_events_of_members_outside_their_subtree(run, tree, people, grant):
    clerk = get_user_model().objects.create_user(username="gcclerk")
    grant(clerk, "clerk", tree.GC)
    report = run("events", EVENTS, actor=clerk)
    assert {e.code for e in report.errors} == {"import.member_unknown"}
    assert MemberEvent.objects.count() == 0


# Targets -------------------------------------------------------------------------------------
TARGETS = "unit_code,year,indicator,target\nP,2024,admissions,820\nP,2024,recognitions,700\n"


def test_targets_are_set_and_revised_with_the_old_value_audited(run, tree):
    assert run("targets", TARGETS).created == 2
    again = run("targets", TARGETS)
    assert again.unchanged == 2 and again.created == 0
    revised = run("targets", TARGETS.replace("820", "830"))
    assert revised.updated == 1
    assert Target.objects.get(indicator="admissions").target == 830
    entry = AuditEntry.objects.get(event_type="target.revised")
    assert (entry.before["target"], entry.after["target"]) == (820, 830)


def test_targets_outside_the_rule_set_or_negative_are_refused(run, tree):
    text = (
        "unit_code,năm,chỉ tiêu,chỉ tiêu giao\n"  # Vietnamese headers for three columns
        "P,2024,parades,3\n"
        "P,2024,admissions,-4\n"
        "P,1024,admissions,4\n"
        "P,2024,admissions,820\n"
        "P,2024,admissions,821\n"
    )
    report = run("targets", text)
    assert sorted((e.row, e.column, e.code) for e in report.errors) == [
        (2, "indicator", "target.indicator_unknown"),
        (3, "target", "target.negative"),
        (4, "year", "target.bad_year"),
        (6, "indicator", "import.duplicate_row"),
    ]
    assert next(e for e in report.errors if e.row == 2).source
    assert Target.objects.count() == 0


def test_a_target_year_in_khmer_digits_is_read(run, tree):
    report = run("targets", "unit_code,year,indicator,target\nP,២០២៤,admissions,៨២០\n")
    assert report.ok, report.errors
    assert Target.objects.get().target == 820


def test_events_imported_after_a_move_cut_the_periods_at_the_move_and_import_twice_alike(
    run, tree, people, actor
):
    from cadrebook.members import services as ms

    ms.unit_move(actor=actor, unit=tree.G1, new_parent=tree.C2, date=D(2021, 1, 1))
    assert run("events", EVENTS).ok
    a1 = Member.objects.get(external_id="A1")
    rows = list(a1.periods.order_by("valid_from").values_list("valid_from", "valid_to", "anc2_id"))
    assert rows == [
        (D(2020, 1, 10), D(2021, 1, 1), tree.C1.pk),
        (D(2021, 1, 1), D(2021, 1, 10), tree.C2.pk),
        (D(2021, 1, 10), D(2022, 3, 1), tree.C2.pk),
        (D(2022, 3, 1), None, tree.C2.pk),
    ]
    before = (MemberEvent.objects.count(), MemberPeriod.objects.count())
    more = "external_id,type,date\nA2,exemption_ended,2022-01-01\n"
    assert run("events", more).ok
    assert a1.periods.count() == 4
    assert run("events", EVENTS).ok
    assert MemberEvent.objects.count() == before[0] + 1
