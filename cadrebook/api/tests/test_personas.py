"""Every operation of the API against the four personas of the foundation: the national
administrator, a province organizer, a cell clerk, and an outsider (an organizer of another
province). The objects are in the first province. The outsider gets 404 for every one of them
and never sees their data; 403 is only for an object the caller may see but not act on.

The operations are read from the live schema, so a new endpoint without a row in CASES fails
`test_every_operation_has_a_persona_case`."""

from __future__ import annotations

import copy
import datetime as dt
import io
from collections.abc import Callable, Iterator
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant, token_create
from cadrebook.api.root import api
from cadrebook.cadres import services as cadres
from cadrebook.documents import services as ds
from cadrebook.evaluations import services as ev
from cadrebook.evaluations.models import Subject
from cadrebook.evaluations.services import target_set
from cadrebook.inspections import services as ins
from cadrebook.inspections.models import Inspection
from cadrebook.members import services as ms
from cadrebook.members.models import Member, MemberEvent
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.services import unit_create

pytestmark = pytest.mark.django_db
PERSONAS = ["national", "organizer", "clerk", "outsider"]
# What the outsider must never read: the first province's people and places.
PDF = b"%PDF-1.4\n%%EOF\n"
SECRETS = ["Đặng Đức Ước", "Lê Văn Thử", "001090030100", "Tỉnh Một", "Chi bộ Thôn Một"]


@pytest.fixture(scope="module")
def _world(shared_world: Any) -> Iterator[SimpleNamespace]:
    """The world, built once for the module (see `shared_world` in conftest.py); the write
    limits are lifted for the whole module."""
    limits = {
        "CADREBOOK_API_WRITES_PER_TOKEN": "10000/min",
        "CADREBOOK_API_WRITES_PER_IP": "10000/min",
    }
    with override_settings(**limits):
        world = _build_world()
        shared_world.freeze()
        yield world


@pytest.fixture
def world(_world: SimpleNamespace, db: None) -> SimpleNamespace:
    """Each test's own copy of the world (its rows are rolled back after it), with a fresh
    client per persona sending that persona's token."""
    world = copy.deepcopy(_world)
    world.clients = {
        name: Client(HTTP_AUTHORIZATION=f"Bearer {raw}") for name, raw in world.tokens.items()
    }
    return world


def _build_world() -> SimpleNamespace:
    """P1 > C1 > K1 (two members), K1B; P1 > C1B. P2 > C2 > K2 (one member). One token per
    persona; an import validated for the organizer."""
    p1 = unit_create(actor=None, code="P1", name="Tỉnh Một", kind="province_committee")
    c1 = unit_create(actor=None, code="C1", name="Xã Một", kind="commune_committee", parent=p1)
    c1b = unit_create(actor=None, code="C1B", name="Xã Một B", kind="commune_committee", parent=p1)
    k3 = unit_create(actor=None, code="K3", name="Chi bộ Ba", kind="grassroots_cell", parent=c1b)
    k1 = unit_create(
        actor=None, code="K1", name="Chi bộ Thôn Một", kind="grassroots_cell", parent=c1
    )
    unit_create(actor=None, code="K1B", name="Chi bộ Thôn Hai", kind="grassroots_cell", parent=c1)
    p2 = unit_create(actor=None, code="P2", name="Tỉnh Hai", kind="province_committee")
    c2 = unit_create(actor=None, code="C2", name="Xã Hai", kind="commune_committee", parent=p2)
    k2 = unit_create(actor=None, code="K2", name="Chi bộ Khác", kind="grassroots_cell", parent=c2)
    full = ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k1,
        date=dt.date(2019, 1, 1),
        full_name="Đặng Đức Ước",
        gender="male",
        birth_date=dt.date(1990, 3, 1),
        national_id="001090030100",
    )
    ms.member_admit(taken_over=True, actor=None, member=full, date=dt.date(2019, 2, 1))
    target_set(actor=None, unit=k1, year=2024, indicator="admissions", target=2)
    ms.member_recognize(taken_over=True, actor=None, member=full, date=dt.date(2020, 2, 1))
    probationary = ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k1,
        date=dt.date(2024, 1, 1),
        full_name="Lê Văn Thử",
        gender="male",
        birth_date=dt.date(1995, 5, 5),
    )
    ms.member_admit(taken_over=True, actor=None, member=probationary, date=dt.date(2024, 2, 1))
    other = ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k2,
        date=dt.date(2021, 1, 1),
        full_name="Ngô Thị Ngoài",
        gender="female",
        birth_date=dt.date(1994, 1, 1),
    )
    tokens = {}
    for name, role, unit in [
        ("national", Role.ADMINISTRATOR, None),
        ("organizer", Role.ORGANIZER, p1),
        ("clerk", Role.CLERK, k1),
        ("outsider", Role.ORGANIZER, p2),
    ]:
        user = get_user_model().objects.create_user(username=name)
        role_grant(actor=None, user=user, role=role, unit=unit)
        _token, tokens[name] = token_create(actor=None, user=user, name=f"{name}-script")
    organizer = Client(HTTP_AUTHORIZATION=f"Bearer {tokens['organizer']}")
    job = _upload(organizer, "code,name,kind,parent_code\nK9,Chi bộ 9,cell,C1\n")
    assert job.status_code == 202, job.content
    term = ds.term_create(actor=None, unit=p1, start=dt.date(2025, 10, 16))
    documents = [
        ds.document_register(
            actor=None,
            issuer=p1,
            type="plan",
            term=term,
            date=dt.date(2026, 1, 5),
            title=f"Kế hoạch {n}",
        )
        for n in (1, 2)
    ]
    file = ds.document_attach(
        actor=None,
        document=documents[0],
        source=io.BytesIO(PDF),
        original_name="kh.pdf",
        content_type="application/pdf",
    )
    decisions = {}
    for unit in (c1, c1b):  # the deciding committees' own documents
        # An earlier, closed term: the documents' cases still open C1's term of 2020.
        unit_term = ds.term_create(
            actor=None, unit=unit, start=dt.date(2015, 10, 1), end=dt.date(2020, 6, 30)
        )
        decisions[unit.code] = ds.document_register(
            actor=None,
            issuer=unit,
            type="decision",
            term=unit_term,
            date=dt.date(2019, 12, 20),
            title="Xếp loại",
        )
    evaluation = _evaluation(c1, c1b, k3, decisions["C1B"], full)  # by the national admin
    posts = _cadre_posts(c1, c1b, full)
    files = _inspection_files(c1, k1, full, decisions["C1"])
    return SimpleNamespace(
        **evaluation,
        **files,
        **posts,
        **_cadre_planning(c1, c1b, k3, full, posts["cadre_term"]),
        term=term,
        doc=documents[0],
        doc2=documents[1],
        c1_decision=decisions["C1"],
        c1b_decision=decisions["C1B"],
        file=file,
        tokens=tokens,
        full=full,
        probationary=probationary,
        other=other,
        event=full.events.order_by("id").first(),
        job=job.json()["id"],
    )


