"""Every page against four personas: national administrator, province organizer, cell clerk,
and an outsider whose grant is on another subtree and who must never see this one's data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.core.models import AuditEntry
from cadrebook.members import services as ms
from cadrebook.orgs.services import unit_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two provinces; members in a cell of the first; one user per persona."""
    u = get_user_model().objects
    p1 = unit_create(actor=None, code="P1", name="Tỉnh Một", kind="province_committee")
    c1 = unit_create(
        actor=None, code="P1.C1", name="Xã Tân Phú", kind="commune_committee", parent=p1
    )
    g1 = unit_create(
        actor=None, code="P1.G1", name="Đảng bộ cơ sở A", kind="grassroots_committee", parent=c1
    )
    k1 = unit_create(actor=None, code="P1.K1", name="Chi bộ Thôn 1", kind="cell", parent=g1)
    p2 = unit_create(actor=None, code="P2", name="Tỉnh Hai", kind="province_committee")
    c2 = unit_create(actor=None, code="P2.C1", name="Xã Khác", kind="commune_committee", parent=p2)
    k2 = unit_create(
        actor=None, code="P2.K1", name="Chi bộ Khác", kind="grassroots_cell", parent=c2
    )
    people = {}
    for name, birth in [
        ("Đặng Đức Ước", dt.date(1990, 3, 1)),
        ("Nguyễn Văn An", dt.date(1985, 6, 2)),
    ]:
        m = ms.member_register_applicant(
            taken_over=True,
            actor=None,
            unit=k1,
            date=dt.date(2020, 1, 1),
            full_name=name,
            gender="male",
            birth_date=birth,
            national_id=f"0010{birth:%Y%m%d}",
            phone="0900000000",
        )
        ms.member_admit(taken_over=True, actor=None, member=m, date=dt.date(2020, 2, 1))
        people[name] = m
    other = ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k2,
        date=dt.date(2021, 1, 1),
        full_name="Lê Thị Khác",
        gender="female",
        birth_date=dt.date(1995, 1, 1),
    )
    users = {}
    for name, role, unit in [
        ("national", Role.ADMINISTRATOR, None),
        ("organizer", Role.ORGANIZER, p1),
        ("clerk", Role.CLERK, k1),
        ("viewer", Role.VIEWER, c1),
        ("outsider", Role.ORGANIZER, p2),
    ]:
        users[name] = u.create_user(username=name, password="pw-for-tests-123")
        role_grant(actor=None, user=users[name], role=role, unit=unit)
    return {
        "p1": p1,
        "k1": k1,
        "p2": p2,
        "k2": k2,
        "people": people,
        "other": other,
        "users": users,
    }


def _client(client, user):
    client.force_login(user)
    return client


def test_anonymous_visitors_are_sent_to_the_login_page(client, world):
    for url in [
        reverse("orgs:tree"),
        reverse("orgs:detail", args=["P1"]),
        reverse("members:dossier", args=[world["people"]["Nguyễn Văn An"].pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["national", "organizer", "clerk", "viewer"])
def test_personas_with_a_grant_see_their_cell_and_its_members(client, world, persona):
    c = _client(client, world["users"][persona])
    response = c.get(reverse("orgs:detail", args=["P1.K1"]))
    assert response.status_code == 200
    assert "Nguyễn Văn An" in response.content.decode()
    an = world["people"]["Nguyễn Văn An"]
    assert c.get(reverse("members:dossier", args=[an.pk])).status_code == 200


def test_the_outsider_gets_404_for_every_page_of_another_subtree(client, world):
    c = _client(client, world["users"]["outsider"])
    an = world["people"]["Nguyễn Văn An"]
    for url in [
        reverse("orgs:detail", args=["P1"]),
        reverse("orgs:detail", args=["P1.K1"]),
        reverse("orgs:children", args=["P1"]),
        reverse("members:dossier", args=[an.pk]),
        reverse("core:audit_unit", args=["P1"]),
    ]:
        assert c.get(url).status_code == 404, url
    tree = c.get(reverse("orgs:tree")).content.decode()
    assert "Tỉnh Hai" in tree and "Tỉnh Một" not in tree
    # Missing objects answer exactly like hidden ones.
    assert c.get(reverse("members:dossier", args=[999999])).status_code == 404


def test_a_clerk_of_one_cell_does_not_see_the_province_page(client, world):
    c = _client(client, world["users"]["clerk"])
    assert c.get(reverse("orgs:detail", args=["P1"])).status_code == 404
    assert c.get(reverse("members:dossier", args=[world["other"].pk])).status_code == 404


def test_the_national_administrator_sees_both_provinces(client, world):
    c = _client(client, world["users"]["national"])
    tree = c.get(reverse("orgs:tree")).content.decode()
    assert "Tỉnh Một" in tree and "Tỉnh Hai" in tree


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dang duc uoc", "Đặng Đức Ước"),
        ("nguyen van an", "Nguyễn Văn An"),
        ("ĐẶNG ĐỨC", "Đặng Đức Ước"),
    ],
)
def test_unaccented_search_finds_the_member(client, world, query, expected):
    c = _client(client, world["users"]["organizer"])
    page = c.get(reverse("orgs:detail", args=["P1"]), {"q": query}).content.decode()
    page = page.split('id="member-list"')[1]  # the search results, not the due lists above
    assert expected in page
    others = {"Đặng Đức Ước", "Nguyễn Văn An"} - {expected}
    assert not any(o in page for o in others)


