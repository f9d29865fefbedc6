"""In a real Chromium: a transfer issued by one cell's clerk and accepted by the receiving
cell's clerk; a refused admission in Vietnamese and Khmer; two officers editing the same
member. Screenshots of the pages in the three languages go to artifacts/screenshots (not
committed)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.core.errors import RuleViolation
from cadrebook.members import services as ms
from cadrebook.members.models import Member
from cadrebook.orgs.services import unit_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "cadrebook-demo"
SHOTS = Path(os.environ.get("CADREBOOK_ARTIFACTS", "artifacts")) / "screenshots"
TODAY = dt.date.today()


@pytest.fixture
def cells() -> dict[str, Any]:
    p = unit_create(actor=None, code="P1", name="Tỉnh Một", kind="province_committee")
    c1 = unit_create(
        actor=None, code="P1.C1", name="Xã Tân Phú", kind="commune_committee", parent=p
    )
    c2 = unit_create(
        actor=None, code="P1.C2", name="Xã Bình An", kind="commune_committee", parent=p
    )
    k1 = unit_create(
        actor=None, code="P1.C1.K1", name="Chi bộ Thôn 3", kind="grassroots_cell", parent=c1
    )
    k2 = unit_create(
        actor=None, code="P1.C2.K2", name="Chi bộ Thôn 7", kind="grassroots_cell", parent=c2
    )
    member = ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k1,
        date=dt.date(2019, 1, 2),
        full_name="Đặng Đức Ước",
        gender="male",
        birth_date=dt.date(1990, 5, 6),
    )
    ms.member_admit(taken_over=True, actor=None, member=member, date=dt.date(2019, 3, 1))
    ms.member_recognize(taken_over=True, actor=None, member=member, date=dt.date(2020, 3, 5))
    young = ms.member_register_applicant(
        taken_over=True,
        actor=None,
        unit=k1,
        date=TODAY - dt.timedelta(days=60),
        full_name="Phạm Thị Trẻ",
        gender="female",
        birth_date=TODAY.replace(year=TODAY.year - 17),
    )
    for username, unit in [("sender", k1), ("receiver", k2)]:
        user = get_user_model().objects.create_user(username=username, password=PASSWORD)
        role_grant(actor=None, user=user, role=Role.CLERK, unit=unit)
    return {"member": member, "young": young}


def _log_in(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=username]")


def _choose_language(page: Any, language: str) -> None:
    """The language switcher of the header (it submits itself and reloads the page)."""
    if page.input_value("select[name=language]") != language:
        with page.expect_navigation():
            page.select_option("select[name=language]", language)


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_transfer_goes_from_one_cell_to_another_through_both_clerks(live_server, page, cells):
    base = live_server.url
    member: Member = cells["member"]
    _log_in(page, base, "sender")
    page.goto(f"{base}/units/P1.C1.K1/")
    page.fill("#q", "dang duc uoc")
    page.click("button:has-text('Search')")
    page.click("[data-testid=member-table] >> text=Đặng Đức Ước")
    page.click("[data-testid=actions] >> text=Issue a transfer")
    page.fill("#id_to_unit", "P1.C2.K2")
    page.fill("#id_document", "9-QĐ/ĐU")
    page.click("[data-testid=submit]")
    page.wait_for_selector("text=in transfer to Chi bộ Thôn 7")
    assert "Transfer issued" in page.inner_text("[data-testid=timeline]")

    _log_in(page, base, "receiver")
    page.goto(f"{base}/units/P1.C2.K2/")
    page.click("text=Transfers")
    page.wait_for_selector("[data-testid=incoming] >> text=Đặng Đức Ước")
    page.click("[data-testid=incoming] >> text=Accept")
    page.fill("#id_document", "9-QĐ/ĐU")
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=member-name]")
    timeline = page.inner_text("[data-testid=timeline]")
    assert "Transfer issued" in timeline and "Transfer accepted" in timeline
    page.goto(f"{base}/units/P1.C2.K2/")
    assert "Đặng Đức Ước" in page.inner_text("[data-testid=member-table]")

    _log_in(page, base, "sender")
    page.goto(f"{base}/units/P1.C1.K1/")
    assert "Đặng Đức Ước" not in page.inner_text("#member-list")
    member.refresh_from_db()
    assert member.unit.code == "P1.C2.K2" and member.pending_transfer_to is None


@pytest.mark.parametrize("language", ["vi", "km"])
def test_admitting_a_17_year_old_is_refused_in_the_clerks_language(
    live_server, page, cells, language
):
    base = live_server.url
    _log_in(page, base, "sender")
    _choose_language(page, language)
    page.goto(f"{base}/members/{cells['young'].pk}/admit/")
    page.fill("#id_document", "12-QĐ/ĐU")
    page.click("[data-testid=submit]")
    summary = page.inner_text("[data-testid=error-summary]")
    assert "294-QĐ/TW" in summary  # the rule's source
    refusals = {}
    for lang in ("en", language):
        with translation.override(lang):
            with pytest.raises(RuleViolation) as info:
                ms.member_admit(taken_over=True, actor=None, member=cells["young"], date=TODAY)
            refusals[lang] = str(info.value.message)
    assert refusals[language] != refusals["en"]  # translated, not left in English
    assert refusals[language] in summary
    _shot(page, f"admission-refused-{language}")


def test_the_second_of_two_concurrent_edits_is_shown_the_conflict(live_server, page, cells):
    base = live_server.url
    member: Member = cells["member"]
    _log_in(page, base, "sender")
    page.goto(f"{base}/members/{member.pk}/edit/")
    member.refresh_from_db()
    ms.member_update_personal(actor=None, member=member, version=member.version, phone="0911111111")
    page.fill("#id_occupation", "Giáo viên")
    page.click("[data-testid=save]")
    conflict = page.inner_text("[data-testid=conflict]")
    assert "0911111111" in conflict
    assert page.input_value("#id_occupation") == "Giáo viên"
    assert page.input_value("#id_phone") == "0911111111"
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=member-name]")
    member.refresh_from_db()
    assert (member.phone, member.occupation) == ("0911111111", "Giáo viên")


@pytest.mark.parametrize("language", ["en", "vi", "km"])
def test_screenshots_of_the_main_pages(live_server, page, cells, language):
    base = live_server.url
    page.set_viewport_size({"width": 1366, "height": 768})
    _log_in(page, base, "sender")
    _choose_language(page, language)
    member = cells["member"]
    for name, path in [
        ("tree", "/units/"),
        ("unit", "/units/P1.C1.K1/"),
        ("dossier", f"/members/{member.pk}/"),
        ("transfer", f"/members/{member.pk}/transfer/"),
        ("edit", f"/members/{member.pk}/edit/"),
        ("transfers", "/members/transfers/P1.C1.K1/"),
    ]:
        response = page.goto(base + path)
        assert response is not None and response.ok, path
        _shot(page, f"{name}-{language}")
    # A tablet held upright: nothing wider than the screen.
    page.set_viewport_size({"width": 768, "height": 1024})
    for name, path in [("unit", "/units/P1.C1.K1/"), ("dossier", f"/members/{member.pk}/")]:
        page.goto(base + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 768, path
        _shot(page, f"{name}-tablet-{language}")


def test_a_decision_can_be_recorded_with_the_keyboard_alone(live_server, page, cells):
    """Tab to the action, Enter to open it, type into the fields in turn, Tab to the button
    and Enter to send: no mouse; the focus is visible on the way."""
    base = live_server.url
    member: Member = cells["member"]
    page.goto(base + "/login/")
    page.keyboard.type("sender")  # the username field has the focus on arrival
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=username]")
    page.goto(f"{base}/members/{member.pk}/")
    target = f"/members/{member.pk}/exempt/"
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == target:
            break
    else:
        raise AssertionError("the exemption action cannot be reached with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus shows
    page.keyboard.press("Enter")
    page.wait_for_selector("#id_reason")
    page.focus("#id_date")
    typed = {"id_document": "3-QĐ/CB", "id_reason": "health"}
    for _ in range(10):  # through the fields in their order, to the button
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "document.activeElement.id || document.activeElement.dataset.testid"
        )
        if focused in typed:
            page.keyboard.type(typed.pop(focused))
        if focused == "submit":
            break
    assert not typed and focused == "submit", (typed, focused)
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=member-name]")
    member.refresh_from_db()
    assert member.exempt
