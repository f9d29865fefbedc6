"""The inspections, disciplines and inspection-programs files beyond the contract's first
columns: a past inspection with exactly the contract's columns, disciplines that go out and
come back unchanged (their status, appeals and votes with them), a dissolution's receiving
unit, the programs' file, the inspection's team, period, steps and recommendations, and the
export's audit entry scoped to what was exported."""

from __future__ import annotations

import csv
import datetime as dt
import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from cadrebook.accounts.services import role_grant
from cadrebook.core.models import AuditEntry
from cadrebook.imports.exporting import export_table
from cadrebook.inspections.models import Inspection, InspectionStep

D = dt.date
BIRTH = D(1980, 3, 1)
ADMITTED = D(2010, 5, 1)
CONTRACT = (
    "code,body_code,kind,decided_on,concluded_on,subject_units,subject_members,from_higher_level"
)


@pytest.fixture
def inspector(db: None) -> Any:
    user = get_user_model().objects.create_user(username="inspector")
    role_grant(actor=None, user=user, role="inspector", unit=None)
    return user


@pytest.fixture
def members(tree: SimpleNamespace, make_member: Any) -> SimpleNamespace:
    """Full members of K1 (E1, E2) and GC (E3), known by their external ids."""
    made = SimpleNamespace(
        e1=make_member(tree.K1, BIRTH, ADMITTED, recognized=True),
        e2=make_member(tree.K1, BIRTH, ADMITTED, recognized=True),
        e3=make_member(tree.GC, BIRTH, ADMITTED, recognized=True),
    )
    for n, m in enumerate((made.e1, made.e2, made.e3), start=1):
        m.external_id = f"E{n}"
        m.save(update_fields=["external_id"])
    return made


def _csv(header: str, *rows: str) -> str:
    return "\n".join([header, *rows]) + "\n"


def _export(actor: Any, kind: str, **kw: Any) -> str:
    out = io.BytesIO()
    export_table(actor=actor, kind=kind, out=out, **kw)
    return out.getvalue().decode("utf-8-sig")


def _dicts(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# -- 1. Past inspections with exactly the contract's columns ---------------------------------


def test_past_inspections_import_with_exactly_the_contract_columns(run, tree, inspector, members):
    text = _csv(
        CONTRACT,
        "KT-01,C1,thematic,2024-03-03,2024-06-02,K1,E1,true",
        "GS-02,C1,supervision_thematic,2024-03-05,,G1,,",
    )
    report = run("inspections", text, inspector)
    assert report.ok and report.committed, report.as_dict()
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    kt = Inspection.objects.get(code="KT-01")
    # Taken over from earlier records: no document invented in the register.
    assert kt.decision_document is None and kt.conclusion_document is None
    assert kt.concluded_on == D(2024, 6, 2)
    assert not InspectionStep.objects.filter(inspection=kt, done_on__isnull=True).exists()
    assert Inspection.objects.get(code="GS-02").concluded_on is None
    again = run("inspections", text, inspector)
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 2)


# -- 2-5. Disciplines: a key that is one decision, status and appeals, votes, members_to -----

DISC = "subject_kind,subject,form,body_code,decided_on,violation_on,document,body_kind"


def test_two_decisions_of_one_day_go_out_and_come_back_unchanged(run, tree, inspector, members):
    from cadrebook.inspections.models import Discipline

    # One subject, one form, one day: two violations (of two days), two decisions.
    text = _csv(
        DISC,
        "member,E1,reprimand,C1,2025-03-03,2024-11-01,,inspection_committee",
        "member,E1,reprimand,C1,2025-03-03,2024-12-01,,inspection_committee",
    )
    report = run("disciplines", text, inspector)
    assert report.ok and report.created == 2, report.as_dict()
    exported = _export(inspector, "disciplines")
    back = run("disciplines", exported, inspector)
    assert back.ok and (back.created, back.updated, back.unchanged) == (0, 0, 2), back.as_dict()
    assert Discipline.objects.count() == 2
    assert _export(inspector, "disciplines") == exported