def test_viewers_see_sensitive_fields_masked_and_clerks_see_them(client, world):
    an = world["people"]["Nguyễn Văn An"]
    url = reverse("members:dossier", args=[an.pk])
    viewer_page = _client(client, world["users"]["viewer"]).get(url).content.decode()
    assert an.national_id not in viewer_page and "0900000000" not in viewer_page
    assert "1985" not in viewer_page.split('data-testid="personal"')[1].split("</dl>")[0]
    clerk_page = _client(client, world["users"]["clerk"]).get(url).content.decode()
    assert an.national_id in clerk_page and "0900000000" in clerk_page


def test_opening_a_dossier_is_written_to_the_audit_log(client, world):
    an = world["people"]["Nguyễn Văn An"]
    before = AuditEntry.objects.filter(event_type="member.dossier_viewed").count()
    _client(client, world["users"]["viewer"]).get(reverse("members:dossier", args=[an.pk]))
    entry = AuditEntry.objects.filter(event_type="member.dossier_viewed").first()
    assert AuditEntry.objects.filter(event_type="member.dossier_viewed").count() == before + 1
    assert entry.actor_name == "viewer" and entry.object_id == str(an.pk)


def test_the_dossier_shows_the_event_timeline_and_the_audit_trail(client, world):
    an = world["people"]["Nguyễn Văn An"]
    page = (
        _client(client, world["users"]["organizer"])
        .get(reverse("members:dossier", args=[an.pk]))
        .content.decode()
    )
    assert "Registered as applicant" in page and "Admitted (probationary)" in page
    assert "member.admitted" in page


def test_the_unit_audit_page_lists_changes_in_the_subtree_only(client, world):
    page = (
        _client(client, world["users"]["national"])
        .get(reverse("core:audit_unit", args=["P2"]))
        .content.decode()
    )
    assert "Lê Thị Khác" in page and "Nguyễn Văn An" not in page


