"""The cadre worklists as the organizing board of C1 reads them on today's page: the seats
empty, the appointments ending within the notice, the planning lists short or off target,
the people a confidence vote flags, the holders close to retirement; scoped to the units
whose cadres the reader manages, narrowed to a unit on request, and audited."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cadrebook.accounts.services import role_grant
from cadrebook.cadres import worklists
from cadrebook.cadres.services import (
    confidence_session_record,
    planning_add,
    post_appoint,
    post_elect,
)
from cadrebook.core.dates import add_months
from cadrebook.core.models import AuditEntry

D = dt.date
START = D(2025, 2, 1)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def c1(tree: SimpleNamespace) -> Any:
    """An organizer of C1 (G1, K1, K2 below it)."""
    user = get_user_model().objects.create_user(username="c1-organizer")
    role_grant(actor=None, user=user, role="organizer", unit=tree.C1)
    return user


@pytest.fixture
def c2(tree: SimpleNamespace) -> Any:
    user = get_user_model().objects.create_user(username="c2-organizer")
    role_grant(actor=None, user=user, role="organizer", unit=tree.C2)
    return user


@pytest.fixture
def work(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
) -> SimpleNamespace:
    """C1's secretary elected (K1's member), its inspection chair appointed five years ago
    less ten days, a woman close to retirement on G1's committee, the secretary voted on
    with two thirds "low", and C1's planning for its secretary (one man)."""
    today = timezone.localdate()
    secretary = post_elect(
        actor=organizer,
        member=people.k1,
        unit=tree.C1,
        position="secretary",
        term=terms.c1,
        started_on=START,
        votes_for=7,
        votes_total=9,
    )
    chair = post_appoint(
        actor=organizer,
        member=people.k1b,
        unit=tree.C1,
        position="inspection_chair",
        started_on=add_months(today, -60) + dt.timedelta(days=10),
        outside_planning_text="05-QĐ/TU (outside planning)",
        taken_over=True,
    )
    older = post_elect(
        actor=organizer,
        member=people.older,
        unit=tree.G1,
        position="committee_member",
        term=terms.g1,
        started_on=START,
        votes_for=7,
        votes_total=9,
    )
    vote = confidence_session_record(
        actor=organizer,
        unit=tree.C1,
        held_on=today - dt.timedelta(days=10),
        summoned=9,
        present=9,
        results=[{"member": people.k1, "high": 1, "confidence": 1, "low": 7}],
    )
    entry = planning_add(
        actor=organizer,
        unit=tree.C1,
        term=terms.c1,
        position="secretary",
        member=people.k1b,
        added_on=D(2025, 4, 1),
        document=decision,
    )
    return SimpleNamespace(
        secretary=secretary, chair=chair, older=older, vote=vote, entry=entry, today=today
    )


def test_the_worklists_list_the_right_posts_and_people(
    c1: Any, tree: SimpleNamespace, people: SimpleNamespace, work: SimpleNamespace
) -> None:
    today = work.today
    empty = {(s.unit.code, s.position) for s in worklists.empty_seats(c1, today)}
    # C1's secretary is held; its inspection chair too (appointed); P and C2 are not C1's.
    assert ("C1", "secretary") not in empty and ("C1", "inspection_chair") not in empty
    assert {("G1", "secretary"), ("K1", "secretary"), ("K2", "secretary")} <= empty
    assert all(code in {"C1", "G1", "K1", "K2"} for code, _ in empty)

    ending = worklists.appointments_ending(c1, today)
    assert [d.holding for d in ending] == [work.chair]
    assert ending[0].notify_by <= ending[0].ends_on

    short = {(s.unit.code, s.position) for s in worklists.planning_short(c1, today)}
    assert ("C1", "secretary") not in short and ("C1", "deputy_secretary") in short
    off = worklists.planning_off_target(c1, today)
    assert off and all("women" in o.structure.shortfalls for o in off)

    flagged = worklists.confidence_flagged(c1, add_months(today, -12), today)
    assert [(f.result.member, f.outcome) for f in flagged] == [(people.k1, "dismissal")]

    retiring = worklists.retirements(c1, today, 12)
    assert [r.member for r in retiring] == [people.older]
    assert [h.pk for h in retiring[0].holdings] == [work.older.pk]


def test_the_page_shows_them_audited_and_narrows_to_a_unit(
    c1: Any, people: SimpleNamespace, work: SimpleNamespace
) -> None:
    client = _client(c1)
    page = client.get(reverse("cadres:worklists"))
    assert page.status_code == 200
    html = page.content.decode()
    assert people.older.full_name in html and people.k1b.full_name in html
    assert reverse("cadres:holding", args=[work.chair.pk]) in html
    entry = AuditEntry.objects.get(event_type="cadres.list_viewed")
    assert entry.after["list"] == "worklists"
    assert entry.after["counts"]["retirements"] == 1
    assert entry.after["counts"]["appointments_ending"] == 1
    assert entry.after["members"] == [people.older.pk]

    narrowed = client.get(reverse("cadres:worklists"), {"unit": "K1"})
    assert narrowed.status_code == 200
    lists = narrowed.context["lists"]
    assert {s.unit.code for s in lists["empty_seats"]["rows"]} == {"K1"}
    assert lists["appointments_ending"]["total"] == 0
    assert lists["retirements"]["total"] == 0
    last = AuditEntry.objects.filter(event_type="cadres.list_viewed").order_by("-id").first()
    assert last is not None and last.after["filters"]["unit"] == "K1"


def test_the_worklists_are_scoped_to_the_units_managed(
    c2: Any, tree: SimpleNamespace, people: SimpleNamespace, work: SimpleNamespace
) -> None:
    client = _client(c2)
    page = client.get(reverse("cadres:worklists"))
    assert page.status_code == 200
    lists = page.context["lists"]
    assert {s.unit.code for s in lists["empty_seats"]["rows"]} == {"C2", "GC"}
    for name in ("appointments_ending", "retirements", "confidence_flagged", "planning_short"):
        assert lists[name]["total"] == 0, name
    assert people.older.full_name not in page.content.decode()
    # Narrowing to a unit out of scope: 404, as a missing one.
    assert client.get(reverse("cadres:worklists"), {"unit": "C1"}).status_code == 404


def test_the_worklists_are_capped_with_their_total(
    c1: Any, work: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cadrebook.cadres import views

    monkeypatch.setattr(views, "ROWS", 2)
    page = _client(c1).get(reverse("cadres:worklists"))
    seats = page.context["lists"]["empty_seats"]
    assert len(seats["rows"]) == 2 and seats["total"] > 2 and seats["more"]
