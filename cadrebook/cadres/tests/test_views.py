"""The cadre pages: a unit's posts, the forms of a term, an election, an appointment and the
end of a post as a manager in scope records them (through the services, audited, refusals
with the rule's source on the form and nothing written, confirmation before a post ends),
and as a manager of another commune meets them (404, as a missing unit)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from cadrebook.accounts.services import role_grant
from cadrebook.cadres.models import PostCorrection, PostEnd, PostHolding
from cadrebook.cadres.planning_rules import planning_rules
from cadrebook.cadres.rules import cadre_rules
from cadrebook.cadres.services import post_elect
from cadrebook.core.models import AuditEntry
from cadrebook.documents.models import Term
from cadrebook.members.services import member_record_event

D = dt.date
START = D(2025, 2, 1)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _user(name: str, role: str, unit: Any) -> Any:
    user = get_user_model().objects.create_user(username=name)
    role_grant(actor=None, user=user, role=role, unit=unit)
    return user


@pytest.fixture
def office(organizer: Any) -> Client:
    return _client(organizer)


@pytest.fixture
def c2(tree: SimpleNamespace) -> Client:
    """An organizer of C2: C1's posts are not theirs."""
    return _client(_user("c2-organizer", "organizer", tree.C2))


@pytest.fixture
def viewer(tree: SimpleNamespace) -> Client:
    """A viewer of C1: reads the posts, records nothing, sees no personal data."""
    return _client(_user("c1-viewer", "viewer", tree.C1))


def _elect(organizer: Any, member: Any, unit: Any, term: Any, **kw: Any) -> PostHolding:
    values = {
        "actor": organizer,
        "member": member,
        "unit": unit,
        "position": "secretary",
        "term": term,
        "started_on": START,
        "votes_for": 7,
        "votes_total": 9,
        **kw,
    }
    return post_elect(**values)


def _written() -> tuple[int, int, int]:
    return (
        PostHolding.objects.count(),
        PostEnd.objects.count(),
        AuditEntry.objects.filter(event_type__startswith="post.", action="create").count(),
    )


# The unit's posts ----------------------------------------------------------------------------