def test_the_tree_expands_a_unit_with_htmx_and_shows_member_counts(client, world):
    c = _client(client, world["users"]["organizer"])
    fragment = c.get(reverse("orgs:children", args=["P1.G1"]), HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert "Chi bộ Thôn 1" in html
    assert ">2</span>" in html  # two probationary members in the cell
    assert "under minimum" in html  # no full members yet: flagged, not refused


def test_the_audit_trail_of_one_object_is_scoped_like_everything_else(client, world):
    an = world["people"]["Nguyễn Văn An"]
    url = reverse("core:audit_object", args=["members.member", an.pk])
    page = _client(client, world["users"]["organizer"]).get(url).content.decode()
    assert "member.admitted" in page and "member.registered" in page
    client.logout()
    assert _client(client, world["users"]["outsider"]).get(url).status_code == 404
    client.logout()
    # A viewer may read members but not the audit log: refused as in the API (403).
    assert _client(client, world["users"]["viewer"]).get(url).status_code == 403


def test_every_scoped_model_answers_visible_to(world):
    from cadrebook.accounts.models import RoleAssignment
    from cadrebook.core.models import AuditEntry
    from cadrebook.members.models import Member, MemberEvent, MemberPeriod
    from cadrebook.orgs.models import OrgUnit

    outsider, national = world["users"]["outsider"], world["users"]["national"]
    an = world["people"]["Nguyễn Văn An"]
    for model, obj_filter in [
        (OrgUnit, {"code": "P1.K1"}),
        (Member, {"pk": an.pk}),
        (MemberEvent, {"member": an}),
        (MemberPeriod, {"member": an}),
        (RoleAssignment, {"user": world["users"]["clerk"]}),
        (AuditEntry, {"object_id": str(an.pk), "object_type": "members.member"}),
    ]:
        action = "audit" if model is AuditEntry else "view"
        assert model.objects.visible_to(national, action).filter(**obj_filter).exists(), model
        assert not model.objects.visible_to(outsider, action).filter(**obj_filter).exists(), model


def _member_list_of(page: str) -> str:
    return page.split('id="member-list"')[1]


def test_a_viewer_cannot_confirm_a_masked_national_id_in_the_unit_search(client, world):
    an = world["people"]["Nguyễn Văn An"]
    url = reverse("orgs:detail", args=["P1.C1"])
    viewer = _client(client, world["users"]["viewer"])
    assert "Nguyễn Văn An" not in _member_list_of(
        viewer.get(url, {"q": an.national_id}).content.decode()
    )
    assert "Nguyễn Văn An" in _member_list_of(viewer.get(url, {"q": "van an"}).content.decode())
    organizer = _client(client, world["users"]["organizer"])
    page = organizer.get(url, {"q": an.national_id}).content.decode()
    assert "Nguyễn Văn An" in _member_list_of(page)


def test_a_viewer_cannot_confirm_a_masked_national_id_in_the_sponsor_lookup(client, world):
    an = world["people"]["Nguyễn Văn An"]
    ms.member_recognize(actor=None, member=an, date=dt.date(2021, 2, 1), taken_over=True)
    url = reverse("members:sponsor_lookup")
    viewer = _client(client, world["users"]["viewer"])
    assert f"#{an.pk}" not in viewer.get(url, {"q": an.national_id}).content.decode()
    assert f"#{an.pk}" in viewer.get(url, {"q": "nguyen van"}).content.decode()
    clerk = _client(client, world["users"]["clerk"])
    assert f"#{an.pk}" in clerk.get(url, {"q": an.national_id}).content.decode()


def test_a_viewer_cannot_confirm_a_masked_national_id_in_the_member_list(client, world):
    an = world["people"]["Nguyễn Văn An"]
    url = reverse("members:list")
    viewer = _client(client, world["users"]["viewer"])
    page = viewer.get(url, {"unit": "P1.C1", "q": an.national_id}).content.decode()
    assert "Nguyễn Văn An" not in page.split('id="member-rows"')[1]
    organizer = _client(client, world["users"]["organizer"])
    page = organizer.get(url, {"unit": "P1.C1", "q": an.national_id}).content.decode()
    assert "Nguyễn Văn An" in page.split('id="member-rows"')[1]


def test_a_member_list_page_with_unmasked_dates_of_birth_is_audited_naming_the_members(
    client, world
):
    url = reverse("members:list")
    _client(client, world["users"]["clerk"]).get(url, {"unit": "P1.K1"})
    entry = AuditEntry.objects.get(event_type="member.list_viewed")
    assert sorted(entry.after["members"]) == sorted(m.pk for m in world["people"].values())
    _client(client, world["users"]["viewer"]).get(url, {"unit": "P1.C1"})  # masked
    assert AuditEntry.objects.filter(event_type="member.list_viewed").count() == 1


def test_a_clerk_is_not_told_who_holds_a_national_id_out_of_their_sight_and_the_attempt_is_audited(
    client, world
):
    outsider = world["users"]["outsider"]  # the organizer (and auditor) of province P2
    holder = ms.member_register_applicant(
        actor=None,
        unit=world["k2"],
        date=dt.date(2021, 1, 1),
        full_name="Vũ Văn Giữ",
        gender="male",
        national_id="079090000077",
        taken_over=True,
    )
    clerk = _client(client, world["users"]["clerk"])
    an = world["people"]["Nguyễn Văn An"]
    url = reverse("members:edit", args=[an.pk])
    form = clerk.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["national_id"] = "079090000077"
    response = clerk.post(url, data)
    page = response.content.decode()
    assert "079090000077" in page and "national ID number" in page  # refused, in words
    for leak in (
        f"#{holder.pk}",
        f"cadrebook:{holder.pk}",
        "Vũ Văn Giữ",
        "Tỉnh Hai",
        "Chi bộ Khác",
    ):
        assert leak not in page, leak
    an.refresh_from_db()
    assert an.national_id != "079090000077"  # nothing changed
    entry = AuditEntry.objects.get(event_type="member.national_id_clash")
    assert entry.action == "refused" and entry.actor == world["users"]["clerk"]
    assert entry.object_id == str(holder.pk) and entry.unit_id == world["k2"].pk
    assert entry.after["attempted_in"] == "P1.K1"
    assert AuditEntry.objects.visible_to(outsider, "audit").filter(pk=entry.pk).exists()
    assert not AuditEntry.objects.visible_to(world["users"]["organizer"], "audit").filter(
        pk=entry.pk
    )


def test_a_viewer_cannot_filter_the_member_list_by_a_masked_field_in_the_browser_or_the_api(
    client, world
):
    url = reverse("members:list")
    viewer = _client(client, world["users"]["viewer"])
    page = viewer.get(url, {"unit": "P1.C1"})
    assert "bracket" not in page.context["form"].fields  # not offered
    assert "ethnicity" not in page.context["form"].fields
    for name, value in [("bracket", "31-40"), ("ethnicity", "Kinh"), ("born_before", "1990")]:
        response = viewer.get(url, {"unit": "P1.C1", name: value})
        assert response.status_code == 403, name
        page = response.content.decode()
        assert "cannot filter by them" in page and name in page
        assert "Nguyễn Văn An" not in page  # no rows: refused, not quietly widened
    organizer = _client(client, world["users"]["organizer"])
    page = organizer.get(url, {"unit": "P1.C1", "bracket": "31-40"}).content.decode()
    assert "cannot filter" not in page and "Đặng Đức Ước" in page.split('id="member-rows"')[1]