def _evaluation(c1: Any, c1b: Any, k3: Any, doc: Any, member: Any) -> dict[str, Any]:
    """C1's open round of 2025 (its members and cells); C1B's rounds of 2024 (K3 decided, still
    open) and 2023 (closed); K1B registered for the four-good model in 2025."""
    actor = get_user_model().objects.get(username="national")  # may read the document

    def open_round(unit: Any, year: int) -> Any:
        return ev.round_open(
            actor=actor,
            unit=unit,
            kind="yearly",
            year=year,
            reference_date=dt.date(year, 12, 15),
            self_assessment_until=dt.date(year, 12, 20),
            proposals_until=dt.date(year, 12, 25),
            decisions_until=dt.date(year, 12, 31),
        )

    current = open_round(c1, 2025)
    rounds = {}
    for year in (2024, 2023):
        rounds[year] = open_round(c1b, year)
        subject = Subject.objects.get(round=rounds[year], unit=k3)
        ev.subject_decide(
            actor=actor,
            subject=subject,
            deciding_unit=c1b,
            level="good",
            score=Decimal("80"),
            document=doc,
        )
    ev.round_close(actor=actor, round=rounds[2023])
    k1b = OrgUnit.objects.get(code="K1B")
    ev.model_register(actor=actor, unit=k1b, year=2025, kind="four_good", date=dt.date(2025, 1, 10))
    return {
        "round": current,
        "round_open": rounds[2024],
        "round_closed": rounds[2023],
        "member_subject": Subject.objects.get(round=current, member=member),
        "k1_subject": Subject.objects.get(round=current, unit__code="K1"),
        "k3_closed": Subject.objects.get(round=rounds[2023], unit=k3),
    }


def _inspection_files(c1: Any, k1: Any, member: Any, decision: Any) -> dict[str, Any]:
    """C1's inspection committee: its program of 2020 (one item), KT-A open on K1, KT-B with
    its steps up to the report, KT-C concluded with a recommendation to K1; a warning given
    to the member by C1 (recorded as it stood) with a pending appeal, and another one."""
    actor = get_user_model().objects.get(username="national")
    body = {"body": c1, "body_kind": "inspection_committee"}
    program = ins.program_create(actor=actor, year=2020, title="Chương trình 2020", **body)
    item = ins.program_item_add(actor=actor, program=program, kind="thematic", subject_unit=k1)
    conclusion = ds.document_register(
        actor=None,
        issuer=c1,
        type="conclusion",
        term=decision.term,
        date=dt.date(2020, 5, 1),
        title="Kết luận",
    )

    def opened(code: str) -> Any:
        return ins.inspection_open(
            actor=actor,
            code=code,
            kind="thematic",
            decided_on=dt.date(2020, 1, 10),
            document=decision,
            subject_units=[k1],
            **body,
        )

    def stepped(inspection: Any) -> Any:
        for step, day in (("plan", 15), ("working", 20), ("report", 25)):
            ins.inspection_record_step(
                actor=actor, inspection=inspection, step=step, done_on=dt.date(2020, 1, day)
            )
        return inspection

    concluded = ins.inspection_conclude(
        actor=actor,
        inspection=stepped(opened("KT-C")),
        concluded_on=dt.date(2020, 5, 2),
        document=conclusion,
        findings=[ins.Finding(s, False) for s in opened_subjects("KT-C")],
    )
    recommendation = ins.recommendation_add(
        actor=actor,
        inspection=concluded,
        text="Bổ sung quy hoạch",
        owner_unit=k1,
        deadline=dt.date(2020, 12, 31),
    )

    def disciplined(violation: str) -> Any:  # through the service, as a body records it
        return ins.discipline_decide(
            actor=actor,
            subject_kind="member",
            member=member,
            form="warning",
            decided_on=dt.date(2020, 3, 1),
            document=decision,
            violation=violation,
            violation_on=dt.date(2020, 1, 5),
            votes={"warning": 5, "none": 2},
            voters_total=7,
            **body,
        )

    discipline = disciplined("Vi phạm")
    appeal = ins.appeal_lodge(
        actor=actor,
        discipline=discipline,
        lodged_on=dt.date(2020, 3, 20),
        received_on=dt.date(2020, 3, 5),
        body=c1.get_parent(),
        body_kind="inspection_committee",
    )
    return {
        "program": program,
        "program_item": item,
        "kt_open": opened("KT-A"),
        "kt_stepped": stepped(opened("KT-B")),
        "kt_concluded": concluded,
        "recommendation": recommendation,
        "discipline": discipline,
        "discipline_unappealed": disciplined("Vi phạm khác"),
        "appeal": appeal,
        "conclusion_doc": conclusion,
    }


def _cadre_posts(c1: Any, c1b: Any, member: Any) -> dict[str, Any]:
    """C1B's committee term from 2021 (open); the member appointed a committee member of C1
    from 2020-02-15, before the warnings that now bar an appointment (running), outside
    planning by the competent level's decision."""
    actor = get_user_model().objects.get(username="national")
    return {
        "cadre_term": cadres.committee_term_open(actor=actor, unit=c1b, start=dt.date(2021, 1, 1)),
        "holding": cadres.post_appoint(
            actor=actor,
            member=member,
            unit=c1,
            position="committee_member",
            started_on=dt.date(2020, 2, 15),
            # No planning recorded in this world: the competent level's decision.
            outside_planning_text="02-QĐ/TU",
        ),
    }


def _cadre_planning(c1: Any, c1b: Any, k3: Any, holder: Any, cadre_term: Any) -> dict[str, Any]:
    """A full member of K3 in the planning for C1B's secretary in its committee term (from
    2021-06-01, on the province's decision as written); a confidence vote of C1's body on
    the holder of its committee post (2024-06-01, counts only); `cadre_term` is C1B's."""
    actor = get_user_model().objects.get(username="national")
    cadre = ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k3,
        date=dt.date(2010, 1, 1),
        full_name="Trần Văn Kế",
        gender="male",
        birth_date=dt.date(1985, 4, 1),
    )
    ms.member_admit(taken_over=True, actor=None, member=cadre, date=dt.date(2010, 2, 1))
    ms.member_recognize(taken_over=True, actor=None, member=cadre, date=dt.date(2011, 2, 1))
    return {
        "cadre": cadre,
        "planning_entry": cadres.planning_add(
            actor=actor,
            unit=c1b,
            term=cadre_term,
            position="secretary",
            member=cadre,
            added_on=dt.date(2021, 6, 1),
            document_text="01-QĐ/TU",
        ),
        **_cadre_rotation(c1, c1b, cadre),
        "confidence_vote": cadres.confidence_session_record(
            actor=actor,
            unit=c1,
            held_on=dt.date(2024, 6, 1),
            summoned=9,
            present=7,
            results=[{"member": holder, "high": 4, "confidence": 2, "low": 1}],
            document_text="BB-01",
        ),
    }


def _cadre_rotation(c1: Any, c1b: Any, cadre: Any) -> dict[str, Any]:
    """The planned cadre a committee member of C1B from 2021-09-01; P1's rotation plan of
    2023 moving them to C1's committee from 2023-02-01 (a stint running)."""
    actor = get_user_model().objects.get(username="national")
    cadres.post_appoint(
        actor=actor,
        member=cadre,
        unit=c1b,
        position="committee_member",
        started_on=dt.date(2021, 9, 1),
        document_text="03-QĐ/TU",
    )
    plan = cadres.rotation_plan_record(
        actor=actor,
        unit=c1.get_parent(),
        year=2023,
        decided_on=dt.date(2023, 1, 5),
        document_text="04-QĐ/TU",
    )
    stint = cadres.rotation_stint_add(
        actor=actor,
        plan=plan,
        member=cadre,
        to_unit=c1,
        to_position="committee_member",
        planned_start=dt.date(2023, 2, 1),
    )
    return {"rotation_plan": plan, "stint": stint}


def opened_subjects(code: str) -> list[Any]:
    return list(Inspection.objects.get(code=code).subjects.all())


def _upload(client: Client, text: str) -> Any:
    upload = SimpleUploadedFile("units.csv", text.encode(), content_type="text/csv")
    return client.post("/api/v1/imports", {"kind": "units", "file": upload})


