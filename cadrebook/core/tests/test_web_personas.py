"""Every named page of the browser against six personas: a visitor not signed in, the
national administrator, a province organizer, a cell clerk, a viewer (personal data masked)
and an outsider (the organizer of another province). The objects are in the first province.
The outsider gets 404 for every one of them, exactly like for an object that does not exist,
and never reads their names or numbers; the viewer never reads a masked value.

The addresses are read from the live URL resolver, so a new named page without a row in CASES
fails `test_every_named_url_has_a_persona_case` (the API has its own persona test,
`api/tests/test_personas.py`; Django's admin is checked to be for staff only, below)."""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant, token_create
from cadrebook.cadres import services as cadres
from cadrebook.core.models import AuditEntry
from cadrebook.documents.models import Document, DocumentFile, DocumentLink, Term
from cadrebook.documents.services import document_attach, document_register, term_create
from cadrebook.evaluations.models import Subject
from cadrebook.evaluations.services import round_open
from cadrebook.imports.models import ImportJob
from cadrebook.inspections.services import (
    Finding,
    appeal_lodge,
    discipline_decide,
    inspection_conclude,
    inspection_open,
    inspection_record_step,
    program_create,
    recommendation_add,
)
from cadrebook.members import services as ms
from cadrebook.members.actions import ACTIONS
from cadrebook.members.models import Member, MemberEvent
from cadrebook.members.unit_actions import UNIT_ACTIONS
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.services import unit_create
from cadrebook.reports.models import IssuedReport
from cadrebook.reports.services import report_issue

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "national", "organizer", "clerk", "viewer", "outsider"]
# What the outsider must never read: the first province's people, their numbers and places.
SECRETS = [
    "Đặng Đức Ước",
    "Lê Văn Thử",
    "Trần Thị Chuyển",
    "001090030100",
    "0912345678",
    "Tỉnh Một",
    "Xã Một",
    "Chi bộ Thôn Một",
]
# What the viewer must never read: the values its role sees masked.
MASKED = ["001090030100", "0912345678"]
LOGIN = 302  # a visitor not signed in is sent to the sign-in page
NOT_A_UNIT = "NO-SUCH-UNIT"
NOT_A_MEMBER = 10**9
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def _world(shared_world: Any) -> SimpleNamespace:
    """The world, built once for the module (see `shared_world` in conftest.py)."""
    world = _build_world()
    shared_world.freeze()
    return world


@pytest.fixture
def world(_world: SimpleNamespace, db: None) -> SimpleNamespace:
    """Each test's own copy of the world; its rows are rolled back after it."""
    return copy.deepcopy(_world)


def _build_world() -> SimpleNamespace:
    """P1 > C1 > K1 (three members, one on a transfer to K1B), K1B; P2 > C2 > K2 (one
    member). One user per persona; the organizer's import, API token and issued report."""
    p1 = unit_create(actor=None, code="P1", name="Tỉnh Một", kind="province_committee")
    c1 = unit_create(actor=None, code="C1", name="Xã Một", kind="commune_committee", parent=p1)
    k1 = unit_create(
        actor=None, code="K1", name="Chi bộ Thôn Một", kind="grassroots_cell", parent=c1
    )
    k1b = unit_create(
        actor=None, code="K1B", name="Chi bộ Thôn Hai", kind="grassroots_cell", parent=c1
    )
    p2 = unit_create(actor=None, code="P2", name="Tỉnh Hai", kind="province_committee")
    c2 = unit_create(actor=None, code="C2", name="Xã Hai", kind="commune_committee", parent=p2)
    k2 = unit_create(actor=None, code="K2", name="Chi bộ Khác", kind="grassroots_cell", parent=c2)
    full = _member(k1, "Đặng Đức Ước", national_id="001090030100", phone="0912345678")
    ms.member_recognize(taken_over=True, actor=None, member=full, date=dt.date(2020, 2, 1))
    probationary = _member(k1, "Lê Văn Thử")
    leaving = _member(k1, "Trần Thị Chuyển")
    ms.member_transfer_out(actor=None, member=leaving, date=dt.date(2025, 3, 3), to_unit=k1b)
    other = _member(k2, "Ngô Thị Ngoài")
    users = {}
    for name, role, unit in [
        ("national", Role.ADMINISTRATOR, None),
        ("organizer", Role.ORGANIZER, p1),
        ("clerk", Role.CLERK, k1),
        ("viewer", Role.VIEWER, c1),
        ("outsider", Role.ORGANIZER, p2),
    ]:
        users[name] = get_user_model().objects.create_user(username=name)
        role_grant(actor=None, user=users[name], role=role, unit=unit)
    organizer = users["organizer"]
    token, _raw = token_create(actor=organizer, user=organizer, name="portal")
    client = Client()
    client.force_login(organizer)
    upload = SimpleUploadedFile(
        "units.csv",
        "code,name,kind,parent_code\nK9,Chi bộ 9,cell,C1\nK8,Chi bộ 8,nope,C1\n".encode(),
    )
    response = client.post(reverse("imports:new"), {"kind": "units", "file": upload})
    assert response.status_code == 302, response.content.decode()
    client.logout()
    report = report_issue(
        actor=organizer,
        unit=k1,
        date_from=dt.date(2024, 1, 1),
        date_to=dt.date(2024, 12, 31),
        as_of=dt.date(2024, 12, 31),
        language="en",
        narrative="Chi bộ Thôn Một grew.",
        title="Báo cáo Chi bộ Thôn Một",
    )
    # K1's register: one document (its title names the cell) with its signed file.
    term = term_create(actor=None, unit=k1, start=dt.date(2020, 7, 1))
    document = document_register(
        actor=None,
        issuer=k1,
        type="resolution",
        term=term,
        date=dt.date(2024, 5, 2),
        title="Nghị quyết Chi bộ Thôn Một",
    )
    document_file = document_attach(
        actor=None,
        document=document,
        source=io.BytesIO(PDF),
        original_name="nq.pdf",
        content_type="application/pdf",
        kind="signed",
    )
    # C1's evaluation round of 2025: the members of K1 are rated in K1, which decides.
    round_ = round_open(
        actor=None,
        unit=c1,
        kind="yearly",
        year=2025,
        reference_date=dt.date(2025, 12, 15),
        self_assessment_until=dt.date(2025, 12, 20),
        proposals_until=dt.date(2025, 12, 25),
        decisions_until=dt.date(2025, 12, 31),
    )
    files = _inspection_files(users["national"], c1, k1, p1, probationary)
    posts = _cadre_files(users["national"], c1, k1, k1b, term, full)
    return SimpleNamespace(
        **files,
        **posts,
        users=users,
        round=round_,
        subject=Subject.objects.get(round=round_, member=full),
        units={u.code: u for u in (p1, c1, k1, k1b, p2, c2, k2)},
        term=term,
        document=document,
        document_file=document_file,
        full=full,
        probationary=probationary,
        leaving=leaving,
        other=other,
        event=full.events.order_by("id").first(),
        token=token,
        job=ImportJob.objects.get(),
        report=report,
    )


