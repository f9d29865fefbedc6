"""The lifecycle workflows in the browser (forms): rule refusals next to the field, confirmation
before destructive actions, and transfers accepted or returned by the receiving unit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.members import services as ms
from cadrebook.members.models import Member, MemberEvent
from cadrebook.orgs.services import unit_create

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def world() -> dict[str, Any]:
    """Two cells in two communes of one province; a clerk for each; an outsider elsewhere."""
    p = unit_create(actor=None, code="P1", name="Tỉnh Một", kind="province_committee")
    c1 = unit_create(actor=None, code="P1.C1", name="Xã Một", kind="commune_committee", parent=p)
    c2 = unit_create(actor=None, code="P1.C2", name="Xã Hai", kind="commune_committee", parent=p)
    k1 = unit_create(
        actor=None, code="P1.C1.K1", name="Chi bộ Một", kind="grassroots_cell", parent=c1
    )
    k2 = unit_create(
        actor=None, code="P1.C2.K2", name="Chi bộ Hai", kind="grassroots_cell", parent=c2
    )
    p2 = unit_create(actor=None, code="P2", name="Tỉnh Hai", kind="province_committee")
    people = {}
    for name, birth in [
        ("Trần Văn Bình", dt.date(1990, 3, 1)),
        ("Lê Văn Cường", dt.date(1980, 1, 1)),
    ]:
        m = ms.member_register_applicant(
            taken_over=True,
            actor=None,
            unit=k1,
            date=dt.date(2020, 1, 1),
            full_name=name,
            gender="male",
            birth_date=birth,
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
    users = {}
    for name, role, unit in [
        ("sender", Role.CLERK, k1),
        ("receiver", Role.CLERK, k2),
        ("viewer", Role.VIEWER, c1),
        ("outsider", Role.ORGANIZER, p2),
    ]:
        users[name] = get_user_model().objects.create_user(username=name)
        role_grant(actor=None, user=users[name], role=role, unit=unit)
    return {"k1": k1, "k2": k2, "people": people, "young": young, "users": users}


def _as(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def _url(member: Member, action: str) -> str:
    return reverse("members:action", args=[member.pk, action])


def test_the_dossier_offers_the_actions_that_apply_to_the_member(client, world):
    c = _as(client, world["users"]["sender"])
    page = c.get(reverse("members:dossier", args=[world["young"].pk])).content.decode()
    assert _url(world["young"], "admit") in page
    assert _url(world["young"], "recognize") not in page
    binh = world["people"]["Trần Văn Bình"]
    page = c.get(reverse("members:dossier", args=[binh.pk])).content.decode()
    assert _url(binh, "transfer") in page and _url(binh, "admit") not in page


@pytest.mark.parametrize("language", ["vi", "km"])
def test_admitting_a_17_year_old_is_refused_next_to_the_date_naming_the_rule(
    client, world, language
):
    c = _as(client, world["users"]["sender"])
    young = world["young"]
    response = c.post(
        _url(young, "admit"),
        {"date": TODAY.isoformat(), "document": "12-QĐ/ĐU"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors["date"], form.errors
    with translation.override(language):
        source = "294-QĐ/TW"
        assert source in str(form.errors["date"])
    young.refresh_from_db()
    assert young.status == "applicant"
    assert not MemberEvent.objects.filter(member=young, type="admitted").exists()


def test_a_removal_asks_for_confirmation_and_the_document_first(client, world):
    c = _as(client, world["users"]["sender"])
    binh = world["people"]["Trần Văn Bình"]
    data = {"date": TODAY.isoformat(), "reason": "absent for a year"}
    response = c.post(_url(binh, "remove"), data)
    assert response.status_code == 422
    assert "document" in response.context["form"].errors
    data["document"] = "5-QĐ/CB"
    response = c.post(_url(binh, "remove"), data)
    assert response.status_code == 200 and response.context["confirming"]
    binh.refresh_from_db()
    assert binh.status == "full"  # nothing recorded before the confirmation
    response = c.post(_url(binh, "remove"), {**data, "confirmed": "yes"})
    assert response.status_code == 302
    binh.refresh_from_db()
    assert binh.status == "removed"
    event = MemberEvent.objects.get(member=binh, type="removed")
    assert event.document == "5-QĐ/CB" and event.reason == "absent for a year"


def test_a_transfer_is_issued_by_the_sender_and_accepted_by_the_receiver(client, world):
    binh = world["people"]["Trần Văn Bình"]
    sender = _as(client, world["users"]["sender"])
    response = sender.post(
        _url(binh, "transfer"),
        {"date": TODAY.isoformat(), "to_unit": "P1.C2.K2", "document": "9-QĐ/ĐU"},
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    binh.refresh_from_db()
    assert binh.pending_transfer_to == world["k2"] and binh.unit == world["k1"]
    outgoing = sender.get(reverse("members:transfers", args=["P1.C1.K1"]))
    assert "Trần Văn Bình" in outgoing.content.decode()
    assert [r["member"] for r in outgoing.context["outgoing"]] == [binh]

    receiver = _as(client, world["users"]["receiver"])
    # The receiving clerk cannot open the dossier yet, but sees the transfer coming.
    assert receiver.get(reverse("members:dossier", args=[binh.pk])).status_code == 404
    incoming = receiver.get(reverse("members:transfers", args=["P1.C2.K2"]))
    assert [r["member"] for r in incoming.context["incoming"]] == [binh]
    assert incoming.context["incoming"][0]["deadline"] > TODAY
    response = receiver.post(
        _url(binh, "accept_transfer"), {"date": TODAY.isoformat(), "document": "9-QĐ/ĐU"}
    )
    assert response.status_code == 302
    binh.refresh_from_db()
    assert binh.unit == world["k2"] and binh.pending_transfer_to is None
    types = list(MemberEvent.objects.filter(member=binh).values_list("type", flat=True))
    assert types[-2:] == ["transfer_out", "transfer_in"]
    assert receiver.get(reverse("members:dossier", args=[binh.pk])).status_code == 200
    # The old cell no longer lists the member; the new one does.
    sender = _as(client, world["users"]["sender"])
    assert (
        "Trần Văn Bình"
        not in sender.get(reverse("orgs:detail", args=["P1.C1.K1"])).content.decode()
    )
    assert sender.get(reverse("members:dossier", args=[binh.pk])).status_code == 404
    receiver = _as(client, world["users"]["receiver"])
    assert (
        "Trần Văn Bình" in receiver.get(reverse("orgs:detail", args=["P1.C2.K2"])).content.decode()
    )


def test_the_receiver_can_return_a_transfer_with_a_reason(client, world):
    cuong = world["people"]["Lê Văn Cường"]
    ms.member_transfer_out(actor=None, member=cuong, date=TODAY, to_unit=world["k2"])
    receiver = _as(client, world["users"]["receiver"])
    response = receiver.post(_url(cuong, "return_transfer"), {"date": TODAY.isoformat()})
    assert response.status_code == 422 and "reason" in response.context["form"].errors
    response = receiver.post(
        _url(cuong, "return_transfer"), {"date": TODAY.isoformat(), "reason": "wrong cell"}
    )
    assert response.status_code == 302
    cuong.refresh_from_db()
    assert cuong.unit == world["k1"] and cuong.pending_transfer_to is None


def test_a_transfer_names_a_known_unit_or_a_destination_outside(client, world):
    binh = world["people"]["Trần Văn Bình"]
    c = _as(client, world["users"]["sender"])
    response = c.post(_url(binh, "transfer"), {"date": TODAY.isoformat(), "to_unit": "NOPE"})
    assert response.status_code == 422 and "NOPE" in str(response.context["form"].errors)
    response = c.post(_url(binh, "transfer"), {"date": TODAY.isoformat()})
    assert response.status_code == 422 and "to_unit" in response.context["form"].errors
    binh.refresh_from_db()
    assert binh.pending_transfer_to is None and binh.status == "full"


def test_the_unit_lookup_finds_cells_by_unaccented_name_or_code(client, world):
    c = _as(client, world["users"]["sender"])
    assert "P1.C2.K2" in c.get(reverse("orgs:lookup"), {"to_unit": "chi bo hai"}).content.decode()
    assert "P1.C2.K2" in c.get(reverse("orgs:lookup"), {"host": "p1.c2"}).content.decode()
    assert "P1.C1" not in c.get(reverse("orgs:lookup"), {"q": "xa mot"}).content.decode()


def test_actions_answer_404_out_of_scope_and_403_to_a_viewer(client, world):
    binh = world["people"]["Trần Văn Bình"]
    assert _as(client, world["users"]["outsider"]).get(_url(binh, "remove")).status_code == 404
    assert (
        _as(client, world["users"]["receiver"]).get(_url(binh, "accept_transfer")).status_code
        == 404
    )
    assert _as(client, world["users"]["viewer"]).get(_url(binh, "remove")).status_code == 403
    assert (
        _as(client, world["users"]["sender"]).get(_url(binh, "no-such-action")).status_code == 404
    )


def _form_data(response: Any) -> dict[str, Any]:
    """The values a browser would send back from the edit form."""
    form = response.context["form"]
    data = {}
    for field in form:
        value = field.value()
        data[field.html_name] = (
            "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else value)
        )
    return data


def test_a_second_concurrent_edit_is_shown_the_conflict_and_can_re_apply(client, world):
    from cadrebook.core.models import AuditEntry

    binh = world["people"]["Trần Văn Bình"]
    c = _as(client, world["users"]["sender"])
    url = reverse("members:edit", args=[binh.pk])
    mine = _form_data(c.get(url))
    # Another officer saves a new phone number meanwhile.
    binh.refresh_from_db()
    ms.member_update_personal(actor=None, member=binh, version=binh.version, phone="0911111111")
    mine["occupation"] = "Giáo viên"
    response = c.post(url, mine)
    assert response.status_code == 409
    conflict = response.context["conflict"]
    assert [(row["now"], row["mine"]) for row in conflict] == [("0911111111", None)]
    binh.refresh_from_db()
    assert binh.occupation == ""  # nothing of the second edit was saved silently
    # The form comes back with the current record and this officer's change on top.
    again = _form_data(response)
    assert again["phone"] == "0911111111" and again["occupation"] == "Giáo viên"
    assert c.post(url, again).status_code == 302
    binh.refresh_from_db()
    assert (binh.phone, binh.occupation) == ("0911111111", "Giáo viên")
    entry = AuditEntry.objects.filter(event_type="member.personal_data").latest("id")
    assert entry.before["occupation"] == "" and entry.after["occupation"] == "Giáo viên"


def test_personal_data_errors_are_shown_and_nothing_is_saved(client, world):
    binh, cuong = world["people"]["Trần Văn Bình"], world["people"]["Lê Văn Cường"]
    cuong.refresh_from_db()
    ms.member_update_personal(
        actor=None, member=cuong, version=cuong.version, national_id="001080000001"
    )
    c = _as(client, world["users"]["sender"])
    url = reverse("members:edit", args=[binh.pk])
    data = _form_data(c.get(url))
    data.update(national_id="001080000001", full_name="Trần Văn Bình Mới")
    response = c.post(url, data)
    assert response.status_code == 422
    assert "national_id" in response.context["form"].errors
    binh.refresh_from_db()
    assert binh.full_name == "Trần Văn Bình" and not binh.national_id
    assert _as(client, world["users"]["viewer"]).get(url).status_code == 403
    assert _as(client, world["users"]["outsider"]).get(url).status_code == 404


def test_a_temporary_transfer_can_be_ended_only_while_it_lasts(client, world):
    binh = world["people"]["Trần Văn Bình"]
    c = _as(client, world["users"]["sender"])
    dossier = reverse("members:dossier", args=[binh.pk])
    assert _url(binh, "end_temporary_transfer") not in c.get(dossier).content.decode()
    response = c.post(
        _url(binh, "temporary_transfer"),
        {
            "date": TODAY.isoformat(),
            "host": "P1.C2.K2",
            "until": (TODAY + dt.timedelta(days=200)).isoformat(),
            "reason": "study",
            "document": "1-QĐ",
        },
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    page = c.get(dossier).content.decode()
    assert _url(binh, "end_temporary_transfer") in page
    assert _url(binh, "temporary_transfer") + '"' not in page


def test_the_unit_page_lists_what_waits_for_a_decision(client, world):
    from cadrebook.core.dates import add_months

    k1 = world["k1"]
    due = ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k1,
        date=dt.date(2020, 1, 1),
        full_name="Võ Văn Dự",
        gender="male",
        birth_date=dt.date(1995, 1, 1),
    )
    ms.member_admit(
        taken_over=True, actor=None, member=due, date=add_months(TODAY, -12) + dt.timedelta(days=10)
    )
    late = ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k1,
        date=dt.date(2020, 1, 1),
        full_name="Hồ Thị Trễ",
        gender="female",
        birth_date=dt.date(1995, 1, 1),
    )
    ms.member_admit(taken_over=True, actor=None, member=late, date=add_months(TODAY, -14))
    later = ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k1,
        date=dt.date(2020, 1, 1),
        full_name="Mai Văn Sau",
        gender="male",
        birth_date=dt.date(1995, 1, 1),
    )
    ms.member_admit(taken_over=True, actor=None, member=later, date=add_months(TODAY, -6))
    binh = world["people"]["Trần Văn Bình"]
    ms.member_transfer_out(actor=None, member=binh, date=TODAY, to_unit=world["k2"])

    c = _as(client, world["users"]["sender"])
    due_lists = c.get(reverse("orgs:detail", args=["P1.C1.K1"])).context["due"]
    recognition = {i["member"].full_name: i["overdue"] for i in due_lists["recognition"].items}
    assert recognition == {"Võ Văn Dự": False, "Hồ Thị Trễ": True}
    page = c.get(reverse("orgs:detail", args=["P1.C1.K1"])).content.decode()
    assert _url(late, "recognize") in page
    # Two full members (Bình is still one while his transfer waits) < 3: the cell is weak.
    assert [i["unit"].code for i in due_lists["cells"].items] == ["P1.C1.K1"]
    assert {m.full_name for m in due_lists["cards"].items} == {"Trần Văn Bình", "Lê Văn Cường"}
    assert _url(binh, "card") in page

    receiver = _as(client, world["users"]["receiver"])
    due_lists = receiver.get(reverse("orgs:detail", args=["P1.C2.K2"])).context["due"]
    assert [i["member"] for i in due_lists["transfers"].items] == [binh]
    response = receiver.post(_url(binh, "accept_transfer"), {"date": TODAY.isoformat()})
    assert response.status_code == 302


def test_a_card_number_is_recorded_in_the_rule_sets_format(client, world):
    cuong = world["people"]["Lê Văn Cường"]
    c = _as(client, world["users"]["sender"])
    response = c.post(_url(cuong, "card"), {"card_number": "12345"})
    assert response.status_code == 422 and "card_number" in response.context["form"].errors
    assert c.post(_url(cuong, "card"), {"card_number": "01.234567"}).status_code == 302
    cuong.refresh_from_db()
    assert cuong.card_number == "01.234567"


def test_the_member_list_filters_pages_by_keyset_and_exports_exactly_the_list(
    client, world, settings
):
    import csv
    import io

    from cadrebook.core.models import AuditEntry
    from cadrebook.members import lists

    monkey_page = 2
    settings.DEBUG = False
    k1 = world["k1"]
    for i in range(5):
        ms.member_register_applicant(
            taken_over=True,
            actor=None,
            unit=k1,
            date=dt.date(2021, 1, 1),
            full_name=f"Ngô Văn {i}",
            gender="male",
            birth_date=dt.date(1990, 1, 1 + i),
        )
    ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k1,
        date=dt.date(2021, 1, 1),
        full_name="=HYPERLINK(1)",
        gender="female",
        birth_date=dt.date(1991, 1, 1),
        national_id="001091000001",
    )
    c = _as(client, world["users"]["sender"])
    url = reverse("members:list")
    old_size, lists.PAGE_SIZE = lists.PAGE_SIZE, monkey_page
    try:
        names, query = [], {"unit": "P1.C1.K1", "status": "applicant", "q": "ngo van"}
        response = c.get(url, query)
        while True:
            page = response.context["page"]
            names += [m.full_name for m in page.rows]
            if not page.next_cursor:
                break
            response = c.get(url, {**query, "after": page.next_cursor})
    finally:
        lists.PAGE_SIZE = old_size
    assert names == [f"Ngô Văn {i}" for i in range(5)]
    ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k1,
        date=dt.date(2021, 1, 1),
        full_name="Không Rõ Ngày",
        gender="male",
    )
    old_size, lists.PAGE_SIZE = lists.PAGE_SIZE, monkey_page
    try:
        got, query = [], {"unit": "P1.C1.K1", "status": "applicant", "sort": "-birth_date"}
        response = c.get(url, query)
        while True:
            page = response.context["page"]
            got += [m.full_name for m in page.rows]
            if not page.next_cursor:
                break
            response = c.get(url, {**query, "after": page.next_cursor})
    finally:
        lists.PAGE_SIZE = old_size
    # The youngest first, every row once, the one without a date of birth last.
    assert got == [
        "Phạm Thị Trẻ",
        "=HYPERLINK(1)",
        *[f"Ngô Văn {i}" for i in range(4, -1, -1)],
        "Không Rõ Ngày",
    ]
    assert c.get(url, {"unit": "P1.C1.K1", "after": "garbage"}).status_code == 200
    assert c.get(url, {"unit": "P2"}).status_code == 404

    response = c.get(
        url, {"unit": "P1.C1.K1", "status": "applicant", "gender": "female", "export": "csv"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(1)", "Phạm Thị Trẻ"]  # by name
    assert rows[1][4] == "001091000001"  # the clerk may read national IDs
    entry = AuditEntry.objects.filter(event_type="export.member_list").latest("id")
    assert entry.after["rows"] == 2 and entry.after["filters"]["gender"] == "female"

    viewer = _as(client, world["users"]["viewer"])
    response = viewer.get(
        url, {"unit": "P1.C1.K1", "status": "applicant", "gender": "female", "export": "xlsx"}
    )
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][4] == "••••" and "001091000001" not in str(values)
    assert AuditEntry.objects.filter(event_type="export.member_list").latest("id").after["masked"]


def test_an_applicant_is_registered_with_two_full_members_as_sponsors(client, world):
    from cadrebook.members.models import Sponsorship

    binh, cuong = world["people"]["Trần Văn Bình"], world["people"]["Lê Văn Cường"]
    c = _as(client, world["users"]["sender"])
    options = c.get(reverse("members:sponsor_lookup"), {"sponsor_1": "tran van binh"})
    assert f"Trần Văn Bình (#{binh.pk})" in options.content.decode()
    assert (
        "Phạm Thị Trẻ"
        not in c.get(reverse("members:sponsor_lookup"), {"q": "pham"}).content.decode()
    )
    url = reverse("members:register", args=["P1.C1.K1"])
    data = {
        "full_name": "Đỗ Thị Mới",
        "gender": "female",
        "birth_date": "1998-04-05",
        "date": TODAY.isoformat(),
        "sponsor_1": f"Trần Văn Bình (#{binh.pk})",
        "sponsor_2": f"Trần Văn Bình (#{binh.pk})",
    }
    response = c.post(url, data)
    assert response.status_code == 422
    assert "294-QĐ/TW" in str(response.context["form"].errors["sponsor_1"])
    assert not Member.objects.filter(full_name="Đỗ Thị Mới").exists()
    young = world["young"]
    response = c.post(url, {**data, "sponsor_2": f"Phạm Thị Trẻ (#{young.pk})"})
    assert response.status_code == 422  # an applicant cannot sponsor
    assert not Member.objects.filter(full_name="Đỗ Thị Mới").exists()
    response = c.post(url, {**data, "sponsor_2": f"Lê Văn Cường (#{cuong.pk})"})
    assert response.status_code == 302
    new = Member.objects.get(full_name="Đỗ Thị Mới")
    assert new.status == "applicant" and new.unit == world["k1"]
    assert set(Sponsorship.objects.filter(applicant=new).values_list("sponsor", flat=True)) == {
        binh.pk,
        cuong.pk,
    }
    assert "Lê Văn Cường" in c.get(reverse("members:dossier", args=[new.pk])).content.decode()
    # An outsider can neither register here nor name members they cannot see.
    assert _as(client, world["users"]["outsider"]).get(url).status_code == 404
    assert _as(client, world["users"]["viewer"]).get(url).status_code == 403


def test_a_mistaken_event_is_corrected_after_confirmation_and_kept_in_the_history(client, world):
    binh = world["people"]["Trần Văn Bình"]
    admitted = MemberEvent.objects.get(member=binh, type="admitted")
    c = _as(client, world["users"]["sender"])
    url = reverse("members:correct", args=[binh.pk, admitted.pk])
    assert url in c.get(reverse("members:dossier", args=[binh.pk])).content.decode()
    response = c.post(url, {"what": "date", "reason": "typo"})
    assert response.status_code == 422 and "date" in response.context["form"].errors
    data = {"what": "date", "date": "2020-01-29", "reason": "typo in the register"}
    response = c.post(url, data)
    assert response.context["confirming"]
    assert not MemberEvent.objects.filter(member=binh, type="correction").exists()
    assert c.post(url, {**data, "confirmed": "yes"}).status_code == 302
    correction = MemberEvent.objects.get(member=binh, type="correction")
    assert correction.corrects == admitted and correction.date == dt.date(2020, 1, 29)
    binh.refresh_from_db()
    assert binh.admitted_on == dt.date(2020, 1, 29)
    assert MemberEvent.objects.filter(pk=admitted.pk, date=dt.date(2020, 2, 1)).exists()
    other = world["people"]["Lê Văn Cường"].events.first()
    assert c.get(reverse("members:correct", args=[binh.pk, other.pk])).status_code == 404
    assert _as(client, world["users"]["viewer"]).get(url).status_code == 403


def test_a_transfer_issued_long_after_the_move_carries_a_warning(client, world):
    binh = world["people"]["Trần Văn Bình"]
    c = _as(client, world["users"]["sender"])
    response = c.post(
        _url(binh, "transfer"),
        {
            "date": TODAY.isoformat(),
            "to_unit": "P1.C2.K2",
            "moved_on": (TODAY - dt.timedelta(days=120)).isoformat(),
        },
        follow=True,
    )
    notes = [str(m) for m in response.context["messages"]]
    assert any("294-QĐ/TW" in n and "60" in n for n in notes), notes
    binh.refresh_from_db()
    assert binh.pending_transfer_to == world["k2"]  # the transfer stands


def test_column_headers_sort_the_list_and_turn_the_order_round(client, world):
    c = _as(client, world["users"]["sender"])
    url = reverse("members:list")
    page = c.get(url, {"unit": "P1.C1.K1", "status": "all"}).content.decode()
    assert "sort=birth_date" in page and 'aria-sort="ascending"' in page  # by name
    page = c.get(url, {"unit": "P1.C1.K1", "status": "all", "sort": "birth_date"}).content.decode()
    assert "sort=-birth_date" in page
    rows = (
        c.get(url, {"unit": "P1.C1.K1", "status": "all", "sort": "-birth_date"})
        .context["page"]
        .rows
    )
    assert rows[0].full_name == "Phạm Thị Trẻ"


def test_a_viewer_cannot_find_masked_values_by_filtering_or_sorting(client, world):
    """Dates of birth, ethnicity and national IDs are masked for a viewer: filters on them
    are refused (as the API refuses them) and the order by date of birth becomes the order
    by name."""
    url = reverse("members:list")
    viewer = _as(client, world["users"]["viewer"])

    def names(**params: str) -> list[str]:
        page = viewer.get(url, {"unit": "P1.C1.K1", **params}).content.decode()
        return [n for n in ("Lê Văn Cường", "Trần Văn Bình") if n in page]

    everyone = names()
    assert everyone == ["Lê Văn Cường", "Trần Văn Bình"]
    assert names(ethnicity="Nobody") == []  # refused, not quietly widened to everyone
    assert viewer.get(url, {"unit": "P1.C1.K1", "ethnicity": "Nobody"}).status_code == 403
    page = viewer.get(url, {"unit": "P1.C1.K1", "sort": "-birth_date"}).content.decode()
    assert page.index("Lê Văn Cường") < page.index("Trần Văn Bình")  # by name, not by age
    # ... and the other filters hold: the order is dropped, not the search with it.
    assert names(q="binh", sort="birth_date") == ["Trần Văn Bình"]
    clerk = _as(client, world["users"]["sender"])
    page = clerk.get(url, {"unit": "P1.C1.K1", "sort": "-birth_date"}).content.decode()
    assert page.index("Trần Văn Bình") < page.index("Lê Văn Cường")  # the younger first