def _json(client: Client, method: str, path: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(path, body, content_type="application/json")


Case = Callable[[Client, SimpleNamespace], Any]

# (method, path) -> (the request, the status for national, organizer, clerk, outsider).
CASES: dict[tuple[str, str], tuple[Case, tuple[int, int, int, int]]] = {
    ("get", "/api/v1/audit"): (
        lambda c, w: c.get("/api/v1/audit", {"unit": "K1"}),
        (200, 200, 403, 404),
    ),
    ("post", "/api/v1/imports"): (
        # A clerk may not import units anywhere; the outsider's row names a unit it cannot
        # see, which the validation refuses like an unknown one (see the outsider test).
        lambda c, w: _upload(c, "code,name,kind,parent_code\nK8,Chi bộ 8,cell,C1\n"),
        (202, 202, 403, 202),
    ),
    ("get", "/api/v1/documents"): (
        lambda c, w: c.get("/api/v1/documents", {"unit": "P1"}),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/documents"): (
        lambda c, w: _json(
            c,
            "post",
            "/api/v1/documents",
            {"issuer": "P1", "type": "plan", "date": "2026-02-02", "title": "Kế hoạch mới"},
        ),
        (201, 201, 404, 404),
    ),
    ("get", "/api/v1/documents/{document_id}"): (
        lambda c, w: c.get(f"/api/v1/documents/{w.doc.pk}"),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/documents/{document_id}/status"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/documents/{w.doc.pk}/status",
            {"status": "revoked", "date": "2026-03-01"},
        ),
        (200, 200, 404, 404),
    ),
    ("get", "/api/v1/documents/{document_id}/links"): (
        lambda c, w: c.get(f"/api/v1/documents/{w.doc.pk}/links"),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/documents/{document_id}/links"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/documents/{w.doc2.pk}/links",
            {"target": w.doc.pk, "kind": "implements"},
        ),
        (201, 201, 404, 404),
    ),
    ("get", "/api/v1/documents/{document_id}/files"): (
        lambda c, w: c.get(f"/api/v1/documents/{w.doc.pk}/files"),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/documents/{document_id}/files"): (
        lambda c, w: c.post(
            f"/api/v1/documents/{w.doc.pk}/files",
            {"file": SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")},
        ),
        (201, 201, 404, 404),
    ),
    ("get", "/api/v1/documents/{document_id}/files/{file_id}"): (
        lambda c, w: c.get(f"/api/v1/documents/{w.doc.pk}/files/{w.file.pk}"),
        (200, 200, 404, 404),
    ),
    ("get", "/api/v1/documents/terms"): (
        lambda c, w: c.get("/api/v1/documents/terms", {"unit": "P1"}),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/documents/terms"): (
        lambda c, w: _json(
            c, "post", "/api/v1/documents/terms", {"unit": "C1", "start": "2020-07-01"}
        ),
        (201, 201, 404, 404),
    ),
    ("get", "/api/v1/documents/terms/{term_id}"): (
        lambda c, w: c.get(f"/api/v1/documents/terms/{w.term.pk}"),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/documents/terms/{term_id}/close"): (
        lambda c, w: _json(
            c, "post", f"/api/v1/documents/terms/{w.term.pk}/close", {"end": "2030-10-01"}
        ),
        (200, 200, 404, 404),
    ),
    ("get", "/api/v1/documents/next-number"): (
        lambda c, w: c.get("/api/v1/documents/next-number", {"issuer": "P1", "type": "plan"}),
        (200, 200, 404, 404),
    ),
    ("get", "/api/v1/documents/gaps"): (
        lambda c, w: c.get("/api/v1/documents/gaps", {"issuer": "P1", "term": "2025-2030"}),
        (200, 200, 404, 404),
    ),
    ("get", "/api/v1/inspection-programs"): (
        lambda c, w: c.get("/api/v1/inspection-programs", {"year": 2020}),
        (200, 200, 200, 200),
    ),
    ("post", "/api/v1/inspection-programs"): (
        lambda c, w: _json(
            c,
            "post",
            "/api/v1/inspection-programs",
            {"body": "C1", "body_kind": "committee", "year": 2020, "title": "CT"},
        ),
        (201, 403, 404, 404),
    ),
    ("get", "/api/v1/inspection-programs/{program_id}"): (
        lambda c, w: c.get(f"/api/v1/inspection-programs/{w.program.pk}"),
        (200, 404, 404, 404),
    ),
    ("post", "/api/v1/inspection-programs/{program_id}/items"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/inspection-programs/{w.program.pk}/items",
            {"kind": "surprise", "subject_unit": "K1B"},
        ),
        (201, 404, 404, 404),
    ),
    ("get", "/api/v1/inspections"): (
        lambda c, w: c.get("/api/v1/inspections", {"unit": "P1", "year": 2020}),
        (200, 200, 404, 404),
    ),
    # A worklist is a list: empty for whoever reads no inspection file in scope.
    ("get", "/api/v1/inspections/worklists/{name}"): (
        lambda c, w: c.get("/api/v1/inspections/worklists/late-steps"),
        (200, 200, 200, 200),
    ),
    ("post", "/api/v1/inspections"): (
        lambda c, w: _json(
            c,
            "post",
            "/api/v1/inspections",
            {
                "code": "KT-N",
                "body": "C1",
                "body_kind": "inspection_committee",
                "kind": "thematic",
                "decided_on": "2020-02-01",
                "document": w.c1_decision.pk,
                "program_item": w.program_item.pk,
                "team": [{"name": "Trưởng đoàn", "leader": True}],
                "subject_units": ["K1"],
                "subject_members": [w.full.pk],
            },
        ),
        (201, 403, 404, 404),
    ),
    ("get", "/api/v1/inspections/{inspection_id}"): (
        lambda c, w: c.get(f"/api/v1/inspections/{w.kt_concluded.pk}"),
        (200, 404, 404, 404),
    ),
    ("post", "/api/v1/inspections/{inspection_id}/subjects"): (
        lambda c, w: _json(
            c, "post", f"/api/v1/inspections/{w.kt_open.pk}/subjects", {"member": w.full.pk}
        ),
        (201, 404, 404, 404),
    ),
    ("post", "/api/v1/inspections/{inspection_id}/steps"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/inspections/{w.kt_open.pk}/steps",
            {"step": "plan", "done_on": "2020-01-12"},
        ),
        (201, 404, 404, 404),
    ),
    ("post", "/api/v1/inspections/{inspection_id}/conclusion"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/inspections/{w.kt_stepped.pk}/conclusion",
            {
                "concluded_on": "2020-05-03",
                "document": w.conclusion_doc.pk,
                "findings": [
                    {
                        "subject": w.kt_stepped.subjects.get().pk,
                        "violation_found": True,
                        "violation_kind": "party_fees",
                    }
                ],
            },
        ),
        (200, 404, 404, 404),
    ),
    ("post", "/api/v1/inspections/{inspection_id}/recommendations"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/inspections/{w.kt_concluded.pk}/recommendations",
            {"text": "Kiểm điểm", "owner_unit": "K1", "deadline": "2020-09-01"},
        ),
        (201, 404, 404, 404),
    ),
    (
        "post",
        "/api/v1/inspections/{inspection_id}/recommendations/{recommendation_id}/follow-ups",
    ): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/inspections/{w.kt_concluded.pk}/recommendations/"
            f"{w.recommendation.pk}/follow-ups",
            {"on": "2020-06-01", "status": "partly"},
        ),
        # The recommendation is addressed to K1: its unit records its own follow-up (the
        # organizer of P1 and the clerk of K1 may change K1's records); the file stays closed.
        (201, 201, 201, 404),
    ),
    ("get", "/api/v1/inspections/{inspection_id}/recommendations/{recommendation_id}"): (
        lambda c, w: c.get(
            f"/api/v1/inspections/{w.kt_concluded.pk}/recommendations/{w.recommendation.pk}"
        ),
        (200, 200, 200, 404),  # addressed to K1: its unit reads it, not the file
    ),
    ("get", "/api/v1/disciplines"): (
        lambda c, w: c.get("/api/v1/disciplines", {"unit": "K1"}),
        (200, 200, 200, 404),
    ),
    ("post", "/api/v1/disciplines"): (
        lambda c, w: _json(
            c,
            "post",
            "/api/v1/disciplines",
            {
                "subject_kind": "member",
                "member": w.probationary.pk,
                "form": "reprimand",
                "body": "K1",
                "body_kind": "cell",
                "decided_on": "2024-06-01",
                "document_text": "Quyết định của chi bộ",
                "violation": "Không sinh hoạt",
                "violation_on": "2024-05-01",
                "votes": {"reprimand": 2, "none": 0},
                "voters_total": 2,
            },
        ),
        (201, 403, 403, 404),
    ),
    ("get", "/api/v1/disciplines/{discipline_id}"): (
        lambda c, w: c.get(f"/api/v1/disciplines/{w.discipline.pk}"),
        (200, 404, 404, 404),
    ),
    ("post", "/api/v1/disciplines/{discipline_id}/appeals"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/disciplines/{w.discipline_unappealed.pk}/appeals",
            {
                "lodged_on": "2020-03-25",
                "received_on": "2020-03-05",
                "body": "P1",
                "body_kind": "inspection_committee",
            },
        ),
        (201, 404, 404, 404),
    ),
    ("post", "/api/v1/disciplines/{discipline_id}/appeals/{appeal_id}/decision"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/disciplines/{w.discipline.pk}/appeals/{w.appeal.pk}/decision",
            {"decided_on": "2020-04-20", "outcome": "upheld"},
        ),
        (200, 404, 404, 404),
    ),
    ("get", "/api/v1/evaluations/rounds"): (
        lambda c, w: c.get("/api/v1/evaluations/rounds", {"year": 2025}),
        (200, 200, 200, 200),  # the outsider's list is empty
    ),
    ("post", "/api/v1/evaluations/rounds"): (
        lambda c, w: _json(
            c,
            "post",
            "/api/v1/evaluations/rounds",
            {
                "unit": "C1",
                "kind": "yearly",
                "year": 2024,
                "reference_date": "2024-12-15",
                "self_assessment_until": "2024-12-20",
                "proposals_until": "2024-12-25",
                "decisions_until": "2024-12-31",
            },
        ),
        (201, 201, 404, 404),
    ),
    ("get", "/api/v1/evaluations/rounds/{round_id}"): (
        lambda c, w: c.get(f"/api/v1/evaluations/rounds/{w.round.pk}"),
        (200, 200, 200, 404),  # the clerk reaches C1's round from K1, below it
    ),
    ("post", "/api/v1/evaluations/rounds/{round_id}/close"): (
        lambda c, w: c.post(f"/api/v1/evaluations/rounds/{w.round_open.pk}/close"),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/evaluations/rounds/{round_id}/outstanding"): (
        lambda c, w: _json(
            c, "post", f"/api/v1/evaluations/rounds/{w.round.pk}/outstanding", {"unit": "K1"}
        ),
        (200, 200, 403, 404),
    ),
    ("post", "/api/v1/evaluations/rounds/{round_id}/timetable"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/evaluations/rounds/{w.round.pk}/timetable",
            {
                "self_assessment_until": "2025-12-20",
                "proposals_until": "2025-12-25",
                "decisions_until": "2026-01-10",
                "reason": "The committee meets later",
            },
        ),
        (200, 200, 403, 404),  # the clerk reaches C1's round from below: not its committee
    ),
    ("get", "/api/v1/evaluations/rounds/{round_id}/subjects"): (
        lambda c, w: c.get(
            f"/api/v1/evaluations/rounds/{w.round.pk}/subjects", {"state": "not_assessed"}
        ),
        (200, 200, 200, 404),
    ),
    ("get", "/api/v1/evaluations/subjects/{subject_id}"): (
        lambda c, w: c.get(f"/api/v1/evaluations/subjects/{w.member_subject.pk}"),
        (200, 200, 200, 404),
    ),
    ("post", "/api/v1/evaluations/subjects/{subject_id}/mark"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/evaluations/subjects/{w.member_subject.pk}/mark",
            {"note": "On leave since October"},
        ),
        (200, 200, 403, 404),  # the deciding unit's office marks the case, not the clerk
    ),
    ("post", "/api/v1/evaluations/subjects/{subject_id}/self-assessment"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/evaluations/subjects/{w.member_subject.pk}/self-assessment",
            {"scores": {"general": 25, "tasks": 60}, "review": "Đạt"},
        ),
        (201, 201, 201, 404),  # the clerk records it on the member's behalf
    ),
    ("post", "/api/v1/evaluations/subjects/{subject_id}/proposal"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/evaluations/subjects/{w.member_subject.pk}/proposal",
            {"score": "85", "level": "good", "votes_for": 2, "votes_against": 0, "present": 2},
        ),
        (201, 201, 201, 404),
    ),
    ("post", "/api/v1/evaluations/subjects/{subject_id}/decision"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/evaluations/subjects/{w.k1_subject.pk}/decision",
            {"level": "good", "score": "80", "document": w.c1_decision.pk},
        ),
        (201, 201, 403, 404),  # C1 decides for K1: the clerk sees K1, not C1
    ),
    ("post", "/api/v1/evaluations/subjects/{subject_id}/reconsideration"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/evaluations/subjects/{w.k3_closed.pk}/reconsideration",
            {
                "level": "completed",
                "score": "60",
                "document": w.c1b_decision.pk,
                "reason": "Appeal",
            },
        ),
        (201, 201, 404, 404),
    ),
    ("get", "/api/v1/evaluations/assessments"): (
        lambda c, w: c.get("/api/v1/evaluations/assessments", {"round": w.round.pk}),
        (200, 200, 200, 404),
    ),
    ("post", "/api/v1/evaluations/assessments"): (
        lambda c, w: _json(
            c,
            "post",
            "/api/v1/evaluations/assessments",
            {"subject": w.member_subject.pk, "scores": {"general": 25, "tasks": 60}},
        ),
        (201, 201, 201, 404),
    ),
    ("get", "/api/v1/evaluations/proposals"): (
        lambda c, w: c.get("/api/v1/evaluations/proposals", {"subject": w.member_subject.pk}),
        (200, 200, 200, 404),
    ),
    ("post", "/api/v1/evaluations/proposals"): (
        lambda c, w: _json(
            c,
            "post",
            "/api/v1/evaluations/proposals",
            {
                "subject": w.member_subject.pk,
                "score": "85",
                "level": "good",
                "votes_for": 2,
                "votes_against": 0,
                "present": 2,
            },
        ),
        (201, 201, 201, 404),
    ),
    ("get", "/api/v1/evaluations/decisions"): (
        lambda c, w: c.get("/api/v1/evaluations/decisions", {"round": w.round.pk}),
        (200, 200, 200, 404),
    ),
    ("post", "/api/v1/evaluations/decisions"): (
        lambda c, w: _json(
            c,
            "post",
            "/api/v1/evaluations/decisions",
            {
                "subject": w.k1_subject.pk,
                "level": "good",
                "score": "80",
                "document": w.c1_decision.pk,
            },
        ),
        (201, 201, 403, 404),
    ),
    ("get", "/api/v1/evaluations/ratings"): (
        lambda c, w: c.get("/api/v1/evaluations/ratings", {"unit": "C1B"}),
        (200, 200, 404, 404),
    ),
    ("get", "/api/v1/evaluations/ratings/members/{member_id}"): (
        lambda c, w: c.get(f"/api/v1/evaluations/ratings/members/{w.full.pk}"),
        (200, 200, 200, 404),
    ),
    ("get", "/api/v1/evaluations/ratings/units/{code}"): (
        lambda c, w: c.get("/api/v1/evaluations/ratings/units/K1"),
        (200, 200, 200, 404),
    ),
    ("get", "/api/v1/evaluations/models"): (
        lambda c, w: c.get("/api/v1/evaluations/models", {"unit": "K1", "year": 2025}),
        (200, 200, 200, 404),
    ),
    ("post", "/api/v1/evaluations/models/registrations"): (
        lambda c, w: _json(
            c,
            "post",
            "/api/v1/evaluations/models/registrations",
            {"unit": "K1", "year": 2025, "kind": "four_good", "date": "2025-01-15"},
        ),
        (201, 201, 403, 404),
    ),
    ("post", "/api/v1/evaluations/models/recognitions"): (
        lambda c, w: _json(
            c,
            "post",
            "/api/v1/evaluations/models/recognitions",
            {
                "unit": "K1B",
                "year": 2025,
                "kind": "four_good",
                "date": "2025-12-20",
                "recognized": True,
            },
        ),
        (201, 201, 404, 404),
    ),
    ("get", "/api/v1/imports/{job_id}"): (
        lambda c, w: c.get(f"/api/v1/imports/{w.job}"),
        (404, 200, 404, 404),  # an upload is its uploader's (it holds personal data)
    ),
    ("post", "/api/v1/imports/{job_id}/cancel"): (
        lambda c, w: c.post(f"/api/v1/imports/{w.job}/cancel"),
        (404, 200, 404, 404),
    ),
    ("post", "/api/v1/imports/{job_id}/commit"): (
        lambda c, w: c.post(f"/api/v1/imports/{w.job}/commit"),
        (404, 202, 404, 404),
    ),
    ("get", "/api/v1/members"): (
        lambda c, w: c.get("/api/v1/members", {"unit": "C1"}),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/members"): (
        lambda c, w: _json(
            c,
            "post",
            "/api/v1/members",
            {
                "unit": "K1",
                "full_name": "Phan Văn Mới",
                "gender": "male",
                "birth_date": "1998-04-04",
                "registered_on": "2025-01-06",
                "taken_over": True,
            },
        ),
        (201, 201, 201, 404),
    ),
    ("get", "/api/v1/members/{member_id}"): (
        lambda c, w: c.get(f"/api/v1/members/{w.full.pk}"),
        (200, 200, 200, 404),
    ),
    ("patch", "/api/v1/members/{member_id}"): (
        lambda c, w: _json(
            c,
            "patch",
            f"/api/v1/members/{w.full.pk}",
            {"version": Member.objects.get(pk=w.full.pk).version, "phone": "0900000001"},
        ),
        (200, 200, 200, 404),
    ),
    ("get", "/api/v1/members/{member_id}/events"): (
        lambda c, w: c.get(f"/api/v1/members/{w.full.pk}/events"),
        (200, 200, 200, 404),
    ),
    ("post", "/api/v1/members/{member_id}/events"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/members/{w.probationary.pk}/events",
            {
                "type": "recognized",
                "date": "2025-02-01",
                "document": "12-QĐ/ĐU",
                "votes_for": 3,
                "votes_against": 0,
                "full_members": 3,
            },
        ),
        (201, 201, 201, 404),
    ),
    ("get", "/api/v1/members/{member_id}/events/{event_id}"): (
        lambda c, w: c.get(f"/api/v1/members/{w.full.pk}/events/{w.event.pk}"),
        (200, 200, 200, 404),
    ),
    ("get", "/api/v1/reports/stats"): (
        lambda c, w: c.get(
            "/api/v1/reports/stats", {"unit": "K1", "from": "2024-01-01", "to": "2024-12-31"}
        ),
        (200, 200, 200, 404),
    ),
    ("get", "/api/v1/targets"): (
        lambda c, w: c.get("/api/v1/targets", {"unit": "K1"}),
        (200, 200, 200, 404),
    ),
    ("get", "/api/v1/units"): (
        lambda c, w: c.get("/api/v1/units", {"parent": "C1"}),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/units"): (
        lambda c, w: _json(
            c,
            "post",
            "/api/v1/units",
            {"code": "K7", "name": "Chi bộ 7", "kind": "grassroots_cell", "parent": "C1"},
        ),
        (201, 201, 404, 404),
    ),
    ("get", "/api/v1/units/{code}"): (
        lambda c, w: c.get("/api/v1/units/K1"),
        (200, 200, 200, 404),
    ),
    ("patch", "/api/v1/units/{code}"): (
        lambda c, w: _json(c, "patch", "/api/v1/units/K1", {"name": "Chi bộ Thôn Một mới"}),
        (200, 200, 403, 404),
    ),
    ("post", "/api/v1/units/{code}/merge"): (
        lambda c, w: _json(
            c, "post", "/api/v1/units/K1/merge", {"into": "K1B", "date": "2025-03-01"}
        ),
        (200, 200, 403, 404),
    ),
    ("post", "/api/v1/units/{code}/dissolve"): (
        lambda c, w: _json(c, "post", "/api/v1/units/K1B/dissolve", {"date": "2025-03-01"}),
        (200, 200, 404, 404),  # the clerk's scope is K1 alone
    ),
    ("post", "/api/v1/units/{code}/move"): (
        lambda c, w: _json(
            c, "post", "/api/v1/units/K1/move", {"parent": "C1B", "date": "2025-07-01"}
        ),
        (200, 200, 403, 404),
    ),
    # Cadres: C1B's committee term, the member's post in C1 (the clerk's scope is K1 alone).
    ("get", "/api/v1/terms"): (
        lambda c, w: c.get("/api/v1/terms", {"unit": "P1"}),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/terms"): (
        lambda c, w: _json(c, "post", "/api/v1/terms", {"unit": "K1", "start": "2021-01-01"}),
        (201, 201, 403, 404),
    ),
    ("post", "/api/v1/terms/{term_id}/close"): (
        lambda c, w: _json(
            c, "post", f"/api/v1/terms/{w.cadre_term.pk}/close", {"end": "2026-01-01"}
        ),
        (200, 200, 404, 404),
    ),
    ("get", "/api/v1/positions"): (
        lambda c, w: c.get("/api/v1/positions", {"unit": "K1", "as_of": "2024-01-01"}),
        (200, 200, 200, 404),
    ),
    ("get", "/api/v1/appointments"): (
        lambda c, w: c.get("/api/v1/appointments", {"unit": "P1", "as_of": "2024-01-01"}),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/appointments"): (
        lambda c, w: _json(
            c,
            "post",
            "/api/v1/appointments",
            {
                "how": "appointed",
                "unit": "K1",
                "position": "secretary",
                "member": w.full.pk,
                "started_on": "2020-02-20",  # before the warnings
                "outside_planning_text": "03-QĐ/TU",  # no planning in this world
            },
        ),
        (201, 201, 403, 404),
    ),
    ("get", "/api/v1/appointments/{appointment_id}"): (
        lambda c, w: c.get(f"/api/v1/appointments/{w.holding.pk}"),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/appointments/{appointment_id}/end"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/appointments/{w.holding.pk}/end",
            {"ended_on": "2025-01-01", "reason": "resigned"},
        ),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/appointments/{appointment_id}/void"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/appointments/{w.holding.pk}/void",
            {"reason": "Ghi nhầm người"},
        ),
        (200, 200, 404, 404),
    ),
    # Planning: K3's cadre planned for C1B's secretary; a confidence vote of C1 (the clerk's
    # scope, K1, sees neither unit).
    ("get", "/api/v1/planning"): (
        lambda c, w: c.get("/api/v1/planning", {"unit": "C1B", "as_of": "2024-01-01"}),
        (200, 200, 404, 404),
    ),
    ("get", "/api/v1/planning/structure"): (
        lambda c, w: c.get("/api/v1/planning/structure", {"unit": "C1B", "as_of": "2024-01-01"}),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/planning"): (
        lambda c, w: _json(
            c,
            "post",
            "/api/v1/planning",
            {
                "unit": "C1B",
                "term": w.cadre_term.pk,
                "position": "deputy_secretary",
                "member": w.cadre.pk,
                "added_on": "2022-01-10",
                "document_text": "02-QĐ/TU",
            },
        ),
        (201, 201, 404, 404),
    ),
    ("post", "/api/v1/planning/{entry_id}/remove"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/planning/{w.planning_entry.pk}/remove",
            {"removed_on": "2024-01-01", "reason": "other", "note": "Chuyển công tác"},
        ),
        (200, 200, 404, 404),
    ),
    # Rotation: P1's plan of 2023 (the clerk's K1 and the outsider see neither it nor P1).
    ("get", "/api/v1/rotations"): (
        lambda c, w: c.get("/api/v1/rotations", {"unit": "P1"}),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/rotations"): (
        lambda c, w: _json(
            c,
            "post",
            "/api/v1/rotations",
            {"unit": "P1", "year": 2024, "decided_on": "2024-01-05", "document_text": "05-QĐ/TU"},
        ),
        (201, 201, 404, 404),
    ),
    ("get", "/api/v1/rotations/{plan_id}"): (
        lambda c, w: c.get(f"/api/v1/rotations/{w.rotation_plan.pk}"),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/rotations/{plan_id}/stints"): (
        lambda c, w: _json(
            c,
            "post",
            f"/api/v1/rotations/{w.rotation_plan.pk}/stints",
            {
                "member": w.cadre.pk,
                "to_unit": "C1",
                "to_position": "committee_member",
                "planned_start": "2024-03-01",
            },
        ),
        (201, 201, 404, 404),
    ),
    ("post", "/api/v1/rotation-stints/{stint_id}/end"): (
        lambda c, w: _json(
            c, "post", f"/api/v1/rotation-stints/{w.stint.pk}/end", {"ended_on": "2024-01-31"}
        ),
        (200, 200, 404, 404),
    ),
    ("get", "/api/v1/confidence-votes"): (
        lambda c, w: c.get("/api/v1/confidence-votes", {"unit": "P1"}),
        (200, 200, 404, 404),
    ),
    ("post", "/api/v1/confidence-votes"): (
        lambda c, w: _json(
            c,
            "post",
            "/api/v1/confidence-votes",
            {
                "unit": "C1",
                "held_on": "2024-07-01",
                "summoned": 9,
                "present": 8,
                "results": [{"member": w.full.pk, "high": 5, "confidence": 2, "low": 1}],
            },
        ),
        (201, 201, 404, 404),
    ),
}


