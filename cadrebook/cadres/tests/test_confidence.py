"""Confidence votes (96-QĐ/TW 2023): a session is valid only with the rule set's quorum;
per person only the counts of "high", "confidence" and "low" are kept, never who voted
how; the thresholds flag people out of planning or for dismissal, and cap a leader's
rating for the year."""

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

from cadrebook.accounts.services import role_grant
from cadrebook.cadres import planning_selectors as ps
from cadrebook.cadres.models import ConfidenceResult, ConfidenceSession
from cadrebook.cadres.planning_rules import confidence_rules, parse_confidence
from cadrebook.cadres.services import confidence_session_record, planning_add, post_appoint
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.core.rules import Ruleset, load_ruleset

# The competent level's decision to appoint outside planning, for the posts these tests need
# but whose planning they are not about.
OUTSIDE_PLANNING = "05-QĐ/TU (outside planning)"


D = dt.date
HELD = D(2025, 11, 20)


def _state() -> tuple[int, int, int]:
    return (
        ConfidenceSession.objects.count(),
        ConfidenceResult.objects.count(),
        AuditEntry.objects.filter(event_type__startswith="confidence.").count(),
    )


def _refused(code: str, call: Any, *, source: str | None = "") -> ServiceError:
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
def holders(
    organizer: Any, tree: SimpleNamespace, people: SimpleNamespace, decision: Any
) -> SimpleNamespace:
    """k1 deputy secretary of C1, k1b chair of C1's inspection committee, from 2025-03-10."""
    return SimpleNamespace(
        deputy=post_appoint(
            actor=organizer,
            member=people.k1,
            unit=tree.C1,
            position="deputy_secretary",
            started_on=D(2025, 3, 10),
            document=decision,
            outside_planning_text=OUTSIDE_PLANNING,
        ),
        chair=post_appoint(
            actor=organizer,
            member=people.k1b,
            unit=tree.C1,
            position="inspection_chair",
            started_on=D(2025, 3, 10),
            document=decision,
            outside_planning_text=OUTSIDE_PLANNING,
        ),
    )


def _vote(actor: Any, unit: Any, results: list[dict[str, Any]], **kw: Any) -> ConfidenceSession:
    values = {
        "actor": actor,
        "unit": unit,
        "held_on": HELD,
        "summoned": 30,
        "present": 21,
        "results": results,
        **kw,
    }
    return confidence_session_record(**values)


def _counts(member: Any, high: int, confidence: int, low: int) -> dict[str, Any]:
    return {"member": member, "high": high, "confidence": confidence, "low": low}


def test_a_session_keeps_the_counts_and_is_audited(
    organizer: Any, tree: SimpleNamespace, people: SimpleNamespace, holders: SimpleNamespace
) -> None:
    session = _vote(
        organizer, tree.C1, [_counts(people.k1, 15, 4, 2), _counts(people.k1b, 5, 5, 9)]
    )
    rows = {r.member_id: (r.position, r.high, r.confidence, r.low) for r in session.results.all()}
    assert rows == {
        people.k1.pk: ("deputy_secretary", 15, 4, 2),
        people.k1b.pk: ("inspection_chair", 5, 5, 9),
    }
    entry = AuditEntry.objects.get(event_type="confidence.vote", object_id=str(session.pk))
    assert entry.after["present"] == 21 and len(entry.after["results"]) == 2
    # Appended, never changed.
    with pytest.raises(DatabaseError), transaction.atomic():
        ConfidenceResult.objects.filter(session=session).update(low=0)


def test_only_counts_are_stored_never_who_voted_how() -> None:
    # The secrecy of the ballot: no column names a voter. The only people a result names
    # are the person voted on; a session, the one who recorded it.
    result_fields = {f.name for f in ConfidenceResult._meta.get_fields()}
    assert result_fields == {"id", "session", "member", "position", "high", "confidence", "low"}
    relations = {
        f.name for f in ConfidenceSession._meta.get_fields() if f.is_relation and not f.auto_created
    }
    assert relations == {"unit", "document", "created_by"}


def test_a_session_without_the_quorum_is_not_valid(
    organizer: Any, tree: SimpleNamespace, people: SimpleNamespace, holders: SimpleNamespace
) -> None:
    rules = confidence_rules()
    assert rules.quorum == Fraction(2, 3)
    # 2/3 of 30 is 20: 19 present is short, 20 is enough.
    _refused(
        "confidence.no_quorum",
        lambda: _vote(organizer, tree.C1, [_counts(people.k1, 10, 5, 4)], present=19),
        source=rules.quorum_source,
    )
    assert _vote(organizer, tree.C1, [_counts(people.k1, 10, 5, 4)], present=20)
    _refused(
        "confidence.attendance_invalid",
        lambda: _vote(organizer, tree.C1, [_counts(people.k1, 10, 5, 4)], present=31),
        source=None,
    )


def test_the_counts_add_up_to_no_more_than_those_present(
    organizer: Any, tree: SimpleNamespace, people: SimpleNamespace, holders: SimpleNamespace
) -> None:
    _refused(
        "confidence.counts_invalid",
        lambda: _vote(organizer, tree.C1, [_counts(people.k1, 10, 10, 2)]),
        source=None,
    )
    _refused(
        "confidence.member_twice",
        lambda: _vote(
            organizer, tree.C1, [_counts(people.k1, 1, 1, 1), _counts(people.k1, 1, 1, 1)]
        ),
        source=None,
    )
    # Blank or spoilt ballots leave the sum below those present.
    assert _vote(organizer, tree.C1, [_counts(people.k1, 10, 5, 4)])