def _expel_and_annul(tree: Any, inspector: Any, member: Any) -> Any:
    from cadrebook.inspections.services import appeal_decide, appeal_lodge, discipline_decide

    expulsion = discipline_decide(
        actor=inspector,
        subject_kind="member",
        member=member,
        form="expulsion",
        body=tree.C1,
        body_kind="inspection_committee",
        decided_on=D(2025, 3, 3),
        document_text="05-QĐ/UBKT",
        violation="Vi phạm",
        violation_on=D(2024, 11, 1),
        taken_over=True,  # from old files: its votes are not known
    )
    appeal = appeal_lodge(
        actor=inspector,
        discipline=expulsion,
        lodged_on=D(2025, 3, 20),
        received_on=D(2025, 3, 10),
        body=tree.P,
        body_kind="committee",
    )
    appeal_decide(actor=inspector, appeal=appeal, decided_on=D(2025, 4, 15), outcome="annulled")
    return expulsion


def test_the_export_says_an_annulled_expulsion_is_annulled_and_imports_back_unchanged(
    run, tree, inspector, members
):
    from cadrebook.inspections.models import Appeal

    _expel_and_annul(tree, inspector, members.e1)
    exported = _export(inspector, "disciplines")
    (row,) = _dicts(exported)
    assert row["status"] == "annulled"
    assert (row["appeal_outcome"], row["appeal_lodged_on"], row["appeal_body_code"]) == (
        "annulled",
        "2025-03-20",
        "P",
    )
    assert (row["appeal_received_on"], row["appeal_decided_on"]) == ("2025-03-10", "2025-04-15")
    back = run("disciplines", exported, inspector)
    assert back.ok and (back.created, back.updated, back.unchanged) == (0, 0, 1), back.as_dict()
    assert Appeal.objects.count() == 1


def test_an_appeal_in_the_file_is_recorded_through_the_services(run, tree, inspector, members):
    from cadrebook.inspections.models import Discipline

    header = DISC + ",status,appeal_outcome,appeal_lodged_on,appeal_received_on,"
    header += "appeal_body_code,appeal_body_kind,appeal_decided_on"
    decision = "member,E1,expulsion,C1,2025-03-03,2024-11-01,05-QĐ/UBKT,inspection_committee"
    assert run("disciplines", _csv(header, decision + ",,,,,,,"), inspector).created == 1
    members.e1.refresh_from_db()
    assert members.e1.status == "expelled"
    annulled = decision + ",annulled,annulled,2025-03-20,2025-03-10,P,committee,2025-04-15"
    report = run("disciplines", _csv(header, annulled), inspector)
    assert report.ok and (report.created, report.updated) == (0, 1), report.as_dict()
    assert Discipline.objects.get().status == "annulled"
    members.e1.refresh_from_db()
    assert members.e1.status == "full"  # restored by a correction, not an edit
    assert AuditEntry.objects.filter(event_type="discipline.appeal_decided").count() == 1
    again = run("disciplines", _csv(header, annulled), inspector)
    assert again.ok and (again.updated, again.unchanged) == (0, 1)
    # Annulled without its appeal, or a recorded status the file contradicts: refused.
    bare = run("disciplines", _csv(header, decision + ",annulled,,,,,,"), inspector)
    assert [(e.column, e.code) for e in bare.errors] == [
        ("appeal_outcome", "discipline.import_appeal_incomplete")
    ]
    live = run("disciplines", _csv(header, decision + ",in_force,,,,,,"), inspector)
    assert [(e.column, e.code) for e in live.errors] == [("status", "discipline.import_conflict")]


DISSOLVE = DISC + ",members_to"


def test_a_dissolution_names_the_unit_its_members_go_to(run, tree, inspector, members, make_member):
    from cadrebook.members.models import Member

    kept = make_member(tree.K2, BIRTH, ADMITTED, recognized=True)
    row = "unit,K2,dissolution,C1,2025-03-03,2024-11-01,,committee"
    report = run("disciplines", _csv(DISSOLVE, row + ","), inspector)
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "members_to", "discipline.dissolution_members")
    ]
    wrong = "member,E1,warning,C1,2025-03-03,2024-11-01,,inspection_committee,K1"
    report = run("disciplines", _csv(DISSOLVE, wrong), inspector)
    assert [(e.column, e.code) for e in report.errors] == [
        ("members_to", "discipline.members_to_not_dissolution")
    ]
    report = run("disciplines", _csv(DISSOLVE, row + ",K1"), inspector)
    assert report.ok and report.created == 1, report.as_dict()
    tree.K2.refresh_from_db()
    assert tree.K2.dissolved_on == D(2025, 3, 3)
    assert Member.objects.get(pk=kept.pk).unit_id == tree.K1.pk
    exported = _export(inspector, "disciplines")
    (row,) = _dicts(exported)
    assert (row["form"], row["members_to"]) == ("dissolution", "K1")
    back = run("disciplines", exported, inspector)
    assert back.ok and back.unchanged == 1, back.as_dict()


