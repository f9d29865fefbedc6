"""The stored state of a round's subjects (`Subject.state`, a cache the services keep) against
its definition worked out from the step records (`with_state`, `subject_state`): after any
sequence of self-assessments, proposals, decisions, marks, a close and reconsiderations,
refused or not, the two agree; the progress counts and the worklists read the stored one."""

# ruff: noqa: F811

from __future__ import annotations

import importlib
import random
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from cadrebook.core.errors import ServiceError
from cadrebook.evaluations import services as ev
from cadrebook.evaluations.models import RoundStateCount, Subject
from cadrebook.evaluations.selectors import (
    STATE_AWAITING_DECISION,
    STATE_DECIDED,
    STATE_EXCLUDED,
    STATE_NO_PROPOSAL,
    STATE_NOT_ASSESSED,
    STATES,
    computed_state_filters,
    round_progress,
    round_subjects,
    subject_state,
    with_state,
)

# `world` (the fixture: a round and its subjects) is test_rounds's; the tests name it.
from cadrebook.evaluations.tests.test_rounds import _decide_everyone, world  # noqa: F401


def _computed(round_: Any) -> dict[int, str]:
    return {s.pk: subject_state(s) for s in with_state(Subject.objects.filter(round=round_))}


def _stored(round_: Any) -> dict[int, str]:
    return dict(Subject.objects.filter(round=round_).values_list("pk", "state"))


def _check(w: Any) -> dict[int, str]:
    computed = _computed(w.round)
    assert _stored(w.round) == computed
    for under in (None, w.tree.K1):
        subjects = with_state(Subject.objects.filter(round=w.round))
        if under is not None:
            subjects = subjects.filter(home__path__startswith=under.path)
        expected = {
            state: {s.pk for s in subjects.filter(q)}
            for state, q in computed_state_filters().items()
        }
        progress = round_progress(w.round, under=under)
        assert progress == {"total": sum(len(v) for v in expected.values())} | {
            state: len(ids) for state, ids in expected.items()
        }
        for state in STATES:
            listed = [s.pk for s in round_subjects(w.round, under=under, state=state)]
            assert set(listed) == expected[state], (state, under)
            # The order stays the unit's path, the kind, the name.
            everything = [s.pk for s in round_subjects(w.round, under=under)]
            assert listed == [pk for pk in everything if pk in expected[state]]
    return computed


def _step(w: Any, rng: random.Random, subject: Subject) -> None:
    """One step on `subject`, picked at random; a refusal is one outcome among others."""
    action = rng.choice(
        ["assess", "assess", "propose", "propose", "decide", "decide", "mark", "unmark"]
    )
    if action == "assess":
        ev.subject_self_assess(
            actor=w.actor,
            subject=subject,
            scores={"general": rng.randint(10, 30), "tasks": rng.randint(30, 60)},
        )
    elif action == "propose":
        ev.subject_propose(
            actor=w.actor,
            subject=subject,
            score=Decimal("75"),
            level="good",
            votes_for=5,
            votes_against=0,
            present=6,
        )
    elif action == "decide":
        ev.subject_decide(
            actor=w.actor,
            subject=subject,
            level=rng.choice(["good", "completed"]),
            score=Decimal("80"),
            deciding_unit=subject.deciding_unit,
            document=w.docs.c1 if subject.deciding_unit_id == w.tree.C1.pk else w.docs.g1,
        )
    elif action == "mark":
        ev.subject_mark(actor=w.actor, subject=subject, excluded="suspended")
    else:
        ev.subject_mark(actor=w.actor, subject=subject, excluded="")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_stored_state_follows_every_sequence_of_steps(world, seed):
    w = world
    rng = random.Random(seed)
    subjects = list(Subject.objects.filter(round=w.round).order_by("pk"))
    reached: Counter[str] = Counter()
    _check(w)
    # The collective above the cells decided first (the rule set's order), so that the cells
    # and then their members may be.
    g1 = Subject.objects.get(round=w.round, unit=w.tree.G1)
    ev.subject_decide(
        actor=w.actor,
        subject=g1,
        level="good",
        score=Decimal("80"),
        deciding_unit=g1.deciding_unit,
        document=w.docs.c1,
    )
    for _ in range(60):
        try:
            _step(w, rng, rng.choice(subjects))
        except ServiceError:
            pass
        reached.update(_stored(w.round).values())
        _check(w)
    # The run went through every state (else it proves little).
    assert set(reached) == set(STATES), reached
    # Then every rated subject decided, the round closed and a decision reconsidered.
    _decide_everyone(w)
    ev.round_close(actor=w.actor, round=w.round)
    subject = rng.choice(list(Subject.objects.filter(round=w.round, kind="member", excluded="")))
    ev.subject_reconsider(
        actor=w.actor,
        subject=subject,
        deciding_unit=w.tree.C1,
        level="completed",
        score=Decimal(60),
        document=w.docs.c1,
        reason="Appeal",
    )
    assert set(_check(w).values()) <= {STATE_DECIDED, STATE_EXCLUDED}


