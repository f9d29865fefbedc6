"""In a real Chromium: log in, browse the tree, find a member by an unaccented name, and read
that member's history — the first thing a new user does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.members import services as ms
from cadrebook.orgs.services import unit_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def province():
    p = unit_create(actor=None, code="P1", name="Tỉnh Một", kind="province_committee")
    c = unit_create(actor=None, code="P1.C1", name="Xã Tân Phú", kind="commune_committee", parent=p)
    k = unit_create(
        actor=None, code="P1.K1", name="Chi bộ Thôn 3", kind="grassroots_cell", parent=c
    )
    m = ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k,
        date=dt.date(2019, 1, 2),
        full_name="Đặng Đức Ước",
        gender="male",
        birth_date=dt.date(1990, 5, 6),
    )
    ms.member_admit(
        taken_over=True, actor=None, member=m, date=dt.date(2019, 3, 1), document="12-QĐ/ĐU"
    )
    ms.member_recognize(
        taken_over=True, actor=None, member=m, date=dt.date(2020, 3, 5), document="30-QĐ/ĐU"
    )
    user = get_user_model().objects.create_user(username="organizer", password="cadrebook-demo")
    role_grant(actor=None, user=user, role=Role.ORGANIZER, unit=p)
    return m


def test_a_new_user_logs_in_finds_a_member_without_accents_and_reads_the_history(
    live_server, page, province
):
    page.goto(live_server.url + "/")
    page.fill("#id_username", "organizer")
    page.fill("#id_password", "cadrebook-demo")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Organization tree")

    # Expand the province, then the commune: children arrive by htmx.
    page.click("li[data-code='P1'] > button.toggle")
    page.wait_for_selector("li[data-code='P1.C1']")
    page.click("li[data-code='P1.C1'] > button.toggle")
    page.click("text=Chi bộ Thôn 3")

    page.fill("#q", "dang duc uoc")
    page.click("button:has-text('Search')")
    page.wait_for_selector("[data-testid=member-table] >> text=Đặng Đức Ước")
    page.click("[data-testid=member-table] >> text=Đặng Đức Ước")

    assert page.inner_text("[data-testid=member-name]") == "Đặng Đức Ước"
    timeline = page.inner_text("[data-testid=timeline]")
    assert "Admitted (probationary)" in timeline and "12-QĐ/ĐU" in timeline
    assert "Recognized as full member" in timeline
    # Vendored assets load from the app itself (offline intranets).
    assert page.evaluate("typeof htmx") == "object"
