"""The round's actions besides the subject's steps, in the browser and the API: changing the
timetable (the committee that opened it, the earlier dates kept and shown, steps after their
deadline listed as late), marking a subject's case, and the model organizations'
registration and recognition; 404 outside the scope, 403 without the action, a refusal on
its field with nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.core.models import AuditEntry
from cadrebook.evaluations import services as ev
from cadrebook.evaluations.models import Decision, ModelRecord, Round, Subject, TimetableChange

D = dt.date
BIRTH = D(1985, 3, 1)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _user(name: str, role: str, unit: Any) -> Any:
    user = get_user_model().objects.create_user(username=name)
    role_grant(actor=None, user=user, role=role, unit=unit)
    return user


@pytest.fixture
def w(tree, organizer, docs, k1_members, token_clients, settings) -> SimpleNamespace:
    settings.CADREBOOK_API_WRITES_PER_TOKEN = "10000/min"
    settings.CADREBOOK_API_WRITES_PER_IP = "10000/min"
    round_ = ev.round_open(
        actor=organizer,
        unit=tree.C1,
        kind="yearly",
        year=2025,
        reference_date=D(2025, 12, 15),
        self_assessment_until=D(2025, 12, 20),
        proposals_until=D(2025, 12, 25),
        decisions_until=D(2025, 12, 31),
    )
    api = token_clients(
        [
            ("p_organizer", Role.ORGANIZER, tree.P),
            ("k1_clerk", Role.CLERK, tree.K1),
            ("g1_viewer", Role.VIEWER, tree.G1),
            ("c2_organizer", Role.ORGANIZER, tree.C2),
        ]
    )
    return SimpleNamespace(
        tree=tree,
        docs=docs,
        round=round_,
        actor=organizer,
        member=Subject.objects.get(round=round_, member=k1_members[0]),
        office=_client(organizer),
        secretary=_client(_user("k1-secretary", "clerk", tree.K1)),
        outsider=_client(_user("c2-organizer", "organizer", tree.C2)),
        api=api,
    )


def _api(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/evaluations{path}", body, content_type="application/json")


def _count() -> tuple[int, int]:
    return TimetableChange.objects.count(), AuditEntry.objects.count()


# The timetable ------------------------------------------------------------------------------

NEW_DATES = {
    "self_assessment_until": "2025-12-20",
    "proposals_until": "2025-12-28",
    "decisions_until": "2026-01-10",
}


def test_the_office_changes_the_timetable_on_the_page_and_the_round_lists_it(w):
    url = reverse("evaluations:round_timetable", args=[w.round.pk])
    page = w.office.get(url)
    assert page.status_code == 200 and b'value="2025-12-31"' in page.content
    before = _count()
    refused = w.office.post(url, {**NEW_DATES, "proposals_until": "2025-12-10", "reason": "x"})
    assert refused.status_code == 422
    assert "each no earlier than the one before" in refused.content.decode()
    assert _count() == before
    done = w.office.post(url, {**NEW_DATES, "reason": "The committee meets on 8 January"})
    assert done.status_code == 302
    w.round.refresh_from_db()
    assert w.round.decisions_until == D(2026, 1, 10)
    detail = w.office.get(reverse("evaluations:round", args=[w.round.pk])).content.decode()
    assert 'data-testid="timetable-changes"' in detail
    assert "The committee meets on 8 January" in detail
    assert 'data-testid="change-timetable"' in detail


def test_only_the_committee_changes_the_timetable_and_others_are_refused(w):
    url = reverse("evaluations:round_timetable", args=[w.round.pk])
    body = {**NEW_DATES, "reason": "x"}
    assert w.secretary.post(url, body).status_code == 403  # sees the round from below
    assert w.outsider.post(url, body).status_code == 404
    detail = w.secretary.get(reverse("evaluations:round", args=[w.round.pk])).content.decode()
    assert 'data-testid="change-timetable"' not in detail
    assert not TimetableChange.objects.exists()


def test_late_steps_are_listed_on_the_round_and_marked_on_the_subject(w):
    # The round's dates are in the past: under the rule set's "warn" a step is recorded late.
    ev.subject_self_assess(actor=w.actor, subject=w.member, scores={"general": 25, "tasks": 55})
    detail = w.office.get(reverse("evaluations:round", args=[w.round.pk])).content.decode()
    assert 'data-testid="late-steps"' in detail
    assert w.member.member.full_name in detail
    subject = w.office.get(reverse("evaluations:subject", args=[w.member.pk])).content.decode()
    assert 'data-testid="late"' in subject


def test_the_api_changes_the_timetable_and_answers_the_history(w):
    path = f"/rounds/{w.round.pk}/timetable"
    before = _count()
    bad = _api(w.api["p_organizer"], path, {**NEW_DATES, "reason": " "})
    assert bad.status_code == 422 and bad.json()["code"] == "evaluation.reason_missing"
    assert _count() == before
    assert _api(w.api["k1_clerk"], path, {**NEW_DATES, "reason": "x"}).status_code == 403
    assert _api(w.api["c2_organizer"], path, {**NEW_DATES, "reason": "x"}).status_code == 404
    assert _count() == before
    answer = _api(w.api["p_organizer"], path, {**NEW_DATES, "reason": "Later meeting"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["decisions_until"] == "2026-01-10"
    [change] = body["timetable_changes"]
    assert change["previous_decisions_until"] == "2025-12-31"
    assert change["reason"] == "Later meeting"
    assert body["late"] == {"self_assessment": 0, "proposal": 0, "decision": 0}
    assessed = _api(
        w.api["k1_clerk"],
        f"/subjects/{w.member.pk}/self-assessment",
        {"scores": {"general": 25, "tasks": 55}},
    )
    assert assessed.json()["late"] is True  # D1 2025-12-20 has passed
    got = w.api["p_organizer"].get(f"/api/v1/evaluations/rounds/{w.round.pk}").json()
    assert got["late"]["self_assessment"] == 1
    assert Round.objects.get(pk=w.round.pk).decisions_until == D(2026, 1, 10)
    assert Decimal(body["progress"]["total"]) > 0


# A subject's case ----------------------------------------------------------------------------


def test_the_office_marks_a_member_suspended_on_the_subject_page(w):
    url = reverse("evaluations:subject_mark", args=[w.member.pk])
    subject_page = w.office.get(reverse("evaluations:subject", args=[w.member.pk]))
    assert 'data-testid="mark"' in subject_page.content.decode()
    assert w.office.get(url).status_code == 200
    before = AuditEntry.objects.count()
    short = w.office.post(
        url,
        {
            "special_case": "long_leave",
            "leave_months": "2",
            "framework": "member",
            "role_group": "member",
        },
    )
    assert short.status_code == 422
    assert "from 3 months" in short.content.decode()
    assert AuditEntry.objects.count() == before
    unknown = w.office.post(
        url,
        {
            "special_case": "temporary_transfer",
            "host_unit": "NOPE",
            "framework": "member",
            "role_group": "member",
        },
    )
    assert unknown.status_code == 422 and "NOPE" in unknown.content.decode()
    done = w.office.post(
        url,
        {
            "excluded": "suspended",
            "framework": "member",
            "role_group": "member",
            "note": "Suspended in November",
        },
    )
    assert done.status_code == 302
    w.member.refresh_from_db()
    assert (w.member.excluded, w.member.note) == ("suspended", "Suspended in November")
    entry = AuditEntry.objects.get(event_type="evaluation.subject_marked")
    assert (entry.before["excluded"], entry.after["excluded"]) == ("", "suspended")


def test_a_subjects_case_is_the_deciding_offices_and_out_of_scope_is_404(w):
    url = reverse("evaluations:subject_mark", args=[w.member.pk])
    body = {"excluded": "suspended", "framework": "member", "role_group": "member"}
    assert w.secretary.get(url).status_code == 403
    assert w.secretary.post(url, body).status_code == 403
    assert w.outsider.post(url, body).status_code == 404
    page = w.secretary.get(reverse("evaluations:subject", args=[w.member.pk])).content.decode()
    assert 'data-testid="mark"' not in page
    w.member.refresh_from_db()
    assert w.member.excluded == ""


def test_the_api_marks_a_long_leave_and_refuses_what_the_rules_refuse(w):
    path = f"/subjects/{w.member.pk}/mark"
    office = w.api["p_organizer"]
    before = AuditEntry.objects.count()
    short = _api(office, path, {"special_case": "long_leave", "leave_months": 2})
    assert short.status_code == 422, short.content
    assert short.json()["code"] == "evaluation.leave_too_short"
    assert short.json()["source"].startswith("366-QĐ/TW")
    assert (
        _api(office, path, {"special_case": "temporary_transfer", "host_unit": "K2X"}).status_code
        == 404
    )
    assert _api(w.api["k1_clerk"], path, {"note": "x"}).status_code == 403
    assert _api(w.api["c2_organizer"], path, {"note": "x"}).status_code == 404
    assert AuditEntry.objects.count() == before
    done = _api(office, path, {"special_case": "long_leave", "leave_months": 4})
    assert done.status_code == 200, done.content
    assert done.json()["special_case"] == "long_leave"
    transfer = _api(office, path, {"special_case": "temporary_transfer", "host_unit": "K2"})
    assert transfer.json()["host_unit"] == "K2"
    # After the first decision the case no longer changes.
    cell = Subject.objects.get(round=w.round, unit=w.tree.K1)
    ev.subject_decide(
        actor=w.actor,
        subject=cell,
        deciding_unit=cell.deciding_unit,
        level="good",
        score=Decimal(80),
        document=w.docs.g1,
    )
    ev.subject_decide(
        actor=w.actor,
        subject=w.member,
        deciding_unit=w.member.deciding_unit,
        level="good",
        score=Decimal(80),
        document=w.docs.g1,
    )
    late = _api(office, path, {"note": "x"})
    assert late.status_code == 422 and late.json()["code"] == "evaluation.subject_decided"


# Model organizations -------------------------------------------------------------------------


def test_the_office_registers_and_recognizes_model_organizations_on_the_page(w):
    url = reverse("evaluations:models", args=["G1"]) + "?year=2025"
    page = w.office.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="model-register"' in text
    assert "0/3 organizations registered" in text  # G1, K1, K2
    too_early = w.office.post(
        url,
        {
            "step": "recognize",
            "year": "2025",
            "recognize-unit": "K1",
            "recognize-kind": "four_good",
            "recognize-date": "2025-12-20",
            "recognize-recognized": "yes",
        },
    )
    assert too_early.status_code == 422
    assert "did not register" in too_early.content.decode()
    assert not ModelRecord.objects.exists()
    for code in ("G1", "K1", "K2"):
        done = w.office.post(
            url,
            {
                "step": "register",
                "year": "2025",
                "register-unit": code,
                "register-kind": "four_good",
                "register-date": "2025-01-15",
            },
        )
        assert done.status_code == 302, done.content.decode()
    again = w.office.post(
        url,
        {
            "step": "register",
            "year": "2025",
            "register-unit": "K1",
            "register-kind": "four_good",
            "register-date": "2025-01-16",
        },
    )
    assert again.status_code == 422 and ModelRecord.objects.count() == 3
    recognized = w.office.post(
        url,
        {
            "step": "recognize",
            "year": "2025",
            "recognize-unit": "K1",
            "recognize-kind": "four_good",
            "recognize-date": "2025-12-20",
            "recognize-recognized": "yes",
        },
    )
    assert recognized.status_code == 302
    text = w.office.get(url).content.decode()
    assert "3/3 organizations registered, 1 recognized" in text
    assert AuditEntry.objects.filter(event_type="evaluation.model_recognized").count() == 1
    # Per year: 2026 starts again.
    assert (
        "0/3 organizations registered"
        in w.office.get(reverse("evaluations:models", args=["G1"]) + "?year=2026").content.decode()
    )


def test_the_model_page_is_read_only_without_the_action_and_404_outside(w):
    url = reverse("evaluations:models", args=["K1"]) + "?year=2025"
    page = w.secretary.get(url)
    assert page.status_code == 200 and 'data-testid="model-register"' not in page.content.decode()
    body = {
        "step": "register",
        "year": "2025",
        "register-unit": "K1",
        "register-kind": "four_good",
        "register-date": "2025-01-15",
    }
    assert w.secretary.post(url, body).status_code == 403
    assert w.outsider.get(url).status_code == 404
    assert not ModelRecord.objects.exists()


def test_a_model_registration_and_recognition_cite_a_document_from_the_register(w):
    """As the API does: the document registering the organization or recognizing it, among the
    issued documents of the page's unit, the committees above it and the organizations."""
    url = reverse("evaluations:models", args=["G1"]) + "?year=2025"
    page = w.office.get(url)
    offered = [c[0] for c in page.context["forms"]["register"].fields["document"].choices]
    assert w.docs.g1.pk in offered and w.docs.c1.pk in offered
    assert w.docs.draft.pk not in offered  # a draft is no document to rest on
    assert 'name="register-document"' in page.content.decode()
    body = {
        "step": "register",
        "year": "2025",
        "register-unit": "K1",
        "register-kind": "four_good",
        "register-date": "2025-01-15",
    }
    registered = w.office.post(url, {**body, "register-document": str(w.docs.g1.pk)})
    assert registered.status_code == 302, registered.content.decode()
    assert ModelRecord.objects.get(unit=w.tree.K1, step="registered").document == w.docs.g1
    recognized = w.office.post(
        url,
        {
            "step": "recognize",
            "year": "2025",
            "recognize-unit": "K1",
            "recognize-kind": "four_good",
            "recognize-date": "2025-12-20",
            "recognize-recognized": "yes",
            "recognize-document": str(w.docs.c1.pk),
        },
    )
    assert recognized.status_code == 302
    assert ModelRecord.objects.get(unit=w.tree.K1, step="recognized").document == w.docs.c1
    entry = AuditEntry.objects.filter(event_type="evaluation.model_recognized").get()
    assert entry.after["document"] == w.docs.c1.pk
    # A document not offered (a draft) is refused on its field, nothing written; none is fine.
    drafted = w.office.post(
        url, {**body, "register-unit": "K2", "register-document": str(w.docs.draft.pk)}
    )
    assert drafted.status_code == 422
    assert drafted.context["forms"]["register"].errors["document"]
    assert not ModelRecord.objects.filter(unit=w.tree.K2).exists()
    plain = w.office.post(url, {**body, "register-unit": "K2", "register-document": ""})
    assert plain.status_code == 302
    assert ModelRecord.objects.get(unit=w.tree.K2).document is None
    # The unit's page shows what the records rest on.
    assert w.docs.c1.symbol in w.office.get(reverse("orgs:detail", args=["K1"])).content.decode()


