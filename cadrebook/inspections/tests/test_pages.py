"""The inspection pages: the worklists, programs, inspections and disciplines as an inspector
in scope reads and records them (through the services, audited, refusals on the field), and
as an inspector of another commune meets them (404, as a missing file)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cadrebook.accounts.services import role_grant
from cadrebook.core.models import AuditEntry
from cadrebook.inspections import worklists
from cadrebook.inspections.models import (
    Appeal,
    Discipline,
    Inspection,
    InspectionProgram,
    ProgramItem,
    Recommendation,
    RecommendationFollowUp,
)
from cadrebook.inspections.services import (
    Finding,
    appeal_lodge,
    discipline_decide,
    inspection_conclude,
    inspection_open,
    inspection_record_step,
    program_create,
    program_item_add,
    recommendation_add,
)

D = dt.date


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def c1(tree: SimpleNamespace) -> Any:
    """An inspector of C1 (G1, K1, K2 below it)."""
    user = get_user_model().objects.create_user(username="c1-inspector")
    role_grant(actor=None, user=user, role="inspector", unit=tree.C1)
    return user


@pytest.fixture
def c2(tree: SimpleNamespace) -> Client:
    """An inspector of C2: C1's files are not theirs."""
    user = get_user_model().objects.create_user(username="c2-inspector")
    role_grant(actor=None, user=user, role="inspector", unit=tree.C2)
    return _client(user)


def _open(actor: Any, tree: SimpleNamespace, docs: SimpleNamespace, **kw: Any) -> Inspection:
    values: dict[str, Any] = {
        "actor": actor,
        "code": "KT-01",
        "body": tree.C1,
        "body_kind": "inspection_committee",
        "kind": "thematic",
        "decided_on": D(2025, 3, 3),
        "document": docs.c1,
        "subject_units": [tree.K1],
        **kw,
    }
    return inspection_open(**values)


def _conclude(actor: Any, inspection: Inspection, docs: SimpleNamespace, found: bool) -> None:
    for step, day in (
        ("plan", D(2025, 3, 10)),
        ("working", D(2025, 4, 1)),
        ("report", D(2025, 5, 1)),
    ):
        inspection_record_step(actor=actor, inspection=inspection, step=step, done_on=day)
    inspection_conclude(
        actor=actor,
        inspection=inspection,
        concluded_on=D(2025, 6, 2),
        document=docs.c1_conclusion,
        findings=[
            Finding(
                subject=inspection.subjects.get(),
                violation_found=found,
                violation_kind="party_fees" if found else "",
                text="Thu đảng phí chưa đúng",
            )
        ],
    )


def _decide(actor: Any, tree: SimpleNamespace, member: Any, **kw: Any) -> Discipline:
    values: dict[str, Any] = {
        "actor": actor,
        "subject_kind": "member",
        "member": member,
        "form": "warning",
        "body": tree.C1,
        "body_kind": "inspection_committee",
        "decided_on": D(2025, 3, 3),
        "violation": "Vi phạm quy định về nêu gương",
        "violation_on": D(2024, 11, 1),
        "votes": {kw.get("form", "warning"): 5, "none": 2},
        "voters_total": 7,
        **kw,
    }
    return discipline_decide(**values)


# Worklists -----------------------------------------------------------------------------------