def test_every_operation_has_a_persona_case() -> None:
    schema = api.get_openapi_schema()
    operations = {(m, path) for path, ops in schema["paths"].items() for m in ops}
    assert operations == set(CASES)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", sorted(CASES), ids="{0[0]} {0[1]}".format)
def test_each_persona_gets_what_its_role_and_scope_allow(
    world: SimpleNamespace, operation: tuple[str, str], persona: str
) -> None:
    request, expected = CASES[operation]
    before = _counts()
    response = request(world.clients[persona], world)
    status = expected[PERSONAS.index(persona)]
    assert response.status_code == status, response.content
    if status in (403, 404):
        body = response.json()
        assert body["code"] in ("forbidden", "not_found", "import.not_allowed")
        assert _counts() == before  # a refusal writes nothing
    if persona == "outsider":
        text = response.content.decode("unicode_escape")
        assert not [s for s in SECRETS if s in text]
    if status == 201:
        assert response["Location"].startswith("/api/v1/")
        assert world.clients[persona].get(response["Location"]).status_code == 200


def _counts() -> tuple[int, int, int]:
    return (Member.objects.count(), OrgUnit.objects.count(), MemberEvent.objects.count())


def test_lists_never_include_another_subtrees_objects(world: SimpleNamespace) -> None:
    outsider = world.clients["outsider"]
    members = outsider.get("/api/v1/members", {"status": "all"}).json()["items"]
    assert [m["full_name"] for m in members] == ["Ngô Thị Ngoài"]
    assert outsider.get("/api/v1/members", {"q": "Đặng Đức Ước"}).json()["items"] == []
    units = outsider.get("/api/v1/units").json()["items"]
    assert {u["code"] for u in units} == {"P2", "C2", "K2"}
    assert outsider.get("/api/v1/units", {"q": "Thôn"}).json()["items"] == []
    entries = outsider.get("/api/v1/audit").json()["items"]
    paths = {OrgUnit.objects.get(code=c).path for c in ("P1", "P2")}
    p1_path = min(paths - {OrgUnit.objects.get(code="P2").path})
    assert entries and not [e for e in entries if e["unit_path"].startswith(p1_path)]
    # The clerk sees their cell's members only, and the national administrator everybody.
    clerk = world.clients["clerk"].get("/api/v1/members").json()["items"]
    assert {m["full_name"] for m in clerk} == {"Đặng Đức Ước", "Lê Văn Thử"}
    national = world.clients["national"].get("/api/v1/members", {"unit": "P2", "status": "all"})
    national = national.json()
    assert [m["full_name"] for m in national["items"]] == ["Ngô Thị Ngoài"]


