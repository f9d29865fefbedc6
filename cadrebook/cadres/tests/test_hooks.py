"""What cadre records tell the discipline (the inspections' hooks, filled at start-up): a
member holding a post may be removed from it, and the removal ends the member's posts in the
decision's transaction; a discipline in force refuses an appointment and an election."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction

from cadrebook.accounts.services import role_grant
from cadrebook.cadres.hooks import (
    end_posts_on_removal,
    member_holds_post,
    restore_posts_on_annulment,
)
from cadrebook.cadres.models import PostEnd, PostHolding, PostRestoration
from cadrebook.cadres.selectors import holders_on, holds_post
from cadrebook.cadres.services import (
    committee_term_close,
    holding_end,
    holdings_restore_by_appeal,
    post_appoint,
    post_elect,
)
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.inspections.models import Discipline
from cadrebook.inspections.services import appeal_decide, appeal_lodge, discipline_decide
from cadrebook.inspections.services.discipline import (
    POST_HOLDER_HOOKS,
    POST_REMOVAL_HOOKS,
    POST_RESTORE_HOOKS,
)

# The competent level's decision to appoint outside planning, for the posts these tests need
# but whose planning they are not about.
OUTSIDE_PLANNING = "05-QĐ/TU (outside planning)"


D = dt.date
DECIDED = D(2025, 3, 3)


@pytest.fixture
def inspector(db: None) -> Any:
    user = get_user_model().objects.create_user(username="inspector")
    role_grant(actor=None, user=user, role="inspector", unit=None)
    return user


def _decide(inspector: Any, tree: SimpleNamespace, member: Any, form: str, **kw: Any) -> Any:
    return discipline_decide(
        actor=inspector,
        subject_kind="member",
        member=member,
        form=form,
        body=tree.C1,
        body_kind="inspection_committee",
        decided_on=DECIDED,
        violation="Vi phạm quy định về nêu gương",
        violation_kind="",
        violation_on=D(2024, 11, 1),
        votes={form: 5, "none": 2},
        voters_total=7,
        **kw,
    )


def test_the_hooks_are_registered_at_start_up() -> None:
    assert member_holds_post in POST_HOLDER_HOOKS
    assert end_posts_on_removal in POST_REMOVAL_HOOKS


def test_a_removal_from_post_ends_the_members_posts(
    organizer: Any,
    inspector: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
) -> None:
    secretary = post_elect(
        actor=organizer,
        member=people.k1,
        unit=tree.K1,
        position="secretary",
        term=terms.k1,
        started_on=D(2025, 1, 1),
        votes_for=3,
        votes_total=4,
    )
    committee = post_elect(
        actor=organizer,
        member=people.k1,
        unit=tree.C1,
        position="committee_member",
        term=terms.c1,
        started_on=D(2025, 1, 1),
        votes_for=30,
        votes_total=40,
    )
    # No `holds_post` given: the discipline asks the cadre records, which say he holds one.
    d = _decide(inspector, tree, people.k1, "removal_from_post", document_text="5-QĐ/UBKT")
    ends = PostEnd.objects.filter(holding__in=[secretary, committee]).order_by("holding_id")
    assert [(e.reason, e.ended_on, e.discipline_id) for e in ends] == [
        ("removed_by_discipline", DECIDED, d.pk),
        ("removed_by_discipline", DECIDED, d.pk),
    ]
    assert ends[0].document_text == "5-QĐ/UBKT"
    assert AuditEntry.objects.filter(event_type="post.ended.removed_by_discipline").count() == 2
    # Ended, the holdings stand as they were recorded.
    assert PostHolding.objects.get(pk=secretary.pk).started_on == D(2025, 1, 1)


def test_without_a_post_there_is_no_removal_from_post(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    with pytest.raises(ServiceError) as caught:
        _decide(inspector, tree, people.k1, "removal_from_post")
    assert caught.value.code == "discipline.form_needs_post"
    assert not Discipline.objects.exists()


def test_a_post_ended_before_the_decision_is_not_held_then(
    organizer: Any,
    inspector: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
) -> None:
    h = post_elect(
        actor=organizer,
        member=people.k1,
        unit=tree.K1,
        position="secretary",
        term=terms.k1,
        started_on=D(2025, 1, 1),
        votes_for=3,
        votes_total=4,
    )
    holding_end(actor=organizer, holding=h, ended_on=D(2025, 2, 28), reason="resigned")
    with pytest.raises(ServiceError) as caught:
        _decide(inspector, tree, people.k1, "removal_from_post")
    assert caught.value.code == "discipline.form_needs_post"


def test_a_discipline_in_force_refuses_an_appointment_and_an_election(
    organizer: Any,
    inspector: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
) -> None:
    _decide(inspector, tree, people.k1, "warning")
    before = (
        PostHolding.objects.count(),
        AuditEntry.objects.filter(event_type__startswith="post.").count(),
    )
    with pytest.raises(RuleViolation) as caught:
        post_appoint(
            actor=organizer,
            member=people.k1,
            unit=tree.C1,
            position="inspection_chair",
            started_on=D(2025, 6, 1),
            outside_planning_text=OUTSIDE_PLANNING,
        )
    assert caught.value.code == "restriction.appointment"
    assert "296-QĐ/TW" in caught.value.source and "Warning" in caught.value.message
    with pytest.raises(RuleViolation) as caught:
        post_elect(
            actor=organizer,
            member=people.k1,
            unit=tree.K1,
            position="secretary",
            term=terms.k1,
            started_on=D(2025, 6, 1),
            votes_for=3,
            votes_total=4,
        )
    assert caught.value.code == "restriction.appointment"
    after = (
        PostHolding.objects.count(),
        AuditEntry.objects.filter(event_type__startswith="post.").count(),
    )
    assert after == before
    # Before the decision, nothing barred him.
    assert post_appoint(
        actor=organizer,
        member=people.k1,
        unit=tree.C1,
        position="inspection_chair",
        started_on=D(2025, 3, 1),
        outside_planning_text=OUTSIDE_PLANNING,
    ).pk


# A removal from post annulled on appeal -----------------------------------------------------


def _annul(inspector: Any, tree: SimpleNamespace, d: Any, **kw: Any) -> Any:
    appeal = appeal_lodge(
        actor=inspector,
        discipline=d,
        lodged_on=D(2025, 3, 20),
        received_on=D(2025, 3, 5),
        body=tree.P,
        body_kind="committee",
    )
    values = {"outcome": "annulled", "document_text": "7-QĐ/TU", **kw}
    return appeal_decide(actor=inspector, appeal=appeal, decided_on=D(2025, 4, 10), **values)


def _secretary(
    organizer: Any, tree: SimpleNamespace, terms: Any, member: Any, unit: str = "K1"
) -> Any:
    return post_elect(
        actor=organizer,
        member=member,
        unit=getattr(tree, unit),
        position="secretary",
        term=getattr(terms, unit.lower()),
        started_on=D(2025, 1, 1),
        votes_for=3,
        votes_total=4,
    )


def test_the_restore_hook_is_registered_at_start_up() -> None:
    assert restore_posts_on_annulment in POST_RESTORE_HOOKS


def test_an_annulled_removal_voids_its_ends_and_the_posts_run_again(
    organizer: Any,
    inspector: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
) -> None:
    held = _secretary(organizer, tree, terms, people.k1)
    d = _decide(inspector, tree, people.k1, "removal_from_post", document_text="5-QĐ/UBKT")
    assert not holds_post(people.k1, D(2025, 4, 1))
    _annul(inspector, tree, d)
    end = PostEnd.objects.get(holding=held)  # the end stays as recorded, voided beside it
    restoration = PostRestoration.objects.get(end=end)
    assert (restoration.discipline_id, restoration.document_text) == (d.pk, "7-QĐ/TU")
    again = restoration.restored
    assert again is not None
    assert (again.member_id, again.unit_id, again.position, again.term_id, again.how) == (
        people.k1.pk,
        tree.K1.pk,
        "secretary",
        terms.k1.pk,
        "elected",
    )
    assert again.started_on == DECIDED + dt.timedelta(days=1)
    assert (again.votes_for, again.votes_total) == (3, 4)
    # The post is held on every day again: the removal's day by the first holding, the days
    # after by the one run again.
    for day in (DECIDED, D(2025, 3, 4), D(2025, 6, 1)):
        assert [h.member_id for h in holders_on(organizer, tree.K1, day)] == [people.k1.pk]
    entry = AuditEntry.objects.get(event_type="post.restored")
    assert entry.after["restored"] == again.pk and entry.after["seats_over"] is False
    # Append-only, and once: a second call restores nothing more.
    assert holdings_restore_by_appeal(actor=None, discipline=d, reason="again") == []
    with pytest.raises(DatabaseError), transaction.atomic():
        PostRestoration.objects.filter(pk=restoration.pk).delete()


def test_a_post_whose_term_closed_meanwhile_runs_again_until_the_close(
    organizer: Any,
    inspector: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
) -> None:
    held = _secretary(organizer, tree, terms, people.k1)
    acting = post_appoint(
        actor=organizer,
        member=people.k1,
        unit=tree.C1,
        position="committee_member",
        how="acting",
        started_on=D(2025, 1, 1),
        planned_end=D(2025, 3, 4),
    )
    d = _decide(inspector, tree, people.k1, "removal_from_post")
    committee_term_close(actor=organizer, term=terms.k1, end=D(2025, 3, 31))
    _annul(inspector, tree, d)
    restored = PostRestoration.objects.get(end__holding=held).restored
    assert restored is not None
    assert (restored.end.ended_on, restored.end.reason) == (D(2025, 3, 31), "end_of_term")
    # The acting post was due to end on the day after the removal: nothing runs again.
    nothing = PostRestoration.objects.get(end__holding=acting)
    assert nothing.restored is None
    assert not holds_post(people.k1, D(2025, 4, 1))


def test_a_removal_changed_to_a_warning_restores_and_an_upheld_one_does_not(
    organizer: Any,
    inspector: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
) -> None:
    _secretary(organizer, tree, terms, people.k1)
    d = _decide(inspector, tree, people.k1, "removal_from_post")
    _annul(inspector, tree, d, outcome="upheld", document_text="")
    assert not PostRestoration.objects.exists()
    assert not holds_post(people.k1, D(2025, 6, 1))
    other = _secretary(organizer, tree, terms, people.k1b, unit="C1")
    d = _decide(inspector, tree, people.k1b, "removal_from_post")
    _annul(
        inspector,
        tree,
        d,
        outcome="changed",
        new_form="warning",
        votes={"warning": 5, "none": 2},
        voters_total=7,
    )
    assert PostRestoration.objects.get().end.holding == other
    assert holds_post(people.k1b, D(2025, 6, 1))
