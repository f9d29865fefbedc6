"""In a real Chromium: the organizer opens the cadre worklists from the navigation's "Cadres"
entry, goes to C1's posts, records the election of its secretary (the member picked from
the list that appears as the name is typed), sees the seat taken, and ends the post
(confirmed first). The browser reports no breach of the Content-Security-Policy on the
way."""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from cadrebook.cadres.models import PostEnd, PostHolding
from cadrebook.core.tests.test_browser_csp import Watcher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "cadrebook-demo"


@pytest.fixture
def desk(
    settings: Any,
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
) -> SimpleNamespace:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    organizer.set_password(PASSWORD)
    organizer.save()
    return SimpleNamespace(tree=tree, terms=terms, people=people)


def _shot(page: Any, name: str) -> None:
    """A screenshot for a person to look at, when CADREBOOK_SHOTS names a folder."""
    folder = os.environ.get("CADREBOOK_SHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_an_election_recorded_and_ended_from_the_posts_page(
    live_server: Any, page: Any, desk: SimpleNamespace
) -> None:
    base = live_server.url
    watch = Watcher(page, base)
    page.goto(base + "/login/")
    page.fill("#id_username", "organizer")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=username]")

    page.click("[data-testid=nav-cadres]")
    expect(page.locator("[data-testid=empty-seats]")).to_be_visible()
    _shot(page, "worklists")
    page.goto(base + "/cadres/units/C1/")
    expect(page.locator("[data-testid=empty-seat]")).to_have_count(2)
    page.click("text=Record an election")
    member = desk.people.k1
    page.fill("#id_member", f"{member.full_name} (#{member.pk})")
    page.select_option("#id_position", "secretary")
    page.select_option("#id_term", str(desk.terms.c1.pk))
    page.fill("#id_started_on", "2025-02-01")
    page.fill("#id_votes_for", "7")
    page.fill("#id_votes_total", "9")
    _shot(page, "elect")
    page.click("[data-testid=continue]")
    expect(page.locator("[data-testid=empty-seat]")).to_have_count(1)
    _shot(page, "posts")
    holding = PostHolding.objects.get()

    page.goto(base + f"/cadres/posts/{holding.pk}/end/")
    page.select_option("#id_reason", "resigned")
    page.fill("#id_ended_on", "2025-06-30")
    page.click("[data-testid=continue]")
    expect(page.locator("[data-testid=confirm]")).to_be_visible()
    _shot(page, "confirm-end")
    assert not PostEnd.objects.exists()
    page.click("[data-testid=confirm]")
    expect(page.locator("[data-testid=holding-end]")).not_to_contain_text("Running")
    assert PostEnd.objects.get().holding == holding

    assert not watch.events and not watch.console and not watch.errors, (
        watch.events,
        watch.console,
        watch.errors,
    )


def test_the_cadre_pages_fit_a_phone(live_server: Any, page: Any, desk: SimpleNamespace) -> None:
    """On a 390 px wide phone nothing is wider than the screen (the tables scroll in their
    cards) and the actions of a page's head wrap under its title rather than overlap."""
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "/login/")
    page.fill("#id_username", "organizer")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=username]")
    for name, path in [
        ("worklists", "/cadres/worklists/"),
        ("posts", "/cadres/units/C1/"),
        ("planning", "/cadres/planning/units/C1/"),
        ("structure", "/cadres/planning/structure/"),
        ("confidence", "/cadres/planning/confidence/"),
        ("rotation", "/cadres/planning/rotation/"),
    ]:
        response = page.goto(base + path)
        assert response is not None and response.ok, path
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        _shot(page, f"{name}-phone")