# The decision's document; the scores' shape --------------------------------------------------


def test_a_decision_rests_on_a_document_of_the_deciding_unit(w):
    cell = Subject.objects.get(round=w.round, unit=w.tree.K1)  # decided by G1
    office = w.api["p_organizer"]
    before = (Decision.objects.count(), AuditEntry.objects.count())
    # C1's decision is readable by the office, but C1 does not decide K1's level.
    other = _api(
        office,
        f"/subjects/{cell.pk}/decision",
        {"level": "good", "score": "80", "document": w.docs.c1.pk},
    )
    assert other.status_code == 422, other.content
    body = other.json()
    assert body["code"] == "evaluation.document_not_deciders"
    assert body["field"] == "document" and body["source"]
    assert w.docs.c1.symbol in body["message"]
    assert (Decision.objects.count(), AuditEntry.objects.count()) == before
    own = _api(
        office,
        f"/subjects/{cell.pk}/decision",
        {"level": "good", "score": "80", "document": w.docs.g1.pk},
    )
    assert own.status_code == 201 and own.json()["document"] == w.docs.g1.pk


def test_every_score_the_api_answers_has_two_decimal_places(w):
    office = w.api["p_organizer"]
    assessed = _api(
        w.api["k1_clerk"],
        f"/subjects/{w.member.pk}/self-assessment",
        {"scores": {"general": 30, "tasks": 65}},
    ).json()
    assert assessed["score"] == "95.00"
    assert assessed["scores"] == {"general": "30.00", "tasks": "65.00"}
    one = office.get(f"/api/v1/evaluations/subjects/{w.member.pk}").json()
    assert one["assessed_score"] == "95.00"
    listed = office.get(
        f"/api/v1/evaluations/rounds/{w.round.pk}/subjects", {"member": w.member.member_id}
    ).json()["items"]
    assert [s["assessed_score"] for s in listed] == ["95.00"]
    proposed = _api(
        w.api["k1_clerk"],
        f"/subjects/{w.member.pk}/proposal",
        {"score": "95", "level": "excellent", "votes_for": 3, "votes_against": 0, "present": 3},
    ).json()
    assert proposed["score"] == "95.00"


def test_a_model_step_posted_for_an_impossible_year_is_refused_not_moved_to_this_year(w):
    """The page's year travels in the form: a year that is no number or outside the calendar
    the house accepts is refused with the error said, not recorded for the current year."""
    url = reverse("evaluations:models", args=["G1"])
    body = {
        "step": "register",
        "register-unit": "K1",
        "register-kind": "four_good",
        "register-date": "2025-01-15",
    }
    before = AuditEntry.objects.count()
    for year in ("1800", "20x5", ""):
        refused = w.office.post(url, {**body, "year": year})
        assert refused.status_code == 422, year
        assert "The year must be between" in refused.content.decode()
    assert not ModelRecord.objects.exists()
    assert AuditEntry.objects.count() == before
    assert w.office.post(url, {**body, "year": "2025"}).status_code == 302
    assert ModelRecord.objects.get().year == 2025
