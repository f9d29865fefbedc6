"""Importing members files: the implied history, the rule checks, all-or-nothing,
idempotency, updates of personal data, duplicates and scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from cadrebook.core.models import AuditEntry
from cadrebook.members.models import Member, MemberEvent, MemberPeriod
from cadrebook.members.selectors import members_as_of

from .samples import APPL, FULL, HEAD, PROB, TOO_YOUNG

D = dt.date
pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int]:
    return Member.objects.count(), MemberEvent.objects.count(), MemberPeriod.objects.count()


def test_a_full_member_row_creates_the_history_it_implies(run, tree):
    report = run("members", HEAD + FULL)
    assert report.ok and report.committed
    assert report.created == 1
    member = Member.objects.get(external_id="A1")
    assert member.status == "full" and member.unit_id == tree.K1.pk
    assert member.admitted_on == D(2020, 1, 10) and member.recognized_on == D(2021, 1, 10)
    assert member.card_number == "01.000001"
    types = list(member.events.values_list("type", "date"))
    assert types == [
        ("registered", D(2020, 1, 10)),
        ("admitted", D(2020, 1, 10)),
        ("recognized", D(2021, 1, 10)),
    ]
    periods = list(member.periods.values_list("status", "valid_from", "valid_to", "anc1_id"))
    assert periods == [
        ("probationary", D(2020, 1, 10), D(2021, 1, 10), tree.P.pk),
        ("full", D(2021, 1, 10), None, tree.P.pk),
    ]
    assert member in members_as_of(tree.G1, D(2020, 6, 1))


def test_an_applicant_is_registered_on_the_import_date_and_a_probationary_member_admitted(
    run, tree
):
    report = run("members", HEAD + PROB + APPL)
    assert report.ok, report.errors
    applicant = Member.objects.get(external_id="A3")
    assert applicant.status == "applicant" and not applicant.periods.exists()
    probationary = Member.objects.get(external_id="A2")
    assert probationary.status == "probationary"
    assert probationary.birth_date == D(1992, 3, 4)  # DD/MM/YYYY


def test_importing_the_same_file_twice_changes_nothing_the_second_time(run, tree):
    text = HEAD + FULL + PROB + APPL
    first = run("members", text)
    assert first.created == 3
    before = counts()
    audit_before = AuditEntry.objects.count()
    second = run("members", text)
    assert second.ok and second.created == 0 and second.updated == 0
    assert second.unchanged == 3
    assert counts() == before
    assert AuditEntry.objects.count() == audit_before


def test_one_refused_row_means_nothing_is_written(run, tree):
    report = run("members", HEAD + FULL + TOO_YOUNG + PROB)
    assert not report.ok and not report.committed
    assert counts() == (0, 0, 0)
    [error] = report.errors
    assert (error.row, error.column, error.code) == (3, "admitted_on", "admission.too_young")
    assert error.value == "2025-01-01"
    assert error.source  # the rule's regulation


def test_valid_rows_only_imports_the_good_rows_and_reports_the_rest(run, tree):
    report = run("members", HEAD + FULL + TOO_YOUNG + PROB, valid_rows_only=True)
    assert report.committed and report.created == 2
    assert report.refused_rows == {3}
    assert set(Member.objects.values_list("external_id", flat=True)) == {"A1", "A2"}


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(run, tree):
    report = run("members", HEAD + FULL + PROB, dry_run=True)
    assert report.ok and not report.committed
    assert report.created == 2
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        # Recognition before the 12 months of probation are over.
        (
            "B1,X Y,male,1990-01-01,Kinh,,K1,full,2020-01-10,2020-06-10,",
            "recognized_on",
            "probation.not_completed",
        ),
        # A committee holds no members directly.
        (
            "B1,X Y,male,1990-01-01,Kinh,,G1,probationary,2020-01-10,,",
            "unit_code",
            "unit.holds_no_members",
        ),
        (
            "B1,X Y,male,1990-01-01,Kinh,,NOPE,probationary,2020-01-10,,",
            "unit_code",
            "import.unit_unknown",
        ),
        (
            "B1,X Y,male,1990-01-01,Kinh,,K1,probationary,2099-01-10,,",
            "admitted_on",
            "event.in_future",
        ),
        ("B1,X Y,male,1990-01-01,Kinh,,K1,probationary,,,", "admitted_on", "import.date_missing"),
        (
            "B1,X Y,male,1990-01-01,Kinh,,K1,applicant,2020-01-10,,",
            "admitted_on",
            "import.date_not_expected",
        ),
        ("B1,X Y,male,31/02/1990,Kinh,,K1,applicant,,,", "birth_date", "value.bad_date"),
        ("B1,X Y,other,1990-01-01,Kinh,,K1,applicant,,,", "gender", "value.unknown_code"),
        ("B1,,male,1990-01-01,Kinh,,K1,applicant,,,", "full_name", "value.required"),
        ("B1,X Y,male,1990-01-01,Kinh,,K1,removed,,,", "status", "import.status_needs_history"),
        (
            "B1,X Y,male,1990-01-01,Kinh,,K1,probationary,2020-01-10,,01.000009",
            "card_number",
            "card.full_members_only",
        ),
        (
            "B1,X Y,male,1990-01-01,Kinh,,K1,full,2020-01-10,2021-01-10,123",
            "card_number",
            "card.bad_format",
        ),
        ("B1,X Y,male,1990-01-01,Kinh,,K1,applicant,,,,extra", "", "row.extra_cells"),
    ],
)
def test_a_row_breaking_a_rule_is_refused_with_its_column_and_code(run, tree, row, column, code):
    report = run("members", HEAD + row + "\n")
    assert [(e.row, e.column, e.code) for e in report.errors] == [(2, column, code)]
    assert counts() == (0, 0, 0)


def test_khmer_and_arabic_indic_digits_are_read_where_numbers_are_expected(run, tree):
    row = "B1,X Y,male,١٩٩٠-٠١-٠١,Kinh,០០១០៩០០០០០០២,K1,probationary,2020-01-10,,\n"
    report = run("members", HEAD + row)
    assert report.ok, report.errors
    member = Member.objects.get()
    assert member.birth_date == D(1990, 1, 1) and member.national_id == "001090000002"


def test_html_in_a_name_is_kept_as_text(run, tree):
    row = "B1,<script>alert(1)</script>,male,1990-01-01,Kinh,,K1,applicant,,,\n"
    assert run("members", HEAD + row).ok
    assert Member.objects.get().full_name == "<script>alert(1)</script>"


def test_a_changed_row_updates_personal_data_through_the_audited_service(run, tree):
    run("members", HEAD + FULL)
    member = Member.objects.get()
    version = member.version
    changed = FULL.replace("Kinh", "Mường").replace("Nguyễn Văn An", "Nguyễn Văn Ân")
    report = run("members", HEAD + changed)
    assert report.ok and report.updated == 1 and report.created == 0
    member.refresh_from_db()
    assert (member.full_name, member.ethnicity) == ("Nguyễn Văn Ân", "Mường")
    assert member.version == version + 1
    entry = AuditEntry.objects.filter(event_type="member.personal_data").get()
    assert entry.before["ethnicity"] == "Kinh" and entry.after["ethnicity"] == "Mường"


def test_an_empty_cell_leaves_the_recorded_value_alone(run, tree):
    run("members", HEAD + FULL)
    report = run("members", HEAD + FULL.replace(",Kinh,", ",,"))
    assert report.unchanged == 1
    assert Member.objects.get().ethnicity == "Kinh"


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ((",K1,full,", ",K2,full,"), "unit_code"),
        ((",full,2020-01-10,2021-01-10", ",probationary,2020-01-10,"), "status"),
        (("2020-01-10,2021-01-10", "2020-01-11,2021-01-11"), "admitted_on"),
    ],
)
def test_a_row_that_would_rewrite_history_is_refused(run, tree, change, column):
    run("members", HEAD + FULL)
    before = counts()
    report = run("members", HEAD + FULL.replace(*change))
    assert [(e.column, e.code) for e in report.errors] == [(column, "import.history_change")]
    assert counts() == before


def test_a_value_masked_by_an_export_is_refused_rather_than_stored(run, tree):
    run("members", HEAD + FULL)
    report = run("members", HEAD + FULL.replace("001090000001", "••••"))
    assert [(e.column, e.code) for e in report.errors] == [("national_id", "import.masked_value")]
    assert Member.objects.get().national_id == "001090000001"


def test_duplicate_external_ids_and_national_ids_in_one_file_are_refused(run, tree):
    again = FULL.replace("A1,", "A9,").replace("01.000001", "01.000002")
    report = run("members", HEAD + FULL + FULL + again)
    codes = sorted((e.row, e.code) for e in report.errors)
    assert codes == [(3, "import.duplicate_row"), (4, "member.national_id_taken")]


def test_a_national_id_already_recorded_for_another_person_is_refused_not_merged(
    run, tree, make_member
):
    make_member(tree.K2, D(1980, 1, 1), D(2010, 1, 1), national_id="001090000001")
    report = run("members", HEAD + FULL)
    assert [(e.column, e.code) for e in report.errors] == [
        ("national_id", "member.national_id_taken")
    ]
    assert Member.objects.count() == 1


def test_same_name_and_birth_date_in_the_same_province_is_a_warning(run, tree, make_member):
    make_member(tree.GC, D(1990, 2, 1), D(2010, 3, 1), full_name="Nguyễn Văn An")
    report = run("members", HEAD + FULL.replace("001090000001", ""))
    assert report.ok and report.committed
    assert [w.code for w in report.warnings if w.code == "import.likely_duplicate"] == [
        "import.likely_duplicate"
    ]
    assert Member.objects.filter(name_norm="nguyen van an").count() == 2


def test_a_cell_left_with_fewer_full_members_than_the_minimum_is_a_warning(run, tree):
    report = run("members", HEAD + FULL + PROB)
    [warning] = [w for w in report.warnings if w.code == "organization.cell_below_minimum"]
    assert warning.value == "K1" and "1 full member," in warning.message
    assert report.ok  # a warning does not refuse


def test_a_clerk_imports_only_into_their_subtree(run, tree, grant):
    clerk = get_user_model().objects.create_user(username="k1clerk")
    grant(clerk, "clerk", tree.K1)
    report = run("members", HEAD + FULL + APPL, actor=clerk)  # APPL is in K2
    assert [(e.row, e.code) for e in report.errors] == [(3, "import.unit_unknown")]
    assert Member.objects.count() == 0
    # The refusal reads like one for a unit that does not exist.
    unknown = run("members", HEAD + APPL.replace(",K2,", ",NOPE,"), actor=clerk)
    assert unknown.errors[0].message.replace("NOPE", "K2") == report.errors[0].message


def test_a_known_member_outside_the_scope_cannot_be_updated(run, tree, grant):
    run("members", HEAD + APPL)  # A3 in K2, imported by the system
    clerk = get_user_model().objects.create_user(username="k1clerk")
    grant(clerk, "clerk", tree.K1)
    report = run("members", HEAD + APPL.replace(",K2,", ",K1,"), actor=clerk)
    assert [e.code for e in report.errors] == ["import.external_id_unavailable"]


def test_personal_only_records_people_without_history(run, tree):
    report = run("members", HEAD + FULL, personal_only=True)
    assert report.ok
    member = Member.objects.get()
    assert member.status == "applicant" and not member.events.exists()
    assert member.card_number == "01.000001"  # kept until the history says otherwise


def test_a_committed_import_writes_one_audit_entry_for_the_job(write_file, tree):
    from cadrebook.imports.services import import_file

    job, report = import_file(actor=None, kind="members", path=write_file(HEAD + FULL))
    assert report.committed
    entry = AuditEntry.objects.get(event_type="import.members")
    assert entry.object_id == str(job.pk) and entry.after["created"] == 1


def test_a_cancelled_import_stops_before_it_commits_and_keeps_nothing(run, tree):
    from cadrebook.imports.pipeline import Cancelled

    asked = []

    def cancelled() -> bool:
        asked.append(True)
        return True  # the user pressed "cancel" while the rows were being written

    with pytest.raises(Cancelled):
        run("members", HEAD + FULL + PROB, is_cancelled=cancelled)
    assert asked
    assert counts() == (0, 0, 0)


def test_pruning_cancels_imports_left_waiting_and_deletes_their_files(write_file, tree):
    from pathlib import Path

    from django.core.management import call_command

    from cadrebook.imports.models import ImportJob, JobStatus
    from cadrebook.imports.services import import_job_create, import_job_validate

    job = import_job_create(
        actor=None, kind="members", source=write_file(HEAD + FULL), filename="old.csv"
    )
    job = import_job_validate(actor=None, job=job)
    assert job.status == JobStatus.VALIDATED and Path(job.path).is_file()
    call_command("prune_imports", days=1)  # too young to prune
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.VALIDATED
    ImportJob.objects.filter(pk=job.pk).update(created_at=job.created_at - dt.timedelta(days=2))
    call_command("prune_imports", days=1)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert not Path(job.path).exists()
    assert counts() == (0, 0, 0)


def test_a_national_id_held_out_of_the_importers_sight_names_nobody_and_is_audited(
    run, tree, make_member, people
):
    holder = make_member(tree.GC, D(1980, 1, 1), D(2010, 1, 1), national_id="001090000001")
    known = make_member(
        tree.K1, D(1985, 1, 1), D(2010, 1, 1), full_name="Đã Có", national_id="001090000009"
    )
    Member.objects.filter(pk=known.pk).update(external_id="B7")
    # A member already recorded (their ID changed: the service refuses it) and a new one.
    row_of_known = "B7,Đã Có,male,1985-01-01,Kinh,001090000001,K1,,,,\n"
    report = run("members", HEAD + row_of_known + FULL, actor=people.clerk, personal_only=True)
    assert not report.committed
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "national_id", "member.national_id_taken"),
        (3, "national_id", "member.national_id_taken"),
    ]
    for error in report.errors:
        assert f"cadrebook:{holder.pk}" not in error.message and "GC" not in error.message
    # The refused import rolled back; the records of the attempts stay, for the holder's
    # administrators (the organizer of the province), naming the holder.
    clashes = AuditEntry.objects.filter(event_type="member.national_id_clash").order_by("id")
    assert [(e.object_id, e.unit_id, e.after["via"]) for e in clashes] == [
        (str(holder.pk), tree.GC.pk, "import row 2"),
        (str(holder.pk), tree.GC.pk, "import row 3"),
    ]
    audits = AuditEntry.objects.visible_to(people.organizer, "audit")
    assert audits.filter(event_type="member.national_id_clash").count() == 2
    assert Member.objects.get(pk=known.pk).national_id == "001090000009"
    # The system (no --user) and those who may see the holder are told who it is.
    report = run("members", HEAD + FULL)
    assert f"cadrebook:{holder.pk}" in report.errors[0].message


def test_a_member_imported_into_a_cell_moved_since_keeps_the_old_ancestors_before_the_move(
    run, tree, actor
):
    from cadrebook.members import services as ms

    ms.unit_move(actor=actor, unit=tree.G1, new_parent=tree.C2, date=D(2025, 7, 1))
    assert run("members", HEAD + FULL).ok
    member = Member.objects.get(external_id="A1")
    periods = list(member.periods.values_list("status", "valid_from", "valid_to", "anc2_id"))
    assert periods == [
        ("probationary", D(2020, 1, 10), D(2021, 1, 10), tree.C1.pk),
        ("full", D(2021, 1, 10), D(2025, 7, 1), tree.C1.pk),
        ("full", D(2025, 7, 1), None, tree.C2.pk),
    ]
    assert member in members_as_of(tree.C1, D(2024, 12, 31))
    assert member in members_as_of(tree.C2, D(2025, 7, 1))
    # The same file again finds the cut periods as it wrote them.
    before = counts()
    report = run("members", HEAD + FULL)
    assert report.ok and report.created == 0
    assert counts() == before