def test_the_posts_page_shows_terms_seats_holders_and_empty_seats(
    office: Client,
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
) -> None:
    h = _elect(organizer, people.k1, tree.C1, terms.c1, position="committee_member")
    page = office.get(reverse("cadres:unit", args=["C1"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert terms.c1.label in html
    assert people.k1.full_name in html and reverse("cadres:holding", args=[h.pk]) in html
    # The secretary and the inspection committee's chair of C1 are empty.
    assert html.count('data-testid="empty-seat"') == 2
    assert reverse("cadres:elect", args=["C1"]) in html
    assert page.context["planning_url"] in html
    read = AuditEntry.objects.get(event_type="cadres.list_viewed")
    assert read.after["list"] == "posts" and read.after["counts"] == {"holders": 1}
    assert read.unit_id == tree.C1.pk
    # As of a day before the election, nobody held it.
    before = office.get(reverse("cadres:unit", args=["C1"]), {"on": "2025-01-15"})
    assert people.k1.full_name not in before.content.decode()


def test_a_unit_or_a_post_out_of_scope_answers_404(
    c2: Client, organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: Any
) -> None:
    h = _elect(organizer, people.k1, tree.C1, terms.c1)
    assert c2.get(reverse("cadres:unit", args=["C1"])).status_code == 404
    assert c2.get(reverse("cadres:elect", args=["C1"])).status_code == 404
    assert c2.get(reverse("cadres:holding", args=[h.pk])).status_code == 404
    assert c2.get(reverse("cadres:holding_end", args=[h.pk])).status_code == 404
    assert c2.get(reverse("cadres:person", args=[people.k1.pk])).status_code == 404
    assert c2.get(reverse("cadres:unit", args=["C2"])).status_code == 200


def test_a_reader_without_manage_cadres_reads_but_records_nothing(
    viewer: Client, organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: Any
) -> None:
    h = _elect(organizer, people.k1, tree.C1, terms.c1)
    page = viewer.get(reverse("cadres:unit", args=["C1"]))
    assert page.status_code == 200
    assert reverse("cadres:elect", args=["C1"]) not in page.content.decode()
    assert viewer.get(reverse("cadres:elect", args=["C1"])).status_code == 403
    assert viewer.get(reverse("cadres:holding_end", args=[h.pk])).status_code == 403
    assert viewer.get(reverse("cadres:worklists")).status_code == 403


# Elections and appointments ------------------------------------------------------------------


def _election(people: Any, terms: Any, **kw: Any) -> dict[str, Any]:
    return {
        "member": f"{people.k1.full_name} (#{people.k1.pk})",
        "position": "secretary",
        "term": terms.c1.pk,
        "started_on": "2025-02-01",
        "votes_for": "7",
        "votes_total": "9",
        **kw,
    }


def test_an_election_is_recorded_through_the_form(
    office: Client, tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    form = office.get(reverse("cadres:elect", args=["C1"]))
    assert form.status_code == 200
    sent = office.post(reverse("cadres:elect", args=["C1"]), _election(people, terms))
    assert sent.status_code == 302
    h = PostHolding.objects.get()
    assert (h.member, h.unit, h.position, h.votes_for, h.votes_total) == (
        people.k1,
        tree.C1,
        "secretary",
        7,
        9,
    )
    assert AuditEntry.objects.filter(event_type="post.elected", object_id=str(h.pk)).exists()


def test_an_election_refused_shows_the_rules_source_and_writes_nothing(
    office: Client, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    before = _written()
    sent = office.post(
        reverse("cadres:elect", args=["C1"]),
        _election(people, terms, votes_for="5", votes_total="10"),
    )
    assert sent.status_code == 422
    html = sent.content.decode()
    assert escape(cadre_rules().election_source) in html
    assert _written() == before


def test_an_appointment_outside_planning_is_refused_with_the_source_then_recorded_with_the_decision(
    office: Client, tree: SimpleNamespace, people: SimpleNamespace, decision: Any
) -> None:
    data = {
        "member": f"{people.k1.full_name} (#{people.k1.pk})",
        "position": "inspection_chair",
        "how": "appointed",
        "started_on": "2025-03-10",
        "document": decision.pk,
    }
    before = _written()
    refused = office.post(reverse("cadres:appoint", args=["C1"]), data)
    assert refused.status_code == 422
    assert escape(planning_rules().appointment_source) in refused.content.decode()
    assert _written() == before
    sent = office.post(
        reverse("cadres:appoint", args=["C1"]),
        {**data, "outside_planning_text": "05-QĐ/TU (outside planning)"},
    )
    assert sent.status_code == 302
    h = PostHolding.objects.get()
    assert h.how == "appointed" and h.document_id == decision.pk
    assert h.planned_end == D(2030, 3, 10)


def test_a_member_the_manager_does_not_see_is_an_error_on_the_field(
    office: Client, c2: Client, tree: SimpleNamespace, terms: SimpleNamespace, people: Any
) -> None:
    sent = office.post(
        reverse("cadres:elect", args=["C1"]),
        _election(people, terms, member="nobody-such"),
    )
    assert sent.status_code == 422
    assert not PostHolding.objects.exists()


def test_the_member_lookup_offers_the_units_members(
    office: Client, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    found = office.get(reverse("cadres:member_lookup", args=["C1"]), {"member": "Nguyễn"})
    assert found.status_code == 200
    assert f"#{people.k1.pk}" in found.content.decode()
    # GC is under C2, not C1.
    assert f"#{people.gc.pk}" not in found.content.decode()


def test_the_member_lookup_offers_no_applicant_nor_member_who_left(
    office: Client,
    organizer: Any,
    tree: SimpleNamespace,
    people: SimpleNamespace,
    make_member: Any,
) -> None:
    # No post may be given to them: offering them only leads to a refusal.
    applicant = make_member(tree.K1, D(1990, 1, 1))
    gone = make_member(tree.K1, D(1985, 1, 1), D(2015, 1, 1), recognized=True)
    member_record_event(
        actor=organizer, member=gone, type="deceased", date=D(2024, 1, 1), taken_over=True
    )
    found = office.get(reverse("cadres:member_lookup", args=["C1"]), {"member": "Nguyễn"})
    shown = found.content.decode()
    assert f"#{people.k1.pk}" in shown and f"#{people.probationary.pk}" in shown
    assert f"#{applicant.pk}" not in shown and f"#{gone.pk}" not in shown


# Ending a post ---------------------------------------------------------------------------------


def test_ending_a_post_asks_for_confirmation_first(
    office: Client, organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: Any
) -> None:
    h = _elect(organizer, people.k1, tree.C1, terms.c1)
    url = reverse("cadres:holding_end", args=[h.pk])
    data = {"reason": "resigned", "ended_on": "2025-06-30"}
    asked = office.post(url, data)
    assert asked.status_code == 200
    assert 'data-testid="confirm"' in asked.content.decode()
    assert not PostEnd.objects.exists()
    done = office.post(url, {**data, "confirmed": "yes"})
    assert done.status_code == 302
    end = PostEnd.objects.get()
    assert (end.holding, end.reason, end.ended_on) == (h, "resigned", D(2025, 6, 30))
    # Ended: the page says so, and offers no second end.
    page = office.get(reverse("cadres:holding", args=[h.pk]))
    assert page.context["row"]["end"] == end
    assert url not in page.content.decode()


def test_a_holding_recorded_in_error_is_voided_after_confirmation_and_shown_struck(
    office: Client,
    viewer: Client,
    c2: Client,
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: Any,
) -> None:
    h = _elect(organizer, people.k1, tree.C1, terms.c1)
    url = reverse("cadres:holding_void", args=[h.pk])
    assert c2.get(url).status_code == 404
    assert viewer.get(url).status_code == 403
    # No reason: refused on the field, nothing written.
    assert office.post(url, {"reason": "", "confirmed": "yes"}).status_code == 422
    assert not PostCorrection.objects.exists()
    data = {"reason": "Recorded for the wrong member"}
    asked = office.post(url, data)
    assert 'data-testid="confirm"' in asked.content.decode()
    assert not PostCorrection.objects.exists()
    assert office.post(url, {**data, "confirmed": "yes"}).status_code == 302
    assert PostCorrection.objects.get().holding == h
    # The record stays, struck with its reason, and no longer counts as held.
    page = office.get(reverse("cadres:holding", args=[h.pk])).content.decode()
    assert 'data-testid="holding-voided"' in page
    assert "Recorded for the wrong member" in page
    assert url not in page
    person = office.get(reverse("cadres:person", args=[people.k1.pk])).content.decode()
    assert 'data-testid="voided"' in person
    assert not PostHolding.objects.filter(pk=h.pk).held_on(START).exists()
    assert office.get(url).status_code == 404  # voided once


def test_an_end_refused_comes_back_on_the_form_without_confirmation(
    office: Client, organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: Any
) -> None:
    h = _elect(organizer, people.k1, tree.C1, terms.c1)
    before = _written()
    sent = office.post(
        reverse("cadres:holding_end", args=[h.pk]),
        {"reason": "resigned", "ended_on": "2025-01-15", "confirmed": "yes"},
    )
    assert sent.status_code == 422
    assert 'data-testid="confirm"' not in sent.content.decode()
    assert _written() == before


# Terms -----------------------------------------------------------------------------------------


def test_a_term_is_opened_and_closing_it_lists_the_posts_it_ends_first(
    office: Client, organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: Any
) -> None:
    h = _elect(organizer, people.k1, tree.C1, terms.c1)
    url = reverse("cadres:term_close", args=["C1"])
    asked = office.post(url, {"term": terms.c1.pk, "end": "2025-12-31"})
    assert asked.status_code == 200
    html = asked.content.decode()
    assert 'data-testid="ending"' in html and people.k1.full_name in html
    assert not PostEnd.objects.exists()
    done = office.post(url, {"term": terms.c1.pk, "end": "2025-12-31", "confirmed": "yes"})
    assert done.status_code == 302
    assert PostEnd.objects.get().holding == h
    opened = office.post(reverse("cadres:term_open", args=["C1"]), {"start": "2026-01-01"})
    assert opened.status_code == 302
    assert Term.objects.filter(unit=tree.C1, congress=False, start=D(2026, 1, 1)).exists()


def test_a_term_refused_shows_the_refusal_and_writes_nothing(
    office: Client, tree: SimpleNamespace, terms: SimpleNamespace
) -> None:
    count = Term.objects.count()
    # C1 has a running term from 2025: another overlapping it is refused.
    sent = office.post(reverse("cadres:term_open", args=["C1"]), {"start": "2025-06-01"})
    assert sent.status_code == 422
    assert Term.objects.count() == count


# A holding and a person --------------------------------------------------------------------


def test_a_holding_and_a_persons_posts_are_audited_reads(
    office: Client, organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: Any
) -> None:
    h = _elect(organizer, people.k1, tree.C1, terms.c1)
    page = office.get(reverse("cadres:holding", args=[h.pk]))
    assert page.status_code == 200 and people.k1.full_name in page.content.decode()
    assert AuditEntry.objects.filter(event_type="post.viewed", object_id=str(h.pk)).exists()
    history = office.get(reverse("cadres:person", args=[people.k1.pk]))
    assert history.status_code == 200
    assert reverse("cadres:holding", args=[h.pk]) in history.content.decode()
    assert AuditEntry.objects.filter(
        event_type="post.history_viewed", object_id=str(people.k1.pk)
    ).exists()


def test_the_navigation_shows_cadres_to_who_manages_them(
    office: Client, viewer: Client, tree: SimpleNamespace
) -> None:
    assert 'data-testid="nav-cadres"' in office.get(reverse("orgs:tree")).content.decode()
    assert 'data-testid="nav-cadres"' not in viewer.get(reverse("orgs:tree")).content.decode()