def _inspection_files(
    actor: Any, c1: OrgUnit, k1: OrgUnit, p1: OrgUnit, member: Member
) -> dict[str, Any]:
    """C1's inspection committee's files: its program of 2025, its inspection of K1 (concluded,
    a violation found) with a recommendation, and its warning to a member of K1 with the
    member's appeal pending before the province's committee."""
    term = term_create(actor=None, unit=c1, start=dt.date(2020, 7, 1))
    decision, conclusion = (
        document_register(
            actor=None, issuer=c1, type=type_, term=term, date=day, title="Kiểm tra Xã Một"
        )
        for type_, day in (("decision", dt.date(2025, 3, 1)), ("conclusion", dt.date(2025, 6, 1)))
    )
    program = program_create(
        actor=actor, body=c1, body_kind="inspection_committee", year=2025, title="CT 2025"
    )
    inspection = inspection_open(
        actor=actor,
        code="KT-W",
        body=c1,
        body_kind="inspection_committee",
        kind="thematic",
        decided_on=dt.date(2025, 3, 3),
        document=decision,
        subject_units=[k1],
    )
    for step, month in (("plan", 3), ("working", 4), ("report", 5)):
        inspection_record_step(
            actor=actor, inspection=inspection, step=step, done_on=dt.date(2025, month, 10)
        )
    inspection_conclude(
        actor=actor,
        inspection=inspection,
        concluded_on=dt.date(2025, 6, 2),
        document=conclusion,
        findings=[Finding(subject=inspection.subjects.get(), violation_found=False)],
    )
    recommendation = recommendation_add(
        actor=actor, inspection=inspection, text="Rà soát", owner_unit=k1
    )
    discipline = discipline_decide(
        actor=actor,
        subject_kind="member",
        member=member,
        form="warning",
        body=c1,
        body_kind="inspection_committee",
        decided_on=dt.date(2025, 3, 3),
        violation="Vi phạm",
        violation_on=dt.date(2024, 11, 1),
        votes={"warning": 5, "none": 2},
        voters_total=7,
    )
    appeal = appeal_lodge(
        actor=actor,
        discipline=discipline,
        lodged_on=dt.date(2025, 3, 20),
        received_on=dt.date(2025, 3, 5),
        body=p1,
        body_kind="committee",
    )
    return {
        "program": program,
        "inspection": inspection,
        "recommendation": recommendation,
        "discipline": discipline,
        "appeal": appeal,
    }


def _cadre_files(
    actor: Any, c1: OrgUnit, k1: OrgUnit, k1b: OrgUnit, k1_term: Term, full: Member
) -> dict[str, Any]:
    """The cadre work of C1's subtree: the full member of K1 elected its secretary in K1's
    term (2020-08-01), in the planning for C1's secretary in C1's term (2021-06-01); C1's
    rotation plan of 2023 moving them to K1B's secretary from 2023-02-01 (a stint running);
    a confidence vote of C1's body on them (2024-06-01)."""
    c1_term = Term.objects.get(unit=c1)
    holding = cadres.post_elect(
        actor=actor,
        member=full,
        unit=k1,
        position="secretary",
        term=k1_term,
        started_on=dt.date(2020, 8, 1),
        votes_for=5,
        votes_total=7,
        document_text="01-NQ/ĐH",
    )
    entry = cadres.planning_add(
        actor=actor,
        unit=c1,
        term=c1_term,
        position="secretary",
        member=full,
        added_on=dt.date(2021, 6, 1),
        document_text="01-QĐ/TU",
    )
    plan = cadres.rotation_plan_record(
        actor=actor, unit=c1, year=2023, decided_on=dt.date(2023, 1, 5), document_text="04-QĐ"
    )
    stint = cadres.rotation_stint_add(
        actor=actor,
        plan=plan,
        member=full,
        to_unit=k1b,
        to_position="secretary",
        planned_start=dt.date(2023, 2, 1),
    )
    vote = cadres.confidence_session_record(
        actor=actor,
        unit=c1,
        held_on=dt.date(2024, 6, 1),
        summoned=9,
        present=7,
        results=[{"member": full, "high": 4, "confidence": 2, "low": 1}],
        document_text="BB-01",
    )
    return {
        "holding": holding,
        "planning_entry": entry,
        "rotation_plan": plan,
        "stint": stint,
        "confidence_vote": vote,
    }


def _member(unit: OrgUnit, name: str, **personal: Any) -> Member:
    member = ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=unit,
        date=dt.date(2019, 1, 1),
        full_name=name,
        gender="male",
        birth_date=dt.date(1990, 3, 1),
        **personal,
    )
    ms.member_admit(taken_over=True, actor=None, member=member, date=dt.date(2019, 2, 1))
    return Member.objects.get(pk=member.pk)


W = SimpleNamespace
Statuses = tuple[int, int, int, int, int, int]  # in the order of PERSONAS