def test_a_mark_that_lifts_an_exclusion_puts_back_the_steps_recorded_before(world):
    w = world
    subject = Subject.objects.get(round=w.round, member=w.k1[0])
    ev.subject_self_assess(actor=w.actor, subject=subject, scores={"general": 20, "tasks": 50})
    ev.subject_mark(actor=w.actor, subject=subject, excluded="suspended")
    assert Subject.objects.get(pk=subject.pk).state == STATE_EXCLUDED
    assert round_progress(w.round)[STATE_NO_PROPOSAL] == 0
    ev.subject_mark(actor=w.actor, subject=subject, excluded="")
    assert Subject.objects.get(pk=subject.pk).state == STATE_NO_PROPOSAL
    ev.subject_propose(
        actor=w.actor,
        subject=subject,
        score=Decimal("75"),
        level="good",
        votes_for=5,
        votes_against=0,
        present=6,
    )
    # A later self-assessment does not move it back.
    ev.subject_self_assess(actor=w.actor, subject=subject, scores={"general": 25, "tasks": 50})
    assert Subject.objects.get(pk=subject.pk).state == STATE_AWAITING_DECISION
    _check(w)


def test_the_opening_writes_each_subjects_first_state(world):
    w = world
    states = _stored(w.round)
    exempt = Subject.objects.get(round=w.round, member=w.exempt)
    assert states[exempt.pk] == STATE_EXCLUDED
    assert Counter(states.values()).keys() == {STATE_EXCLUDED, STATE_NOT_ASSESSED}
    assert _check(w) == states


def test_the_progress_counts_are_one_query(world):
    with CaptureQueriesContext(connection) as queries:
        progress = round_progress(world.round)
    assert len(queries) == 1
    assert progress[STATE_DECIDED] == 0
    assert progress["total"] == Subject.objects.filter(round=world.round).count()


def test_the_migration_fills_the_state_and_the_counts_from_the_records(world):
    """Subjects recorded before the column (here: their state and counts wiped) get the state
    their records give, and each round its counts per state."""
    w = world
    rng = random.Random(5)
    subjects = list(Subject.objects.filter(round=w.round).order_by("pk"))
    for _ in range(30):
        try:
            _step(w, rng, rng.choice(subjects))
        except ServiceError:
            pass
    before = _stored(w.round)
    assert len(set(before.values())) >= 3
    Subject.objects.update(state=STATE_NOT_ASSESSED)
    RoundStateCount.objects.all().delete()
    migration = importlib.import_module("cadrebook.evaluations.migrations.0006_subject_state")
    state = MigrationExecutor(connection).loader.project_state(
        ("evaluations", "0006_subject_state")
    )
    migration.backfill_state(state.apps, None)
    assert _stored(w.round) == before
    _check(w)