def test_the_worklists_list_late_steps_overdue_recommendations_appeals_and_limitations(
    inspector: Any, c1: Any, tree: SimpleNamespace, docs: SimpleNamespace, people: SimpleNamespace
) -> None:
    today = timezone.localdate()
    late = _open(inspector, tree, docs, code="KT-LATE")  # its steps were due in 2025
    # The limitation of a reprimand (5 years) counted from the period inspected ends soon.
    start = D(today.year - 5, today.month, 1) + dt.timedelta(days=40)
    found = _open(inspector, tree, docs, code="KT-FOUND", period_from=min(start, D(2025, 1, 1)))
    _conclude(inspector, found, docs, found=True)
    recommendation = recommendation_add(
        actor=inspector,
        inspection=found,
        text="Thu đủ đảng phí",
        owner_unit=tree.K1,
        deadline=D(2025, 7, 1),
    )
    d = _decide(inspector, tree, people.k1)
    appeal = appeal_lodge(
        actor=inspector,
        discipline=d,
        lodged_on=D(2025, 3, 20),
        received_on=D(2025, 3, 5),
        body=tree.P,
        body_kind="committee",
    )
    steps = worklists.late_steps(c1, today)
    assert {s.inspection_id for s in steps} == {late.pk}
    assert [s.step for s in steps] == ["plan", "working", "report", "conclusion"]
    assert list(worklists.overdue_recommendations(c1, today)) == [recommendation]
    assert list(worklists.appeals_waiting(c1)) == [appeal]
    near = list(worklists.limitation_near(c1, today, within_days=400))
    assert [s.inspection_id for s in near] == [found.pk]
    limitation = worklists.next_limitation(near[0].violation_from, today)
    assert limitation is not None and limitation.form == "reprimand"
    assert today <= limitation.ends_on <= today + dt.timedelta(days=400)

    # Once a discipline cites the inspection for the subject, the case is decided.
    discipline_decide(
        actor=inspector,
        subject_kind="unit",
        unit=tree.K1,
        form="reprimand",
        body=tree.C1,
        body_kind="committee",
        decided_on=today,
        violation="Thu đảng phí chưa đúng",
        violation_on=near[0].violation_from,
        inspection=found,
        votes={"reprimand": 5, "none": 2},
        voters_total=7,
    )
    assert not worklists.limitation_near(c1, today, within_days=400).exists()

    page = _client(c1).get(reverse("inspections:worklists"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "KT-LATE" in html and "Thu đủ đảng phí" in html


def test_the_worklists_are_scoped_and_refused_to_who_reads_no_file(
    inspector: Any, tree: SimpleNamespace, docs: SimpleNamespace, c2: Client, actor: Any
) -> None:
    _open(inspector, tree, docs, code="KT-LATE")
    page = c2.get(reverse("inspections:worklists"))
    assert page.status_code == 200
    assert "KT-LATE" not in page.content.decode()
    organizer = get_user_model().objects.create_user(username="organizer")
    role_grant(actor=None, user=organizer, role="organizer", unit=tree.C1)
    office = _client(organizer)
    assert office.get(reverse("inspections:worklists")).status_code == 403
    assert office.get(reverse("inspections:disciplines")).status_code == 403
    assert office.get(reverse("inspections:discipline_new", args=["C1"])).status_code == 403
    assert office.get(reverse("inspections:program_new", args=["C1"])).status_code == 403


def test_the_worklists_api_pages_each_list(
    inspector: Any, c1: Any, tree: SimpleNamespace, docs: SimpleNamespace
) -> None:
    late = _open(inspector, tree, docs, code="KT-LATE")
    client = _client(c1)
    answer = client.get("/api/v1/inspections/worklists/late-steps")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert [i["inspection"] for i in body["items"]] == [late.pk] * 4
    assert body["next_cursor"] is None
    for name in worklists.NAMES:
        assert client.get(f"/api/v1/inspections/worklists/{name}").status_code == 200
    assert client.get("/api/v1/inspections/worklists/nothing").status_code == 404


# Programs ------------------------------------------------------------------------------------


def test_programs_list_their_progress_and_are_created_through_the_service(
    inspector: Any, c1: Any, c2: Client, tree: SimpleNamespace, docs: SimpleNamespace
) -> None:
    program = program_create(
        actor=inspector, body=tree.C1, body_kind="inspection_committee", year=2025, title="CT 2025"
    )
    item = program_item_add(actor=inspector, program=program, kind="thematic", subject_unit=tree.K1)
    inspection = _open(inspector, tree, docs, program_item=item)
    _conclude(inspector, inspection, docs, found=False)
    program_item_add(actor=inspector, program=program, kind="surprise", subject_text="Chi bộ")
    client = _client(c1)
    page = client.get(reverse("inspections:programs"), {"year": "2025"})
    assert page.status_code == 200
    assert "completed 1 of 2 planned" in page.content.decode()
    detail = client.get(reverse("inspections:program", args=[program.pk]))
    assert detail.status_code == 200 and "KT-01" in detail.content.decode()
    assert AuditEntry.objects.filter(event_type="inspection.program_viewed").count() == 1
    assert c2.get(reverse("inspections:program", args=[program.pk])).status_code == 404
    assert "CT 2025" not in c2.get(reverse("inspections:programs")).content.decode()

    url = reverse("inspections:program_new", args=["C1"])
    refused = client.post(url, {"body_kind": "inspection_committee", "year": "2025", "title": ""})
    assert refused.status_code == 422 and refused.context["form"].errors["title"]
    twice = client.post(
        url, {"body_kind": "inspection_committee", "year": "2025", "title": "Again"}
    )
    assert twice.status_code == 422 and twice.context["form"].errors  # one per body and year
    done = client.post(url, {"body_kind": "inspection_committee", "year": "2026", "title": "CT"})
    assert done.status_code == 302
    new = InspectionProgram.objects.get(year=2026)
    added = client.post(
        reverse("inspections:item_new", args=[new.pk]),
        {"kind": "thematic", "subject_unit": "K1"},
    )
    assert added.status_code == 302 and ProgramItem.objects.filter(program=new).count() == 1
    assert c2.post(reverse("inspections:program_new", args=["C1"]), {}).status_code == 404


# Inspections ---------------------------------------------------------------------------------


def test_an_inspection_is_opened_stepped_concluded_and_followed_up_from_its_pages(
    c1: Any, c2: Client, tree: SimpleNamespace, docs: SimpleNamespace, inspector: Any
) -> None:
    client = _client(c1)
    url = reverse("inspections:inspection_new", args=["C1"])
    form = client.get(url)
    assert form.status_code == 200
    values = {
        "code": "KT-07",
        "body_kind": "inspection_committee",
        "kind": "thematic",
        "decided_on": "2025-03-03",
        "document": str(docs.c1.pk),
        "period_from": "2024-01-01",
        "period_to": "2024-12-31",
        "team": "Nguyễn Văn A\nTrần Thị B",
        "subject_units": "K1; K9",
    }
    refused = client.post(url, values)
    assert refused.status_code == 422 and refused.context["form"].errors["subject_units"]
    opened = client.post(url, {**values, "subject_units": "K1"})
    assert opened.status_code == 302
    inspection = Inspection.objects.get(code="KT-07")
    assert inspection.team.get(is_leader=True).name == "Nguyễn Văn A"

    detail = reverse("inspections:inspection", args=[inspection.pk])
    assert c2.get(detail).status_code == 404
    page = client.get(detail)
    assert page.status_code == 200 and "Nguyễn Văn A" in page.content.decode()
    assert AuditEntry.objects.filter(
        event_type="inspection.viewed", object_id=str(inspection.pk)
    ).exists()

    step = reverse("inspections:inspection_step", args=[inspection.pk])
    early = client.post(step, {"step": "plan", "done_on": "2025-03-01"})
    assert early.status_code == 422 and early.context["form"].errors["done_on"]
    for name, day in (("plan", "2025-03-10"), ("working", "2025-04-01"), ("report", "2025-05-01")):
        assert client.post(step, {"step": name, "done_on": day}).status_code == 302

    conclusion = reverse("inspections:conclusion", args=[inspection.pk])
    subject = inspection.subjects.get()
    answers = {
        "concluded_on": "2025-06-02",
        "document": str(docs.c1_conclusion.pk),
        "summary": "Kết luận",
        f"found_{subject.pk}": "yes",
        f"kind_{subject.pk}": "party_fees",
        f"text_{subject.pk}": "Thu đảng phí chưa đúng",
    }
    asked = client.post(conclusion, answers)
    assert asked.status_code == 200 and "confirmed" in asked.content.decode()
    inspection.refresh_from_db()
    assert inspection.concluded_on is None  # asked, not yet recorded
    assert client.post(conclusion, {**answers, "confirmed": "yes"}).status_code == 302
    inspection.refresh_from_db()
    subject.refresh_from_db()
    assert inspection.concluded_on == D(2025, 6, 2) and subject.violation_kind == "party_fees"

    rec_url = reverse("inspections:recommendation_new", args=[inspection.pk])
    no_owner = client.post(rec_url, {"text": "Thu đủ"})
    assert no_owner.status_code == 422 and no_owner.context["form"].errors["owner_unit"]
    assert (
        client.post(
            rec_url,
            {"text": "Thu đủ", "owner_unit": "K1", "deadline": "2025-09-01", "subject": subject.pk},
        ).status_code
        == 302
    )
    recommendation = Recommendation.objects.get()
    follow = reverse("inspections:follow_up_new", args=[recommendation.pk])
    assert c2.post(follow, {"on": "2025-07-01", "status": "done"}).status_code == 404
    assert client.post(follow, {"on": "2025-07-01", "status": "partly"}).status_code == 302
    assert RecommendationFollowUp.objects.get().status == "partly"
    shown = client.get(detail).content.decode()
    assert "Partly done" in shown and "Thu đảng phí chưa đúng" in shown

    listed = client.get(reverse("inspections:inspections"), {"kind": "thematic", "year": "2025"})
    assert "KT-07" in listed.content.decode()
    assert (
        "KT-07"
        not in client.get(reverse("inspections:inspections"), {"kind": "surprise"}).content.decode()
    )


def test_a_reader_without_inspect_may_read_but_not_record(
    inspector: Any, tree: SimpleNamespace, docs: SimpleNamespace
) -> None:
    inspection = _open(inspector, tree, docs)
    step = reverse("inspections:inspection_step", args=[inspection.pk])
    # An inspector of another commune: the file does not exist for them.
    other = get_user_model().objects.create_user(username="c2-reader")
    role_grant(actor=None, user=other, role="inspector", unit=tree.C2)
    assert _client(other).post(step, {"step": "plan", "done_on": "2025-03-10"}).status_code == 404


# Disciplines ---------------------------------------------------------------------------------


def test_a_discipline_is_decided_appealed_and_the_appeal_decided_from_the_pages(
    c1: Any,
    c2: Client,
    inspector: Any,
    tree: SimpleNamespace,
    docs: SimpleNamespace,
    people: SimpleNamespace,
) -> None:
    client = _client(c1)
    url = reverse("inspections:discipline_new", args=["C1"])
    assert client.get(url).status_code == 200
    values = {
        "subject_kind": "member",
        "member": str(people.k1.pk),
        "form": "warning",
        "body_kind": "inspection_committee",
        "decided_on": "2025-03-03",
        "document": str(docs.c1.pk),
        "violation": "Vi phạm quy định về nêu gương",
        "violation_on": "2024-11-01",
        "voters_total": "7",
        "votes_for": "2",
        "votes_none": "5",
    }
    refused = client.post(url, values)  # two of seven: not more than half
    assert refused.status_code == 422 and refused.context["form"].errors
    assert not Discipline.objects.exists()
    values.update(votes_for="5", votes_none="2")
    asked = client.post(url, values)
    assert asked.status_code == 200 and not Discipline.objects.exists()
    assert client.post(url, {**values, "confirmed": "yes"}).status_code == 302
    d = Discipline.objects.get()
    assert d.votes == {"warning": 5, "none": 2}

    detail = reverse("inspections:discipline", args=[d.pk])
    assert c2.get(detail).status_code == 404
    page = client.get(detail)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Lapsed" in html and "lapsed on March 3, 2026" in html  # 12 months after the decision
    assert AuditEntry.objects.filter(event_type="discipline.viewed").count() == 1

    lodge = reverse("inspections:appeal_new", args=[d.pk])
    late = client.post(
        lodge,
        {
            "received_on": "2025-03-05",
            "lodged_on": "2025-06-20",
            "body": "P",
            "body_kind": "committee",
        },
    )
    assert late.status_code == 422 and not Appeal.objects.exists()  # past the month
    assert (
        client.post(
            lodge,
            {
                "received_on": "2025-03-05",
                "lodged_on": "2025-03-20",
                "body": "P",
                "body_kind": "committee",
            },
        ).status_code
        == 302
    )
    appeal = Appeal.objects.get()
    decide = reverse("inspections:appeal_decision", args=[appeal.pk])
    assert c2.get(decide).status_code == 404
    # The province's committee decides: its inspector records it with the province's decision.
    province = _client(inspector)
    answers = {"decided_on": "2025-04-10", "outcome": "annulled", "document": str(docs.p.pk)}
    assert province.post(decide, answers).status_code == 200  # asked first
    assert Appeal.objects.get().outcome == "pending"
    assert province.post(decide, {**answers, "confirmed": "yes"}).status_code == 302
    d.refresh_from_db()
    assert d.status == "annulled"
    assert "Annulled" in client.get(detail).content.decode()
    listed = client.get(reverse("inspections:disciplines"), {"form": "warning"})
    assert listed.status_code == 200 and str(d.decided_on.year) in listed.content.decode()


def test_the_discipline_form_refuses_counts_beyond_the_records_on_their_fields(
    c1: Any, docs: SimpleNamespace, people: SimpleNamespace
) -> None:
    client = _client(c1)
    url = reverse("inspections:discipline_new", args=["C1"])
    big = "99999999999999999999"
    values = {
        "subject_kind": "member",
        "member": str(people.k1.pk),
        "form": "warning",
        "body_kind": "inspection_committee",
        "decided_on": "2025-03-03",
        "document": str(docs.c1.pk),
        "violation": "Vi phạm",
        "violation_on": "2024-11-01",
        "voters_total": big,
        "votes_for": big,
        "votes_none": "0",
        "confirmed": "yes",
    }
    refused = client.post(url, values)
    assert refused.status_code == 422
    assert {"voters_total", "votes_for"} <= set(refused.context["form"].errors)
    assert not Discipline.objects.exists()


# The member's dossier and the navigation ----------------------------------------------------


def test_the_dossier_shows_disciplines_to_inspectors_and_the_subjects_own_finding_only(
    inspector: Any, c1: Any, tree: SimpleNamespace, docs: SimpleNamespace, people: SimpleNamespace
) -> None:
    inspection = _open(
        inspector, tree, docs, subject_units=[], subject_members=[people.k1, people.k1b]
    )
    for step, day in (
        ("plan", D(2025, 3, 10)),
        ("working", D(2025, 4, 1)),
        ("report", D(2025, 5, 1)),
    ):
        inspection_record_step(actor=inspector, inspection=inspection, step=step, done_on=day)
    mine, other = inspection.subjects.order_by("id")
    assert mine.member_id == people.k1.pk
    inspection_conclude(
        actor=inspector,
        inspection=inspection,
        concluded_on=D(2025, 6, 2),
        document=docs.c1_conclusion,
        summary="Tóm tắt hồ sơ mật",
        findings=[
            Finding(subject=mine, violation_found=True, violation_kind="party_fees", text="Nợ phí"),
            Finding(subject=other, violation_found=False, text="Không vi phạm gì cả"),
        ],
    )
    _decide(inspector, tree, people.k1)
    url = f"/members/{people.k1.pk}/"

    html = _client(c1).get(url).content.decode()
    assert 'data-testid="member-disciplines"' in html and "Warning" in html
    assert "Nợ phí" in html

    # The cell's organizer sees the member, not the files: the finding on this member only.
    organizer = get_user_model().objects.create_user(username="k1-organizer")
    role_grant(actor=None, user=organizer, role="organizer", unit=tree.K1)
    page = _client(organizer).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="member-disciplines"' not in html
    assert "Nợ phí" in html and "KT-01" in html
    assert "Không vi phạm gì cả" not in html and "Tóm tắt hồ sơ mật" not in html


def test_the_navigation_offers_inspections_to_who_reads_the_files(
    c1: Any, tree: SimpleNamespace
) -> None:
    assert 'data-testid="nav-inspections"' in _client(c1).get("/members/").content.decode()
    organizer = get_user_model().objects.create_user(username="c1-organizer")
    role_grant(actor=None, user=organizer, role="organizer", unit=tree.C1)
    html = _client(organizer).get("/members/").content.decode()
    assert 'data-testid="nav-inspections"' not in html


def test_the_unit_page_shows_the_conclusion_concerning_the_unit_not_the_file(
    inspector: Any, tree: SimpleNamespace, docs: SimpleNamespace
) -> None:
    inspection = _open(inspector, tree, docs, subject_units=[tree.K1, tree.K2])
    for step, day in (
        ("plan", D(2025, 3, 10)),
        ("working", D(2025, 4, 1)),
        ("report", D(2025, 5, 1)),
    ):
        inspection_record_step(actor=inspector, inspection=inspection, step=step, done_on=day)
    k1, k2 = inspection.subjects.order_by("id")
    inspection_conclude(
        actor=inspector,
        inspection=inspection,
        concluded_on=D(2025, 6, 2),
        document=docs.c1_conclusion,
        summary="Tóm tắt hồ sơ mật",
        findings=[
            Finding(subject=k1, violation_found=True, violation_kind="party_fees", text="Nợ phí"),
            Finding(subject=k2, violation_found=False, text="K2 làm tốt"),
        ],
    )
    secretary = get_user_model().objects.create_user(username="k1-secretary")
    role_grant(actor=None, user=secretary, role="organizer", unit=tree.K1)
    html = _client(secretary).get("/units/K1/").content.decode()
    assert 'data-testid="conclusions-concerning"' in html and "Nợ phí" in html
    assert "K2 làm tốt" not in html and "Tóm tắt hồ sơ mật" not in html


def test_unit_code_fields_offer_the_units_lookup(
    c1: Any, tree: SimpleNamespace, inspector: Any
) -> None:
    program = program_create(
        actor=inspector, body=tree.C1, body_kind="inspection_committee", year=2025, title="CT"
    )
    html = _client(c1).get(reverse("inspections:item_new", args=[program.pk])).content.decode()
    assert f'hx-get="{reverse("orgs:lookup")}"' in html and 'list="id_subject_unit-choices"' in html
