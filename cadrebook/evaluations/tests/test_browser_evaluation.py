"""In a real Chromium: a committee's office runs its year-end evaluation. It opens the round
after checking the answers, records a member's self-assessment and the cell's proposal,
decides the cells (the collective first) and the member with the quota of "excellent" shown
as it works, and closes the round. The browser reports no breach of the
Content-Security-Policy on the way."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.core.tests.test_browser_csp import Watcher
from cadrebook.documents.services import document_register, term_create
from cadrebook.evaluations.models import Decision, Rating, Round, Subject

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "cadrebook-demo"


@pytest.fixture
def office(settings: Any, tree: SimpleNamespace, make_member: Any) -> Any:
    """G1's office (an organizer of the province) with G1's decision of this year, and one
    member of its cell K1."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    member = make_member(tree.K1, dt.date(1985, 3, 1), dt.date(2015, 5, 1), recognized=True)
    user = get_user_model().objects.create_user(username="office", password=PASSWORD)
    role_grant(actor=None, user=user, role=Role.ORGANIZER, unit=tree.P)
    term = term_create(actor=None, unit=tree.G1, start=dt.date(2025, 1, 1))
    decision = document_register(
        actor=None,
        type="decision",
        issuer=tree.G1,
        term=term,
        date=dt.date.today(),
        title="Xếp loại đảng viên",
    )
    return SimpleNamespace(tree=tree, decision=decision, member=member)


def _record(page: Any) -> None:
    """Continue to the answers, then record them."""
    page.click("[data-testid=continue]")
    expect(page.locator("[data-testid=answers]")).to_be_visible()
    page.click("[data-testid=confirm]")
    page.wait_for_selector("[data-testid=subject]")


def test_an_office_runs_the_evaluation_from_opening_to_closing(
    live_server: Any, page: Any, office: Any
) -> None:
    base = live_server.url
    watch = Watcher(page, base)
    page.goto(base + "/login/")
    page.fill("#id_username", "office")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=username]")

    # Opening: within the timetable, so no step is late.
    today = dt.date.today()
    page.goto(base + "/evaluations/open/G1/")
    page.select_option("#id_kind", "yearly")
    page.fill("#id_year", str(today.year))
    page.fill("#id_reference_date", today.isoformat())
    page.fill("#id_self_assessment_until", (today + dt.timedelta(days=10)).isoformat())
    page.fill("#id_proposals_until", (today + dt.timedelta(days=20)).isoformat())
    page.fill("#id_decisions_until", (today + dt.timedelta(days=30)).isoformat())
    page.click("[data-testid=continue]")
    expect(page.locator("[data-testid=preview]")).to_contain_text("3 subjects")
    assert not Round.objects.exists()  # asked, not yet opened
    page.click("[data-testid=confirm]")
    expect(page.locator("[data-testid=round-status]")).to_contain_text("Open")
    round_ = Round.objects.get()
    member = Subject.objects.get(round=round_, member=office.member)

    # The member's self-assessment, then the cell's proposal from it.
    page.goto(base + f"/evaluations/subjects/{member.pk}/")
    page.click("[data-testid=assess]")
    page.fill("#id_score_general", "25")
    page.fill("#id_score_tasks", "60")
    page.fill("#id_review", "Hoàn thành các nhiệm vụ được giao")
    _record(page)
    expect(page.locator("[data-testid=latest-assessment]")).to_contain_text("85")
    page.click("[data-testid=propose]")
    assert page.input_value("#id_score") == "85.00"
    page.fill("#id_votes_for", "3")
    page.fill("#id_votes_against", "0")
    page.fill("#id_present", "3")
    _record(page)
    expect(page.locator("[data-testid=latest-proposal]")).to_contain_text("3 in favour")

    # The collective first: the committee decides its cells on its own document.
    for cell in (office.tree.K1, office.tree.K2):
        subject = Subject.objects.get(round=round_, unit=cell)
        page.goto(base + f"/evaluations/subjects/{subject.pk}/decide/")
        page.select_option("#id_level", "good")
        page.fill("#id_score", "80")
        page.select_option("#id_document", str(office.decision.pk))
        _record(page)

    # The member's decision, with the quota shown as the committee works.
    page.goto(base + f"/evaluations/subjects/{member.pk}/")
    page.click("[data-testid=decide]")
    expect(page.locator("[data-testid=quota-count]")).to_contain_text("0 excellent of 0 allowed")
    page.select_option("#id_document", str(office.decision.pk))
    page.click("[data-testid=continue]")
    expect(page.locator("[data-testid=answers]")).to_contain_text("Quota after this decision")
    page.click("[data-testid=confirm]")
    expect(page.locator("[data-testid=quota-now]")).to_contain_text("1 rated good")
    assert Decision.objects.get(subject=member).level == "good"
    assert not Decision.objects.filter(late=True).exists()

    # Closing, once every subject is decided.
    page.goto(base + f"/evaluations/{round_.pk}/")
    page.click("[data-testid=close-round]")
    expect(page.locator("[data-testid=close-progress]")).to_contain_text("3 of 3")
    page.click("[data-testid=confirm-close]")
    expect(page.locator("[data-testid=round-status]")).to_contain_text("Closed")
    round_.refresh_from_db()
    assert not round_.is_open
    assert Rating.objects.get(member=office.member, year=today.year).level == "good"
    assert not watch.events and not watch.console and not watch.errors, (
        watch.events,
        watch.console,
        watch.errors,
    )
