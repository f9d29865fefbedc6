"""The rotation of cadres (65-QĐ/TW 2022): a unit's plan and its stints, each refused with
the rule set's source when it breaks a rule (only cadres in planning, to an equal post, a
stint long enough, the working life left, nobody heading the same place more terms in a
row than allowed), and writing nothing then; a stint's end is a dated fact; every write is
audited; a plan outside the actor's scope is refused and unseen."""

from __future__ import annotations

import copy
import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, transaction

from cadrebook.accounts.services import role_grant
from cadrebook.cadres import rotation_selectors as rs
from cadrebook.cadres.models import (
    PostEnd,
    PostHolding,
    RotationPlan,
    RotationStint,
    RotationStintEnd,
)
from cadrebook.cadres.planning_rules import parse_rotation, rotation_rules
from cadrebook.cadres.services import (
    committee_term_open,
    holding_end,
    planning_add,
    post_appoint,
    rotation_plan_record,
    rotation_stint_add,
    rotation_stint_end,
)
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.core.rules import Ruleset, load_ruleset

D = dt.date
START = D(2025, 6, 1)
OUTSIDE_PLANNING = "05-QĐ/TU (outside planning)"


def _state() -> tuple[int, ...]:
    return (
        RotationPlan.objects.count(),
        RotationStint.objects.count(),
        RotationStintEnd.objects.count(),
        AuditEntry.objects.filter(event_type__startswith="rotation.").count(),
    )


def _refused(code: str, call: Any, *, source: str | None = "65-QĐ/TW") -> ServiceError:
    """`call` is refused with `code` (a rule's, naming a source containing `source`, unless
    None), and nothing is written."""
    before = _state()
    with pytest.raises(ServiceError) as caught:
        call()
    assert caught.value.code == code, caught.value.message
    if source is not None:
        assert isinstance(caught.value, RuleViolation), caught.value
        assert caught.value.source and source in caught.value.source
    assert _state() == before
    return caught.value


def _deputy(organizer: Any, tree: Any, member: Any, **kw: Any) -> Any:
    """`member` made deputy secretary of C1 from 2025-03-01."""
    values = {
        "actor": organizer,
        "member": member,
        "unit": tree.C1,
        "position": "deputy_secretary",
        "started_on": D(2025, 3, 1),
        "outside_planning_text": OUTSIDE_PLANNING,
        **kw,
    }
    return post_appoint(**values)


@pytest.fixture
def setup(
    tree: SimpleNamespace, organizer: Any, terms: Any, people: Any, decision: Any
) -> SimpleNamespace:
    """People.k1 deputy secretary of C1, planned for C1's secretary; P's plan for 2025."""
    held = _deputy(organizer, tree, people.k1)
    planning_add(
        actor=organizer,
        unit=tree.C1,
        term=terms.c1,
        position="secretary",
        member=people.k1,
        added_on=D(2025, 4, 1),
        document=decision,
    )
    plan = rotation_plan_record(
        actor=organizer, unit=tree.P, year=2025, decided_on=D(2025, 5, 1), document_text="9-QĐ/TU"
    )
    return SimpleNamespace(held=held, plan=plan)


def _stint(organizer: Any, tree: Any, setup: Any, member: Any, **kw: Any) -> Any:
    values = {
        "actor": organizer,
        "plan": setup.plan,
        "member": member,
        "to_unit": tree.C2,
        "to_position": "deputy_secretary",
        "planned_start": START,
        **kw,
    }
    return rotation_stint_add(**values)


def test_a_planned_cadre_is_rotated_to_an_equal_post_and_audited(
    tree: Any, organizer: Any, people: Any, setup: Any
) -> None:
    stint = _stint(organizer, tree, setup, people.k1)
    assert stint.from_holding == setup.held
    assert (stint.from_unit, stint.from_position) == (tree.C1, "deputy_secretary")
    assert (stint.to_unit, stint.to_position) == (tree.C2, "deputy_secretary")
    # The stint lasts the rule set's shortest stint unless a later end is given.
    assert stint.planned_end == D(2028, 6, 1)
    entry = AuditEntry.objects.get(event_type="rotation.stint_added")
    assert entry.unit_id == tree.P.pk and entry.after["to_unit"] == tree.C2.pk
    assert AuditEntry.objects.filter(event_type="rotation.plan_recorded").count() == 1
    assert list(rs.stints_running_on(organizer, D(2026, 1, 1))) == [stint]
    assert list(rs.stints_running_on(organizer, D(2025, 5, 31))) == []


def test_only_cadres_in_planning_are_rotated(
    tree: Any, organizer: Any, people: Any, setup: Any
) -> None:
    _deputy(organizer, tree, people.k1b)
    _refused("rotation.not_planned", lambda: _stint(organizer, tree, setup, people.k1b))


def test_only_to_an_equal_post(tree: Any, organizer: Any, people: Any, setup: Any) -> None:
    # Planned for a secretary's post, but holding a deputy's: a secretary's is higher.
    _refused(
        "rotation.not_equal_post",
        lambda: _stint(organizer, tree, setup, people.k1, to_position="secretary"),
    )
    _refused(
        "rotation.not_equal_post",
        lambda: _stint(organizer, tree, setup, people.k1, to_position="committee_member"),
    )


def test_a_stint_lasts_at_least_the_rule_sets_months(
    tree: Any, organizer: Any, people: Any, setup: Any
) -> None:
    assert rotation_rules().min_stint_months == 36
    _refused(
        "rotation.stint_too_short",
        lambda: _stint(organizer, tree, setup, people.k1, planned_end=D(2028, 5, 31)),
    )
    assert _stint(organizer, tree, setup, people.k1, planned_end=D(2029, 6, 1)).pk


