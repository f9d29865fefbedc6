"""The browser answers what the API answers, in the same words (issue 14's probe of the
browser and the exports): a decision refused because of a pending transfer, a date no person
means (0001-01-01, 9999-12-31), a merge refused because of one of the members, and masked
personal data that must not tell whether a value is recorded."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse

from cadrebook.accounts.roles import Role
from cadrebook.core.errors import ServiceError
from cadrebook.members import services as ms
from cadrebook.members.models import Member
from cadrebook.orgs.models import OrgUnit

D = dt.date
DECISION = {"reason": "absence", "document": "1-QĐ/ĐU"}


@pytest.fixture
def people(tree: Any, token_clients: Any) -> dict[str, Any]:
    """One person per role, each with a browser login and an API token: a clerk of G1, an
    organizer of P (restructures units) and a viewer of P (personal data masked)."""
    grants = [("g1-clerk", Role.CLERK, tree.G1), ("organizer", Role.ORGANIZER, tree.P)]
    grants.append(("viewer", Role.VIEWER, tree.P))
    api = token_clients(grants)
    api["clerk"] = api.pop("g1-clerk")
    users = {u.username: u for u in get_user_model().objects.filter(username__in=list(api))}
    users["clerk"] = get_user_model().objects.get(username="g1-clerk")
    return {"api": api, "users": users}


def _browser(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def _api_event(people: dict[str, Any], member: Member, **payload: Any) -> Any:
    return people["api"]["clerk"].post(
        f"/api/v1/members/{member.pk}/events", payload, content_type="application/json"
    )


# 1. A decision while a transfer is pending -----------------------------------------------------
@pytest.mark.parametrize(
    "action, event_type, probationary",
    [
        ("remove", "removed", False),
        ("not_recognize", "not_recognized", True),
    ],
)
def test_a_decision_during_a_pending_transfer_is_refused_in_the_browser_as_in_the_api(
    client, tree, make_member, people, action, event_type, probationary
):
    admitted = D(2024, 9, 2) if probationary else D(2020, 1, 1)
    member = make_member(tree.K1, D(1990, 1, 1), admitted, recognized=not probationary)
    ms.member_transfer_out(actor=None, member=member, date=D(2025, 3, 3), to_unit=tree.K2)
    events = member.events.count()
    answer = _api_event(people, member, type=event_type, date="2025-03-05", **DECISION)
    assert answer.status_code == 422 and answer.json()["code"] == "transfer.already_pending"

    browser = _browser(client, people["users"]["clerk"])
    url = reverse("members:action", args=[member.pk, action])
    response = browser.post(url, {"date": "2025-03-05", **DECISION, "confirmed": "yes"})
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == [answer.json()["message"]]  # "A transfer is already pending …"
    assert member.events.count() == events
    member.refresh_from_db()
    assert member.pending_transfer_to_id == tree.K2.pk


# 2. Dates no person means ----------------------------------------------------------------------
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"])
def test_an_implausible_date_gets_the_apis_words_in_the_browser(
    client, tree, make_member, people, day
):
    member = make_member(tree.K1, D(1990, 1, 1), D(2020, 1, 1), recognized=True)
    events = member.events.count()
    answer = _api_event(people, member, type="removed", date=day, **DECISION)
    assert answer.status_code == 422 and answer.json()["field"] == "date"
    words = answer.json()["message"]
    assert words == "The year must be between 1900 and 2100."

    browser = _browser(client, people["users"]["clerk"])
    url = reverse("members:action", args=[member.pk, "remove"])
    response = browser.post(url, {"date": day, **DECISION, "confirmed": "yes"})
    assert response.status_code == 422
    assert response.context["form"].errors["date"] == [words]
    # The transfer form's other dates too (moved_on reaches no service; until does).
    url = reverse("members:action", args=[member.pk, "transfer"])
    data = {"date": "2025-03-03", "to_unit": "K2", "moved_on": day}
    response = browser.post(url, data)
    assert response.context["form"].errors["moved_on"] == [words]
    url = reverse("members:action", args=[member.pk, "temporary_transfer"])
    response = browser.post(url, {"date": "2025-03-03", "host": "GC", "until": day})
    assert response.context["form"].errors["until"] == [words]
    assert member.events.count() == events


def test_the_service_refuses_an_implausible_date_in_the_same_words(tree, make_member):
    member = make_member(tree.K1, D(1990, 1, 1), D(2020, 1, 1), recognized=True)
    for day in (D(1, 1, 1), D(9999, 12, 31)):
        with pytest.raises(ServiceError) as info:
            ms.member_remove(actor=None, member=member, date=day, **DECISION)
        assert (info.value.code, info.value.field) == ("value.bad_date", "date")
        assert info.value.message == "The year must be between 1900 and 2100."
    with pytest.raises(ServiceError) as info:
        ms.member_temporary_transfer(
            actor=None, member=member, date=D(2025, 3, 3), host=tree.GC, until=D(9999, 1, 1)
        )
    assert (info.value.code, info.value.field) == ("value.bad_date", "until")
    with pytest.raises(ServiceError) as info:
        ms.unit_merge(actor=None, unit=tree.K1, into=tree.K2, date=D(1, 1, 1))
    assert info.value.code == "value.bad_date"
    assert member.events.filter(type="removed").count() == 0


def test_a_merge_on_an_implausible_date_gets_the_apis_words_in_the_browser(client, tree, people):
    answer = people["api"]["organizer"].post(
        "/api/v1/units/K1/merge",
        {"into": "K2", "date": "0001-01-01"},
        content_type="application/json",
    )
    assert answer.status_code == 422 and answer.json()["field"] == "date"
    browser = _browser(client, people["users"]["organizer"])
    url = reverse("members:unit_action", args=["K1", "merge"])
    response = browser.post(url, {"into": "K2", "date": "0001-01-01", "confirmed": "yes"})
    assert response.status_code == 422
    assert response.context["form"].errors["date"] == [answer.json()["message"]]
    assert OrgUnit.objects.get(code="K1").dissolved_on is None


# 3. A merge refused because of a member --------------------------------------------------------
def _merge(client: Any, people: dict[str, Any], data: dict[str, str]) -> tuple[Any, Any]:
    answer = people["api"]["organizer"].post(
        "/api/v1/units/K1/merge", data, content_type="application/json"
    )
    browser = _browser(client, people["users"]["organizer"])
    url = reverse("members:unit_action", args=["K1", "merge"])
    return answer, browser.post(url, {**data, "confirmed": "yes"})


def _form_errors(response: Any) -> list[str]:
    form = response.context["form"]
    return [str(e) for errors in form.errors.values() for e in errors]


def test_a_merge_refused_for_a_member_of_the_merged_cell_names_the_member(
    client, tree, make_member, people
):
    # Her transfer was issued after the merge's date: it cannot be returned on that date.
    leaving = make_member(tree.K1, D(1990, 1, 1), D(2020, 1, 1), True, full_name="Lê Thị Đi")
    ms.member_transfer_out(actor=None, member=leaving, date=D(2025, 3, 3), to_unit=tree.GC)
    answer, response = _merge(client, people, {"into": "K2", "date": "2025-03-01"})
    assert answer.status_code == 422, answer.content
    named = f"Lê Thị Đi (id {leaving.pk})"
    assert answer.json()["message"].startswith(named)
    assert answer.json()["code"] == "event.before_previous"
    assert response.status_code == 422
    assert _form_errors(response) == [answer.json()["message"]]
    assert OrgUnit.objects.get(code="K1").dissolved_on is None
    leaving.refresh_from_db()
    assert (leaving.unit_id, leaving.pending_transfer_to_id) == (tree.K1.pk, tree.GC.pk)


def test_a_merge_refused_for_a_transfer_into_the_merged_cell_names_the_member(
    client, tree, make_member, people
):
    coming = make_member(tree.GC, D(1990, 1, 1), D(2020, 1, 1), True, full_name="Phan Văn Tới")
    ms.member_transfer_out(actor=None, member=coming, date=D(2025, 3, 3), to_unit=tree.K1)
    answer, response = _merge(client, people, {"into": "K2", "date": "2025-03-10"})
    assert answer.status_code == 422, answer.content
    assert answer.json()["code"] == "unit.has_pending_transfers"
    assert f"Phan Văn Tới (id {coming.pk})" in answer.json()["message"]
    assert response.status_code == 422
    assert _form_errors(response) == [answer.json()["message"]]
    assert OrgUnit.objects.get(code="K1").dissolved_on is None


# 4. Masked personal data does not tell whether a value is recorded -----------------------------
@pytest.fixture
def two_people(tree: Any, make_member: Any) -> tuple[Member, Member]:
    """In K1: one member with every sensitive field recorded, one with none."""
    recorded = make_member(
        tree.K1,
        D(1990, 5, 17),
        D(2020, 1, 1),
        True,
        full_name="Võ Thị Có",
        national_id="001190000123",
        ethnicity="Kinh",
        phone="0912345678",
        address="12 Phố Huế",
    )
    blank = make_member(tree.K1, None, full_name="Võ Văn Không")
    return recorded, blank


def test_a_viewers_member_list_export_masks_recorded_and_empty_values_alike(
    client, people, two_people
):
    browser = _browser(client, people["users"]["viewer"])
    response = browser.get(
        reverse("members:list"), {"unit": "K1", "status": "all", "export": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    header = list(rows[0])
    masked = [h for h in header if rows[0][h] == "••••"]
    assert len(masked) == 3  # date of birth, ethnicity, national ID
    assert [r[h] for r in rows for h in masked] == ["••••"] * 6


def test_a_viewers_export_masks_recorded_and_empty_values_alike(client, people, two_people):
    browser = _browser(client, people["users"]["viewer"])
    query = {"kind": "members", "format": "csv", "headers": "en", "unit": "K1"}
    response = browser.get(reverse("imports:export"), query)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(r["full_name"] for r in rows) == ["Võ Thị Có", "Võ Văn Không"]
    for row in rows:
        for name in ("national_id", "ethnicity", "birth_date", "phone", "address"):
            assert row[name] == "••••", (row["full_name"], name)


def test_a_viewers_dossier_masks_recorded_and_empty_values_alike(client, people, two_people):
    browser = _browser(client, people["users"]["viewer"])
    shown = []
    for member in two_people:
        response = browser.get(reverse("members:dossier", args=[member.pk]))
        personal = dict(response.context["personal"])
        shown.append({str(k): v for k, v in personal.items() if v == "••••"})
    assert shown[0] == shown[1] and len(shown[0]) == 5


def test_the_api_masks_recorded_and_empty_values_alike(people, two_people):
    viewer = people["api"]["viewer"]
    read = [viewer.get(f"/api/v1/members/{m.pk}").json() for m in two_people]
    for name in ("national_id", "ethnicity", "birth_date"):
        assert read[0][name] == read[1][name] == "••••", name
    listed = viewer.get("/api/v1/members", {"unit": "K1", "status": "all"}).json()["items"]
    assert {(m["national_id"], m["birth_date"]) for m in listed} == {("••••", "••••")}
    # A role that may read them gets them, recorded or empty.
    clerk = people["api"]["clerk"].get(f"/api/v1/members/{two_people[1].pk}").json()
    assert (clerk["national_id"], clerk["birth_date"]) == ("", None)
