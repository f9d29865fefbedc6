"""The planning (succession pools): nomination rounds, the lists and their limits, the
competent body's approval, the yearly review, removal as a dated fact, the flags that take
a person out, and the structure report against the rule set's targets. Every refusal names
its rule's source and writes nothing; every write is audited."""

from __future__ import annotations

import copy
import datetime as dt
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, transaction
from django.utils import timezone

from cadrebook.accounts.services import role_grant
from cadrebook.cadres import planning_selectors as ps
from cadrebook.cadres.models import (
    Nomination,
    NominationRound,
    PlanningEntry,
    PlanningRemoval,
    PlanningReview,
    PostHolding,
)
from cadrebook.cadres.planning_rules import parse_planning, planning_rules
from cadrebook.cadres.services import (
    planning_add,
    planning_remove,
    planning_review,
    planning_round_record,
    post_appoint,
)
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.core.rules import Ruleset, current_ruleset, load_ruleset
from cadrebook.documents.services import document_register
from cadrebook.inspections.services import discipline_decide

# The competent level's decision to appoint outside planning, for the posts these tests need
# but whose planning they are not about.
OUTSIDE_PLANNING = "05-QĐ/TU (outside planning)"


D = dt.date
ADDED = D(2025, 3, 1)
DAY = D(2025, 6, 1)


