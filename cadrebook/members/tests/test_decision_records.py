"""What a decision is recorded with (the deciding document, the reason) is decided once, by
the service, from the rule set's `records` section: the browser, the API and the events
import accept and refuse the same things. Records taken over from the old files are marked
as such instead of skipping the rule silently."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.members import services as ms
from cadrebook.members.models import Member, MemberEvent

D = dt.date


@pytest.fixture
def full(actor, tree, make_member) -> Member:
    return make_member(tree.K1, D(1990, 1, 1), D(2020, 1, 6), recognized=True)


@pytest.fixture
def api(tree, token_clients) -> Any:
    return token_clients([("officer", Role.CLERK, tree.G1)])["officer"]


def post_event(api: Any, member: Member, body: dict[str, Any]) -> Any:
    return api.post(f"/api/v1/members/{member.pk}/events", body, content_type="application/json")


def test_the_service_refuses_a_removal_without_a_deciding_document_citing_the_rule_set(actor, full):
    with pytest.raises(RuleViolation) as info:
        ms.member_remove(actor=actor, member=full, date=D(2025, 3, 3), reason="absence")
    assert (info.value.code, info.value.field) == ("event.document_missing", "document")
    assert info.value.source.startswith("294-QĐ/TW")
    full.refresh_from_db()
    assert full.status == "full"


def test_the_api_refuses_a_removal_without_a_document_as_the_browser_does(api, full):
    response = post_event(api, full, {"type": "removed", "date": "2025-03-03", "reason": "x"})
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "event.document_missing"
    assert response.json()["field"] == "document"
    assert not MemberEvent.objects.filter(member=full, type="removed").exists()


def test_the_api_refuses_a_removal_without_a_reason_from_the_service(api, full):
    response = post_event(api, full, {"type": "removed", "date": "2025-03-03", "document": "1-QĐ"})
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "event.reason_missing"
    assert response.json()["source"].startswith("294-QĐ/TW")


def test_a_taken_over_removal_needs_no_document_and_reads_back_as_taken_over(api, full):
    response = post_event(
        api, full, {"type": "removed", "date": "2025-03-03", "reason": "x", "taken_over": True}
    )
    assert response.status_code == 201, response.content
    assert response.json()["taken_over"] is True
    event = MemberEvent.objects.get(member=full, type="removed")
    assert event.taken_over and event.document == ""
    listed = api.get(f"/api/v1/members/{full.pk}/events").json()["items"]
    assert [e["taken_over"] for e in listed if e["type"] == "removed"] == [True]


def test_the_rule_set_in_force_says_which_decisions_need_a_document(actor, alt_tree, ruleset):
    member = ms.member_register_applicant(
        actor=actor,
        unit=alt_tree.B1,
        date=D(2010, 1, 4),
        full_name="Người Thử",
        gender="male",
        birth_date=D(1980, 1, 1),
        taken_over=True,
    )
    ms.member_admit(actor=actor, member=member, date=D(2010, 2, 1), taken_over=True)
    # test-alt asks for no document on a death but one on a readmission.
    ms.member_remove(actor=actor, member=member, date=D(2012, 1, 3), reason="x", document="1")
    with pytest.raises(ServiceError) as info:
        ms.member_readmit(actor=actor, member=member, date=D(2014, 1, 6))
    assert info.value.code == "event.document_missing"
    assert info.value.source == "test statute 18"  # type: ignore[attr-defined]
    ms.member_readmit(actor=actor, member=member, date=D(2014, 1, 6), document="2")
    ms.member_record_death(actor=actor, member=member, date=D(2015, 1, 6))
    member.refresh_from_db()
    assert member.status == "deceased"


def test_the_api_registers_an_applicant_without_sponsors_only_as_taken_over(api, tree):
    body = {
        "unit": "K1",
        "full_name": "Đỗ Văn Cũ",
        "gender": "male",
        "birth_date": "1990-01-01",
        "registered_on": "2019-01-02",
        "admitted_on": "2019-06-03",
    }
    response = api.post("/api/v1/members", body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "admission.sponsors_missing"
    assert response.json()["source"] == "294-QĐ/TW 2025"
    assert not Member.objects.filter(full_name="Đỗ Văn Cũ").exists()
    response = api.post(
        "/api/v1/members", {**body, "taken_over": True}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    member = Member.objects.get(full_name="Đỗ Văn Cũ")
    assert list(member.events.values_list("type", "taken_over")) == [
        ("registered", True),
        ("admitted", True),
    ]


# The browser --------------------------------------------------------------------------------
@pytest.fixture
def officer(client, tree) -> Any:
    user = get_user_model().objects.create_user(username="secretary")
    role_grant(actor=None, user=user, role=Role.CLERK, unit=tree.G1)
    client.force_login(user)
    return client


def test_the_browser_asks_for_the_document_the_rule_set_requires_naming_its_source(officer, full):
    url = reverse("members:action", args=[full.pk, "remove"])
    response = officer.post(url, {"date": "2025-03-03", "reason": "absence"})
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "document" in errors


def test_the_browser_records_a_taken_over_decision_without_a_document(officer, full):
    url = reverse("members:action", args=[full.pk, "remove"])
    data = {"date": "2025-03-03", "reason": "absence", "taken_over": "on"}
    response = officer.post(url, data)
    assert response.status_code == 200 and response.context["confirming"]
    response = officer.post(url, {**data, "confirmed": "yes"})
    assert response.status_code == 302, response.content
    event = MemberEvent.objects.get(member=full, type="removed")
    assert event.taken_over
    page = officer.get(reverse("members:dossier", args=[full.pk])).content.decode()
    assert "taken over" in page
