"""The imports apply the lifecycle rules of the services: what the browser and the API refuse,
an events or members file refuses too, on the same row and with the same code."""

from __future__ import annotations

import datetime as dt

from cadrebook.members.models import Member

D = dt.date


def test_the_events_import_refuses_to_expel_a_probationary_member(run, tree):
    members = (
        "external_id,full_name,gender,birth_date,unit_code,status,admitted_on\n"
        "P1,Lê Văn Dự,male,1990-02-01,K1,probationary,2025-01-06\n"
    )
    assert run("members", members).ok
    report = run(
        "events",
        "external_id,type,date,document,reason\nP1,expelled,2025-06-02,5-QĐ/UBKT,discipline\n",
    )
    assert [(e.row, e.code) for e in report.errors] == [(2, "discipline.form_not_allowed")]
    assert Member.objects.get(external_id="P1").status == "probationary"


FULL = (
    "external_id,full_name,gender,birth_date,unit_code,status,admitted_on,recognized_on\n"
    "F1,Phan Văn Đủ,male,1980-02-01,K1,full,2010-01-06,2011-01-06\n"
)


def test_the_events_import_refuses_a_removal_without_a_document_on_that_column(run, tree):
    assert run("members", FULL).ok
    report = run("events", "external_id,type,date,reason\nF1,removed,2025-03-03,absence\n")
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "document", "event.document_missing")
    ]
    assert Member.objects.get(external_id="F1").status == "full"


def test_a_taken_over_row_needs_no_document_and_is_stored_as_taken_over(run, tree):
    assert run("members", FULL).ok
    report = run(
        "events", "external_id,type,date,reason,taken_over\nF1,removed,2025-03-03,absence,có\n"
    )
    assert report.ok, report.errors
    event = Member.objects.get(external_id="F1").events.get(type="removed")
    assert event.taken_over and event.document == ""


def test_a_taken_over_cell_that_is_not_yes_or_no_is_refused(run, tree):
    assert run("members", FULL).ok
    report = run(
        "events", "external_id,type,date,reason,taken_over\nF1,removed,2025-03-03,x,maybe\n"
    )
    assert [(e.column, e.code) for e in report.errors] == [("taken_over", "value.not_a_flag")]


def test_the_decisions_a_members_file_implies_are_recorded_as_taken_over(run, tree):
    assert run("members", FULL).ok
    events = Member.objects.get(external_id="F1").events.order_by("date")
    assert list(events.values_list("type", "taken_over")) == [
        ("registered", True),
        ("admitted", True),
        ("recognized", True),
    ]


APPLICANT = (
    "external_id,full_name,gender,birth_date,unit_code\nV1,Hà Văn Phiếu,male,1995-02-01,K1\n"
)


def test_the_events_import_checks_the_cells_vote_on_an_admission(run, tree):
    assert run("members", APPLICANT).ok
    head = "external_id,type,date,unit_code,votes_for,votes_against,full_members\n"
    low = head + "V1,registered,2024-06-03,K1,,,\nV1,admitted,2025-01-06,,5,4,9\n"
    report = run("events", low)
    assert (3, "votes_for", "vote.below_share") in [
        (e.row, e.column, e.code) for e in report.errors
    ]
    assert not Member.objects.get(external_id="V1").events.exists()
    report = run("events", head + "V1,registered,2024-06-03,K1,,,\nV1,admitted,2025-01-06,,6,3,9\n")
    assert report.ok, report.errors
    event = Member.objects.get(external_id="V1").events.get(type="admitted")
    assert (event.votes_for, event.votes_against, event.full_members) == (6, 3, 9)
    assert not event.taken_over


def test_the_events_import_compares_the_votes_full_members_with_the_cells_records(run, tree):
    """As the service does: a vote counting fewer full members than the cell holds on its
    date is refused on its row (with the member's other rows); the members the same file
    makes full, or takes out of the cell, count as the file leaves them."""
    people = "".join(
        f"F{n},Phan Văn {n},male,1980-02-01,K1,full,2010-01-06,2011-01-06\n" for n in range(5)
    )
    assert run("members", FULL.splitlines(keepends=True)[0] + people).ok
    assert run("members", APPLICANT).ok
    head = "external_id,type,date,unit_code,reason,document,votes_for,votes_against,full_members\n"
    low = head + "V1,registered,2024-06-03,K1,,,,,\nV1,admitted,2025-01-06,,,9-QĐ,2,0,3\n"
    report = run("events", low)
    assert sorted((e.row, e.column, e.code) for e in report.errors) == [
        (2, "external_id", "import.member_refused"),
        (3, "full_members", "vote.fewer_than_recorded"),
    ]
    assert not Member.objects.get(external_id="V1").events.exists()
    # Two of the five removed in the same file before the vote: three full members remain.
    removed = "".join(f"F{n},removed,2024-12-02,,absent,1-QĐ,,,\n" for n in (0, 1))
    report = run("events", low + removed)
    assert report.ok, report.errors
    event = Member.objects.get(external_id="V1").events.get(type="admitted")
    assert (event.votes_for, event.full_members) == (2, 3)


def test_the_events_import_checks_a_temporary_transfers_end(run, tree):
    assert run("members", FULL).ok
    head = "external_id,type,date,to_unit_code,until,for_study\n"
    report = run("events", head + "F1,temporary_transfer,2025-03-03,GC,,\n")
    assert [(e.column, e.code) for e in report.errors] == [
        ("until", "transfer.temporary_until_missing")
    ]
    report = run("events", head + "F1,temporary_transfer,2025-03-03,GC,2027-03-03,yes\n")
    assert report.ok, report.errors
    event = Member.objects.get(external_id="F1").events.get(type="temporary_transfer")
    assert event.until == D(2027, 3, 3) and event.for_study