def _state() -> tuple[int, ...]:
    return (
        NominationRound.objects.count(),
        Nomination.objects.count(),
        PlanningEntry.objects.count(),
        PlanningRemoval.objects.count(),
        PlanningReview.objects.count(),
        AuditEntry.objects.filter(event_type__startswith="planning.").count(),
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


def _user(name: str, role: str, unit: Any) -> Any:
    user = get_user_model().objects.create_user(username=name)
    role_grant(actor=None, user=user, role=role, unit=unit)
    return user


@pytest.fixture
def more(tree: SimpleNamespace, make_member: Any) -> SimpleNamespace:
    """More full members of K1: two men, a woman of the Tày people, and a man born in 1975
    (retiring at the end of January 2037)."""
    return SimpleNamespace(
        a=make_member(tree.K1, D(1985, 5, 1), D(2010, 5, 1), recognized=True),
        b=make_member(tree.K1, D(1990, 5, 1), D(2012, 5, 1), recognized=True),
        woman=make_member(
            tree.K1,
            D(1988, 7, 1),
            D(2012, 5, 1),
            recognized=True,
            gender="female",
            ethnicity="Tày",
        ),
        late=make_member(tree.K1, D(1975, 1, 10), D(2000, 5, 1), recognized=True),
    )


def _add(organizer: Any, terms: Any, tree: Any, member: Any, decision: Any, **kw: Any) -> Any:
    values = {
        "actor": organizer,
        "unit": tree.C1,
        "term": terms.c1,
        "position": "secretary",
        "member": member,
        "added_on": ADDED,
        "document": decision,
        **kw,
    }
    return planning_add(**values)


# Adding ------------------------------------------------------------------------------------


def test_a_person_is_added_with_the_competent_bodys_approval(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
) -> None:
    entry = _add(organizer, terms, tree, people.k1, decision)
    assert (entry.unit, entry.position, entry.member, entry.added_on) == (
        tree.C1,
        "secretary",
        people.k1,
        ADDED,
    )
    assert entry.document_text == decision.symbol and entry.ruleset == current_ruleset().id
    assert AuditEntry.objects.filter(event_type="planning.added", object_id=str(entry.pk)).exists()
    assert list(ps.planning_list(organizer, tree.C1, DAY)) == [entry]
    assert list(ps.planning_list(organizer, tree.C1, D(2025, 2, 1))) == []


def test_the_approval_is_required_and_from_the_unit_or_above(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> None:
    source = planning_rules().approval_source
    _refused(
        "planning.approval_missing",
        lambda: _add(organizer, terms, tree, people.k1, None),
        source=source,
    )
    lower = document_register(
        actor=organizer, type="decision", issuer=tree.G1, term=terms.g1, date=ADDED, title="QH"
    )
    _refused(
        "planning.approval_not_competent",
        lambda: _add(organizer, terms, tree, people.k1, lower),
        source=source,
    )
    # The text of a paper the register does not hold stands for it.
    entry = _add(organizer, terms, tree, people.k1, None, document_text="05-QĐ/HU")
    assert entry.document is None and entry.document_text == "05-QĐ/HU"


def test_at_most_three_people_per_post(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    more: SimpleNamespace,
    decision: Any,
) -> None:
    rules = planning_rules()
    assert rules.max_candidates == 3
    for m in (people.k1, people.k1b, more.a):
        _add(organizer, terms, tree, m, decision)
    _refused(
        "planning.post_full",
        lambda: _add(organizer, terms, tree, more.b, decision),
        source=rules.max_candidates_source,
    )
    # A place freed by a removal is a place again from the removal's day.
    first = PlanningEntry.objects.get(member=people.k1)
    planning_remove(
        actor=organizer, entry=first, removed_on=D(2025, 4, 1), reason="review", note="Yếu"
    )
    assert _add(organizer, terms, tree, more.b, decision, added_on=D(2025, 4, 1))


def test_at_most_three_posts_per_person_at_one_level(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
) -> None:
    rules = planning_rules()
    for position in ("secretary", "deputy_secretary", "standing_committee_member"):
        _add(organizer, terms, tree, people.k1, decision, position=position)
    _refused(
        "planning.candidate_full",
        lambda: _add(organizer, terms, tree, people.k1, decision, position="inspection_chair"),
        source=rules.max_positions_source,
    )
    # Another level (the grassroots committee G1) counts apart.
    g1_decision = document_register(
        actor=organizer, type="decision", issuer=tree.G1, term=terms.g1, date=ADDED, title="QH"
    )
    assert _add(organizer, terms, tree, people.k1, g1_decision, unit=tree.G1, term=terms.g1)


def test_planning_is_for_a_higher_post_only(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
) -> None:
    post_appoint(
        actor=organizer,
        member=people.k1,
        unit=tree.C1,
        position="deputy_secretary",
        started_on=D(2025, 3, 1),
        document_text="01-QĐ/ĐU",
        outside_planning_text=OUTSIDE_PLANNING,
    )
    for position in ("deputy_secretary", "committee_member"):
        _refused(
            "planning.not_higher",
            lambda position=position: _add(
                organizer,
                terms,
                tree,
                people.k1,
                decision,
                position=position,
                added_on=D(2025, 3, 2),
            ),
            source=planning_rules().higher_post_source,
        )
    assert _add(organizer, terms, tree, people.k1, decision, added_on=D(2025, 3, 2))


def test_a_person_past_the_age_limit_is_not_planned(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
) -> None:
    # `older` retires at the end of May 2027: less than 60 months from 2025-03-01.
    assert planning_rules().min_months_before_retirement == 60
    _refused(
        "planning.age_limit",
        lambda: _add(organizer, terms, tree, people.older, decision),
        source=planning_rules().age_limit_source,
    )


def test_never_planned_and_proposed_for_appointment_in_the_same_step(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
) -> None:
    source = planning_rules().same_step_source

    def both() -> Any:
        return planning_round_record(
            actor=organizer,
            unit=tree.C1,
            term=terms.c1,
            step="committee",
            held_on=D(2025, 2, 20),
            ballots=9,
            nominations=[
                {
                    "member": people.k1,
                    "position": "secretary",
                    "purpose": "planning",
                    "votes_for": 6,
                },
                {
                    "member": people.k1,
                    "position": "inspection_chair",
                    "purpose": "appointment",
                    "votes_for": 7,
                },
            ],
        )

    _refused("planning.same_step", both, source=source)
    # Appointed by the decision that would plan them: the same step.
    post_appoint(
        actor=organizer,
        member=people.k1,
        unit=tree.C1,
        position="inspection_chair",
        started_on=D(2025, 3, 1),
        document=decision,
        outside_planning_text=OUTSIDE_PLANNING,
    )
    _refused(
        "planning.same_step",
        lambda: _add(organizer, terms, tree, people.k1, decision, added_on=D(2025, 3, 5)),
        source=source,
    )


# Appointment needs planning ----------------------------------------------------------------


def _appoint(organizer: Any, tree: Any, member: Any, position: str, **kw: Any) -> Any:
    values = {
        "actor": organizer,
        "member": member,
        "unit": tree.C1,
        "position": position,
        "started_on": DAY,
        "document_text": "07-QĐ/TU",
        **kw,
    }
    return post_appoint(**values)


def _appointed_state() -> tuple[int, int]:
    return (
        PostHolding.objects.count(),
        AuditEntry.objects.filter(event_type__startswith="post.").count(),
    )


def _planning_noted(holding: Any) -> dict[str, Any]:
    after = AuditEntry.objects.get(event_type="post.appointed", object_id=str(holding.pk)).after
    return {k: v for k, v in after.items() if k == "planning" or k.startswith("outside_")}


def test_an_appointment_needs_the_person_in_planning(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    more: SimpleNamespace,
    decision: Any,
) -> None:
    before = _appointed_state()
    with pytest.raises(RuleViolation) as caught:
        _appoint(organizer, tree, more.a, "deputy_secretary")
    assert (caught.value.code, caught.value.field) == ("cadres.not_planned", "member")
    assert "377-QĐ/TW" in caught.value.source and "competent level" in caught.value.source
    assert _appointed_state() == before
    # Planned for a lower post only: still refused.
    _add(organizer, terms, tree, more.a, decision, position="committee_member")
    with pytest.raises(RuleViolation) as caught:
        _appoint(organizer, tree, more.a, "deputy_secretary")
    assert caught.value.code == "cadres.not_planned"
    assert _appointed_state() == before
    # Planned for that post: appointed, and the audit entry says how planning was met.
    _add(organizer, terms, tree, more.b, decision, position="deputy_secretary")
    holding = _appoint(organizer, tree, more.b, "deputy_secretary")
    assert _planning_noted(holding) == {"planning": "planned"}


def test_planning_for_an_equal_or_higher_post_is_enough(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    more: SimpleNamespace,
    decision: Any,
) -> None:
    _add(organizer, terms, tree, more.a, decision, position="secretary")
    _add(organizer, terms, tree, more.b, decision, position="standing_committee_member")
    assert _appoint(organizer, tree, more.a, "deputy_secretary").pk  # planned higher
    equal = _appoint(organizer, tree, more.b, "inspection_chair", outside_planning_text="9/TU")
    # Planned for an equal post; the decision cited anyway is kept with it.
    assert _planning_noted(equal) == {
        "planning": "planned",
        "outside_planning_document": None,
        "outside_planning_text": "9/TU",
    }


def test_planning_taken_out_before_the_day_does_not_count(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    more: SimpleNamespace,
    decision: Any,
) -> None:
    entry = _add(organizer, terms, tree, more.a, decision, position="deputy_secretary")
    planning_remove(
        actor=organizer, entry=entry, removed_on=D(2025, 5, 1), reason="review", note="Yếu"
    )
    before = _appointed_state()
    with pytest.raises(RuleViolation) as caught:
        _appoint(organizer, tree, more.a, "deputy_secretary")
    assert caught.value.code == "cadres.not_planned"
    assert _appointed_state() == before


def test_the_competent_levels_decision_appoints_outside_planning(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    more: SimpleNamespace,
    decision: Any,
) -> None:
    by_document = _appoint(
        organizer, tree, more.a, "deputy_secretary", outside_planning_document=decision
    )
    assert _planning_noted(by_document) == {
        "planning": "competent_decision",
        "outside_planning_document": decision.pk,
        "outside_planning_text": decision.symbol,
    }
    by_text = _appoint(
        organizer, tree, more.b, "inspection_chair", outside_planning_text="12-QĐ/TU"
    )
    assert _planning_noted(by_text) == {
        "planning": "competent_decision",
        "outside_planning_document": None,
        "outside_planning_text": "12-QĐ/TU",
    }
    # A decision dated after the start cannot be what allowed it.
    later = document_register(
        actor=organizer,
        type="decision",
        issuer=tree.C1,
        term=terms.c1,
        date=D(2025, 7, 1),
        title="Bổ nhiệm ngoài quy hoạch",
    )
    before = _appointed_state()
    with pytest.raises(ServiceError) as refused:
        _appoint(organizer, tree, more.woman, "committee_member", outside_planning_document=later)
    assert (refused.value.code, refused.value.field) == (
        "cadres.document_later",
        "outside_planning_document",
    )
    assert _appointed_state() == before


def test_acting_and_seconded_posts_need_no_planning(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, more: SimpleNamespace
) -> None:
    acting = _appoint(
        organizer, tree, more.a, "deputy_secretary", how="acting", planned_end=D(2025, 12, 31)
    )
    assert acting.how == "acting"
    before = _appointed_state()
    with pytest.raises(ServiceError) as refused:
        _appoint(
            organizer, tree, more.b, "inspection_chair", how="seconded", outside_planning_text="x"
        )
    assert refused.value.code == "cadres.planning_not_needed"
    assert _appointed_state() == before


def test_a_post_taken_over_from_old_files_is_not_checked_against_planning(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, more: SimpleNamespace
) -> None:
    holding = _appoint(organizer, tree, more.a, "deputy_secretary", taken_over=True)
    assert _planning_noted(holding) == {"planning": "taken_over"}


def test_a_nomination_round_keeps_the_votes_and_feeds_the_planning(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
) -> None:
    round_ = planning_round_record(
        actor=organizer,
        unit=tree.C1,
        term=terms.c1,
        step="expanded_meeting",
        held_on=D(2025, 2, 20),
        ballots=25,
        nominations=[
            {"member": people.k1, "position": "secretary", "purpose": "planning", "votes_for": 20},
            {"member": people.k1b, "position": "secretary", "purpose": "planning", "votes_for": 9},
        ],
        document_text="BB hội nghị mở rộng",
    )
    votes = {n.member_id: n.votes_for for n in round_.nominations.all()}
    assert votes == {people.k1.pk: 20, people.k1b.pk: 9}
    assert AuditEntry.objects.filter(event_type="planning.round", object_id=str(round_.pk)).exists()
    nomination = round_.nominations.get(member=people.k1)
    entry = _add(organizer, terms, tree, people.k1, decision, nomination=nomination)
    assert entry.nomination == nomination
    _refused(
        "planning.votes_invalid",
        lambda: planning_round_record(
            actor=organizer,
            unit=tree.C1,
            term=terms.c1,
            step="committee",
            held_on=D(2025, 2, 21),
            ballots=9,
            nominations=[
                {
                    "member": people.k1b,
                    "position": "secretary",
                    "purpose": "planning",
                    "votes_for": 10,
                }
            ],
        ),
        source=None,
    )
    # A nomination of another person cannot carry this one.
    _refused(
        "planning.nomination_other",
        lambda: _add(organizer, terms, tree, people.k1b, decision, nomination=nomination),
        source=None,
    )


def test_a_member_of_another_commune_cannot_be_recorded(
    tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace, decision: Any
) -> None:
    c2 = _user("c2-organizer", "organizer", tree.C2)
    _refused(
        "cadres.outside_scope",
        lambda: _add(c2, terms, tree, people.k1, decision),
        source=None,
    )


# Removal and review ------------------------------------------------------------------------


def test_a_removal_is_a_dated_fact_and_the_history_is_kept(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
) -> None:
    entry = _add(organizer, terms, tree, people.k1, decision)
    _refused(
        "planning.reason_missing",
        lambda: planning_remove(
            actor=organizer, entry=entry, removed_on=D(2025, 5, 1), reason="review"
        ),
        source=planning_rules().review_source,
    )
    removal = planning_remove(
        actor=organizer,
        entry=entry,
        removed_on=D(2025, 5, 1),
        reason="review",
        note="Không hoàn thành nhiệm vụ",
    )
    assert AuditEntry.objects.filter(
        event_type="planning.removed.review", object_id=str(removal.pk)
    ).exists()
    assert list(ps.planning_list(organizer, tree.C1, D(2025, 4, 30))) == [entry]
    assert list(ps.planning_list(organizer, tree.C1, D(2025, 5, 1))) == []
    (kept,) = ps.planning_history(organizer, tree.C1)
    assert kept == entry and kept.removal.note == "Không hoàn thành nhiệm vụ"
    _refused(
        "planning.already_removed",
        lambda: planning_remove(
            actor=organizer, entry=entry, removed_on=D(2025, 6, 1), reason="age_limit"
        ),
        source=None,
    )
    # The database keeps the past too: neither the entry nor its removal changes.
    for obj in (entry, removal):
        with pytest.raises(DatabaseError), transaction.atomic():
            obj.delete()


def test_the_yearly_review_removes_and_adds_at_once(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    more: SimpleNamespace,
    decision: Any,
) -> None:
    stays = _add(organizer, terms, tree, people.k1, decision)
    goes = _add(organizer, terms, tree, people.k1b, decision)
    full = _add(organizer, terms, tree, more.a, decision)
    review = planning_review(
        actor=organizer,
        unit=tree.C1,
        term=terms.c1,
        year=2025,
        reviewed_on=D(2025, 12, 15),
        document=decision,
        remove=[{"entry": goes, "reason": "review", "note": "Sức khỏe yếu"}],
        add=[{"member": more.b, "position": "secretary"}],
    )
    assert [r.entry for r in review.removed.all()] == [goes]
    (added,) = review.added.all()
    assert added.member == more.b and added.added_on == D(2025, 12, 15)
    assert set(ps.planning_list(organizer, tree.C1, D(2025, 12, 15))) == {stays, full, added}
    assert AuditEntry.objects.filter(event_type="planning.reviewed").count() == 1
    _refused(
        "planning.reviewed",
        lambda: planning_review(
            actor=organizer,
            unit=tree.C1,
            term=terms.c1,
            year=2025,
            reviewed_on=D(2025, 12, 20),
            document=decision,
        ),
        source=None,
    )


def test_a_review_that_breaks_a_rule_writes_nothing(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
) -> None:
    goes = _add(organizer, terms, tree, people.k1b, decision)
    _refused(
        "planning.age_limit",
        lambda: planning_review(
            actor=organizer,
            unit=tree.C1,
            term=terms.c1,
            year=2025,
            reviewed_on=D(2025, 12, 15),
            document=decision,
            remove=[{"entry": goes, "reason": "other", "note": "Chuyển công tác"}],
            add=[{"member": people.older, "position": "secretary"}],
        ),
        source=planning_rules().age_limit_source,
    )
    assert not PlanningRemoval.objects.filter(entry=goes).exists()


# Flags -------------------------------------------------------------------------------------


def test_the_age_limit_flags_a_planned_person_for_those_who_may_read_it(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    more: SimpleNamespace,
    decision: Any,
) -> None:
    # Born 1975-01-10, a man: retires 2037-01-31; under 60 months left from February 2032.
    entry = _add(organizer, terms, tree, more.late, decision)
    assert ps.planning_flags(organizer, D(2032, 1, 15)) == []
    (flag,) = ps.planning_flags(organizer, D(2032, 2, 15))
    assert (flag.entry, flag.reason) == (entry, ps.AGE_LIMIT)
    assert flag.source == planning_rules().age_limit_source
    # A viewer of C1 may not read the date of birth it tells.
    viewer = _user("c1-viewer", "viewer", tree.C1)
    assert ps.planning_flags(viewer, D(2032, 2, 15)) == []


def test_a_discipline_of_reprimand_or_above_flags_and_bars_planning(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inspector = _user("inspector", "inspector", None)
    entry = _add(organizer, terms, tree, people.k1, decision)
    discipline_decide(
        actor=inspector,
        subject_kind="member",
        member=people.k1,
        form="reprimand",
        body=tree.C1,
        body_kind="inspection_committee",
        decided_on=D(2025, 3, 3),
        violation="Vi phạm quy định về nêu gương",
        violation_kind="",
        violation_on=D(2024, 11, 1),
        votes={"reprimand": 5, "none": 2},
        voters_total=7,
    )
    (flag,) = ps.planning_flags(organizer, DAY)
    assert (flag.entry, flag.reason, flag.since) == (entry, ps.DISCIPLINE, D(2025, 3, 3))
    assert flag.source == planning_rules().discipline_source
    # Planned again for another post while the discipline's bars run: refused while it is in
    # force, and after it lapsed (12 months) until a higher post is open again (24 months
    # after a reprimand: [discipline.bans]).
    for day, code in ((D(2025, 4, 1), "appointment"), (D(2026, 6, 1), "higher_post")):
        _refused(
            f"restriction.{code}",
            lambda day=day: _add(
                organizer,
                terms,
                tree,
                people.k1,
                decision,
                position="deputy_secretary",
                added_on=day,
            ),
        )
    # Two years on (a planning is recorded once approved, not ahead: today is that day).
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kw: D(2027, 3, 3))
    assert _add(
        organizer,
        terms,
        tree,
        people.k1,
        decision,
        position="deputy_secretary",
        added_on=D(2027, 3, 3),
    )


def test_is_planned_for_the_post_or_an_equal_or_higher_one(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
) -> None:
    _add(organizer, terms, tree, people.k1, decision, position="deputy_secretary")
    assert ps.is_planned_for(people.k1, tree.C1, "deputy_secretary", DAY)
    assert ps.is_planned_for(people.k1, tree.C1, "committee_member", DAY)
    assert not ps.is_planned_for(people.k1, tree.C1, "secretary", DAY)
    assert not ps.is_planned_for(people.k1b, tree.C1, "committee_member", DAY)


# Structure ---------------------------------------------------------------------------------


def test_the_structure_of_a_list_against_the_targets(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    more: SimpleNamespace,
    decision: Any,
) -> None:
    rules = planning_rules()
    # secretary: k1 (45 on 2025-06-01), woman (36, Tày), late (50); deputy: a (40).
    for m in (people.k1, more.woman, more.late):
        _add(organizer, terms, tree, m, decision)
    _add(organizer, terms, tree, more.a, decision, position="deputy_secretary")
    report = ps.planning_structure(organizer, tree.C1, DAY)
    assert report is not None
    secretary, deputy = report.lists
    assert secretary.people == 3
    assert secretary.brackets == (1, 2, 0)  # <=44, 45-54, >=55
    shares = {s.code: s for s in secretary.shares}
    assert (
        shares["women"].share == Fraction(1, 3) and shares["women"].target == rules.targets["women"]
    )
    assert shares["young"].count == 1 and not shares["young"].short
    assert shares["ethnic_minority"].count == 1 and shares["ethnic_minority"].target is None
    assert secretary.shortfalls == ("age_brackets",)
    # The deputy's list: one young man of the majority: no women, brackets missing.
    assert set(deputy.shortfalls) == {"women", "age_brackets"}
    assert report.whole.people == 4
    by_level = ps.planning_structure_by_level(organizer, DAY)
    assert list(by_level) == [3] and by_level[3].people == 4


def test_the_structure_masks_what_the_personal_data_tells(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    more: SimpleNamespace,
    decision: Any,
) -> None:
    _add(organizer, terms, tree, more.woman, decision)
    viewer = _user("c1-viewer", "viewer", tree.C1)
    report = ps.planning_structure(viewer, tree.C1, DAY)
    assert report is not None
    (only,) = report.lists
    assert only.brackets is None
    shares = {s.code: s for s in only.shares}
    assert shares["women"].count == 1
    assert shares["young"].count is None and shares["ethnic_minority"].count is None
    assert only.shortfalls == ()
    outsider = _user("c2-viewer", "viewer", tree.C2)
    assert ps.planning_structure(outsider, tree.C1, DAY) is None
    assert ps.planning_structure_by_level(outsider, DAY) == {}


def test_the_rule_set_sets_the_targets_and_the_minority_target_is_optional(
    ruleset: Ruleset,
) -> None:
    alt = planning_rules(ruleset)
    assert alt.targets["ethnic_minority"] == Fraction(1, 10)
    assert alt.majority_ethnicity == "Alpha" and alt.max_candidates == 2
    assert alt.max_candidates_source == "test statute 12.1"
    vn = planning_rules(load_ruleset("vn-2025"))
    assert vn.targets == {"women": Fraction(1, 4), "young": Fraction(3, 20)}
    assert vn.majority_ethnicity == "Kinh"


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("age_brackets", [[0, 50], [51, 200]], "three age brackets"),
        ("age_brackets", [[0, 40], [45, 50], [51, 200]], "follow each other"),
        ("women_share_min", "5/4", "between 0 and 1"),
        ("max_candidates_per_position", 0, "whole number >= 1"),
        ("min_months_before_retirement", "cadres.nothing", "names no rule"),
    ],
)
def test_a_broken_planning_section_is_refused(key: str, value: Any, problem: str) -> None:
    base = load_ruleset("vn-2025")
    data = copy.deepcopy(base.data)
    data["planning"][key] = value
    broken = Ruleset(id="broken", name="broken", version=1, data=data)
    with pytest.raises(ImproperlyConfigured, match=problem):
        parse_planning(broken)
