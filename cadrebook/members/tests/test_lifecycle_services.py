"""The member lifecycle through the services: the rule set's boundaries, transfers,
exemptions, corrections, personal data and cards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.members import services as ms
from cadrebook.members.choices import EventType, MemberStatus
from cadrebook.members.expulsion import by_discipline_decision
from cadrebook.members.models import Member, MemberEvent, MemberPeriod
from cadrebook.members.selectors import member_status_as_of, members_as_of, party_age

D = dt.date


def periods(member: Member) -> list[tuple[str, str, bool, dt.date, dt.date | None]]:
    rows = MemberPeriod.objects.filter(member=member).order_by("valid_from", "id")
    return [(p.unit.code, p.status, p.exempt, p.valid_from, p.valid_to) for p in rows]


def fresh(member: Member) -> Member:
    return Member.objects.get(pk=member.pk)


def refused(code: str, fn, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        fn(**kwargs)
    assert info.value.code == code, info.value
    return info.value


# Admission age ----------------------------------------------------------------------------
BORN_2000 = D(2000, 5, 20)  # 17 years 11 months on 2018-04-20, 18 years on 2018-05-20
BORN_1955 = D(1955, 3, 10)  # 60 years 11 months on 2016-02-10, 61 years on 2016-03-10


def test_admission_at_17_years_11_months_is_refused_citing_the_regulation(actor, tree, make_member):
    member = make_member(tree.K1, BORN_2000, registered_on=D(2018, 1, 1))
    exc = refused(
        "admission.too_young", ms.member_admit, actor=actor, member=member, date=D(2018, 4, 20)
    )
    assert isinstance(exc, RuleViolation)
    assert exc.source == "294-QĐ/TW 2025"
    assert exc.field == "date"
    member = fresh(member)
    assert member.status == MemberStatus.APPLICANT
    assert member.admitted_on is None
    assert periods(member) == []
    assert not member.events.filter(type=EventType.ADMITTED).exists()


def test_admission_on_the_eighteenth_birthday_is_accepted(actor, tree, make_member):
    member = make_member(tree.K1, BORN_2000, registered_on=D(2018, 1, 1))
    ms.member_admit(taken_over=True, actor=actor, member=member, date=D(2018, 5, 20))
    member = fresh(member)
    assert member.status == MemberStatus.PROBATIONARY
    assert member.admitted_on == D(2018, 5, 20)
    assert periods(member) == [("K1", "probationary", False, D(2018, 5, 20), None)]


def test_admission_at_60_years_11_months_is_accepted(actor, tree, make_member):
    member = make_member(tree.K1, BORN_1955, registered_on=D(2015, 1, 1))
    ms.member_admit(taken_over=True, actor=actor, member=member, date=D(2016, 2, 10))
    assert fresh(member).status == MemberStatus.PROBATIONARY


def test_admission_at_61_years_is_refused(actor, tree, make_member):
    member = make_member(tree.K1, BORN_1955, registered_on=D(2015, 1, 1))
    exc = refused(
        "admission.too_old", ms.member_admit, actor=actor, member=member, date=D(2016, 3, 10)
    )
    assert exc.source == "294-QĐ/TW 2025"
    assert fresh(member).status == MemberStatus.APPLICANT


def test_admission_without_a_date_of_birth_is_refused(actor, tree, make_member):
    member = make_member(tree.K1, None, registered_on=D(2024, 1, 1))
    refused(
        "admission.birth_date_missing",
        ms.member_admit,
        actor=actor,
        member=member,
        date=D(2024, 2, 1),
    )


# Where members may be admitted ------------------------------------------------------------
def test_admission_into_a_grassroots_committee_is_refused(actor, tree, make_member):
    member = make_member(tree.K1, BORN_2000, registered_on=D(2024, 1, 1))
    exc = refused(
        "unit.holds_no_members",
        ms.member_admit,
        actor=actor,
        member=member,
        date=D(2024, 2, 1),
        unit=tree.G1,
    )
    assert exc.source == "Party Statute art. 21"
    assert exc.field == "unit"


def test_registering_an_applicant_in_a_grassroots_committee_is_refused_and_leaves_no_trace(
    actor, tree
):
    refused(
        "unit.holds_no_members",
        ms.member_register_applicant,
        taken_over=True,
        actor=actor,
        unit=tree.G1,
        date=D(2024, 1, 1),
        full_name="Trần Văn A",
        gender="male",
        birth_date=BORN_2000,
    )
    assert not Member.objects.exists()


def test_admission_into_a_dissolved_cell_is_refused(actor, tree, make_member):
    member = make_member(tree.K2, BORN_2000, registered_on=D(2024, 1, 1))
    ms.unit_dissolve(actor=actor, unit=tree.K2, date=D(2024, 6, 1))  # applicants do not block
    refused("unit.not_active", ms.member_admit, actor=actor, member=member, date=D(2024, 7, 1))
    refused(
        "unit.not_active",
        ms.member_admit,
        actor=actor,
        member=member,
        date=D(2024, 7, 1),
        unit=tree.K2,
    )
    ms.member_admit(taken_over=True, actor=actor, member=member, date=D(2024, 7, 1), unit=tree.K1)
    assert fresh(member).unit == tree.K1


def test_admission_into_a_cell_before_it_was_founded_is_refused(actor, tree, make_member):
    from cadrebook.orgs.services import unit_create

    k3 = unit_create(
        actor=actor,
        code="K3",
        name="New cell",
        kind="cell",
        parent=tree.G1,
        founded_on=D(2025, 1, 1),
    )
    member = make_member(tree.K1, BORN_2000, registered_on=D(2024, 1, 1))
    refused(
        "unit.not_active",
        ms.member_admit,
        actor=actor,
        member=member,
        date=D(2024, 12, 31),
        unit=k3,
    )
    ms.member_admit(taken_over=True, actor=actor, member=member, date=D(2025, 1, 1), unit=k3)


def test_admitting_a_member_twice_is_refused(actor, tree, make_member):
    member = make_member(tree.K1, BORN_2000, D(2024, 1, 10))
    refused(
        "member.status_forbids_event",
        ms.member_admit,
        actor=actor,
        member=member,
        date=D(2024, 2, 1),
    )


# Event dates ------------------------------------------------------------------------------
def test_an_event_dated_before_the_previous_one_is_refused(actor, tree, make_member):
    member = make_member(tree.K1, BORN_2000, registered_on=D(2024, 3, 1))
    exc = refused(
        "event.before_previous", ms.member_admit, actor=actor, member=member, date=D(2024, 2, 29)
    )
    assert exc.field == "date"


def test_an_event_on_the_same_day_as_the_previous_one_is_accepted(actor, tree, make_member):
    member = make_member(tree.K1, BORN_2000, registered_on=D(2024, 3, 1))
    ms.member_admit(taken_over=True, actor=actor, member=member, date=D(2024, 3, 1))


def test_an_event_dated_in_the_future_is_refused(actor, tree, make_member):
    member = make_member(tree.K1, BORN_2000, registered_on=D(2024, 3, 1))
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    refused("event.in_future", ms.member_admit, actor=actor, member=member, date=tomorrow)
    ms.member_admit(taken_over=True, actor=actor, member=member, date=timezone.localdate())


def test_registering_an_applicant_in_the_future_is_refused(actor, tree):
    refused(
        "event.in_future",
        ms.member_register_applicant,
        taken_over=True,
        actor=actor,
        unit=tree.K1,
        date=timezone.localdate() + dt.timedelta(days=1),
        full_name="Trần Văn A",
        gender="male",
        birth_date=BORN_2000,
    )
    assert not Member.objects.exists()


def test_correction_is_not_an_ordinary_event(actor, tree, make_member):
    member = make_member(tree.K1, BORN_2000, D(2024, 1, 10))
    refused(
        "event.use_correction",
        ms.member_record_event,
        actor=actor,
        member=member,
        type=EventType.CORRECTION,
        date=D(2024, 2, 1),
    )
    refused(
        "event.type_unknown",
        ms.member_record_event,
        actor=actor,
        member=member,
        type="promoted",
        date=D(2024, 2, 1),
    )


# Recognition ------------------------------------------------------------------------------
ADMITTED = D(2024, 3, 10)
BIRTH = D(1990, 1, 1)


def test_recognition_after_11_months_of_probation_is_refused(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, ADMITTED)
    exc = refused(
        "probation.not_completed",
        ms.member_recognize,
        actor=actor,
        member=member,
        date=D(2025, 2, 10),
    )
    assert exc.source == "Party Statute art. 5; 294-QĐ/TW 2025"
    assert fresh(member).status == MemberStatus.PROBATIONARY


def test_recognition_the_day_before_12_months_is_refused(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, ADMITTED)
    refused(
        "probation.not_completed",
        ms.member_recognize,
        actor=actor,
        member=member,
        date=D(2025, 3, 9),
    )


def test_recognition_after_12_months_makes_a_full_member(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, ADMITTED)
    ms.member_recognize(taken_over=True, actor=actor, member=member, date=D(2025, 3, 10))
    member = fresh(member)
    assert member.status == MemberStatus.FULL
    assert member.recognized_on == D(2025, 3, 10)
    assert periods(member) == [
        ("K1", "probationary", False, ADMITTED, D(2025, 3, 10)),
        ("K1", "full", False, D(2025, 3, 10), None),
    ]


def test_recognition_decided_late_takes_effect_at_the_12_month_point(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, ADMITTED)
    event = ms.member_recognize(taken_over=True, actor=actor, member=member, date=D(2025, 6, 2))
    assert event.date == D(2025, 6, 2)
    member = fresh(member)
    assert member.recognized_on == D(2025, 3, 10)
    assert periods(member) == [
        ("K1", "probationary", False, ADMITTED, D(2025, 3, 10)),
        ("K1", "full", False, D(2025, 3, 10), None),
    ]
    assert member_status_as_of(member, D(2025, 4, 1)).status == "full"


def test_late_recognition_after_a_transfer_still_takes_effect_at_the_12_month_point(
    actor, tree, make_member
):
    member = make_member(tree.K1, BIRTH, ADMITTED)
    ms.member_transfer(actor=actor, member=member, date=D(2025, 4, 1), to_unit=tree.K2)
    ms.member_recognize(taken_over=True, actor=actor, member=member, date=D(2025, 6, 2))
    member = fresh(member)
    assert member.recognized_on == D(2025, 3, 10)
    assert member_status_as_of(member, D(2025, 3, 20)).status == "full"
    assert periods(member) == [
        ("K1", "probationary", False, ADMITTED, D(2025, 3, 10)),
        ("K1", "full", False, D(2025, 3, 10), D(2025, 4, 1)),
        ("K2", "full", False, D(2025, 4, 1), None),
    ]


def test_late_recognition_after_an_exemption_turns_the_exempt_period_full_too(
    actor, tree, make_member
):
    member = make_member(tree.K1, BIRTH, ADMITTED)
    ms.member_exempt(actor=actor, member=member, date=D(2025, 1, 6), reason="illness")
    ms.member_exemption_end(actor=actor, member=member, date=D(2025, 4, 1))
    ms.member_recognize(taken_over=True, actor=actor, member=member, date=D(2025, 6, 2))
    member = fresh(member)
    assert member.recognized_on == D(2025, 3, 10)
    assert periods(member) == [
        ("K1", "probationary", False, ADMITTED, D(2025, 1, 6)),
        ("K1", "probationary", True, D(2025, 1, 6), D(2025, 3, 10)),
        ("K1", "full", True, D(2025, 3, 10), D(2025, 4, 1)),
        ("K1", "full", False, D(2025, 4, 1), None),
    ]


def test_a_member_not_recognized_is_removed_from_the_rolls(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, ADMITTED)
    refused(
        "probation.not_completed",
        ms.member_not_recognize,
        actor=actor,
        member=member,
        date=D(2025, 3, 9),
    )
    ms.member_not_recognize(taken_over=True, actor=actor, member=member, date=D(2025, 4, 1))
    member = fresh(member)
    assert member.status == MemberStatus.REMOVED
    assert periods(member) == [("K1", "probationary", False, ADMITTED, D(2025, 4, 1))]


def test_only_a_probationary_member_can_be_recognized(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, ADMITTED, recognized=True)
    refused(
        "member.status_forbids_event",
        ms.member_recognize,
        actor=actor,
        member=member,
        date=D(2025, 6, 1),
    )


# Removal, expulsion, death, readmission ---------------------------------------------------
def test_removal_closes_the_period_and_ends_membership(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, ADMITTED, recognized=True)
    ms.member_remove(
        taken_over=True, actor=actor, member=member, date=D(2025, 8, 1), reason="absent 3 months"
    )
    member = fresh(member)
    assert member.status == MemberStatus.REMOVED
    assert periods(member)[-1] == ("K1", "full", False, D(2025, 3, 10), D(2025, 8, 1))
    assert member_status_as_of(member, D(2025, 8, 1)) is None
    assert member_status_as_of(member, D(2025, 7, 31)).status == "full"


def test_nothing_can_happen_to_a_deceased_member(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, ADMITTED, recognized=True)
    ms.member_record_death(taken_over=True, actor=actor, member=member, date=D(2025, 8, 1))
    assert fresh(member).status == MemberStatus.DECEASED
    refused(
        "member.status_forbids_event",
        ms.member_exempt,
        actor=actor,
        member=member,
        date=D(2025, 9, 1),
        reason="health",
    )
    refused(
        "member.status_forbids_event",
        ms.member_readmit,
        actor=actor,
        member=member,
        date=D(2025, 9, 1),
    )


def test_an_expelled_member_cannot_be_readmitted(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, D(2015, 1, 10), recognized=True)
    with by_discipline_decision():  # the discipline service's route
        ms.member_expel(
            taken_over=True, actor=actor, member=member, date=D(2018, 1, 1), reason="corruption"
        )
    assert fresh(member).status == MemberStatus.EXPELLED
    refused(
        "member.status_forbids_event",
        ms.member_readmit,
        actor=actor,
        member=member,
        date=D(2022, 1, 1),
    )


@pytest.fixture
def removed_member(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, D(2015, 1, 10), recognized=True)
    ms.member_remove(
        taken_over=True, actor=actor, member=member, date=D(2018, 1, 15), reason="absent"
    )
    return member


def test_readmission_35_months_after_removal_is_refused(actor, removed_member):
    exc = refused(
        "readmission.too_soon",
        ms.member_readmit,
        actor=actor,
        member=removed_member,
        date=D(2020, 12, 15),
    )
    assert exc.source == "294-QĐ/TW 2025"
    assert fresh(removed_member).status == MemberStatus.REMOVED


def test_readmission_36_months_after_removal_starts_a_new_probation(actor, tree, removed_member):
    ms.member_readmit(
        taken_over=True, actor=actor, member=removed_member, date=D(2021, 1, 15), unit=tree.K2
    )
    member = fresh(removed_member)
    assert member.status == MemberStatus.PROBATIONARY
    assert member.unit == tree.K2
    assert member.recognized_on is None
    assert member.admitted_on == D(2015, 1, 10)
    assert periods(member)[-1] == ("K2", "probationary", False, D(2021, 1, 15), None)
    refused(
        "probation.not_completed",
        ms.member_recognize,
        actor=actor,
        member=member,
        date=D(2021, 12, 15),
    )
    ms.member_recognize(taken_over=True, actor=actor, member=member, date=D(2022, 1, 15))
    assert fresh(member).recognized_on == D(2022, 1, 15)


def test_party_age_leaves_out_the_time_between_removal_and_readmission(actor, removed_member):
    ms.member_readmit(taken_over=True, actor=actor, member=removed_member, date=D(2021, 1, 15))
    years, months = party_age(fresh(removed_member), D(2022, 1, 15))
    assert (years, months) == (4, 0)


def test_a_second_readmission_is_refused(actor, removed_member):
    ms.member_readmit(taken_over=True, actor=actor, member=removed_member, date=D(2021, 1, 15))
    ms.member_remove(
        taken_over=True, actor=actor, member=removed_member, date=D(2021, 6, 1), reason="absent"
    )
    exc = refused(
        "readmission.limit",
        ms.member_readmit,
        actor=actor,
        member=removed_member,
        date=D(2024, 6, 1),
    )
    assert exc.source == "294-QĐ/TW 2025"
    assert fresh(removed_member).status == MemberStatus.REMOVED


# Transfers --------------------------------------------------------------------------------
@pytest.fixture
def full_member(tree, make_member):
    return make_member(tree.K1, BIRTH, ADMITTED, recognized=True)


def test_a_transfer_issued_is_pending_and_the_member_stays_in_the_old_cell(
    actor, tree, full_member
):
    ms.member_transfer_out(actor=actor, member=full_member, date=D(2025, 6, 2), to_unit=tree.K2)
    member = fresh(full_member)
    assert member.pending_transfer_to == tree.K2
    assert member.unit == tree.K1
    assert member.status == MemberStatus.FULL
    assert periods(member)[-1] == ("K1", "full", False, D(2025, 3, 10), None)


def test_accepting_a_transfer_closes_the_old_period_and_opens_one_in_the_new_cell(
    actor, tree, full_member
):
    ms.member_transfer_out(actor=actor, member=full_member, date=D(2025, 6, 2), to_unit=tree.K2)
    ms.member_transfer_accept(actor=actor, member=fresh(full_member), date=D(2025, 6, 20))
    member = fresh(full_member)
    assert member.unit == tree.K2
    assert member.pending_transfer_to is None
    assert periods(member) == [
        ("K1", "probationary", False, ADMITTED, D(2025, 3, 10)),
        ("K1", "full", False, D(2025, 3, 10), D(2025, 6, 20)),
        ("K2", "full", False, D(2025, 6, 20), None),
    ]
    tree.K1.refresh_from_db()
    tree.K2.refresh_from_db()
    assert member in members_as_of(tree.K1, D(2025, 6, 19))
    assert member not in members_as_of(tree.K1, D(2025, 6, 20))
    assert member in members_as_of(tree.K2, D(2025, 6, 20))


def test_accepting_keeps_the_old_period_row_and_only_sets_its_end(actor, tree, full_member):
    old = MemberPeriod.objects.get(member=full_member, valid_to__isnull=True)
    ms.member_transfer_out(actor=actor, member=full_member, date=D(2025, 6, 2), to_unit=tree.K2)
    ms.member_transfer_accept(actor=actor, member=fresh(full_member), date=D(2025, 6, 20))
    row = MemberPeriod.objects.get(pk=old.pk)
    assert row.valid_from == old.valid_from
    assert row.valid_to == D(2025, 6, 20)


def test_a_returned_transfer_clears_the_pending_destination(actor, tree, full_member):
    before = periods(full_member)
    ms.member_transfer_out(actor=actor, member=full_member, date=D(2025, 6, 2), to_unit=tree.K2)
    ms.member_transfer_return(
        actor=actor, member=full_member, date=D(2025, 6, 9), reason="wrong cell"
    )
    member = fresh(full_member)
    assert member.pending_transfer_to is None
    assert member.unit == tree.K1
    assert periods(member) == before
    refused(
        "transfer.none_pending",
        ms.member_transfer_accept,
        actor=actor,
        member=member,
        date=D(2025, 6, 10),
    )


def test_a_second_transfer_while_one_is_pending_is_refused(actor, tree, full_member):
    ms.member_transfer_out(actor=actor, member=full_member, date=D(2025, 6, 2), to_unit=tree.K2)
    refused(
        "transfer.already_pending",
        ms.member_transfer_out,
        actor=actor,
        member=full_member,
        date=D(2025, 6, 3),
        to_unit=tree.GC,
    )


def test_a_transfer_to_the_members_own_cell_is_refused(actor, tree, full_member):
    refused(
        "transfer.same_unit",
        ms.member_transfer_out,
        actor=actor,
        member=full_member,
        date=D(2025, 6, 2),
        to_unit=tree.K1,
    )


def test_a_transfer_to_a_unit_that_holds_no_members_is_refused(actor, tree, full_member):
    refused(
        "unit.holds_no_members",
        ms.member_transfer_out,
        actor=actor,
        member=full_member,
        date=D(2025, 6, 2),
        to_unit=tree.C2,
    )


def test_a_transfer_needs_a_receiving_cell_or_a_destination(actor, full_member):
    refused(
        "transfer.destination_missing",
        ms.member_transfer_out,
        actor=actor,
        member=full_member,
        date=D(2025, 6, 2),
    )


def test_a_transfer_out_of_the_deployment_ends_membership_as_left(actor, tree, full_member):
    ms.member_transfer_out(
        actor=actor, member=full_member, date=D(2025, 6, 2), destination="Đảng bộ tỉnh Lâm Đồng"
    )
    member = fresh(full_member)
    assert member.status == MemberStatus.LEFT
    assert member.pending_transfer_to is None
    assert periods(member)[-1] == ("K1", "full", False, D(2025, 3, 10), D(2025, 6, 2))
    event = member.events.get(type=EventType.TRANSFER_OUT)
    assert event.destination == "Đảng bộ tỉnh Lâm Đồng"


def test_a_temporary_transfer_keeps_the_member_counting_at_home(actor, tree, full_member):
    before = periods(full_member)
    ms.member_temporary_transfer(
        taken_over=True,
        actor=actor,
        member=full_member,
        date=D(2025, 6, 2),
        host=tree.GC,
        reason="study",
    )
    member = fresh(full_member)
    assert member.unit == tree.K1
    assert periods(member) == before
    tree.K1.refresh_from_db()
    tree.GC.refresh_from_db()
    assert member in members_as_of(tree.K1, D(2025, 7, 1))
    assert member not in members_as_of(tree.GC, D(2025, 7, 1))
    refused(
        "transfer.temporary_active",
        ms.member_temporary_transfer,
        actor=actor,
        member=member,
        date=D(2025, 7, 1),
        host=tree.K2,
    )
    ms.member_temporary_transfer_end(actor=actor, member=member, date=D(2025, 12, 1))
    assert periods(fresh(member)) == before
    refused(
        "transfer.temporary_none",
        ms.member_temporary_transfer_end,
        actor=actor,
        member=member,
        date=D(2025, 12, 2),
    )


def test_a_temporary_transfer_to_the_home_cell_is_refused(actor, tree, full_member):
    refused(
        "transfer.host_missing",
        ms.member_temporary_transfer,
        actor=actor,
        member=full_member,
        date=D(2025, 6, 2),
        host=tree.K1,
    )


# Exemption --------------------------------------------------------------------------------
def test_an_exemption_opens_an_exempt_period_and_its_end_another(actor, tree, full_member):
    ms.member_exempt(actor=actor, member=full_member, date=D(2025, 6, 2), reason="age")
    member = fresh(full_member)
    assert member.exempt is True
    assert member.status == MemberStatus.FULL
    assert periods(member)[1:] == [
        ("K1", "full", False, D(2025, 3, 10), D(2025, 6, 2)),
        ("K1", "full", True, D(2025, 6, 2), None),
    ]
    refused(
        "exemption.already",
        ms.member_exempt,
        actor=actor,
        member=member,
        date=D(2025, 7, 1),
        reason="age",
    )
    ms.member_exemption_end(actor=actor, member=member, date=D(2025, 9, 1))
    member = fresh(member)
    assert member.exempt is False
    assert periods(member)[-1] == ("K1", "full", False, D(2025, 9, 1), None)
    refused(
        "exemption.none", ms.member_exemption_end, actor=actor, member=member, date=D(2025, 9, 2)
    )


# Corrections ------------------------------------------------------------------------------
def test_voiding_a_mistaken_removal_restores_the_member(actor, tree, full_member):
    before = periods(full_member)
    removal = ms.member_remove(
        taken_over=True,
        actor=actor,
        member=full_member,
        date=D(2025, 8, 1),
        reason="absent",
        document="12-QĐ/ĐU",
    )
    assert fresh(full_member).status == MemberStatus.REMOVED
    correction = ms.member_correct_event(
        actor=actor, event=removal, reason="wrong member", void=True
    )
    member = fresh(full_member)
    assert member.status == MemberStatus.FULL
    assert periods(member) == before
    original = MemberEvent.objects.get(pk=removal.pk)
    assert (original.type, original.date, original.reason, original.document) == (
        EventType.REMOVED,
        D(2025, 8, 1),
        "absent",
        "12-QĐ/ĐU",
    )
    assert correction.corrects_id == removal.pk
    assert correction.void is True
    assert correction.type == EventType.CORRECTION


def test_restating_the_admission_date_moves_the_start_of_membership(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, ADMITTED, registered_on=D(2024, 1, 1))
    admission = member.events.get(type=EventType.ADMITTED)
    ms.member_correct_event(actor=actor, event=admission, reason="typo", date=D(2024, 3, 1))
    member = fresh(member)
    assert member.admitted_on == D(2024, 3, 1)
    assert periods(member) == [("K1", "probationary", False, D(2024, 3, 1), None)]


def test_restating_the_cell_of_an_admission_moves_its_period(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, ADMITTED)
    admission = member.events.get(type=EventType.ADMITTED)
    ms.member_correct_event(actor=actor, event=admission, reason="wrong cell", unit=tree.K2)
    member = fresh(member)
    assert member.unit == tree.K2
    assert periods(member) == [("K2", "probationary", False, ADMITTED, None)]


def test_a_correction_that_breaks_a_rule_is_refused_and_changes_nothing(actor, tree, make_member):
    member = make_member(tree.K1, BORN_2000, D(2018, 5, 20), registered_on=D(2018, 1, 1))
    admission = member.events.get(type=EventType.ADMITTED)
    events, before, status = member.events.count(), periods(member), fresh(member).status
    version = fresh(member).version
    refused(
        "admission.too_young",
        ms.member_correct_event,
        actor=actor,
        event=admission,
        reason="typo",
        date=D(2018, 4, 20),
    )
    member = fresh(member)
    assert member.events.count() == events
    assert periods(member) == before
    assert (member.status, member.version) == (status, version)


def test_voiding_a_recognition_makes_a_probationer_again_and_withdraws_the_card(
    actor, tree, full_member
):
    ms.member_set_card(actor=actor, member=full_member, card_number="01.234567")
    recognition = full_member.events.get(type=EventType.RECOGNIZED)
    ms.member_correct_event(actor=actor, event=recognition, reason="no decision", void=True)
    member = fresh(full_member)
    assert member.status == MemberStatus.PROBATIONARY
    assert member.card_number is None
    assert periods(member) == [("K1", "probationary", False, ADMITTED, None)]


def test_voiding_an_admission_that_later_events_rely_on_is_refused(actor, full_member):
    admission = full_member.events.get(type=EventType.ADMITTED)
    refused(
        "member.status_forbids_event",
        ms.member_correct_event,
        actor=actor,
        event=admission,
        reason="never admitted",
        void=True,
    )
    assert fresh(full_member).status == MemberStatus.FULL


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"reason": " ", "void": True}, "correction.reason_missing"),
        ({"reason": "why"}, "correction.empty"),
    ],
)
def test_a_correction_needs_a_reason_and_a_change(actor, full_member, kwargs, code):
    event = full_member.events.get(type=EventType.ADMITTED)
    refused(code, ms.member_correct_event, actor=actor, event=event, **kwargs)


def test_a_correction_cannot_move_an_event_into_the_future(actor, full_member):
    event = full_member.events.get(type=EventType.RECOGNIZED)
    refused(
        "event.in_future",
        ms.member_correct_event,
        actor=actor,
        event=event,
        reason="x",
        date=timezone.localdate() + dt.timedelta(days=1),
    )


def test_a_correction_of_a_correction_is_refused(actor, full_member):
    event = full_member.events.get(type=EventType.RECOGNIZED)
    correction = ms.member_correct_event(
        actor=actor, event=event, reason="date", date=D(2025, 3, 11)
    )
    refused(
        "correction.of_correction",
        ms.member_correct_event,
        actor=actor,
        event=correction,
        reason="again",
        void=True,
    )


def test_saving_an_existing_member_event_is_refused(full_member):
    event = full_member.events.get(type=EventType.ADMITTED)
    event.date = D(2024, 1, 1)
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    assert MemberEvent.objects.get(pk=event.pk).date == ADMITTED


def test_deleting_a_member_event_is_refused(full_member):
    event = full_member.events.get(type=EventType.RECOGNIZED)
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    with pytest.raises(ValueError, match="append-only"):
        MemberEvent.objects.filter(pk=event.pk).delete()
    assert MemberEvent.objects.filter(pk=event.pk).exists()


def test_changing_member_events_through_a_queryset_is_refused(full_member):
    with pytest.raises(ValueError, match="append-only"):
        full_member.events.filter(type=EventType.ADMITTED).update(date=D(2024, 1, 1))
    assert full_member.events.get(type=EventType.ADMITTED).date == ADMITTED


# Personal data ----------------------------------------------------------------------------
def test_a_national_id_belongs_to_one_person(actor, tree, make_member):
    make_member(tree.K1, BIRTH, registered_on=D(2024, 1, 1), national_id="001090000001")
    refused(
        "member.national_id_taken",
        ms.member_register_applicant,
        taken_over=True,
        actor=actor,
        unit=tree.K1,
        date=D(2024, 1, 1),
        full_name="Other",
        gender="male",
        national_id="001090000001",
    )
    other = make_member(tree.K2, BIRTH, registered_on=D(2024, 1, 1), national_id="001090000002")
    refused(
        "member.national_id_taken",
        ms.member_update_personal,
        actor=actor,
        member=other,
        version=other.version,
        national_id=" 001090000001 ",
    )


def test_people_without_a_national_id_do_not_clash(tree, make_member):
    a = make_member(tree.K1, BIRTH, registered_on=D(2024, 1, 1), national_id="")
    b = make_member(tree.K1, BIRTH, registered_on=D(2024, 1, 1), national_id="  ")
    assert a.national_id is None and b.national_id is None


def test_editing_personal_data_bumps_the_version(actor, tree, full_member):
    member = ms.member_update_personal(
        actor=actor, member=full_member, version=full_member.version, full_name=" Đỗ Thị Ước "
    )
    assert member.full_name == "Đỗ Thị Ước"
    assert member.name_norm == "do thi uoc"
    assert member.version == full_member.version + 1


def test_editing_with_a_stale_version_is_refused(actor, tree, full_member):
    read_version = full_member.version
    ms.member_update_personal(
        actor=actor, member=full_member, version=read_version, phone="0911111111"
    )
    exc = refused(
        "member.stale_version",
        ms.member_update_personal,
        actor=actor,
        member=full_member,
        version=read_version,
        phone="0922222222",
    )
    assert exc.field == "version"
    assert fresh(full_member).phone == "0911111111"


def test_a_recorded_event_also_makes_an_open_edit_form_stale(actor, tree, full_member):
    read_version = fresh(full_member).version
    ms.member_exempt(actor=actor, member=full_member, date=D(2025, 6, 2), reason="age")
    refused(
        "member.stale_version",
        ms.member_update_personal,
        actor=actor,
        member=full_member,
        version=read_version,
        phone="0922222222",
    )


def test_unknown_or_empty_personal_fields_are_refused(actor, full_member):
    refused(
        "member.unknown_field",
        ms.member_update_personal,
        actor=actor,
        member=full_member,
        version=full_member.version,
        status="full",
    )
    refused(
        "member.name_missing",
        ms.member_update_personal,
        actor=actor,
        member=full_member,
        version=full_member.version,
        full_name="  ",
    )


def test_a_birth_date_that_would_make_the_recorded_admission_unlawful_is_refused(
    actor, tree, full_member
):
    exc = refused(
        "admission.too_young",
        ms.member_update_personal,
        actor=actor,
        member=full_member,
        version=full_member.version,
        birth_date=D(2010, 1, 1),
    )
    assert exc.source == "294-QĐ/TW 2025"
    assert fresh(full_member).birth_date == BIRTH
    # The member's history still folds: later events can be recorded.
    ms.member_exempt(actor=actor, member=full_member, date=D(2025, 6, 2), reason="age")


def test_a_lawful_correction_of_the_birth_date_is_accepted(actor, full_member):
    member = ms.member_update_personal(
        actor=actor, member=full_member, version=full_member.version, birth_date=D(1991, 7, 1)
    )
    assert member.birth_date == D(1991, 7, 1)


# Member cards -----------------------------------------------------------------------------
def test_a_full_member_gets_a_card_number_in_the_nn_nnnnnn_format(actor, full_member):
    member = ms.member_set_card(actor=actor, member=full_member, card_number=" 01.234567 ")
    assert member.card_number == "01.234567"


@pytest.mark.parametrize(
    "card", ["1.234567", "01234567", "01.23456", "01.2345678", "AB-1234", "01-234567", ""]
)
def test_a_card_number_in_another_format_is_refused(actor, full_member, card):
    exc = refused(
        "card.bad_format", ms.member_set_card, actor=actor, member=full_member, card_number=card
    )
    assert exc.source == "12-HD/BTCTW 2022"
    assert fresh(full_member).card_number is None


def test_a_card_number_with_full_width_digits_is_refused(actor, full_member):
    refused(
        "card.bad_format",
        ms.member_set_card,
        actor=actor,
        member=full_member,
        card_number="０１.２３４５６７",
    )


def test_a_probationary_member_gets_no_card(actor, tree, make_member):
    member = make_member(tree.K1, BIRTH, ADMITTED)
    refused(
        "card.full_members_only",
        ms.member_set_card,
        actor=actor,
        member=member,
        card_number="01.234567",
    )


def test_a_card_number_belongs_to_one_member(actor, tree, make_member, full_member):
    ms.member_set_card(actor=actor, member=full_member, card_number="01.234567")
    other = make_member(tree.K2, BIRTH, ADMITTED, recognized=True)
    refused("card.taken", ms.member_set_card, actor=actor, member=other, card_number="01.234567")


def test_a_card_is_withdrawn_when_the_member_is_removed(actor, full_member):
    ms.member_set_card(actor=actor, member=full_member, card_number="01.234567")
    ms.member_remove(
        taken_over=True, actor=actor, member=full_member, date=D(2025, 8, 1), reason="absent"
    )
    assert fresh(full_member).card_number is None


# The alternative rule set moves every boundary -------------------------------------------
ALT_BIRTH = D(2000, 5, 20)  # 15y11m on 2016-04-20, 16 on 2016-05-20


def test_under_the_alternative_rules_admission_at_16_is_accepted(actor, alt_tree, make_member):
    young = make_member(alt_tree.B1, ALT_BIRTH, registered_on=D(2016, 1, 1))
    exc = refused(
        "admission.too_young", ms.member_admit, actor=actor, member=young, date=D(2016, 4, 20)
    )
    assert exc.source == "test statute 4"
    ms.member_admit(taken_over=True, actor=actor, member=young, date=D(2016, 5, 20))
    assert fresh(young).status == MemberStatus.PROBATIONARY


def test_under_the_alternative_rules_admission_at_70_years_11_months_is_accepted(
    actor, alt_tree, make_member
):
    born = D(1945, 3, 10)
    a = make_member(alt_tree.B1, born, registered_on=D(2015, 1, 1))
    ms.member_admit(
        taken_over=True, actor=actor, member=a, date=D(2016, 2, 10)
    )  # 70y11m; vn-2025 refuses
    b = make_member(alt_tree.B1, born, registered_on=D(2015, 1, 1))
    refused("admission.too_old", ms.member_admit, actor=actor, member=b, date=D(2016, 3, 10))


def test_under_the_alternative_rules_admission_into_the_national_body_is_refused(
    actor, alt_tree, make_member
):
    member = make_member(alt_tree.B1, ALT_BIRTH, registered_on=D(2024, 1, 1))
    exc = refused(
        "unit.holds_no_members",
        ms.member_admit,
        actor=actor,
        member=member,
        date=D(2024, 2, 1),
        unit=alt_tree.N,
    )
    assert exc.source == "test statute 1"


def test_under_the_alternative_rules_probation_lasts_six_months(actor, alt_tree, make_member):
    member = make_member(alt_tree.B1, BIRTH, D(2024, 3, 10))
    exc = refused(
        "probation.not_completed",
        ms.member_recognize,
        actor=actor,
        member=member,
        date=D(2024, 9, 9),
    )
    assert exc.source == "test statute 5"
    ms.member_recognize(taken_over=True, actor=actor, member=member, date=D(2024, 11, 1))
    member = fresh(member)
    assert member.recognized_on == D(2024, 9, 10)
    assert periods(member)[-1] == ("B1", "full", False, D(2024, 9, 10), None)


def test_under_the_alternative_rules_readmission_waits_12_months_and_may_happen_twice(
    actor, alt_tree, make_member
):
    member = make_member(alt_tree.B1, BIRTH, D(2015, 1, 10), recognized=True)
    ms.member_remove(
        taken_over=True, actor=actor, member=member, date=D(2018, 1, 15), reason="absent"
    )
    exc = refused(
        "readmission.too_soon", ms.member_readmit, actor=actor, member=member, date=D(2018, 12, 15)
    )
    assert exc.source == "test statute 6"
    ms.member_readmit(taken_over=True, actor=actor, member=member, date=D(2019, 1, 15))
    ms.member_remove(
        taken_over=True, actor=actor, member=member, date=D(2019, 6, 1), reason="absent"
    )
    ms.member_readmit(taken_over=True, actor=actor, member=member, date=D(2020, 6, 1))
    ms.member_remove(
        taken_over=True, actor=actor, member=member, date=D(2020, 7, 1), reason="absent"
    )
    refused("readmission.limit", ms.member_readmit, actor=actor, member=member, date=D(2022, 7, 1))


def test_under_the_alternative_rules_cards_look_different_and_probationers_may_hold_one(
    actor, alt_tree, make_member
):
    member = make_member(alt_tree.B1, BIRTH, D(2024, 3, 10))
    exc = refused(
        "card.bad_format", ms.member_set_card, actor=actor, member=member, card_number="01.234567"
    )
    assert exc.source == "test statute 7"
    member = ms.member_set_card(actor=actor, member=member, card_number="AB-1234")
    assert member.card_number == "AB-1234"
    assert member.status == MemberStatus.PROBATIONARY