VOTED = DISC + ",votes,voters_total,proposing_for,proposing_total,holds_post"
VOTED += ",raising_child_under_12_months"


def test_votes_posts_and_children_are_read_when_the_file_gives_them(run, tree, inspector, members):
    from cadrebook.inspections.models import Discipline

    text = _csv(
        VOTED,
        'member,E1,warning,C1,2025-03-03,2024-11-01,,inspection_committee,"warning=5; none=2",7,,,,',
        "member,E2,removal_from_post,C1,2025-03-03,2024-11-01,,inspection_committee,,,,,yes,",
    )
    report = run("disciplines", text, inspector)
    assert report.ok and report.created == 2, report.as_dict()
    warning = Discipline.objects.get(form="warning")
    assert (warning.votes, warning.voters_total) == ({"warning": 5, "none": 2}, 7)
    assert Discipline.objects.get(form="removal_from_post").votes == {}  # past: not known
    back = run("disciplines", _export(inspector, "disciplines"), inspector)
    assert back.ok and back.unchanged == 2, back.as_dict()

    refused = _csv(
        VOTED,
        'member,E3,warning,C2,2025-03-03,2024-11-01,,inspection_committee,"warning=2; none=5",7,,,,',
        "member,E1,removal_from_post,C1,2025-03-05,2024-11-02,,inspection_committee,,,,,,",
        "member,E2,reprimand,C1,2025-03-05,2024-11-03,,inspection_committee,,,,,,yes",
        "member,E2,reprimand,C1,2025-03-05,2024-11-04,,inspection_committee,5 for,,,,,",
    )
    report = run("disciplines", refused, inspector)
    assert {(e.row, e.column) for e in report.errors} == {
        (2, "votes"),
        (3, "form"),
        (4, "raising_child_under_12_months"),
        (5, "votes"),
    }, report.as_dict()


# -- 6. Programs -------------------------------------------------------------------------------

PROGRAMS = (
    "body_code,year,body_kind,title,document,kind,subject_unit,subject,planned_from,planned_to"
)


def test_programs_import_through_the_services_and_export_back_unchanged(run, tree, inspector):
    from cadrebook.inspections.models import InspectionProgram, ProgramItem

    text = _csv(
        PROGRAMS,
        "C1,2025,,Chương trình 2025,,thematic,K1,,2025-03-01,2025-04-30",
        "C1,2025,,,,supervision_thematic,,Các đồng chí Ban Thường vụ,2025-06-01,",
        "C2,2025,,,,,,,,",  # a program without items yet
    )
    report = run("inspection-programs", text, inspector)
    assert report.ok and report.created == 3, report.as_dict()
    c1 = InspectionProgram.objects.get(body=tree.C1)
    assert (c1.year, c1.body_kind, c1.title) == (2025, "inspection_committee", "Chương trình 2025")
    assert ProgramItem.objects.filter(program=c1).count() == 2
    assert ProgramItem.objects.get(subject_unit=tree.K1).planned_to == D(2025, 4, 30)
    assert AuditEntry.objects.filter(event_type="inspection.program_item_added").count() == 2
    again = run("inspection-programs", text, inspector)
    assert again.ok and (again.created, again.unchanged) == (0, 3), again.as_dict()

    exported = _export(inspector, "inspection-programs")
    assert len(_dicts(exported)) == 3
    back = run("inspection-programs", exported, inspector)
    assert back.ok and (back.created, back.unchanged) == (0, 3), back.as_dict()

    bad = _csv(
        PROGRAMS,
        "C1,2025,,Another title,,,,,,",  # 2: the recorded title is another
        "C1,2025,,,,gossip,K1,,,",  # 3: not a kind
        "C1,2025,,,,thematic,GC,,,",  # 4: GC is not below C1
        "C1,2025,,,,thematic,K2,,2024-03-01,",  # 5: not in the program's year
        "C1,2025,,,,,K2,,,",  # 6: an item without its kind
    )
    report = run("inspection-programs", bad, inspector)
    assert {(e.row, e.column, e.code) for e in report.errors} == {
        (2, "title", "program.import_conflict"),
        (3, "kind", "inspection.kind_unknown"),
        (4, "subject_unit", "inspection.outside_remit"),
        (5, "planned_from", "program.outside_year"),
        (6, "kind", "program.item_kind_missing"),
    }, report.as_dict()


