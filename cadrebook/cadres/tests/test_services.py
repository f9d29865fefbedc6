"""The services of cadre work: terms, elections, appointments and the end of posts. Every
check refuses with its rule's source and writes nothing; every write is audited; history is
appended, never changed."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction

from cadrebook.accounts.services import role_grant
from cadrebook.cadres.models import PostEnd, PostHolding
from cadrebook.cadres.services import (
    committee_term_close,
    committee_term_open,
    holding_end,
    post_appoint,
    post_elect,
)
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.documents.models import Term
from cadrebook.orgs.services import unit_create

# The competent level's decision to appoint outside planning, for the posts these tests need
# but whose planning they are not about.
OUTSIDE_PLANNING = "05-QĐ/TU (outside planning)"


D = dt.date
START = D(2025, 1, 1)


def _state() -> tuple[int, int, int]:
    return (
        PostHolding.objects.count(),
        PostEnd.objects.count(),
        AuditEntry.objects.filter(event_type__startswith="post.").count(),
    )


def _refused(code: str, call: Any, *, source: str | None = "") -> ServiceError:
    """`call` is refused with `code` (naming a source containing `source`, unless None),
    and nothing is written."""
    before = _state()
    with pytest.raises(ServiceError) as caught:
        call()
    assert caught.value.code == code, caught.value.message
    if source is not None:
        assert isinstance(caught.value, RuleViolation), caught.value
        assert caught.value.source and source in caught.value.source
    assert _state() == before
    return caught.value


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


# Elections ----------------------------------------------------------------------------------


def test_an_election_is_recorded_with_its_votes_and_audited(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    h = _elect(organizer, people.k1, tree.C1, terms.c1)
    assert (h.how, h.position, h.votes_for, h.votes_total) == ("elected", "secretary", 7, 9)
    # The post runs to the term's planned end: its start plus the rule set's five years.
    assert h.planned_end == D(2030, 1, 1)
    assert h.ruleset == "vn-2025"
    entry = AuditEntry.objects.get(event_type="post.elected")
    assert entry.object_id == str(h.pk) and entry.unit_id == tree.C1.pk
    assert entry.after["position"] == "secretary"


def test_half_the_votes_do_not_elect(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    error = _refused(
        "cadres.not_elected",
        lambda: _elect(organizer, people.k1, tree.C1, terms.c1, votes_for=5, votes_total=10),
        source="Party Statute",
    )
    assert "not elected" in error.message
    _refused(
        "cadres.votes_invalid",
        lambda: _elect(organizer, people.k1, tree.C1, terms.c1, votes_for=11, votes_total=10),
        source=None,
    )
    h = _elect(organizer, people.k1, tree.C1, terms.c1, votes_for=6, votes_total=10)
    assert h.votes_for == 6


def test_an_election_needs_a_running_term_of_the_unit(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    _refused(
        "cadres.term_not_units",
        lambda: _elect(organizer, people.k1, tree.C1, terms.g1),
        source=None,
    )
    _refused(
        "cadres.term_not_running",
        lambda: _elect(organizer, people.k1, tree.C1, terms.c1, started_on=D(2024, 12, 31)),
        source=None,
    )


def test_a_probationary_member_is_not_elected_to_a_post_that_needs_a_full_member(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    error = _refused(
        "cadres.full_member_required",
        lambda: _elect(organizer, people.probationary, tree.K1, terms.k1),
        source="Party Statute",
    )
    assert "probationary" in error.message


def test_a_position_the_unit_has_no_seat_of_is_refused(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    # A cell has no standing committee.
    _refused(
        "cadres.no_such_post",
        lambda: _elect(
            organizer, people.k1, tree.K1, terms.k1, position="standing_committee_member"
        ),
        source="377-QĐ/TW",
    )
    _refused(
        "cadres.position_unknown",
        lambda: _elect(organizer, people.k1, tree.K1, terms.k1, position="chairman"),
        source="377-QĐ/TW",
    )


def test_one_secretary_at_a_time(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    first = _elect(organizer, people.k1, tree.K1, terms.k1)
    error = _refused(
        "cadres.seats_full",
        lambda: _elect(organizer, people.k1b, tree.K1, terms.k1),
        source="Party Statute art. 10, 24",
    )
    assert "1 of its 1" in error.message
    # Once the first resigns, the seat is free the next day.
    holding_end(actor=organizer, holding=first, ended_on=D(2025, 6, 30), reason="resigned")
    second = _elect(organizer, people.k1b, tree.K1, terms.k1, started_on=D(2025, 7, 1))
    assert second.started_on == D(2025, 7, 1)


def test_a_seat_taken_from_a_later_day_is_taken_for_an_open_ended_post(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    _elect(organizer, people.k1, tree.K1, terms.k1, started_on=D(2025, 7, 1))
    _refused(
        "cadres.seats_full",
        lambda: _elect(organizer, people.k1b, tree.K1, terms.k1, started_on=D(2025, 1, 1)),
        source="Party Statute art. 10, 24",
    )


def test_a_cell_committee_needs_nine_full_members_and_has_at_most_seven_seats(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    make_member: Any,
) -> None:
    # K1 has 3 full members (k1, k1b, older): no committee members yet.
    error = _refused(
        "cadres.too_few_full_members",
        lambda: _elect(organizer, people.k1, tree.K1, terms.k1, position="committee_member"),
        source="294-QĐ/TW",
    )
    assert "has 3 full members" in error.message and "at least 9" in error.message
    more = [make_member(tree.K1, D(1985, 1, 1), D(2010, 5, 1), recognized=True) for _ in range(6)]
    everyone = [people.k1, people.k1b, people.older, *more]
    _elect(organizer, everyone[0], tree.K1, terms.k1, position="secretary")
    _elect(organizer, everyone[1], tree.K1, terms.k1, position="deputy_secretary")
    for m in everyone[2:7]:
        _elect(organizer, m, tree.K1, terms.k1, position="committee_member")
    # Seven seats taken: the eighth is refused by the cell committee's size.
    error = _refused(
        "cadres.seats_full",
        lambda: _elect(organizer, everyone[7], tree.K1, terms.k1, position="committee_member"),
        source="at most 7",
    )
    assert "7 of its 7" in error.message


def test_a_member_holds_one_post_of_a_unit_at_a_time(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    _elect(organizer, people.k1, tree.C1, terms.c1, position="committee_member")
    _refused(
        "cadres.holds_other_position",
        lambda: _elect(organizer, people.k1, tree.C1, terms.c1),
        source=None,
    )


def test_a_member_outside_the_units_subtree_is_refused(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    _refused(
        "cadres.outside_unit",
        lambda: _elect(organizer, people.gc, tree.C1, terms.c1),
        source=None,
    )


def test_posts_outside_the_actors_scope_are_refused(
    tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    clerk = get_user_model().objects.create_user(username="c2-organizer")
    role_grant(actor=None, user=clerk, role="organizer", unit=tree.C2)
    _refused(
        "cadres.outside_scope",
        lambda: _elect(clerk, people.k1, tree.C1, terms.c1),
        source=None,
    )
    # A clerk holds `view` and `change` but not `manage_cadres`.
    viewer = get_user_model().objects.create_user(username="clerk-everywhere")
    role_grant(actor=None, user=viewer, role="clerk", unit=None)
    _refused(
        "cadres.outside_scope",
        lambda: _elect(viewer, people.k1, tree.C1, terms.c1),
        source=None,
    )


# Appointments -------------------------------------------------------------------------------


def test_an_appointment_lasts_the_rule_sets_sixty_months_and_cites_its_decision(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
) -> None:
    h = post_appoint(
        actor=organizer,
        member=people.k1,
        unit=tree.C1,
        position="inspection_chair",
        started_on=D(2025, 3, 10),
        document=decision,
        outside_planning_text=OUTSIDE_PLANNING,
    )
    assert h.how == "appointed" and h.planned_end == D(2030, 3, 10)
    assert h.document_id == decision.pk and h.document_text == decision.symbol
    assert AuditEntry.objects.filter(event_type="post.appointed", object_id=str(h.pk)).exists()


def test_a_decision_dated_after_the_start_is_refused(
    organizer: Any, tree: SimpleNamespace, people: SimpleNamespace, decision: Any
) -> None:
    _refused(
        "cadres.document_later",
        lambda: post_appoint(
            actor=organizer,
            member=people.k1,
            unit=tree.C1,
            position="inspection_chair",
            started_on=D(2025, 2, 1),
            document=decision,
            outside_planning_text=OUTSIDE_PLANNING,
        ),
        source=None,
    )


def test_a_first_appointment_needs_sixty_months_before_retirement(
    organizer: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    # `older` retires on 2027-05-31: 23 whole months are left on 2025-06-01.
    error = _refused(
        "cadres.too_close_to_retirement",
        lambda: post_appoint(
            actor=organizer,
            member=people.older,
            unit=tree.C1,
            position="inspection_chair",
            started_on=D(2025, 6, 1),
            outside_planning_text=OUTSIDE_PLANNING,
        ),
        source="at least 60 months",
    )
    assert "2027-05-31" in error.message and "23 months" in error.message
    # Counted on the day the file was received: 60 months before 2027-05-31 is 2022-05-31.
    h = post_appoint(
        actor=organizer,
        member=people.older,
        unit=tree.C1,
        position="inspection_chair",
        started_on=D(2025, 6, 1),
        file_received_on=D(2022, 5, 31),
        outside_planning_text=OUTSIDE_PLANNING,
    )
    assert h.pk


def test_a_reappointment_or_a_lower_post_needs_no_working_life_check(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    # Elected secretary of C1 in 2025 (elections are not checked for working life here).
    held = _elect(organizer, people.older, tree.C1, terms.c1)
    holding_end(actor=organizer, holding=held, ended_on=D(2025, 5, 31), reason="dismissed")
    # An appointment as the inspection chair of C1 stands lower: no check.
    h = post_appoint(
        actor=organizer,
        member=people.older,
        unit=tree.C1,
        position="inspection_chair",
        started_on=D(2025, 6, 1),
        outside_planning_text=OUTSIDE_PLANNING,
    )
    assert h.how == "appointed"


def test_acting_and_seconded_posts_take_the_end_given(
    organizer: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    h = post_appoint(
        actor=organizer,
        member=people.older,
        unit=tree.C1,
        position="inspection_chair",
        started_on=D(2025, 6, 1),
        how="acting",
        planned_end=D(2025, 12, 31),
    )
    assert (h.how, h.planned_end) == ("acting", D(2025, 12, 31))
    _refused(
        "cadres.planned_end_before_start",
        lambda: post_appoint(
            actor=organizer,
            member=people.k1,
            unit=tree.G1,
            position="secretary",
            started_on=D(2025, 6, 1),
            how="seconded",
            planned_end=D(2025, 6, 1),
        ),
        source=None,
    )
    _refused(
        "cadres.how_unknown",
        lambda: post_appoint(
            actor=organizer,
            member=people.k1,
            unit=tree.G1,
            position="secretary",
            started_on=D(2025, 6, 1),
            how="elected",
        ),
        source=None,
    )


def test_an_appointment_without_a_date_of_birth_cannot_count_the_working_life(
    organizer: Any, tree: SimpleNamespace, make_member: Any
) -> None:
    member = make_member(tree.K1, D(1980, 1, 1), D(2010, 5, 1), recognized=True)
    type(member).objects.filter(pk=member.pk).update(birth_date=None)
    member.refresh_from_db()
    _refused(
        "cadres.birth_date_missing",
        lambda: post_appoint(
            actor=organizer,
            member=member,
            unit=tree.C1,
            position="inspection_chair",
            started_on=D(2025, 6, 1),
            outside_planning_text=OUTSIDE_PLANNING,
        ),
        source=None,
    )


# The end of a post, terms -------------------------------------------------------------------


def test_a_post_is_ended_by_a_dated_fact_and_never_edited(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    h = _elect(organizer, people.k1, tree.C1, terms.c1)
    end = holding_end(actor=organizer, holding=h, ended_on=D(2026, 1, 31), reason="resigned")
    assert (end.reason, end.ended_on) == ("resigned", D(2026, 1, 31))
    assert AuditEntry.objects.filter(event_type="post.ended.resigned").exists()
    _refused(
        "cadres.already_ended",
        lambda: holding_end(actor=organizer, holding=h, ended_on=D(2026, 2, 1), reason="retired"),
        source=None,
    )
    _refused(
        "cadres.end_reason_unknown",
        lambda: holding_end(
            actor=organizer, holding=h, ended_on=D(2026, 2, 1), reason="removed_by_discipline"
        ),
        source=None,
    )
    # The database itself refuses to rewrite the holding or its end.
    for change in (
        lambda: PostHolding.objects.filter(pk=h.pk).update(position="committee_member"),
        lambda: PostEnd.objects.filter(pk=end.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()


def test_a_post_cannot_end_before_it_began(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    h = _elect(organizer, people.k1, tree.C1, terms.c1, started_on=D(2025, 3, 1))
    _refused(
        "cadres.end_before_start",
        lambda: holding_end(actor=organizer, holding=h, ended_on=D(2025, 2, 28), reason="resigned"),
        source=None,
    )


def test_closing_a_term_ends_its_posts_for_end_of_term(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    elected = _elect(organizer, people.k1, tree.C1, terms.c1)
    other = post_appoint(
        actor=organizer,
        member=people.k1b,
        unit=tree.C1,
        position="inspection_chair",
        started_on=D(2025, 2, 1),
        outside_planning_text=OUTSIDE_PLANNING,
    )
    closed = committee_term_close(actor=organizer, term=terms.c1, end=D(2025, 12, 31))
    assert closed.end == D(2025, 12, 31)
    end = PostEnd.objects.get(holding=elected)
    assert (end.reason, end.ended_on) == ("end_of_term", D(2025, 12, 31))
    # An appointment outside the term runs on.
    assert not PostEnd.objects.filter(holding=other).exists()
    assert AuditEntry.objects.filter(event_type="term.closed").exists()


def test_a_term_opens_only_on_a_unit_with_posts(
    organizer: Any, tree: SimpleNamespace, actor: Any
) -> None:
    term = committee_term_open(actor=organizer, unit=tree.K2, start=START)
    assert term.label == "2025-2030" and not term.congress
    # The rule set gives the central committee no seats: no committee terms here.
    centre = unit_create(actor=actor, code="TW", name="Trung ương", kind="central_committee")
    before = Term.objects.count()
    with pytest.raises(RuleViolation) as caught:
        committee_term_open(actor=organizer, unit=centre, start=START)
    assert caught.value.code == "cadres.unit_without_posts" and caught.value.source
    assert Term.objects.count() == before
