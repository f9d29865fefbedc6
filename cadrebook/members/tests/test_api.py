"""The members API with a personal token: list (scoped, masked, keyset pages), read, history,
and lifecycle events through the same services, refusals as {code, message, field, source}."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant, token_create
from cadrebook.core.models import AuditEntry
from cadrebook.members import services as ms
from cadrebook.members.models import Member
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.services import unit_create

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def api(token_clients) -> dict[str, Any]:
    p = unit_create(actor=None, code="P1", name="Tỉnh Một", kind="province_committee")
    c1 = unit_create(actor=None, code="P1.C1", name="Xã Một", kind="commune_committee", parent=p)
    k1 = unit_create(actor=None, code="K1", name="Chi bộ Một", kind="grassroots_cell", parent=c1)
    k2 = unit_create(actor=None, code="K2", name="Chi bộ Hai", kind="grassroots_cell", parent=c1)
    p2 = unit_create(actor=None, code="P2", name="Tỉnh Hai", kind="province_committee")
    people = {}
    for name, unit in [("Trần Văn Bình", k1), ("Lê Văn Cường", k1), ("Ngô Thị Khác", k2)]:
        m = ms.member_register_applicant(
            taken_over=True,
            actor=None,
            unit=unit,
            date=dt.date(2020, 1, 1),
            full_name=name,
            gender="male",
            birth_date=dt.date(1990, 1, 1),
            national_id=f"00109000{len(people):04d}",
        )
        ms.member_admit(taken_over=True, actor=None, member=m, date=dt.date(2020, 2, 1))
        ms.member_recognize(taken_over=True, actor=None, member=m, date=dt.date(2021, 2, 1))
        people[name] = m
    young = ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k1,
        date=TODAY - dt.timedelta(days=30),
        full_name="Phạm Thị Trẻ",
        gender="female",
        birth_date=TODAY.replace(year=TODAY.year - 17),
    )
    clients = token_clients(
        [
            ("clerk1", Role.CLERK, k1),
            ("clerk2", Role.CLERK, k2),
            ("viewer", Role.VIEWER, c1),
            ("outsider", Role.ORGANIZER, p2),
        ]
    )
    return {"people": people, "young": young, "c": clients}


def test_lists_are_scoped_masked_and_paged(api):
    c = api["c"]
    body = c["viewer"].get("/api/v1/members", {"unit": "P1.C1"}).json()
    names = [m["full_name"] for m in body["items"]]
    assert names == ["Lê Văn Cường", "Ngô Thị Khác", "Trần Văn Bình"]
    assert all(m["national_id"] == "••••" for m in body["items"])
    mine = c["clerk1"].get("/api/v1/members", {"q": "tran van binh"}).json()["items"]
    assert [m["full_name"] for m in mine] == ["Trần Văn Bình"] and mine[0]["national_id"] != "••••"
    assert c["outsider"].get("/api/v1/members").json()["items"] == []
    response = c["outsider"].get("/api/v1/members", {"unit": "P1"})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    binh = api["people"]["Trần Văn Bình"]
    assert c["outsider"].get(f"/api/v1/members/{binh.pk}").status_code == 404
    assert c["outsider"].get(f"/api/v1/members/{binh.pk}/events").status_code == 404
    events = c["clerk1"].get(f"/api/v1/members/{binh.pk}/events").json()
    assert [e["type"] for e in events["items"]] == ["registered", "admitted", "recognized"]
    assert events["next_cursor"] is None


def test_the_list_answers_as_many_members_a_page_as_asked(api):
    viewer = api["c"]["viewer"]
    names, cursor = [], ""
    while True:
        body = viewer.get("/api/v1/members", {"unit": "P1.C1", "limit": 2, "cursor": cursor})
        assert body.status_code == 200
        page = body.json()
        assert len(page["items"]) <= 2
        names += [m["full_name"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert names == ["Lê Văn Cường", "Ngô Thị Khác", "Trần Văn Bình"]
    first = viewer.get("/api/v1/members", {"unit": "P1.C1", "limit": 1}).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    assert (first["total"], first["total_exact"]) == (3, True)
    searched = viewer.get("/api/v1/members", {"unit": "P1.C1", "q": "van", "limit": 1}).json()
    # By the name from the word found on: "văn bình" before "văn cường".
    assert [m["full_name"] for m in searched["items"]] == ["Trần Văn Bình"]
    assert (searched["total"], searched["total_exact"]) == (2, True)  # and Lê Văn Cường
    for wrong in (0, 201, "many"):
        refused = viewer.get("/api/v1/members", {"unit": "P1.C1", "limit": wrong})
        assert refused.status_code == 422 and "limit" in refused.content.decode()


def test_a_members_history_pages_by_cursor_in_date_order(api, monkeypatch):
    from cadrebook.members import api as members_api

    monkeypatch.setattr(members_api, "EVENT_PAGE", 2)
    c, binh = api["c"], api["people"]["Trần Văn Bình"]
    url = f"/api/v1/members/{binh.pk}/events"
    first = c["clerk1"].get(url).json()
    assert [e["type"] for e in first["items"]] == ["registered", "admitted"]
    second = c["clerk1"].get(url, {"cursor": first["next_cursor"]}).json()
    assert [e["type"] for e in second["items"]] == ["recognized"]
    assert second["next_cursor"] is None
    forged = c["clerk1"].get(url, {"cursor": "yesterday"})
    assert forged.status_code == 422
    assert forged.json() == {
        "code": "cursor.invalid",
        "message": "This cursor was not given by this list.",
        "field": "cursor",
    }


def test_a_script_transfers_a_member_and_the_receiver_accepts(api):
    c, binh = api["c"], api["people"]["Trần Văn Bình"]
    url = f"/api/v1/members/{binh.pk}/events"
    response = c["clerk1"].post(
        url,
        {"type": "transferred", "date": TODAY.isoformat(), "to_unit": "K2", "document": "9-QĐ"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["type"] == "transfer_out"
    # The sender cannot accept for the receiver; the receiver can.
    answer = {"type": "transfer_accepted", "date": TODAY.isoformat()}
    response = c["clerk1"].post(url, answer, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    response = c["clerk2"].post(url, answer, content_type="application/json")
    assert response.status_code == 201
    binh.refresh_from_db()
    assert binh.unit.code == "K2"
    entry = AuditEntry.objects.filter(object_id=str(binh.pk)).latest("id")
    assert entry.via == "token:clerk2-script"


def test_refusals_carry_the_rule_code_and_source(api):
    c, young = api["c"], api["young"]
    response = c["clerk1"].post(
        f"/api/v1/members/{young.pk}/events",
        {"type": "admitted", "date": TODAY.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"].startswith("admission.") and body["field"] == "date"
    assert "294-QĐ/TW" in body["source"]
    young.refresh_from_db()
    assert young.status == "applicant"
    response = c["clerk1"].post(
        f"/api/v1/members/{young.pk}/events",
        {"type": "recognized", "date": TODAY.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["code"] == "member.status_forbids_event"
    response = c["viewer"].post(
        f"/api/v1/members/{young.pk}/events",
        {"type": "deceased", "date": TODAY.isoformat(), "document": "1"},
        content_type="application/json",
    )
    assert response.status_code == 403
    response = c["clerk1"].post(
        f"/api/v1/members/{young.pk}/events",
        {"type": "flew_away", "date": "2024-02-31"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert Member.objects.get(pk=young.pk).status == "applicant"


def test_a_script_registers_and_admits_and_edits_with_the_version(api):
    c = api["c"]
    binh, cuong = api["people"]["Trần Văn Bình"], api["people"]["Lê Văn Cường"]
    data = {
        "unit": "K1",
        "full_name": "Đỗ Văn Mới",
        "gender": "male",
        "birth_date": "1999-05-05",
        "registered_on": (TODAY - dt.timedelta(days=90)).isoformat(),
        "admitted_on": TODAY.isoformat(),
        "sponsors": [binh.pk, cuong.pk],
        "votes_for": 2,
        "votes_against": 0,
        "full_members": 2,
    }
    response = c["clerk1"].post("/api/v1/members", data, content_type="application/json")
    assert response.status_code == 201, response.content
    new = response.json()
    assert new["status"] == "probationary" and new["unit"] == "K1"
    # All or nothing: a refused admission registers nobody.
    young = {
        **data,
        "full_name": "Trẻ Quá",
        "birth_date": TODAY.replace(year=TODAY.year - 17).isoformat(),
    }
    response = c["clerk1"].post("/api/v1/members", young, content_type="application/json")
    assert response.status_code == 422
    assert not Member.objects.filter(full_name="Trẻ Quá").exists()
    assert (
        c["outsider"].post("/api/v1/members", data, content_type="application/json").status_code
        == 404
    )

    url = f"/api/v1/members/{new['id']}"
    response = c["clerk1"].patch(
        url, {"version": new["version"], "phone": "0912"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert Member.objects.get(pk=new["id"]).phone == "0912"
    stale = c["clerk1"].patch(
        url, {"version": new["version"], "occupation": "x"}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "member.stale_version"
    assert stale.json()["current"]["version"] == new["version"] + 1
    assert Member.objects.get(pk=new["id"]).occupation == ""
    assert (
        c["viewer"].patch(url, {"version": 1}, content_type="application/json").status_code == 403
    )


def test_units_are_listed_and_read_within_scope(api):
    c = api["c"]
    body = c["viewer"].get("/api/v1/units").json()
    assert [u["code"] for u in body["items"]] == ["K1", "K2", "P1.C1"]
    assert (
        c["viewer"]
        .get("/api/v1/units", {"parent": "P1.C1", "q": "chi bo hai"})
        .json()["items"][0]["code"]
        == "K2"
    )
    unit = c["viewer"].get("/api/v1/units/K1").json()
    assert unit["parent"] == "P1.C1" and unit["kind"] == "grassroots_cell"
    assert c["outsider"].get("/api/v1/units/K1").status_code == 404
    assert "K1" not in str(c["outsider"].get("/api/v1/units").json())


def test_the_audit_log_is_read_within_the_audit_scope(api):
    organizer = get_user_model().objects.create_user(username="organizer")
    role_grant(actor=None, user=organizer, role=Role.ORGANIZER, unit=Member.objects.first().unit)
    _t, raw = token_create(actor=None, user=organizer, name="auditor")
    c = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    binh = api["people"]["Trần Văn Bình"]
    body = c.get("/api/v1/audit", {"object": f"members.member:{binh.pk}"}).json()
    assert body["items"] and all(i["object"] == f"members.member:{binh.pk}" for i in body["items"])
    assert c.get("/api/v1/audit", {"unit": "P2"}).status_code == 404
    # A clerk may not read the log: refused (403, their role lacks it), nothing comes back.
    refused = api["c"]["clerk1"].get("/api/v1/audit")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert Client().get("/api/v1/audit").status_code == 401


def test_writes_and_failed_authentications_are_rate_limited(api, settings):
    settings.CADREBOOK_API_WRITES_PER_TOKEN = "2/min"
    settings.CADREBOOK_API_AUTH_FAILURES_PER_IP = "3/min"
    c, young = api["c"], api["young"]
    url = f"/api/v1/members/{young.pk}/events"
    codes = [
        c["clerk1"]
        .post(url, {"type": "recognized", "date": "2024-01-01"}, content_type="application/json")
        .status_code
        for _ in range(3)
    ]
    assert codes == [422, 422, 429]
    response = c["clerk1"].post(
        url, {"type": "recognized", "date": "2024-01-01"}, content_type="application/json"
    )
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response.json()["code"] == "rate_limited"
    assert c["clerk1"].get("/api/v1/members").status_code == 200  # reads are not limited
    assert (
        c["clerk2"]
        .post(url, {"type": "recognized", "date": "2024-01-01"}, content_type="application/json")
        .status_code
        == 404
    )
    wrong = Client(HTTP_AUTHORIZATION="Bearer cb_wrong")
    assert [wrong.get("/api/v1/members").status_code for _ in range(4)] == [401, 401, 401, 429]


def test_a_script_builds_moves_and_merges_units_within_its_subtree(api):
    organizer = get_user_model().objects.create_user(username="org")
    from cadrebook.orgs.models import OrgUnit

    role_grant(actor=None, user=organizer, role=Role.ORGANIZER, unit=OrgUnit.objects.get(code="P1"))
    _t, raw = token_create(actor=None, user=organizer, name="builder")
    c = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    post = lambda url, data: c.post(url, data, content_type="application/json")  # noqa: E731
    r = post(
        "/api/v1/units",
        {"code": "P1.C2", "name": "Xã Hai", "kind": "commune_committee", "parent": "P1"},
    )
    assert r.status_code == 201 and r.json()["parent"] == "P1"
    r = post(
        "/api/v1/units",
        {"code": "K3", "name": "Chi bộ Ba", "kind": "grassroots_cell", "parent": "P1.C2"},
    )
    assert r.status_code == 201
    r = post("/api/v1/units", {"code": "BAD", "name": "Cell", "kind": "cell", "parent": "P1"})
    assert r.status_code == 422 and r.json()["code"] == "unit.parent_kind_not_allowed"
    assert (
        post(
            "/api/v1/units", {"code": "TOP", "name": "Top", "kind": "province_committee"}
        ).status_code
        == 403
    )
    assert (
        post(
            "/api/v1/units", {"code": "X", "name": "X", "kind": "grassroots_cell", "parent": "P2"}
        ).status_code
        == 404
    )
    r = c.patch("/api/v1/units/K3", {"name": "Chi bộ Ba Mới"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["name"] == "Chi bộ Ba Mới"
    r = post("/api/v1/units/K2/move", {"parent": "P1.C2", "date": "2025-07-01"})
    assert r.status_code == 200 and r.json()["parent"] == "P1.C2"
    r = post(
        "/api/v1/units/K2/merge", {"into": "K3", "date": TODAY.isoformat(), "document": "5-QĐ"}
    )
    assert r.status_code == 200 and r.json()["dissolved_on"] == TODAY.isoformat()
    assert Member.objects.get(full_name="Ngô Thị Khác").unit.code == "K3"
    # A clerk may see units but not manage them.
    r = api["c"]["clerk1"].patch("/api/v1/units/K1", {"name": "x"}, content_type="application/json")
    assert r.status_code == 403


def test_api_reads_of_personal_data_are_audited_like_a_dossier_view(api):
    c = api["c"]
    binh, cuong = api["people"]["Trần Văn Bình"], api["people"]["Lê Văn Cường"]
    assert c["clerk1"].get(f"/api/v1/members/{binh.pk}").status_code == 200
    read = AuditEntry.objects.get(event_type="member.dossier_viewed")
    assert read.object_id == str(binh.pk) and read.via == "token:clerk1-script"
    assert read.actor.username == "clerk1" and read.unit.code == "K1"
    assert c["clerk1"].get("/api/v1/members", {"status": "full"}).status_code == 200
    page = AuditEntry.objects.get(event_type="member.list_viewed")
    assert sorted(page.after["members"]) == sorted([binh.pk, cuong.pk])
    assert page.after["filters"] == {"status": "full"} and page.unit.code == "K1"
    # A page that showed personal data only masked, or nobody, is no read of personal data.
    assert c["viewer"].get("/api/v1/members", {"unit": "P1.C1"}).status_code == 200
    assert c["clerk1"].get("/api/v1/members", {"q": "nobody by that name"}).status_code == 200
    assert AuditEntry.objects.filter(event_type="member.list_viewed").count() == 1
    # Reading one member is logged whatever the role sees, as the browser's dossier is.
    assert c["viewer"].get(f"/api/v1/members/{binh.pk}").status_code == 200
    assert AuditEntry.objects.filter(event_type="member.dossier_viewed").count() == 2


def test_a_national_id_held_in_another_province_is_refused_without_naming_the_holder(api):
    c = api["c"]
    p2 = OrgUnit.objects.get(code="P2")
    c2 = unit_create(actor=None, code="P2.C1", name="Xã Hai", kind="commune_committee", parent=p2)
    k = unit_create(actor=None, code="P2.K1", name="Chi bộ Xa", kind="grassroots_cell", parent=c2)
    holder = ms.member_register_applicant(
        actor=None,
        unit=k,
        date=dt.date(2021, 1, 1),
        full_name="Vũ Văn Giữ",
        gender="male",
        national_id="079090000077",
        taken_over=True,
    )
    binh = api["people"]["Trần Văn Bình"]
    patch = {"version": Member.objects.get(pk=binh.pk).version, "national_id": "079090000077"}
    response = c["clerk1"].patch(
        f"/api/v1/members/{binh.pk}", patch, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["code"] == "member.national_id_taken"
    body = response.content.decode()
    for leak in (f"#{holder.pk}", f"cadrebook:{holder.pk}", "P2", "Giữ", "Chi bộ Xa"):
        assert leak not in body, leak
    new = {
        "unit": "K1",
        "full_name": "Đỗ Văn Mới",
        "gender": "male",
        "birth_date": "1999-05-05",
        "registered_on": (TODAY - dt.timedelta(days=90)).isoformat(),
        "sponsors": [binh.pk, api["people"]["Lê Văn Cường"].pk],
        "national_id": "079090000077",
    }
    response = c["clerk1"].post("/api/v1/members", new, content_type="application/json")
    assert response.status_code == 409, response.content
    assert "P2" not in response.content.decode()
    assert not Member.objects.filter(full_name="Đỗ Văn Mới").exists()
    clashes = AuditEntry.objects.filter(event_type="member.national_id_clash").order_by("id")
    assert [(e.object_id, e.unit.code, e.after["attempted_in"]) for e in clashes] == [
        (str(holder.pk), "P2.K1", "K1"),
        (str(holder.pk), "P2.K1", "K1"),
    ]
    # The holder's administrators find the attempts in their audit log; the clerk does not.
    theirs = c["outsider"].get("/api/v1/audit").json()["items"]
    assert sum(e["event_type"] == "member.national_id_clash" for e in theirs) == 2


def test_a_dated_move_through_the_api_keeps_the_old_shape_for_earlier_dates(api):
    from cadrebook.orgs.models import OrgUnit
    from cadrebook.orgs.placements import ancestors_on

    organizer = get_user_model().objects.create_user(username="org")
    p1 = OrgUnit.objects.get(code="P1")
    role_grant(actor=None, user=organizer, role=Role.ORGANIZER, unit=p1)
    _t, raw = token_create(actor=None, user=organizer, name="builder")
    c = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    post = lambda url, data: c.post(url, data, content_type="application/json")  # noqa: E731
    r = post(
        "/api/v1/units",
        {"code": "P1.C2", "name": "Xã Hai", "kind": "commune_committee", "parent": "P1"},
    )
    assert r.status_code == 201
    cell = OrgUnit.objects.filter(path__startswith=p1.path, kind="grassroots_cell").first()
    old_parent = OrgUnit.objects.get_parent(cell)
    r = post(f"/api/v1/units/{cell.code}/move", {"parent": "P1.C2"})
    assert r.status_code == 422  # a move needs its date
    r = post(
        f"/api/v1/units/{cell.code}/move",
        {"parent": "P1.C2", "date": "2025-07-01", "document": "9-QĐ/TU"},
    )
    assert r.status_code == 200 and r.json()["parent"] == "P1.C2"
    cell.refresh_from_db()
    assert ancestors_on(cell, dt.date(2025, 6, 30))[-2] == old_parent.pk
    assert OrgUnit.objects.get_parent(cell).code == "P1.C2"
    r = post(f"/api/v1/units/{cell.code}/move", {"parent": old_parent.code, "date": "2025-01-01"})
    assert r.status_code == 422 and r.json()["code"] == "unit.move_before_history"
    r = c.patch(
        "/api/v1/units/P1.C2",
        {"name": "Xã Hai Mới", "date": "2025-08-01", "document": "10-QĐ/TU"},
        content_type="application/json",
    )
    assert r.status_code == 200
    renamed = AuditEntry.objects.filter(event_type="unit.renamed").latest("pk")
    assert renamed.before["name"] == "Xã Hai"
    assert (renamed.after["date"], renamed.after["document"]) == ("2025-08-01", "10-QĐ/TU")
    r = post("/api/v1/units/P1.C2/dissolve", {"date": "2025-09-01"})
    assert r.status_code == 422 and r.json()["code"] == "unit.has_members"


def test_a_late_recognition_reads_with_both_its_dates(api):
    """`recognized_on` is when full membership took effect (the end of probation);
    `recognition_decided_on` is the decision's date, the one a members file carries."""
    k1 = OrgUnit.objects.get(code="K1")
    late = ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k1,
        date=dt.date(2021, 1, 1),
        full_name="Vũ Văn Muộn",
        gender="male",
        birth_date=dt.date(1991, 1, 1),
    )
    ms.member_admit(taken_over=True, actor=None, member=late, date=dt.date(2021, 8, 7))
    ms.member_recognize(taken_over=True, actor=None, member=late, date=dt.date(2022, 9, 3))
    clerk = api["c"]["clerk1"]
    one = clerk.get(f"/api/v1/members/{late.pk}").json()
    assert one["recognized_on"] == "2022-08-07"
    assert one["recognition_decided_on"] == "2022-09-03"
    listed = clerk.get("/api/v1/members", {"q": "vu van muon"}).json()["items"]
    assert [(m["recognized_on"], m["recognition_decided_on"]) for m in listed] == [
        ("2022-08-07", "2022-09-03")
    ]
    probationary = api["young"]
    assert clerk.get(f"/api/v1/members/{probationary.pk}").json()["recognition_decided_on"] is None
