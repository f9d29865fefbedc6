"""`cadrebook import inspections` and the export of inspections: the contract's columns,
each row through the services (audited), idempotent, row-exact refusals with nothing written,
scoped to the importer's `inspect`, and an export that imports back unchanged."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from cadrebook.accounts.services import role_grant
from cadrebook.core.models import AuditEntry
from cadrebook.imports.exporting import export_table
from cadrebook.imports.formats import FORMATS
from cadrebook.imports.pipeline import Report, run_import
from cadrebook.inspections.models import Inspection, InspectionStep, InspectionSubject

D = dt.date
HEADER = (
    "code,body_code,kind,decided_on,concluded_on,subject_units,subject_members,"
    "from_higher_level,decision_document,conclusion_document,violations"
)


@pytest.fixture
def run(tmp_path: Path) -> Any:
    counter = iter(range(1, 1000))

    def go(text: str, actor: Any, kind: str = "inspections", **options: Any) -> Report:
        path = tmp_path / f"f{next(counter)}.csv"
        path.write_text(text, encoding="utf-8")
        report = run_import(actor=actor, kind=kind, path=str(path), **options)
        counted = report.created + report.updated + report.unchanged + len(report.refused_rows)
        assert report.file_error is not None or counted == report.rows_read, report.as_dict()
        return report

    return go


@pytest.fixture
def ids(people: SimpleNamespace) -> SimpleNamespace:
    for n, m in enumerate((people.k1, people.k1b, people.gc), start=1):
        m.external_id = f"E{n}"
        m.save(update_fields=["external_id"])
    return SimpleNamespace(k1="E1", k1b="E2", gc="E3")


def _user(name: str, role: str, unit: Any) -> Any:
    user = get_user_model().objects.create_user(username=name)
    role_grant(actor=None, user=user, role=role, unit=unit)
    return user


def _file(docs: Any, *rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def _rows(docs: Any) -> list[str]:
    c1, conclusion = docs.c1.symbol, docs.c1_conclusion.symbol
    return [
        # Concluded, a violation found on the member; C1 above G1, K1's own committee.
        f"KT-01,C1,thematic,2025-03-03,2025-06-02,K1,E1,true,{c1},{conclusion},E1=party_fees",
        # Open, on G1 (whose own committee is G1 itself: C1 above it).
        f"GS-02,C1,supervision_thematic,2025-03-05,,G1,,,{c1},,",
    ]


def test_the_contract_columns_come_first():
    names = [c.name for c in FORMATS["inspections"]]
    assert names[:8] == [
        "code",
        "body_code",
        "kind",
        "decided_on",
        "concluded_on",
        "subject_units",
        "subject_members",
        "from_higher_level",
    ]
    assert all(c.vi for c in FORMATS["inspections"])


def test_rows_open_and_conclude_through_the_services_and_again_change_nothing(
    run, tree, inspector, docs, ids
):
    text = _file(docs, *_rows(docs))
    report = run(text, inspector)
    assert report.ok and report.committed, report.as_dict()
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    kt = Inspection.objects.get(code="KT-01")
    assert (kt.body, kt.body_kind, kt.kind) == (tree.C1, "inspection_committee", "thematic")
    assert kt.concluded_on == D(2025, 6, 2) and kt.from_higher_level
    assert kt.decision_document == docs.c1 and kt.conclusion_document == docs.c1_conclusion
    found = {
        (s.unit_id, s.member_id): (s.violation_found, s.violation_kind) for s in kt.subjects.all()
    }
    assert found == {(tree.K1.pk, None): (False, ""), (None, ids_pk(ids.k1)): (True, "party_fees")}
    # Every step done (the ones between recorded on the day of the conclusion).
    assert not InspectionStep.objects.filter(inspection=kt, done_on__isnull=True).exists()
    gs = Inspection.objects.get(code="GS-02")
    assert gs.concluded_on is None and gs.subjects.get().unit == tree.G1
    audits = AuditEntry.objects.filter(event_type__startswith="inspection.").count()
    assert AuditEntry.objects.filter(event_type="inspection.opened").count() == 2
    assert AuditEntry.objects.filter(event_type="inspection.concluded").count() == 1

    again = run(text, inspector)
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert AuditEntry.objects.filter(event_type__startswith="inspection.").count() == audits


def ids_pk(external_id: str) -> int:
    from cadrebook.members.models import Member

    return Member.objects.get(external_id=external_id).pk


def test_a_changed_row_adds_subjects_and_concludes_through_the_services(
    run, tree, inspector, docs, ids
):
    c1, conclusion = docs.c1.symbol, docs.c1_conclusion.symbol
    assert run(_file(docs, f"GS-02,C1,supervision_thematic,2025-03-05,,G1,,,{c1},,"), inspector).ok
    changed = _file(
        docs,
        f"GS-02,C1,supervision_thematic,2025-03-05,2025-06-02,G1;K2,E2,,{c1},{conclusion},K2=other",
    )
    report = run(changed, inspector)
    assert report.ok and (report.created, report.updated) == (0, 1), report.as_dict()
    gs = Inspection.objects.get(code="GS-02")
    assert gs.concluded_on == D(2025, 6, 2)
    assert gs.subjects.count() == 3
    assert gs.subjects.get(unit=tree.K2).violation_kind == "other"
    assert AuditEntry.objects.filter(event_type="inspection.subject_added").count() == 2
    assert AuditEntry.objects.filter(event_type="inspection.concluded").count() == 1
    # What no service rewrites is refused, the recorded one kept.
    rewritten = _file(
        docs,
        f"GS-02,C1,thematic,2025-03-05,2025-06-02,G1;K2,E2,,{c1},{conclusion},K2=other",
    )
    report = run(rewritten, inspector)
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "kind", "inspection.import_conflict")
    ]
    assert Inspection.objects.get(code="GS-02").kind == "supervision_thematic"


def test_bad_rows_are_refused_row_exactly_and_nothing_is_written(run, tree, inspector, docs, ids):
    c1 = docs.c1.symbol
    text = _file(
        docs,
        *_rows(docs),
        f"KT-03,C1,gossip,2025-03-03,,K1,,,{c1},,",  # 4: not a kind
        f"KT-04,NOPE,thematic,2025-03-03,,K1,,,{c1},,",  # 5: no such body
        f"KT-05,C1,thematic,2025-03-03,,GC,,,{c1},,",  # 6: GC is not below C1
        f"KT-06,C1,thematic,2025-03-03,,K1,E9,,{c1},,",  # 7: no such member
        f"KT-07,C1,thematic,2025-03-03,,K1,,false,{c1},,",  # 8: the tree says true
        "KT-08,C1,thematic,2025-03-03,,K1,,,99-QĐ/XX,,",  # 9: not in the register
        f"KT-01,C1,thematic,2025-03-03,,K1,,,{c1},,",  # 10: KT-01 again
        f"KT-09,C1,thematic,2025-03-03,,K1,,,{c1},,K1=other",  # 11: violation, no conclusion
        f"KT-10,C1,thematic,2025-03-03,not a date,K1,,,{c1},,",  # 12
    )
    report = run(text, inspector)
    assert not report.committed
    assert {(e.row, e.column, e.code) for e in report.errors} == {
        (4, "kind", "inspection.kind_unknown"),
        (5, "body_code", "import.unit_unknown"),
        (6, "subject_units", "inspection.outside_remit"),
        (7, "subject_members", "import.member_unknown"),
        (8, "from_higher_level", "inspection.level_contradicts_tree"),
        (9, "decision_document", "import.document_unknown"),
        (10, "code", "import.duplicate_row"),
        (11, "violations", "inspection.violations_without_conclusion"),
        (12, "concluded_on", "value.bad_date_format"),
    }
    assert next(e.source for e in report.errors if e.row == 4)  # the rule's source
    assert not Inspection.objects.exists()
    assert not InspectionSubject.objects.exists()
    assert not AuditEntry.objects.filter(event_type__startswith="inspection.").exists()

    # The house's option: the valid rows go in, the others are reported.
    partial = run(text, inspector, valid_rows_only=True)
    assert partial.committed and partial.created == 2
    assert set(Inspection.objects.values_list("code", flat=True)) == {"KT-01", "GS-02"}


def test_the_importers_scope_decides(run, tree, inspector, docs, ids):
    text = _file(docs, *_rows(docs))
    # An inspector of C2: C1 is out of their part of the organization (as if missing).
    report = run(text, _user("c2", "inspector", tree.C2))
    assert {(e.row, e.column, e.code) for e in report.errors} == {
        (2, "body_code", "import.unit_unknown"),
        (3, "body_code", "import.unit_unknown"),
    }
    # A viewer of everything sees C1 but may not record its inspections.
    report = run(text, _user("viewer", "viewer", None))
    assert {(e.row, e.code) for e in report.errors} == {
        (2, "import.not_allowed_here"),
        (3, "import.not_allowed_here"),
    }
    assert not Inspection.objects.exists()


def test_the_export_imports_back_unchanged(run, tree, inspector, docs, ids):
    assert run(_file(docs, *_rows(docs)), inspector).ok
    out = io.BytesIO()
    assert export_table(actor=inspector, kind="inspections", out=out) == 2
    text = out.getvalue().decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(c.name for c in FORMATS["inspections"])
    assert "E1=party_fees" in text
    again = run(text, inspector)
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # Read with `view_inspections` only: an organizer exports nothing.
    out = io.BytesIO()
    assert export_table(actor=_user("org", "organizer", None), kind="inspections", out=out) == 0
    assert AuditEntry.objects.filter(event_type="export.inspections").count() == 2


# -- Disciplines -----------------------------------------------------------------------------

DISC_HEADER = "subject_kind,subject,form,body_code,decided_on,violation_on,document,body_kind"


def _disc(*rows: str) -> str:
    return "\n".join([DISC_HEADER, *rows]) + "\n"


def test_discipline_columns_are_the_contract():
    names = [c.name for c in FORMATS["disciplines"]]
    assert names[:7] == [
        "subject_kind",
        "subject",
        "form",
        "body_code",
        "decided_on",
        "violation_on",
        "document",
    ]


def test_disciplines_go_through_the_service_once(run, tree, inspector, docs, ids):
    from cadrebook.inspections.models import Discipline

    text = _disc(
        f"member,E1,warning,C1,2025-03-03,2024-11-01,{docs.c1.symbol},inspection_committee",
        "member,E2,reprimand,C1,2025-03-04,2024-12-01,12-QĐ/CU,",  # as written; the committee
    )
    report = run(text, inspector, kind="disciplines")
    assert report.ok and report.created == 2, report.as_dict()
    warning = Discipline.objects.get(form="warning")
    assert warning.document == docs.c1 and warning.votes == {} and warning.voters_total is None
    assert warning.body_kind == "inspection_committee"
    reprimand = Discipline.objects.get(form="reprimand")
    assert reprimand.document is None and reprimand.document_text == "12-QĐ/CU"
    assert reprimand.body_kind == "committee"
    assert AuditEntry.objects.filter(event_type="discipline.decided").count() == 2
    again = run(text, inspector, kind="disciplines")
    assert again.ok and (again.created, again.unchanged) == (0, 2)
    assert AuditEntry.objects.filter(event_type="discipline.decided").count() == 2

    # The export imports back unchanged.
    out = io.BytesIO()
    assert export_table(actor=inspector, kind="disciplines", out=out) == 2
    back = run(out.getvalue().decode("utf-8-sig"), inspector, kind="disciplines")
    assert back.ok and (back.created, back.unchanged) == (0, 2), back.as_dict()


def test_bad_discipline_rows_are_refused_row_exactly_and_nothing_written(
    run, tree, inspector, docs, ids
):
    from cadrebook.inspections.models import Discipline

    text = _disc(
        "member,E1,warning,C1,2025-03-03,2024-11-01,,inspection_committee",  # 2: fine
        "member,E1,dissolution,C1,2025-03-03,2024-11-02,,",  # 3: not for a member
        "member,E9,warning,C1,2025-03-03,2024-11-01,,",  # 4: no such member
        "member,E3,warning,C1,2025-03-03,2024-11-01,,",  # 5: GC is not below C1
        "member,E2,warning,NOPE,2025-03-03,2024-11-01,,",  # 6: no such body
        "member,E1,warning,C1,2025-03-03,2024-11-01,,",  # 7: the same decision again
        "person,E1,warning,C1,2025-03-03,2024-12-01,,",  # 8: not a kind of subject
    )
    report = run(text, inspector, kind="disciplines")
    assert not report.committed
    codes = {(e.row, e.column): e.code for e in report.errors}
    assert set(codes) == {
        (3, "form"),
        (4, "subject"),
        (5, "body_code"),  # the body's remit
        (6, "body_code"),
        (7, "subject"),
        (8, "subject_kind"),
    }, report.as_dict()
    assert codes[(4, "subject")] == "import.member_unknown"
    assert next(e.source for e in report.errors if e.row == 3)  # the rule's source
    assert codes[(6, "body_code")] == "import.unit_unknown"
    assert codes[(7, "subject")] == "import.duplicate_row"
    assert not Discipline.objects.exists()
    assert not AuditEntry.objects.filter(event_type__startswith="discipline.").exists()


def test_a_refused_list_cell_is_shown_as_the_file_wrote_it(run, tree, inspector, docs, ids):
    text = "\n".join(
        [
            f"{DISC_HEADER},votes,voters_total",
            "member,E1,warning,C1,2025-03-03,2024-11-01,,,warning=9;none=1,7",
        ]
    )
    report = run(text + "\n", inspector, kind="disciplines")
    assert [(e.row, e.column, e.code, e.value) for e in report.errors] == [
        (2, "votes", "discipline.votes_invalid", "warning=9; none=1")
    ], report.as_dict()


def test_the_discipline_importers_scope_decides(run, tree, inspector, docs, ids):
    from cadrebook.inspections.models import Discipline

    text = _disc("member,E1,warning,C1,2025-03-03,2024-11-01,,inspection_committee")
    report = run(text, _user("c2d", "inspector", tree.C2), kind="disciplines")
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "subject", "import.member_unknown")
    ]
    report = run(text, _user("viewer_d", "viewer", None), kind="disciplines")
    assert [(e.row, e.code) for e in report.errors] == [(2, "import.not_allowed_here")]
    assert not Discipline.objects.exists()


# -- A past expulsion imported as an event and as a discipline --------------------------------


def _expelled_events(member_pk: int) -> int:
    from cadrebook.members.models import MemberEvent

    return MemberEvent.objects.filter(member_id=member_pk, type="expelled").count()


def test_a_past_expulsion_imported_as_an_event_links_the_discipline_to_it(
    run, tree, inspector, docs, ids
):
    from cadrebook.inspections.models import Discipline
    from cadrebook.members.models import Member

    events = "external_id,type,date,document,reason\nE1,expelled,2025-06-02,5-QĐ/UBKT,discipline\n"
    assert run(events, None, kind="events").ok  # the system loads the old files
    member = Member.objects.get(external_id="E1")
    assert member.status == "expelled" and _expelled_events(member.pk) == 1

    text = _disc("member,E1,expulsion,C1,2025-06-02,2025-01-10,5-QĐ/UBKT,committee")
    report = run(text, inspector, kind="disciplines")
    assert report.ok and report.created == 1, report.as_dict()
    decision = Discipline.objects.get(member=member)
    # The standing the decision found is the member's before that day's expulsion.
    assert (decision.form, decision.subject_status) == ("expulsion", "full")
    # One expulsion: linked to the imported event, not recorded twice.
    assert _expelled_events(member.pk) == 1
    event = member.events.get(type="expelled")
    entry = AuditEntry.objects.get(event_type="discipline.decided")
    assert entry.after["expelled_event"] == event.pk
    member.refresh_from_db()
    assert member.status == "expelled"
    # Again: nothing changes.
    again = run(text, inspector, kind="disciplines")
    assert again.ok and again.unchanged == 1 and _expelled_events(member.pk) == 1


def test_a_past_expulsion_on_another_day_than_its_event_is_refused_on_that_cell(
    run, tree, inspector, docs, ids
):
    from cadrebook.inspections.models import Discipline
    from cadrebook.members.models import Member

    events = "external_id,type,date,document,reason\nE1,expelled,2025-06-02,5-QĐ/UBKT,discipline\n"
    assert run(events, None, kind="events").ok  # the system loads the old files
    text = _disc("member,E1,expulsion,C1,2025-07-01,2025-01-10,5-QĐ/UBKT,committee")
    report = run(text, inspector, kind="disciplines")
    [error] = report.errors
    assert (error.row, error.column, error.code) == (
        2,
        "decided_on",
        "discipline.expulsion_recorded_otherwise",
    )
    assert "2025-06-02" in error.message and error.source
    # A decision before the recorded expulsion: the same refusal, naming the event's day.
    earlier = run(
        _disc("member,E1,expulsion,C1,2025-05-05,2025-01-10,5-QĐ/UBKT,committee"),
        inspector,
        kind="disciplines",
    )
    assert [(e.row, e.column, e.code) for e in earlier.errors] == [
        (2, "decided_on", "discipline.expulsion_recorded_otherwise")
    ]
    assert "2025-06-02" in earlier.errors[0].message
    assert not Discipline.objects.exists()
    assert _expelled_events(Member.objects.get(external_id="E1").pk) == 1


def test_an_imported_expulsion_without_an_event_still_expels_once(run, tree, inspector, docs, ids):
    from cadrebook.members.models import Member

    text = _disc("member,E1,expulsion,C1,2025-06-02,2025-01-10,5-QĐ/UBKT,committee")
    report = run(text, inspector, kind="disciplines")
    assert report.ok and report.created == 1, report.as_dict()
    member = Member.objects.get(external_id="E1")
    assert member.status == "expelled" and _expelled_events(member.pk) == 1