@dataclass(frozen=True)
class Case:
    """How to reach one named page from the world, and what each persona gets.

    `get` / `post`: the status of a GET and of a POST with an empty (or invalid) body, per
    persona; `post` None where the page takes no POST of its own. `missing`: the same address
    for an object that does not exist, which the outsider must get exactly like the hidden
    one. `public`: the page is for visitors not signed in too. `unit_names`: the page lists
    units by code and name to anybody signed in (they are not confidential: the unit lookup
    for transfers searches the whole tree), so only people's data is secret there."""

    url: Callable[[W], str]
    get: Statuses
    post: Statuses | None = None
    body: dict[str, str] = field(default_factory=dict)
    missing: Callable[[W], str] | None = None
    public: bool = False
    unit_names: bool = False


def _dossier(name: str, *args: Any) -> Callable[[W], str]:
    return lambda w: reverse(name, args=[w.full.pk, *args])


def _inspectors_list(name: str) -> Case:
    """A list of inspection files: refused to who reads no file anywhere."""
    return Case(lambda w: reverse(name), get=(LOGIN, 200, 403, 403, 403, 403))


def _for_body(name: str) -> Case:
    """A new record for C1 as the inspecting or deciding body."""
    return Case(
        lambda w: reverse(name, args=["C1"]),
        get=(LOGIN, 200, 403, 404, 403, 404),
        post=(LOGIN, 422, 403, 404, 403, 404),
        missing=lambda w: reverse(name, args=[NOT_A_UNIT]),
    )


def _inspectors_file(name: str, obj: str, *, form: bool) -> Case:
    """A page of the world's `obj` (an inspection file), a form when `form`: the
    inspectors', a missing page for everybody else."""
    return Case(
        lambda w: reverse(name, args=[getattr(w, obj).pk]),
        get=(LOGIN, 200, 404, 404, 404, 404),
        post=(LOGIN, 422, 404, 404, 404, 404) if form else None,
        missing=lambda w: reverse(name, args=[NOT_A_MEMBER]),
    )


def _scope_list(name: str) -> Case:
    """A list of the user's scope: everybody's own (the outsider's, its province's)."""
    return Case(lambda w: reverse(name), get=(LOGIN, 200, 200, 200, 200, 200))


def _cadres_page(name: str, arg: Callable[[W], Any], *, clerk: int) -> Case:
    """A form of cadre work on an object of the first province: the organizer's and the
    national administrator's (`manage_cadres`); refused (403) to the officers who only read
    there (the viewer of C1's subtree; the clerk, where the object is K1's), missing (404)
    to who does not see it (the clerk, where it is C1's; the outsider). An empty POST is
    shown back with its errors (422)."""
    return Case(
        lambda w: reverse(name, args=[arg(w)]),
        get=(LOGIN, 200, 200, clerk, 403, 404),
        post=(LOGIN, 422, 422, clerk, 403, 404),
        missing=lambda w: reverse(
            name, args=[NOT_A_UNIT if isinstance(arg(w), str) else NOT_A_MEMBER]
        ),
    )