def test_the_outsiders_import_refuses_the_row_naming_another_subtree(
    world: SimpleNamespace,
) -> None:
    job = _upload(world.clients["outsider"], "code,name,kind,parent_code\nK8,Chi bộ 8,cell,C1\n")
    body = world.clients["outsider"].get(job["Location"]).json()
    assert body["status"] == "refused", body
    # The same refusal as for a unit that does not exist: the file learns nothing.
    assert [e["code"] for e in body["report"]["errors"]] == ["import.unit_unknown"]
    assert not OrgUnit.objects.filter(code="K8").exists()
    assert "Xã Một" not in str(body)


def test_no_authentication_answers_401_in_the_shape_of_every_refusal(
    world: SimpleNamespace,
) -> None:
    response = Client().get(f"/api/v1/members/{world.full.pk}")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "unauthenticated"


# Inputs that once made the API fail or say too much ---------------------------------------------
def test_odd_inputs_get_refusals_in_the_shape_of_every_refusal(world: SimpleNamespace) -> None:
    organizer = world.clients["organizer"]
    assert organizer.get("/api/v1/members", {"q": " ", "unit": "P1"}).status_code == 200
    for cursor in ("WzAsIG51bGwsIDFd", "WzAsIDUsIDFd", "not-base64"):  # [0,null,1], [0,5,1]
        assert organizer.get("/api/v1/members", {"cursor": cursor}).status_code == 200
    member = Member.objects.get(pk=world.full.pk)
    response = _json(
        organizer,
        "patch",
        f"/api/v1/members/{member.pk}",
        {"version": member.version, "gender": None},
    )
    assert response.status_code == 422 and response.json()["field"] == "gender"
    long = {"type": "removed", "date": "2025-01-02", "reason": "x" * 256}
    response = _json(organizer, "post", f"/api/v1/members/{member.pk}/events", long)
    assert response.status_code == 422 and response.json()["field"] == "reason"
    response = organizer.post("/api/v1/units", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "bad_request"
    response = organizer.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    taken = {"code": "K1B", "name": "Again", "kind": "grassroots_cell", "parent": "C1"}
    response = _json(organizer, "post", "/api/v1/units", taken)
    assert response.status_code == 409 and response.json()["code"] == "unit.code_taken"


def test_a_write_without_credentials_is_401_and_a_session_write_needs_csrf(
    world: SimpleNamespace,
) -> None:
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/api/v1/units", {}, content_type="application/json")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    browser.force_login(get_user_model().objects.get(username="organizer"))
    assert browser.get("/api/v1/units/K1").status_code == 200
    response = browser.patch("/api/v1/units/K1", {"name": "X"}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert OrgUnit.objects.get(code="K1").name == "Chi bộ Thôn Một"


def test_the_address_limit_is_not_escaped_by_a_forwarded_for_header(
    world: SimpleNamespace, settings: Any
) -> None:
    settings.CADREBOOK_API_AUTH_FAILURES_PER_IP = "3/min"
    wrong = [
        Client(HTTP_AUTHORIZATION="Bearer cb_wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        for n in range(5)
    ]
    assert [c.get("/api/v1/units").status_code for c in wrong] == [401, 401, 401, 429, 429]


def test_masked_fields_cannot_be_found_by_filtering(
    world: SimpleNamespace, token_clients: Any
) -> None:
    viewer = token_clients([("viewer", Role.VIEWER, OrgUnit.objects.get(code="P1"))])["viewer"]
    response = viewer.get("/api/v1/members", {"born_before": "1991-01-01"})
    assert response.status_code == 403 and response.json()["code"] == "member.filter_masked"
    assert response.json()["field"] == "born_before"
    assert viewer.get("/api/v1/members", {"q": "001090030100"}).json()["items"] == []
    organizer = world.clients["organizer"]
    found = organizer.get("/api/v1/members", {"q": "001090030100"}).json()["items"]
    assert [m["full_name"] for m in found] == ["Đặng Đức Ước"]


def test_a_parent_out_of_the_callers_scope_reads_as_null(world: SimpleNamespace) -> None:
    assert world.clients["clerk"].get("/api/v1/units/K1").json()["parent"] is None
    assert world.clients["organizer"].get("/api/v1/units/K1").json()["parent"] == "C1"


def test_implausible_dates_and_unknown_filter_values_are_refused_not_failed(
    world: SimpleNamespace,
) -> None:
    national = world.clients["national"]
    # Near year 1 or 9999 a date-time cannot be moved into UTC: that was a 500.
    for since in ("0001-01-01T00:00:00", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"):
        response = national.get("/api/v1/audit", {"since": since})
        assert response.status_code == 422, since
        assert response.json()["code"] == "validation_error"
        assert response.json()["field"] == "since"
    merge = {"into": "C1", "date": "0001-01-01"}
    response = _json(national, "post", "/api/v1/units/C1B/merge", merge)
    assert response.status_code == 422 and response.json()["field"] == "date"
    assert OrgUnit.objects.get(code="C1B").dissolved_on is None
    response = national.get("/api/v1/members", {"status": "bogus"})
    assert response.status_code == 422 and response.json()["field"] == "status"
    response = national.get("/api/v1/units", {"kind": "bogus"})
    assert response.status_code == 422 and response.json()["code"] == "unit.kind_unknown"


def test_a_method_an_address_does_not_take_is_refused_in_the_one_shape(
    world: SimpleNamespace,
) -> None:
    response = world.clients["national"].delete("/api/v1/units/K1")
    assert response.status_code == 405
    assert response.json()["code"] == "not_allowed"
    assert "PATCH" in response["Allow"]
    assert OrgUnit.objects.filter(code="K1").exists()


def test_a_unit_code_that_addresses_could_not_reach_is_refused(world: SimpleNamespace) -> None:
    for code in ("X/2", "X 2", "X?2", "X#2", "X%2F"):
        body = {"code": code, "name": "Chi bộ", "kind": "grassroots_cell", "parent": "C1"}
        response = _json(world.clients["organizer"], "post", "/api/v1/units", body)
        assert response.status_code == 422, code
        assert response.json()["code"] == "unit.code_invalid" and response.json()["field"] == "code"
    assert not OrgUnit.objects.filter(code__startswith="X").exists()


def test_retry_after_says_the_time_left_in_the_window(
    world: SimpleNamespace, settings: Any, monkeypatch: Any
) -> None:
    from cadrebook.api import throttling

    settings.CADREBOOK_API_AUTH_FAILURES_PER_IP = "1/min"
    clock = [1_000_000.0]
    monkeypatch.setattr(throttling.time, "time", lambda: clock[0])
    wrong = Client(HTTP_AUTHORIZATION="Bearer cb_wrong")
    assert wrong.get("/api/v1/units").status_code == 401
    clock[0] += 40
    response = wrong.get("/api/v1/units")
    assert response.status_code == 429 and response["Retry-After"] == "20"
    assert response.json()["code"] == "rate_limited"


def test_a_change_between_the_read_and_the_write_answers_409_with_the_record(
    world: SimpleNamespace, monkeypatch: Any
) -> None:
    member = Member.objects.get(pk=world.full.pk)
    update = ms.member_update_personal

    def changed_meanwhile(**kwargs: Any) -> Any:
        # Another clerk's edit lands between the handler's version check and the service's.
        update(
            actor=None,
            member=Member.objects.get(pk=member.pk),
            version=member.version,
            phone="0900000000",
        )
        return update(**kwargs)

    monkeypatch.setattr(ms, "member_update_personal", changed_meanwhile)
    body = {"version": member.version, "occupation": "Giáo viên"}
    response = _json(world.clients["organizer"], "patch", f"/api/v1/members/{member.pk}", body)
    assert response.status_code == 409, response.content.decode()
    assert response.json()["code"] == "member.stale_version"
    assert response.json()["current"]["version"] == member.version + 1
    assert response.json()["current"]["full_name"] == "Đặng Đức Ước"
    current = Member.objects.get(pk=member.pk)
    assert (current.phone, current.occupation) == ("0900000000", member.occupation)


def test_text_no_record_can_store_is_refused_wherever_it_comes(world: SimpleNamespace) -> None:
    """A NUL (PostgreSQL refuses it in text) or half of a surrogate pair (no encoding holds
    it): a 422 naming the field, and nothing written, on either database."""
    organizer = world.clients["organizer"]
    member = Member.objects.get(pk=world.full.pk)
    members = Member.objects.count()
    events = member.events.count()
    attempts = [
        ("post", "/api/v1/members", {"unit": "K1", "full_name": "\ud800"}, "full_name"),
        ("patch", "/api/v1/units/K1", {"name": "Chi\x00bộ"}, "name"),
        ("patch", f"/api/v1/members/{member.pk}", {"version": 1, "phone": "09\udfff"}, "phone"),
        (
            "post",
            f"/api/v1/members/{member.pk}/events",
            {"type": "removed", "date": "2025-01-02", "reason": "a\x00"},
            "reason",
        ),
        ("post", "/api/v1/units", {"code\x00": "X"}, "code\x00"),
    ]
    for method, path, body, field in attempts:
        response = _json(organizer, method, path, body)
        assert response.status_code == 422, (path, response.content)
        assert response.json()["code"] == "value.invalid_character"
        assert response.json()["field"] == field
    for params, field in (({"q": "a\x00"}, "q"), ({"unit\x00": "P1"}, "unit\x00")):
        response = organizer.get("/api/v1/members", params)
        assert response.status_code == 422 and response.json()["field"] == field
    response = organizer.get("/api/v1/units/K%00")
    assert response.status_code == 422 and response.json()["field"] == "path"
    upload = SimpleUploadedFile("units.csv", b"code,name,kind\n", content_type="text/csv")
    response = organizer.post("/api/v1/imports", {"kind": "units", "file": upload, "sheet": "\x00"})
    assert response.status_code == 422 and response.json()["field"] == "sheet"
    assert OrgUnit.objects.get(code="K1").name == "Chi bộ Thôn Một"
    assert Member.objects.get(pk=member.pk).phone == member.phone
    assert member.events.count() == events
    assert Member.objects.count() == members  # nothing created


def test_a_lone_surrogate_escape_is_refused_whatever_type_the_json_body_declares(
    world: SimpleNamespace,
) -> None:
    """ninja reads every body but a form as JSON, whatever its Content-Type says: a lone
    surrogate escape (\\ud800) in any string of it, nested too, is the same 422
    `value.invalid_character` naming the field, on a member's creation and change alike."""
    organizer = world.clients["organizer"]
    member = Member.objects.get(pk=world.full.pk)
    members = Member.objects.count()
    bodies = [
        ("post", "/api/v1/members", b'{"unit": "K1", "full_name": "A\\ud800B"}', "full_name"),
        ("post", "/api/v1/members", b'{"unit": "K1", "sponsors": ["\\udc00"]}', "sponsors.0"),
        ("post", "/api/v1/members", b'{"unit": "K1", "x": {"y": ["\\udfff"]}}', "x.y.0"),
        (
            "patch",
            f"/api/v1/members/{member.pk}",
            b'{"version": %d, "gender": "\\ud800"}' % member.version,
            "gender",
        ),
        (
            "patch",
            f"/api/v1/members/{member.pk}",
            b'{"version": %d, "full_name": "B\\udbff"}' % member.version,
            "full_name",
        ),
    ]
    for method, path, body, field in bodies:
        for content_type in ("application/json", "text/plain", "", "application/x-json"):
            response = organizer.generic(method.upper(), path, body, content_type=content_type)
            assert response.status_code == 422, (path, content_type, response.content)
            refusal = response.json()
            assert (refusal["code"], refusal["field"]) == ("value.invalid_character", field), (
                path,
                content_type,
            )
    assert Member.objects.get(pk=member.pk).version == member.version
    assert Member.objects.count() == members  # nothing created


def test_a_search_text_too_long_to_be_a_name_is_refused_by_the_api_and_cut_by_the_web(
    world: SimpleNamespace,
) -> None:
    # SQLite ends LIKE patterns at 50,000 bytes: these were a 500.
    organizer = world.clients["organizer"]
    for path in ("/api/v1/members", "/api/v1/units"):
        response = organizer.get(path, {"q": "a" * 100_000})
        assert response.status_code == 422 and response.json()["field"] == "q", path
        assert organizer.get(path, {"q": "%" * 200}).status_code == 200, path
    browser = Client()
    browser.force_login(get_user_model().objects.get(username="organizer"))
    assert browser.get("/members/", {"q": "%" * 60_000}).status_code == 200
    assert browser.get("/units/K1/", {"q": "a" * 60_000}).status_code == 200


def test_head_is_answered_wherever_get_is(world: SimpleNamespace) -> None:
    national = world.clients["national"]
    got = national.get("/api/v1/units/K1")
    head = national.head("/api/v1/units/K1")
    assert head.status_code == 200 and head.content == b""
    assert head["Content-Type"] == got["Content-Type"]
    assert national.head("/api/v1/units/NOPE").status_code == 404
    not_get = national.delete("/api/v1/units/K1")
    assert "HEAD" in not_get["Allow"] and "GET" in not_get["Allow"]


def test_djangos_own_refusals_come_in_the_one_shape(world: SimpleNamespace) -> None:
    organizer = world.clients["organizer"]
    response = organizer.get("/api/v1/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = organizer.post(
        "/api/v1/imports", b"--x\r\n", content_type="multipart/form-data"
    )  # no boundary
    assert response.status_code == 400 and response.json()["code"] == "bad_request"


def test_upload_names_that_no_file_system_takes_are_stored_under_a_safe_name(
    world: SimpleNamespace,
) -> None:
    text = b"code,name,kind,parent_code\nK8,Chi b\xe1\xbb\x99 8,grassroots_cell,C1\n"
    for name in ("é" * 300 + ".csv", " ", "ü.csv"):
        upload = SimpleUploadedFile(name, text, content_type="text/csv")
        response = world.clients["organizer"].post(
            "/api/v1/imports", {"kind": "units", "file": upload}
        )
        assert response.status_code == 202, (name, response.content)
    upload = SimpleUploadedFile("units.csv", text, content_type="text/csv")
    response = world.clients["organizer"].post(
        "/api/v1/imports", {"kind": "units", "file": upload, "sheet": "s" * 101}
    )
    assert response.status_code == 422 and response.json()["code"] == "import.sheet_invalid"


def test_null_clears_only_the_fields_that_may_be_empty(world: SimpleNamespace) -> None:
    organizer = world.clients["organizer"]
    member = Member.objects.get(pk=world.full.pk)
    ms.member_update_personal(actor=None, member=member, version=member.version, phone="0912345678")
    member.refresh_from_db()
    path = f"/api/v1/members/{member.pk}"
    for field in ("phone", "ethnicity", "education_level", "full_name"):
        response = _json(organizer, "patch", path, {"version": member.version, field: None})
        assert response.status_code == 422 and response.json()["field"] == field, field
    assert Member.objects.get(pk=member.pk).phone == "0912345678"
    response = _json(organizer, "patch", path, {"version": member.version, "phone": ""})
    assert response.status_code == 200
    response = _json(organizer, "patch", path, {"version": member.version + 1, "national_id": None})
    assert response.status_code == 200
    after = Member.objects.get(pk=member.pk)
    assert (after.phone, after.national_id) == ("", None)


def test_cursors_this_api_did_not_give_never_reach_the_database(world: SimpleNamespace) -> None:
    national = world.clients["national"]
    events = f"/api/v1/members/{world.full.pk}/events"
    for cursor in ("2020-01-01~1_0", "2020-01-01~" + "9" * 40, "2020-01-01~-1"):
        response = national.get(events, {"cursor": cursor})
        assert response.status_code == 422 and response.json()["code"] == "cursor.invalid"
    import base64, json  # noqa: E401, I001 - only this test forges list cursors

    for forged in ([0, "a", 10**30], [0, "a\x00", 1]):
        cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
        response = national.get("/api/v1/members", {"cursor": cursor})
        assert response.status_code == 200  # an unreadable cursor starts the list over
    # Beyond a bigint: no entry is that new, so the first page (Django keeps the number
    # out of the query).
    assert national.get("/api/v1/audit", {"cursor": 10**30}).status_code == 200
    assert national.get(f"/api/v1/members/{10**30}").status_code == 404