def test_the_vote_is_on_office_holders(
    organizer: Any, tree: SimpleNamespace, people: SimpleNamespace, holders: SimpleNamespace
) -> None:
    _refused(
        "confidence.not_a_holder",
        lambda: _vote(organizer, tree.C1, [_counts(people.gc, 10, 5, 4)]),
        source=None,
    )
    c2 = _user("c2-organizer", "organizer", tree.C2)
    _refused(
        "cadres.outside_scope",
        lambda: _vote(c2, tree.C1, [_counts(people.k1, 10, 5, 4)]),
        source=None,
    )


@pytest.mark.parametrize(
    ("low", "outcome"),
    [
        (10, ""),
        (11, ps.OUT_OF_PLANNING),
        (13, ps.OUT_OF_PLANNING),
        (14, ps.DISMISSAL),
        (20, ps.DISMISSAL),
    ],
)
def test_the_thresholds_of_low_ballots(low: int, outcome: str) -> None:
    # Of 20 ballots: more than 1/2 (11) and less than 2/3 (13.3): out of planning,
    # considered for resignation or removal; 2/3 or more (14): dismissal.
    rules = confidence_rules()
    found, source = ps.confidence_outcome(low, 20, rules)
    assert found == outcome
    if outcome == ps.DISMISSAL:
        assert source == rules.low_dismissal_source
    elif outcome:
        assert source == rules.low_out_of_planning_source


def test_the_flags_feed_the_worklist_within_scope(
    organizer: Any, tree: SimpleNamespace, people: SimpleNamespace, holders: SimpleNamespace
) -> None:
    _vote(organizer, tree.C1, [_counts(people.k1, 3, 6, 12), _counts(people.k1b, 2, 4, 15)])
    flags = ps.confidence_flags(organizer, D(2025, 1, 1), D(2025, 12, 31))
    assert [(f.result.member, f.outcome) for f in flags] == [
        (people.k1b, ps.DISMISSAL),
        (people.k1, ps.OUT_OF_PLANNING),
    ]
    assert ps.confidence_flags(organizer, D(2026, 1, 1), D(2026, 12, 31)) == []
    outsider = _user("c2-viewer", "viewer", tree.C2)
    assert ps.confidence_flags(outsider, D(2025, 1, 1), D(2025, 12, 31)) == []
    viewer = _user("c1-viewer", "viewer", tree.C1)
    assert len(ps.confidence_flags(viewer, D(2025, 1, 1), D(2025, 12, 31))) == 2


def test_a_low_vote_caps_the_years_rating_and_takes_out_of_planning(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    holders: SimpleNamespace,
) -> None:
    rules = confidence_rules()
    entry = planning_add(
        actor=organizer,
        unit=tree.C1,
        term=terms.c1,
        position="secretary",
        member=people.k1,
        added_on=D(2025, 4, 1),
        # Another decision than the appointments' (one decision would be the same step).
        document_text="12-QĐ/TU",
    )
    assert ps.confidence_cap(people.k1, 2025) is None
    # Exactly half "low" is not more than half: no cap.
    _vote(organizer, tree.C1, [_counts(people.k1, 5, 5, 10)], present=20, held_on=D(2025, 6, 1))
    assert ps.confidence_cap(people.k1, 2025) is None
    assert ps.planning_flags(organizer, D(2025, 12, 31)) == []
    _vote(organizer, tree.C1, [_counts(people.k1, 4, 5, 11)], present=20)
    cap = ps.confidence_cap(people.k1, 2025)
    assert cap is not None
    assert (cap.level, cap.held_on, cap.source) == ("not_completed", HELD, rules.cap_source)
    assert ps.confidence_cap(people.k1, 2026) is None
    (flag,) = ps.planning_flags(organizer, D(2025, 12, 31))
    assert (flag.entry, flag.reason, flag.since) == (entry, ps.CONFIDENCE_VOTE, HELD)


def test_the_rule_set_sets_the_thresholds(ruleset: Ruleset) -> None:
    alt = confidence_rules(ruleset)
    assert (alt.quorum, alt.low_out_of_planning, alt.low_dismissal, alt.cap_level) == (
        Fraction(1, 2),
        Fraction(1, 3),
        Fraction(1, 2),
        "completed",
    )
    # Under it, 4 "low" of 10 present is more than 1/3: out of planning.
    assert ps.confidence_outcome(4, 10, alt)[0] == ps.OUT_OF_PLANNING
    assert ps.is_quorate(10, 5, alt) and not ps.is_quorate(10, 4, alt)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("low_dismissal", "1/3", "below low_out_of_planning"),
        ("quorum", "3/2", "between 0 and 1"),
        ("quorum", "two thirds", "is not a share"),
    ],
)
def test_a_broken_confidence_section_is_refused(key: str, value: Any, problem: str) -> None:
    data = copy.deepcopy(load_ruleset("vn-2025").data)
    data["confidence_vote"][key] = value
    with pytest.raises(ImproperlyConfigured, match=problem):
        parse_confidence(Ruleset(id="broken", name="broken", version=1, data=data))