# -- 7. The commands' help ---------------------------------------------------------------------


@pytest.mark.parametrize("command", ["import", "export"])
def test_the_commands_help_names_every_kind(command):
    from django.core.management import load_command_class

    from cadrebook.imports.formats import KINDS

    parser = load_command_class("cadrebook.imports", command).create_parser("cadrebook", command)
    text = parser.format_help()
    description = " ".join(parser.description.split())
    for kind in ("inspections", "disciplines", "inspection-programs", *KINDS):
        assert kind in description and kind in text


# -- 6. The inspection's team, period, steps and recommendations ------------------------------


@pytest.fixture
def c1_docs(tree: SimpleNamespace, inspector: Any) -> SimpleNamespace:
    """A decision and a conclusion of C1's register."""
    from cadrebook.documents.services import document_register, term_create

    term = term_create(actor=inspector, unit=tree.C1, start=D(2025, 1, 1))

    def make(type: str, day: dt.date) -> Any:
        return document_register(
            actor=inspector, type=type, issuer=tree.C1, term=term, date=day, title="Kiểm tra"
        )

    return SimpleNamespace(
        decision=make("decision", D(2025, 3, 1)), conclusion=make("conclusion", D(2025, 6, 1))
    )


FULL = CONTRACT + ",decision_document,conclusion_document,violations,period_from,period_to"
FULL += ",team,team_leader,steps,recommendations"


def test_the_team_period_steps_and_recommendations_go_out_and_come_back(
    run, tree, inspector, members, c1_docs
):
    from cadrebook.inspections.models import Recommendation

    decision, conclusion = c1_docs.decision.symbol, c1_docs.conclusion.symbol
    recommendations = (
        "K1 | 2025-09-30 | done 2025-08-01 | Thu đủ đảng phí; báo cáo kết quả\n"
        "Đồng chí Bí thư | | open | Kiểm điểm rút kinh nghiệm"
    )
    row = (
        f"KT-01,C1,thematic,2025-03-03,2025-06-02,K1,E1,true,{decision},{conclusion},"
        "E1=party_fees,2024-01-01,2024-12-31,Trần Văn A; Lê Thị B,Lê Thị B,"
        f'plan=2025-03-10; working=2025-04-01,"{recommendations}"'
    )
    report = run("inspections", _csv(FULL, row), inspector)
    assert report.ok and report.created == 1, report.as_dict()
    kt = Inspection.objects.get(code="KT-01")
    assert (kt.period_from, kt.period_to) == (D(2024, 1, 1), D(2024, 12, 31))
    assert {(t.name, t.is_leader) for t in kt.team.all()} == {
        ("Trần Văn A", False),
        ("Lê Thị B", True),
    }
    done = dict(kt.steps.values_list("step", "done_on"))
    assert (done["plan"], done["working"]) == (D(2025, 3, 10), D(2025, 4, 1))
    fees = Recommendation.objects.get(owner_unit=tree.K1)
    assert (fees.text, fees.deadline, fees.status) == (
        "Thu đủ đảng phí; báo cáo kết quả",
        D(2025, 9, 30),
        "done",
    )
    assert Recommendation.objects.get(owner_text="Đồng chí Bí thư").status == "open"

    exported = _export(inspector, "inspections")
    (out,) = _dicts(exported)
    assert out["team"] == "Trần Văn A; Lê Thị B" and out["team_leader"] == "Lê Thị B"
    assert out["steps"].startswith("plan=2025-03-10; working=2025-04-01")
    lines = [" ".join(line.split()) for line in out["recommendations"].splitlines()]
    assert lines == recommendations.splitlines()
    back = run("inspections", exported, inspector)
    assert back.ok and (back.created, back.updated, back.unchanged) == (0, 0, 1), back.as_dict()
    assert Recommendation.objects.count() == 2

    # A later follow-up in the file is recorded; a team or step recorded otherwise refused.
    later = exported.replace("open | Kiểm điểm", "partly 2025-09-01 | Kiểm điểm")
    report = run("inspections", later, inspector)
    assert report.ok and report.updated == 1, report.as_dict()
    assert Recommendation.objects.get(owner_text="Đồng chí Bí thư").status == "partly"
    other = exported.replace("Trần Văn A; ", "Trần Văn C; ")
    report = run("inspections", other, inspector)
    assert [(e.column, e.code) for e in report.errors] == [("team", "inspection.import_conflict")]
