"""What cadre work shows on other pages: the member's posts and planning entries on the
dossier (the retirement day masked for a role without `view_sensitive`, as the dossier
masks the date of birth), and the unit's holders and empty seats on the unit page."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from cadrebook.accounts.services import role_grant
from cadrebook.cadres.services import planning_add, post_elect
from cadrebook.members.selectors import MASK

D = dt.date


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def held(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
) -> SimpleNamespace:
    """K1's member elected to C1's committee, and planned for its secretary."""
    holding = post_elect(
        actor=organizer,
        member=people.k1,
        unit=tree.C1,
        position="committee_member",
        term=terms.c1,
        started_on=D(2025, 2, 1),
        votes_for=7,
        votes_total=9,
    )
    entry = planning_add(
        actor=organizer,
        unit=tree.C1,
        term=terms.c1,
        position="secretary",
        member=people.k1,
        added_on=D(2025, 4, 1),
        document=decision,
    )
    return SimpleNamespace(holding=holding, entry=entry)


def _retires(html: str) -> str:
    found = re.search(r'data-testid="cadre-retires-on">([^<]*)<', html)
    assert found is not None
    return found.group(1)


def test_the_dossier_shows_the_members_posts_and_planning(
    organizer: Any, people: SimpleNamespace, held: SimpleNamespace
) -> None:
    page = _client(organizer).get(reverse("members:dossier", args=[people.k1.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("cadres:holding", args=[held.holding.pk]) in html
    assert 'data-testid="member-planning"' in html and "Secretary" in html
    assert reverse("cadres:person", args=[people.k1.pk]) in html
    assert _retires(html) not in ("", MASK, "—")


def test_the_dossier_masks_the_retirement_day_without_view_sensitive(
    tree: SimpleNamespace, people: SimpleNamespace, held: SimpleNamespace
) -> None:
    viewer = get_user_model().objects.create_user(username="c1-viewer")
    role_grant(actor=None, user=viewer, role="viewer", unit=tree.C1)
    client = _client(viewer)
    html = client.get(reverse("members:dossier", args=[people.k1.pk])).content.decode()
    assert _retires(html) == MASK
    assert reverse("cadres:holding", args=[held.holding.pk]) in html
    # The holding's and the person's pages mask it alike.
    holding = client.get(reverse("cadres:holding", args=[held.holding.pk])).content.decode()
    assert f'data-testid="retires-on">{MASK}<' in holding
    person = client.get(reverse("cadres:person", args=[people.k1.pk])).content.decode()
    assert f'data-testid="retires-on">{MASK}<' in person


def test_the_unit_page_shows_its_holders_and_empty_seats(
    organizer: Any, tree: SimpleNamespace, held: SimpleNamespace
) -> None:
    page = _client(organizer).get(reverse("orgs:detail", args=["C1"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="cadre-unit-panel"' in html
    assert reverse("cadres:unit", args=["C1"]) in html
    assert page.context["cadre_holders"] == 1
    # The secretary and the inspection committee's chair are empty.
    assert page.context["cadre_empty"] == 2


def test_the_dossier_of_a_member_without_posts_or_planning_shows_no_panel(
    organizer: Any, people: SimpleNamespace, held: SimpleNamespace
) -> None:
    html = _client(organizer).get(reverse("members:dossier", args=[people.k1b.pk])).content
    assert b'id="cadre-posts"' not in html