def test_the_working_life_left_covers_the_rule_sets_years(
    tree: Any, organizer: Any, people: Any, setup: Any
) -> None:
    # Acting: no working life asked for the post itself; she retires at the end of May 2027.
    _deputy(organizer, tree, people.older, how="acting", outside_planning_text="")
    err = _refused(
        "rotation.too_close_to_retirement", lambda: _stint(organizer, tree, setup, people.older)
    )
    assert "120" in err.message


def test_nobody_heads_the_same_place_more_than_two_terms_in_a_row(
    tree: Any, organizer: Any, people: Any, setup: Any, terms: Any
) -> None:
    member = people.k1
    old = [
        committee_term_open(
            actor=organizer, unit=tree.C2, start=D(2015, 1, 1), end=D(2019, 12, 31)
        ),
        committee_term_open(
            actor=organizer, unit=tree.C2, start=D(2020, 1, 1), end=D(2024, 12, 31)
        ),
    ]
    committee_term_open(actor=organizer, unit=tree.C2, start=D(2025, 1, 1))
    # The history of old files: he headed C2 from 2015 to the end of 2024 (two terms).
    head = PostHolding.objects.create(
        member=member,
        unit=tree.C2,
        position="secretary",
        how="appointed",
        started_on=D(2015, 1, 1),
        ruleset="vn-2025",
    )
    PostEnd.objects.create(holding=head, ended_on=D(2024, 12, 31), reason="end_of_term")
    assert rs.head_terms_in_a_row(member, tree.C2, "secretary", START) == 2
    assert rs.head_terms_in_a_row(member, tree.C2, "secretary", D(2022, 1, 1)) == 1
    # Now secretary of C1 (an equal post), planned for the province's.
    ends = PostEnd.objects.count()
    holding_end(actor=organizer, holding=setup.held, ended_on=D(2025, 3, 31), reason="resigned")
    post_appoint(
        actor=organizer,
        member=member,
        unit=tree.C1,
        position="secretary",
        started_on=D(2025, 4, 1),
        outside_planning_text=OUTSIDE_PLANNING,
    )
    assert PostEnd.objects.count() == ends + 1
    err = _refused(
        "rotation.head_terms_exceeded",
        lambda: _stint(organizer, tree, setup, member, to_position="secretary"),
    )
    assert "2" in err.message
    # The first term of the records has none before it.
    assert old[0].covers(D(2016, 1, 1))
    assert rs.head_terms_in_a_row(member, tree.C2, "secretary", D(2016, 1, 1)) == 0


def test_a_stints_end_is_a_dated_fact_and_the_stint_is_never_changed(
    tree: Any, organizer: Any, people: Any, setup: Any
) -> None:
    stint = _stint(organizer, tree, setup, people.k1)
    _refused(
        "rotation.end_before_start",
        lambda: rotation_stint_end(actor=organizer, stint=stint, ended_on=D(2025, 5, 1)),
        source=None,
    )
    end = rotation_stint_end(actor=organizer, stint=stint, ended_on=D(2026, 6, 30), note="Về")
    assert AuditEntry.objects.get(event_type="rotation.stint_ended").after["ended_on"]
    _refused(
        "rotation.already_ended",
        lambda: rotation_stint_end(actor=organizer, stint=stint, ended_on=D(2026, 7, 1)),
        source=None,
    )
    assert list(rs.stints_running_on(organizer, D(2026, 6, 30))) == [stint]
    assert list(rs.stints_running_on(organizer, D(2026, 7, 1))) == []
    with pytest.raises(DatabaseError), transaction.atomic():
        RotationStint.objects.filter(pk=stint.pk).update(planned_end=D(2030, 1, 1))
    with pytest.raises(DatabaseError), transaction.atomic():
        RotationStintEnd.objects.filter(pk=end.pk).delete()


def test_a_plan_outside_the_scope_is_refused_and_unseen(
    tree: Any, organizer: Any, people: Any, setup: Any
) -> None:
    user = get_user_model().objects.create_user(username="c1org")
    role_grant(actor=None, user=user, role="organizer", unit=tree.C1)
    _refused(
        "cadres.outside_scope",
        lambda: rotation_plan_record(
            actor=user, unit=tree.P, year=2025, decided_on=D(2025, 5, 1), document_text="x"
        ),
        source=None,
    )
    _refused("cadres.outside_scope", lambda: _stint(user, tree, setup, people.k1), source=None)
    assert list(rs.rotation_plans(user)) == []
    assert list(rs.rotation_plans(organizer)) == [setup.plan]


def test_the_rotation_rules_come_from_the_rule_set(ruleset: Ruleset) -> None:
    alt = rotation_rules(ruleset)
    assert (alt.head_position, alt.max_consecutive_head_terms) == ("chair", 1)
    assert alt.min_months_left == 5 * 12 and alt.min_stint_source == "test statute 15.3"
    vn = rotation_rules(load_ruleset("vn-2025"))
    assert (vn.min_stint_months, vn.max_consecutive_head_terms, vn.min_months_left) == (36, 2, 120)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("head_position", "king", "not a \\[cadres\\] position"),
        ("min_stint_months", 0, "whole number >= 1"),
        ("min_years_left", "cadres.nothing", "names no rule"),
    ],
)
def test_a_broken_rotation_section_is_refused(key: str, value: Any, problem: str) -> None:
    data = copy.deepcopy(load_ruleset("vn-2025").data)
    data["rotation"][key] = value
    broken = Ruleset(id="broken", name="broken", version=1, data=data)
    with pytest.raises(ImproperlyConfigured, match=problem):
        parse_rotation(broken)