CASES: dict[str, Case] = {
    "login": Case(
        lambda w: reverse("login"),
        get=(200, 200, 200, 200, 200, 200),
        post=(200, 200, 200, 200, 200, 200),  # the form again, with its errors
        public=True,
    ),
    "logout": Case(
        lambda w: reverse("logout"),
        get=(405, 405, 405, 405, 405, 405),  # signing out is a POST (no link can do it)
        post=(302, 302, 302, 302, 302, 302),
        public=True,
    ),
    "set_language": Case(
        lambda w: reverse("set_language"),
        get=(405, 405, 405, 405, 405, 405),
        post=(400, 400, 400, 400, 400, 400),  # no language named
        public=True,
    ),
    "accounts:tokens": Case(
        lambda w: reverse("accounts:tokens"),
        get=(LOGIN, 200, 200, 200, 200, 200),
        post=(LOGIN, 422, 422, 422, 422, 422),  # a token needs a name
        body={"create": "1"},
    ),
    "accounts:token_revoke": Case(
        lambda w: reverse("accounts:token_revoke", args=[w.token.pk]),
        # A token is its user's own: not even the national administrator revokes it here.
        get=(LOGIN, 404, 200, 404, 404, 404),
        post=(LOGIN, 404, 302, 404, 404, 404),
        missing=lambda w: reverse("accounts:token_revoke", args=[NOT_A_MEMBER]),
    ),
    # The second step of signing in: without a password given first, back to the first.
    "login_verify": Case(
        lambda w: reverse("login_verify"),
        get=(302, 302, 302, 302, 302, 302),
        post=(302, 302, 302, 302, 302, 302),
        public=True,
    ),
    # Password reset by e-mail: no mail server is configured in the tests, so no such page.
    "password_reset": Case(
        lambda w: reverse("password_reset"),
        get=(404, 404, 404, 404, 404, 404),
        post=(404, 404, 404, 404, 404, 404),
        public=True,
    ),
    "password_reset_done": Case(
        lambda w: reverse("password_reset_done"), get=(404, 404, 404, 404, 404, 404), public=True
    ),
    "password_reset_confirm": Case(
        lambda w: reverse("password_reset_confirm", args=["MQ", "set-password"]),
        get=(404, 404, 404, 404, 404, 404),
        post=(404, 404, 404, 404, 404, 404),
        public=True,
    ),
    "password_reset_complete": Case(
        lambda w: reverse("password_reset_complete"),
        get=(404, 404, 404, 404, 404, 404),
        public=True,
    ),
    "accounts:security": Case(
        lambda w: reverse("accounts:security"), get=(LOGIN, 200, 200, 200, 200, 200)
    ),
    "accounts:two_factor_enrol": Case(
        lambda w: reverse("accounts:two_factor_enrol"),
        get=(LOGIN, 200, 200, 200, 200, 200),
        post=(LOGIN, 422, 422, 422, 422, 422),  # no code
    ),
    "accounts:two_factor_disable": Case(
        # Nobody here has two-factor sign-in: back to the Security page.
        lambda w: reverse("accounts:two_factor_disable"),
        get=(LOGIN, 302, 302, 302, 302, 302),
        post=(LOGIN, 302, 302, 302, 302, 302),
    ),
    "accounts:backup_codes": Case(
        lambda w: reverse("accounts:backup_codes"),
        get=(LOGIN, 405, 405, 405, 405, 405),
        post=(LOGIN, 302, 302, 302, 302, 302),  # refused without an app: back, nothing made
    ),
    "accounts:password_change": Case(
        lambda w: reverse("accounts:password_change"),
        get=(LOGIN, 200, 200, 200, 200, 200),
        post=(LOGIN, 422, 422, 422, 422, 422),  # no password given
    ),
    "accounts:users": Case(
        lambda w: reverse("accounts:users"), get=(LOGIN, 200, 403, 403, 403, 403)
    ),
    "accounts:user_security": Case(
        lambda w: reverse("accounts:user_security", args=[w.users["clerk"].pk]),
        get=(LOGIN, 200, 403, 403, 403, 403),  # the administrator's page
        post=(LOGIN, 422, 403, 403, 403, 403),  # nothing asked
        missing=lambda w: reverse("accounts:user_security", args=[NOT_A_MEMBER]),
    ),
    "orgs:tree": Case(lambda w: reverse("orgs:tree"), get=(LOGIN, 200, 200, 200, 200, 200)),
    "orgs:lookup": Case(
        lambda w: reverse("orgs:lookup") + "?q=Thôn",
        get=(LOGIN, 200, 200, 200, 200, 200),
        unit_names=True,
    ),
    "orgs:detail": Case(
        lambda w: reverse("orgs:detail", args=["K1"]),
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("orgs:detail", args=[NOT_A_UNIT]),
    ),
    "orgs:children": Case(
        lambda w: reverse("orgs:children", args=["C1"]),
        get=(LOGIN, 200, 200, 404, 200, 404),  # the clerk's scope is K1 alone
        missing=lambda w: reverse("orgs:children", args=[NOT_A_UNIT]),
    ),
    "members:list": Case(
        lambda w: reverse("members:list") + "?unit=K1",
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("members:list") + f"?unit={NOT_A_UNIT}",
    ),
    "members:dossier": Case(
        _dossier("members:dossier"),
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("members:dossier", args=[NOT_A_MEMBER]),
    ),
    "members:edit": Case(
        _dossier("members:edit"),
        get=(LOGIN, 200, 200, 200, 403, 404),
        post=(LOGIN, 422, 422, 422, 403, 404),
        missing=lambda w: reverse("members:edit", args=[NOT_A_MEMBER]),
    ),
    "members:correct": Case(
        lambda w: reverse("members:correct", args=[w.full.pk, w.event.pk]),
        get=(LOGIN, 200, 200, 200, 403, 404),
        post=(LOGIN, 422, 422, 422, 403, 404),
        missing=lambda w: reverse("members:correct", args=[NOT_A_MEMBER, w.event.pk]),
    ),
    "members:action": Case(
        _dossier("members:action", "exempt"),
        get=(LOGIN, 200, 200, 200, 403, 404),
        post=(LOGIN, 422, 422, 422, 403, 404),
        missing=lambda w: reverse("members:action", args=[NOT_A_MEMBER, "exempt"]),
    ),
    "members:transfers": Case(
        lambda w: reverse("members:transfers", args=["K1"]),
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("members:transfers", args=[NOT_A_UNIT]),
    ),
    "members:register": Case(
        lambda w: reverse("members:register", args=["K1"]),
        get=(LOGIN, 200, 200, 200, 403, 404),
        post=(LOGIN, 422, 422, 422, 403, 404),
        missing=lambda w: reverse("members:register", args=[NOT_A_UNIT]),
    ),
    "members:sponsor_lookup": Case(
        # The outsider's search finds nobody: the people of another subtree are not theirs.
        lambda w: reverse("members:sponsor_lookup") + "?q=Đặng Đức",
        get=(LOGIN, 200, 200, 200, 200, 200),
    ),
    "members:unit_action": Case(
        lambda w: reverse("members:unit_action", args=["K1B", "rename"]),
        get=(LOGIN, 200, 200, 404, 403, 404),  # the clerk's scope is K1 alone
        post=(LOGIN, 422, 422, 404, 403, 404),
        missing=lambda w: reverse("members:unit_action", args=[NOT_A_UNIT, "rename"]),
    ),
    "documents:register": Case(
        lambda w: reverse("documents:register") + "?unit=K1",
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("documents:register") + f"?unit={NOT_A_UNIT}",
    ),
    "documents:register_pdf": Case(
        lambda w: reverse("documents:register_pdf", args=["K1"]),
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("documents:register_pdf", args=[NOT_A_UNIT]),
    ),
    "documents:new": Case(
        lambda w: reverse("documents:new", args=["K1"]),
        get=(LOGIN, 200, 200, 200, 403, 404),  # the viewer does not issue documents
        post=(LOGIN, 422, 422, 422, 403, 404),
        missing=lambda w: reverse("documents:new", args=[NOT_A_UNIT]),
    ),
    "documents:next_number": Case(
        lambda w: (
            reverse("documents:next_number", args=["K1"]) + f"?type=resolution&term={w.term.pk}"
        ),
        get=(LOGIN, 200, 200, 200, 403, 404),
        missing=lambda w: reverse("documents:next_number", args=[NOT_A_UNIT]),
    ),
    "documents:terms": Case(
        lambda w: reverse("documents:terms", args=["K1"]),
        get=(LOGIN, 200, 200, 200, 200, 404),  # the viewer sees the terms, no buttons
        missing=lambda w: reverse("documents:terms", args=[NOT_A_UNIT]),
    ),
    "documents:term_new": Case(
        lambda w: reverse("documents:term_new", args=["K1"]),
        get=(LOGIN, 200, 200, 200, 403, 404),
        post=(LOGIN, 422, 422, 422, 403, 404),  # inside K1's running term: an overlap
        body={"start": "2021-01-01"},
        missing=lambda w: reverse("documents:term_new", args=[NOT_A_UNIT]),
    ),
    "documents:term_close": Case(
        lambda w: reverse("documents:term_close", args=["K1", w.term.pk]),
        get=(LOGIN, 200, 200, 200, 403, 404),
        # Accepted, so shown back to be confirmed (200): nothing is closed before that.
        post=(LOGIN, 200, 200, 200, 403, 404),
        body={"end": "2025-01-01"},
        missing=lambda w: reverse("documents:term_close", args=[NOT_A_UNIT, w.term.pk]),
    ),
    "documents:detail": Case(
        lambda w: reverse("documents:detail", args=[w.document.pk]),
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("documents:detail", args=[NOT_A_MEMBER]),
    ),
    "documents:link": Case(
        lambda w: reverse("documents:link", args=[w.document.pk]),
        get=(LOGIN, 405, 405, 405, 405, 405),
        post=(LOGIN, 422, 422, 422, 403, 404),  # nothing named
        missing=lambda w: reverse("documents:link", args=[NOT_A_MEMBER]),
    ),
    "documents:upload": Case(
        lambda w: reverse("documents:upload", args=[w.document.pk]),
        get=(LOGIN, 405, 405, 405, 405, 405),
        post=(LOGIN, 422, 422, 422, 403, 404),  # no file
        missing=lambda w: reverse("documents:upload", args=[NOT_A_MEMBER]),
    ),
    "documents:status": Case(
        lambda w: reverse("documents:status", args=[w.document.pk]),
        get=(LOGIN, 405, 405, 405, 405, 405),
        post=(LOGIN, 422, 422, 422, 403, 404),  # no status
        missing=lambda w: reverse("documents:status", args=[NOT_A_MEMBER]),
    ),
    "documents:download": Case(
        lambda w: reverse("documents:download", args=[w.document.pk, w.document_file.pk]),
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("documents:download", args=[w.document.pk, NOT_A_MEMBER]),
    ),
    "core:audit_unit": Case(
        # The clerk and the viewer see K1 but may not read its log: 403, as in the API.
        lambda w: reverse("core:audit_unit", args=["K1"]),
        get=(LOGIN, 200, 200, 403, 403, 404),
        missing=lambda w: reverse("core:audit_unit", args=[NOT_A_UNIT]),
    ),
    "core:audit_object": Case(
        lambda w: reverse("core:audit_object", args=["members.member", w.full.pk]),
        get=(LOGIN, 200, 200, 403, 403, 404),
        missing=lambda w: reverse("core:audit_object", args=["members.member", NOT_A_MEMBER]),
    ),
    "imports:list": Case(lambda w: reverse("imports:list"), get=(LOGIN, 200, 200, 200, 200, 200)),
    "imports:new": Case(
        lambda w: reverse("imports:new"),
        get=(LOGIN, 200, 200, 200, 200, 200),
        post=(LOGIN, 400, 400, 400, 400, 400),  # no file
    ),
    "imports:export": Case(
        # A unit out of reach is refused in the words used for a unit that does not exist.
        lambda w: reverse("imports:export") + "?kind=members&format=csv&unit=K1",
        get=(LOGIN, 200, 200, 200, 200, 200),
        missing=lambda w: reverse("imports:export") + f"?kind=members&format=csv&unit={NOT_A_UNIT}",
    ),
    "imports:template": Case(
        lambda w: reverse("imports:template", args=["members", "csv"]),
        get=(LOGIN, 200, 200, 200, 200, 200),
    ),
    # An upload is its uploader's (it holds personal data): 404 to everybody else.
    "imports:detail": Case(
        lambda w: reverse("imports:detail", args=[w.job.pk]),
        get=(LOGIN, 404, 200, 404, 404, 404),
        missing=lambda w: reverse("imports:detail", args=[_no_job()]),
    ),
    "imports:progress": Case(
        lambda w: reverse("imports:progress", args=[w.job.pk]),
        get=(LOGIN, 404, 200, 404, 404, 404),
        missing=lambda w: reverse("imports:progress", args=[_no_job()]),
    ),
    "imports:commit": Case(
        lambda w: reverse("imports:commit", args=[w.job.pk]),
        get=(LOGIN, 405, 405, 405, 405, 405),
        post=(LOGIN, 404, 302, 404, 404, 404),
        missing=lambda w: reverse("imports:commit", args=[_no_job()]),
    ),
    "imports:cancel": Case(
        lambda w: reverse("imports:cancel", args=[w.job.pk]),
        get=(LOGIN, 405, 405, 405, 405, 405),
        post=(LOGIN, 404, 302, 404, 404, 404),
        missing=lambda w: reverse("imports:cancel", args=[_no_job()]),
    ),
    "imports:report": Case(
        lambda w: reverse("imports:report", args=[w.job.pk]),
        get=(LOGIN, 404, 200, 404, 404, 404),
        missing=lambda w: reverse("imports:report", args=[_no_job()]),
    ),
    "evaluations:targets": Case(
        lambda w: reverse("evaluations:targets") + "?year=2024",
        get=(LOGIN, 200, 200, 200, 200, 200),
    ),
    "evaluations:target_edit": Case(
        lambda w: reverse("evaluations:target_edit", args=["K1"]),
        get=(LOGIN, 200, 200, 403, 403, 404),  # setting targets is managing units
        post=(LOGIN, 422, 422, 403, 403, 404),
        missing=lambda w: reverse("evaluations:target_edit", args=[NOT_A_UNIT]),
    ),
    "evaluations:rounds": Case(
        lambda w: reverse("evaluations:rounds"), get=(LOGIN, 200, 200, 200, 200, 200)
    ),
    "evaluations:round_open": Case(
        lambda w: reverse("evaluations:round_open", args=["C1"]),
        get=(LOGIN, 200, 200, 404, 403, 404),  # the clerk's scope is K1 alone
        post=(LOGIN, 422, 422, 404, 403, 404),
        missing=lambda w: reverse("evaluations:round_open", args=[NOT_A_UNIT]),
    ),
    "evaluations:models": Case(
        lambda w: reverse("evaluations:models", args=["K1"]) + "?year=2025",
        get=(LOGIN, 200, 200, 200, 200, 404),
        post=(LOGIN, 422, 422, 403, 403, 404),  # no step named; the clerk may not record
        missing=lambda w: reverse("evaluations:models", args=[NOT_A_UNIT]),
    ),
    "evaluations:round": Case(
        # The clerk of K1 works in C1's round: K1's part of it.
        lambda w: reverse("evaluations:round", args=[w.round.pk]),
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("evaluations:round", args=[NOT_A_MEMBER]),
    ),
    "evaluations:round_close": Case(
        lambda w: reverse("evaluations:round_close", args=[w.round.pk]),
        get=(LOGIN, 200, 200, 403, 403, 404),
        post=(LOGIN, 422, 422, 403, 403, 404),  # refused: nobody is decided yet
        missing=lambda w: reverse("evaluations:round_close", args=[NOT_A_MEMBER]),
    ),
    "evaluations:round_outstanding": Case(
        lambda w: reverse("evaluations:round_outstanding", args=[w.round.pk]),
        get=(LOGIN, 200, 200, 403, 403, 404),
        post=(LOGIN, 422, 422, 403, 403, 404),  # no unit named
        missing=lambda w: reverse("evaluations:round_outstanding", args=[NOT_A_MEMBER]),
    ),
    "evaluations:round_timetable": Case(
        lambda w: reverse("evaluations:round_timetable", args=[w.round.pk]),
        get=(LOGIN, 200, 200, 403, 403, 404),
        post=(LOGIN, 422, 422, 403, 403, 404),  # no dates given
        missing=lambda w: reverse("evaluations:round_timetable", args=[NOT_A_MEMBER]),
    ),
    "evaluations:subject": Case(
        lambda w: reverse("evaluations:subject", args=[w.subject.pk]),
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("evaluations:subject", args=[NOT_A_MEMBER]),
    ),
    "evaluations:subject_mark": Case(
        lambda w: reverse("evaluations:subject_mark", args=[w.subject.pk]),
        get=(LOGIN, 200, 200, 403, 403, 404),
        post=(LOGIN, 422, 422, 403, 403, 404),  # no framework nor group given
        missing=lambda w: reverse("evaluations:subject_mark", args=[NOT_A_MEMBER]),
    ),
    "evaluations:subject_assess": Case(
        lambda w: reverse("evaluations:subject_assess", args=[w.subject.pk]),
        get=(LOGIN, 200, 200, 200, 403, 404),
        post=(LOGIN, 422, 422, 422, 403, 404),  # no scores
        missing=lambda w: reverse("evaluations:subject_assess", args=[NOT_A_MEMBER]),
    ),
    "evaluations:subject_propose": Case(
        lambda w: reverse("evaluations:subject_propose", args=[w.subject.pk]),
        get=(LOGIN, 200, 200, 200, 403, 404),
        post=(LOGIN, 422, 422, 422, 403, 404),
        missing=lambda w: reverse("evaluations:subject_propose", args=[NOT_A_MEMBER]),
    ),
    "evaluations:subject_decide": Case(
        # K1, a grassroots cell, decides its members' levels; a decision is the committee
        # office's (`decide_evaluations`): its clerk records self-assessments and proposals.
        lambda w: reverse("evaluations:subject_decide", args=[w.subject.pk]),
        get=(LOGIN, 200, 200, 403, 403, 404),
        post=(LOGIN, 422, 422, 403, 403, 404),
        missing=lambda w: reverse("evaluations:subject_decide", args=[NOT_A_MEMBER]),
    ),
    "evaluations:subject_reconsider": Case(
        lambda w: reverse("evaluations:subject_reconsider", args=[w.subject.pk]),
        get=(LOGIN, 200, 200, 403, 403, 404),
        post=(LOGIN, 422, 422, 403, 403, 404),
        missing=lambda w: reverse("evaluations:subject_reconsider", args=[NOT_A_MEMBER]),
    ),
    # Inspection and discipline: the files are the inspectors' (`view_inspections`; here the
    # national administrator alone): the others are refused the lists (they read no file
    # anywhere) and meet each file as a missing one.
    **{
        name: _inspectors_list(name)
        for name in (
            "inspections:worklists",
            "inspections:inspections",
            "inspections:programs",
            "inspections:disciplines",
        )
    },
    # Recording for a body: the unit must be seen (404: the clerk does not see C1), then the
    # action held there (403).
    **{
        name: _for_body(name)
        for name in (
            "inspections:inspection_new",
            "inspections:program_new",
            "inspections:discipline_new",
        )
    },
    **{
        name: _inspectors_file(name, obj, form=form)
        for name, obj, form in (
            ("inspections:inspection", "inspection", False),
            ("inspections:inspection_step", "inspection", True),
            ("inspections:subject_new", "inspection", True),
            ("inspections:subject_lookup", "inspection", False),
            ("inspections:conclusion", "inspection", True),
            ("inspections:recommendation_new", "inspection", True),
            ("inspections:follow_up_new", "recommendation", True),
            ("inspections:program", "program", False),
            ("inspections:item_new", "program", True),
            ("inspections:discipline", "discipline", False),
            ("inspections:appeal_new", "discipline", True),
            ("inspections:appeal_decision", "appeal", True),
        )
    },
    # Cadre work (`cadres`): K1's posts (its secretary elected in K1's term), where the clerk
    # of K1 reads but manages nothing (`manage_cadres` is the organizer's and the national
    # administrator's), nor does the viewer of C1; the outsider meets each as a missing one.
    "cadres:worklists": Case(
        # What to act on where the user manages cadres: the outsider has its own (empty).
        lambda w: reverse("cadres:worklists"),
        get=(LOGIN, 200, 200, 403, 403, 200),
    ),
    "cadres:unit": Case(
        lambda w: reverse("cadres:unit", args=["K1"]),
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("cadres:unit", args=[NOT_A_UNIT]),
    ),
    **{
        name: _cadres_page(name, lambda w: "K1", clerk=403)
        for name in ("cadres:term_open", "cadres:term_close", "cadres:elect", "cadres:appoint")
    },
    "cadres:member_lookup": Case(
        # The lookup of the members a post may be given to: for who records posts only.
        lambda w: reverse("cadres:member_lookup", args=["K1"]) + "?member=Đặng",
        get=(LOGIN, 200, 200, 403, 403, 404),
        missing=lambda w: reverse("cadres:member_lookup", args=[NOT_A_UNIT]) + "?member=Đặng",
    ),
    "cadres:holding": Case(
        lambda w: reverse("cadres:holding", args=[w.holding.pk]),
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("cadres:holding", args=[NOT_A_MEMBER]),
    ),
    **{
        name: _cadres_page(name, lambda w: w.holding.pk, clerk=403)
        for name in ("cadres:holding_end", "cadres:holding_void")
    },
    "cadres:person": Case(
        lambda w: reverse("cadres:person", args=[w.full.pk]),
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("cadres:person", args=[NOT_A_MEMBER]),
    ),
    # Planning, confidence votes, rotation (`cadres_planning`): C1's planning (K1's secretary
    # in it for C1's secretary), C1's confidence vote and C1's rotation plan with its stint.
    # The clerk of K1 does not see C1's; the viewer of C1 reads them and manages nothing.
    "cadres_planning:home": Case(
        # To the unit's planning, for who sees the unit.
        lambda w: reverse("cadres_planning:home") + "?unit=C1",
        get=(LOGIN, 302, 302, 404, 302, 404),
        missing=lambda w: reverse("cadres_planning:home") + f"?unit={NOT_A_UNIT}",
    ),
    # The lists of the user's scope: the outsider reads its own province's.
    **{
        name: _scope_list(name)
        for name in (
            "cadres_planning:structure",
            "cadres_planning:confidence",
            "cadres_planning:rotation",
        )
    },
    "cadres_planning:unit": Case(
        lambda w: reverse("cadres_planning:unit", args=["C1"]),
        get=(LOGIN, 200, 200, 404, 200, 404),
        missing=lambda w: reverse("cadres_planning:unit", args=[NOT_A_UNIT]),
    ),
    **{
        name: _cadres_page(name, lambda w: "C1", clerk=404)
        for name in (
            "cadres_planning:round_new",
            "cadres_planning:add",
            "cadres_planning:review_new",
            "cadres_planning:confidence_new",
            "cadres_planning:rotation_plan_new",
        )
    },
    "cadres_planning:remove": _cadres_page(
        "cadres_planning:remove", lambda w: w.planning_entry.pk, clerk=404
    ),
    "cadres_planning:rotation_plan": Case(
        lambda w: reverse("cadres_planning:rotation_plan", args=[w.rotation_plan.pk]),
        get=(LOGIN, 200, 200, 404, 200, 404),
        missing=lambda w: reverse("cadres_planning:rotation_plan", args=[NOT_A_MEMBER]),
    ),
    "cadres_planning:stint_new": _cadres_page(
        "cadres_planning:stint_new", lambda w: w.rotation_plan.pk, clerk=404
    ),
    "cadres_planning:stint_end": _cadres_page(
        "cadres_planning:stint_end", lambda w: w.stint.pk, clerk=404
    ),
    "reports:dashboard": Case(
        lambda w: reverse("reports:dashboard") + "?unit=K1&year=2024",
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("reports:dashboard") + f"?unit={NOT_A_UNIT}&year=2024",
    ),
    "reports:compose": Case(
        lambda w: reverse("reports:compose") + "?unit=K1&year=2024&language=en",
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("reports:compose") + f"?unit={NOT_A_UNIT}&year=2024&language=en",
    ),
    "reports:draft_pdf": Case(
        lambda w: reverse("reports:draft_pdf"),
        get=(LOGIN, 405, 405, 405, 405, 405),
        post=(LOGIN, 400, 400, 400, 400, 400),
    ),
    "reports:issue": Case(
        lambda w: reverse("reports:issue"),
        get=(LOGIN, 405, 405, 405, 405, 405),
        post=(LOGIN, 400, 400, 400, 400, 400),
    ),
    "reports:issued_list": Case(
        lambda w: reverse("reports:issued_list"), get=(LOGIN, 200, 200, 200, 200, 200)
    ),
    "reports:issued_detail": Case(
        lambda w: reverse("reports:issued_detail", args=[w.report.pk]),
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("reports:issued_detail", args=[NOT_A_MEMBER]),
    ),
    "reports:issued_download": Case(
        lambda w: reverse("reports:issued_download", args=[w.report.pk, "xlsx"]),
        get=(LOGIN, 200, 200, 200, 200, 404),
        missing=lambda w: reverse("reports:issued_download", args=[NOT_A_MEMBER, "xlsx"]),
    ),
}


