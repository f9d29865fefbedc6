"""In a real Chromium: an inspector of the province opens an inspection of a cell from the
navigation's "Inspections" entry, records its steps, concludes it with a violation found
(checking the answers first) and adds a recommendation; then records a warning on a member
(confirmed first), lodges the member's appeal and annuls the warning on appeal. The browser
reports no breach of the Content-Security-Policy on the way."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from cadrebook.core.tests.test_browser_csp import Watcher
from cadrebook.inspections.models import Appeal, Discipline, Inspection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "cadrebook-demo"


@pytest.fixture
def desk(
    settings: Any,
    inspector: Any,
    tree: SimpleNamespace,
    docs: SimpleNamespace,
    people: SimpleNamespace,
) -> SimpleNamespace:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    inspector.set_password(PASSWORD)
    inspector.save()
    return SimpleNamespace(tree=tree, docs=docs, people=people)


def _continue(page: Any) -> None:
    page.click("[data-testid=continue]")


def test_an_inspection_from_decision_to_conclusion_and_a_discipline_with_its_appeal(
    live_server: Any, page: Any, desk: SimpleNamespace
) -> None:
    base = live_server.url
    watch = Watcher(page, base)
    page.goto(base + "/login/")
    page.fill("#id_username", "inspector")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=username]")

    # From the navigation to the worklists, then the inspections.
    page.click("[data-testid=nav-inspections]")
    expect(page.locator("[data-testid=late-steps]")).to_be_visible()
    page.goto(base + "/inspections/new/C1/")
    page.fill("#id_code", "KT-B1")
    page.select_option("#id_body_kind", "inspection_committee")
    page.select_option("#id_kind", "thematic")
    page.fill("#id_decided_on", "2025-03-03")
    page.select_option("#id_document", str(desk.docs.c1.pk))
    page.fill("#id_period_from", "2024-01-01")
    page.fill("#id_period_to", "2024-12-31")
    page.fill("#id_team", "Nguyễn Văn A\nTrần Thị B")
    page.fill("#id_subject_units", "K1")
    _continue(page)
    expect(page.locator("[data-testid=status]")).to_contain_text("Under way")
    expect(page.locator("[data-testid=team]")).to_contain_text("Nguyễn Văn A")
    inspection = Inspection.objects.get(code="KT-B1")

    for step, day in (("plan", "2025-03-10"), ("working", "2025-04-01"), ("report", "2025-05-01")):
        page.click("[data-testid=record-step]")
        page.select_option("#id_step", step)
        page.fill("#id_done_on", day)
        _continue(page)
        expect(page.locator("[data-testid=steps]")).to_contain_text(day[:4])

    subject = inspection.subjects.get()
    page.click("[data-testid=conclude]")
    page.fill("#id_concluded_on", "2025-06-02")
    page.select_option("#id_document", str(desk.docs.c1_conclusion.pk))
    page.fill("#id_summary", "Chi bộ thu đảng phí chưa đúng quy định.")
    page.select_option(f"#id_found_{subject.pk}", "yes")
    page.select_option(f"#id_kind_{subject.pk}", "party_fees")
    page.fill(f"#id_text_{subject.pk}", "Thu đảng phí chưa đúng")
    _continue(page)
    expect(page.locator("[data-testid=answers]")).to_be_visible()
    inspection.refresh_from_db()
    assert inspection.concluded_on is None  # asked, not yet recorded
    page.click("[data-testid=confirm]")
    expect(page.locator("[data-testid=status]")).to_contain_text("Concluded")
    expect(page.locator("[data-testid=subjects]")).to_contain_text("Thu đảng phí chưa đúng")

    page.click("[data-testid=add-recommendation]")
    page.fill("#id_text", "Thu đủ đảng phí theo quy định")
    page.fill("#id_owner_unit", "K1")
    page.fill("#id_deadline", "2025-09-01")
    _continue(page)
    expect(page.locator("[data-testid=recommendations]")).to_contain_text("Thu đủ đảng phí")

    # A discipline, then its appeal.
    page.goto(base + "/disciplines/new/C1/")
    page.select_option("#id_subject_kind", "member")
    page.fill("#id_member", str(desk.people.k1.pk))
    page.select_option("#id_form", "warning")
    page.select_option("#id_body_kind", "inspection_committee")
    page.fill("#id_decided_on", "2025-06-10")
    page.select_option("#id_document", str(desk.docs.c1_conclusion.pk))
    page.fill("#id_violation", "Thu đảng phí chưa đúng")
    page.fill("#id_violation_on", "2024-11-01")
    page.fill("#id_voters_total", "7")
    page.fill("#id_votes_for", "5")
    page.fill("#id_votes_none", "2")
    _continue(page)
    expect(page.locator("[data-testid=answers]")).to_be_visible()
    assert not Discipline.objects.exists()
    page.click("[data-testid=confirm]")
    expect(page.locator("[data-testid=votes]")).to_contain_text("5")

    page.click("[data-testid=lodge-appeal]")
    page.fill("#id_received_on", "2025-06-12")
    page.fill("#id_lodged_on", "2025-06-20")
    page.fill("#id_body", "P")
    page.select_option("#id_body_kind", "committee")
    _continue(page)
    expect(page.locator("[data-testid=appeals]")).to_contain_text("Pending")
    assert Appeal.objects.get().outcome == "pending"

    page.click("[data-testid=decide-appeal]")
    page.fill("#id_decided_on", "2025-07-01")
    page.select_option("#id_outcome", "annulled")
    page.select_option("#id_document", str(desk.docs.p.pk))
    _continue(page)
    page.click("[data-testid=confirm]")
    expect(page.locator("[data-testid=state]")).to_contain_text("Annulled")
    assert Discipline.objects.get().status == "annulled"
    assert not watch.events and not watch.console and not watch.errors, (
        watch.events,
        watch.console,
        watch.errors,
    )