def _no_job() -> str:
    return "00000000-0000-4000-8000-000000000000"


def named_urls() -> Iterator[tuple[str, str]]:
    """(name, route) of every named pattern of the site, namespaces included."""

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[tuple[str, str]]:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(n for n in (namespace, pattern.namespace or "") if n)
                yield from walk(pattern, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                yield name, prefix + str(pattern.pattern)

    yield from walk(get_resolver(), "", "")


def _is_api(route: str) -> bool:
    return route.startswith("api/")  # every operation has its case in api/tests


def _is_admin(name: str) -> bool:
    return name.startswith("admin:")


def test_every_named_url_has_a_persona_case() -> None:
    pages = {n for n, route in named_urls() if not _is_api(route) and not _is_admin(n)}
    assert "members:dossier" in pages and "reports:issued_download" in pages
    assert not pages - set(CASES), (
        f"named pages without a persona case: {sorted(pages - set(CASES))}"
    )
    assert not set(CASES) - pages, f"cases for pages that no longer exist: {set(CASES) - pages}"


def _client(world: W, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(world.users[persona])
    return client


def _check(response: Any, persona: str, status: int, case: Case, what: str) -> None:
    assert response.status_code == status, (what, persona, response.content[:2000])
    if persona == "anonymous" and status == LOGIN and not case.public:
        assert response["Location"].startswith(reverse("login")), what
    text = _text(response)
    if persona == "outsider":
        secrets = SECRETS if not case.unit_names else [s for s in SECRETS if "Một" not in s]
        assert not [s for s in secrets if s in text], (what, text[:2000])
    if persona == "viewer":
        assert not [s for s in MASKED if s in text], (what, text[:2000])


def _text(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_persona_gets_what_its_role_and_scope_allow(world: W, name: str) -> None:
    case = CASES[name]
    url = case.url(world)
    for persona, status in zip(PERSONAS, case.get, strict=True):
        _check(_client(world, persona).get(url), persona, status, case, f"GET {url}")
    if case.missing is not None:
        hidden = _client(world, "outsider").get(url)
        missing = _client(world, "outsider").get(case.missing(world))
        assert hidden.status_code == missing.status_code, "hidden and missing differ"
        if name == "imports:export":  # a form refusal: the same words for both
            assert _form_errors(hidden) == _form_errors(missing) != []
    if case.post is None:
        return
    # Refusals first: what they must not change is then still there for the one who may.
    order = sorted(zip(PERSONAS, case.post, strict=True), key=lambda p: p[1] < 400)
    for persona, status in order:
        client = _client(world, persona)  # signing in is audited: before the count
        before = _counts()
        response = client.post(url, case.body)
        _check(response, persona, status, case, f"POST {url}")
        # A refusal writes nothing; nor does a form shown back (200: its errors, or the
        # answers to confirm).
        if status >= 400 or status == 200 or status == LOGIN and persona == "anonymous":
            assert _counts() == before, (persona, "a refusal or a question wrote something")


def _form_errors(response: Any) -> list[str]:
    return re.findall(r'class="invalid-feedback[^"]*"[^>]*>([^<]*)<', _text(response))


def _counts() -> tuple[int, ...]:
    return (
        Member.objects.count(),
        MemberEvent.objects.count(),
        OrgUnit.objects.count(),
        IssuedReport.objects.count(),
        ImportJob.objects.exclude(status="cancelled").count(),
        Document.objects.count(),
        DocumentLink.objects.count(),
        DocumentFile.objects.count(),
        sum(d.statuses.count() for d in Document.objects.all()),
        Term.objects.count(),
        Term.objects.filter(end__isnull=False).count(),
        # A wrong password, at sign-in or on the Security page, is audited on purpose (and
        # counted by the lockout): a failed authentication, not a record written.
        AuditEntry.objects.exclude(action__in=("view", "export"))
        .exclude(event_type="auth.sign_in_failed")
        .count(),
    )


def test_the_outsider_sees_only_its_own_subtree_in_every_list(world: W) -> None:
    outsider = _client(world, "outsider")
    tree = _text(outsider.get(reverse("orgs:tree")))
    assert "Tỉnh Hai" in tree and "Tỉnh Một" not in tree
    members = _text(outsider.get(reverse("members:list")))
    assert "Ngô Thị Ngoài" in members and "Đặng Đức Ước" not in members
    # The sponsor search the clerk finds him with finds nobody for the outsider.
    search = (reverse("members:sponsor_lookup"), {"q": "Đặng Đức"})
    assert "Đặng Đức Ước" in _text(_client(world, "clerk").get(*search))
    assert "Đặng Đức Ước" not in _text(outsider.get(*search))


# Every lifecycle action and every restructuring, not only the one CASES names: the
# outsider gets 404 for each, and an officer who may see but not change gets 403.
def test_every_member_action_is_out_of_reach_of_the_outsider_and_the_viewer(world: W) -> None:
    outsider, viewer = _client(world, "outsider"), _client(world, "viewer")
    events = MemberEvent.objects.count()
    for name, action in sorted(ACTIONS.items()):
        for member in (world.full, world.leaving):
            url = reverse("members:action", args=[member.pk, name])
            assert outsider.get(url).status_code == 404, url
            assert outsider.post(url, {}).status_code == 404, url
            # The receiving side of a transfer is found among the officer's incoming members.
            assert viewer.get(url).status_code == (404 if action.receiving else 403), url
    unknown = reverse("members:action", args=[world.full.pk, "no-such-action"])
    assert _client(world, "clerk").get(unknown).status_code == 404
    assert MemberEvent.objects.count() == events


def test_every_restructuring_is_out_of_reach_of_the_outsider_and_the_clerk(world: W) -> None:
    outsider, clerk = _client(world, "outsider"), _client(world, "clerk")
    for name in sorted(UNIT_ACTIONS):
        url = reverse("members:unit_action", args=["K1", name])
        assert outsider.get(url).status_code == 404, url
        assert outsider.post(url, {}).status_code == 404, url
        assert clerk.get(url).status_code == 403, url  # K1 is the clerk's to see, not manage
    assert OrgUnit.objects.get(code="K1").name == "Chi bộ Thôn Một"


# Django's admin: for staff only, whoever holds a role. ---------------------------------------
def _admin_kwargs(route: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", route):
        kwargs[name] = 1 if converter == "int" else "1"
    if "app_label" in route:
        kwargs["app_label"] = "members"
    return kwargs


def _admin_urls() -> list[tuple[str, str]]:
    return sorted((n, r) for n, r in named_urls() if _is_admin(n) and n != "admin:login")


def test_the_admin_is_for_staff_only(world: W) -> None:
    urls = [reverse(n, kwargs=_admin_kwargs(r)) for n, r in _admin_urls()]
    assert len(urls) > 20 and reverse("admin:members_member_changelist") in urls
    # Signing out of the admin goes to its index first, which sends to its sign-in page.
    login = (reverse("admin:login"), reverse("admin:index"))
    for persona in PERSONAS:
        client = _client(world, persona)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302, (persona, url)
            assert response["Location"].startswith(login), (persona, url)
    staff = get_user_model().objects.create_superuser(username="root", password=None)
    client = Client()
    client.force_login(staff)
    assert client.get(reverse("admin:members_member_changelist")).status_code == 200
