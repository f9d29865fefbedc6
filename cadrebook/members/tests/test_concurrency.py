"""Two decisions on one member sent at the same moment, on PostgreSQL with real threads: the
member's row lock serializes them and the fold under the lock decides, so exactly one of two
conflicting decisions is recorded and the member's cached state is the fold of its events.

SQLite serializes writers on its own (one writer at a time for the whole file), so these
tests mean something on PostgreSQL only.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection, connections

from cadrebook.core.errors import ServiceError
from cadrebook.members import services as ms
from cadrebook.members.models import Member
from cadrebook.members.selectors import member_state

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serializes writers itself; row locks are PostgreSQL's",
    ),
]

D = dt.date
ROUNDS = 4  # each round races on a fresh member; any round with two winners fails the test


def race(*calls: Callable[[], Any]) -> list[BaseException | None]:
    """Run the calls in threads released together; each entry is None (recorded) or the
    exception the call raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[BaseException | None] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            call()
        except BaseException as exc:  # noqa: BLE001 - the test inspects every outcome
            outcomes[i] = exc
        finally:
            connections.close_all()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def assert_one_won(outcomes: list[BaseException | None]) -> int:
    winners = [i for i, o in enumerate(outcomes) if o is None]
    assert len(winners) == 1, outcomes
    for o in outcomes:
        if o is not None:
            assert isinstance(o, ServiceError), repr(o)
    return winners[0]


def assert_consistent(member: Member) -> Member:
    """The cached status, unit, pending transfer and periods are exactly the fold's."""
    current = Member.objects.get(pk=member.pk)
    state = member_state(current)
    assert current.status == state.status
    assert current.unit_id == state.unit_id
    assert current.pending_transfer_to_id == state.pending_to
    stored = [
        (p.unit_id, p.status, p.exempt, p.valid_from, p.valid_to)
        for p in current.periods.order_by("valid_from", "id")
    ]
    assert stored == [
        (p.unit_id, p.status, p.exempt, p.valid_from, p.valid_to) for p in state.periods
    ]
    return current


def test_a_transfer_and_a_removal_sent_together_leave_exactly_one(actor, tree, make_member):
    for _ in range(ROUNDS):
        member = make_member(tree.K1, D(1990, 1, 1), D(2020, 1, 1), recognized=True)
        outcomes = race(
            partial(
                ms.member_transfer_out,
                actor=actor,
                member=member,
                date=D(2025, 3, 3),
                to_unit=tree.K2,
            ),
            partial(
                ms.member_remove,
                actor=actor,
                member=member,
                date=D(2025, 3, 3),
                reason="absence",
                document="1-QĐ/ĐU",
            ),
        )
        winner = assert_one_won(outcomes)
        current = assert_consistent(member)
        if winner == 0:
            # The receiving cell's pending transfer is still there.
            assert current.status == "full" and current.pending_transfer_to_id == tree.K2.pk
        else:
            assert current.status == "removed" and current.pending_transfer_to_id is None


def test_two_transfers_sent_together_leave_exactly_one(actor, tree, make_member):
    for _ in range(ROUNDS):
        member = make_member(tree.K1, D(1990, 1, 1), D(2020, 1, 1), recognized=True)
        outcomes = race(
            partial(
                ms.member_transfer_out,
                actor=actor,
                member=member,
                date=D(2025, 3, 3),
                to_unit=tree.K2,
            ),
            partial(
                ms.member_transfer_out,
                actor=actor,
                member=member,
                date=D(2025, 3, 3),
                to_unit=tree.GC,
            ),
        )
        winner = assert_one_won(outcomes)
        current = assert_consistent(member)
        assert current.pending_transfer_to_id == (tree.K2.pk, tree.GC.pk)[winner]
        assert current.events.filter(type="transfer_out").count() == 1


def test_a_recognition_and_a_removal_sent_together_leave_exactly_one(actor, tree, make_member):
    for _ in range(ROUNDS):
        member = make_member(tree.K1, D(1990, 1, 1), D(2024, 1, 10))
        outcomes = race(
            partial(
                ms.member_recognize,
                actor=actor,
                member=member,
                date=D(2025, 2, 3),
                document="2-QĐ/ĐU",
                votes_for=3,
                votes_against=0,
                full_members=3,
            ),
            # Dated before the recognition: after it, the removal rewrites history; before
            # it, the recognition finds no probationary member.
            partial(
                ms.member_remove,
                actor=actor,
                member=member,
                date=D(2025, 1, 20),
                reason="absence",
                document="3-QĐ/ĐU",
            ),
        )
        winner = assert_one_won(outcomes)
        current = assert_consistent(member)
        assert current.status == ("full", "removed")[winner]


def test_an_acceptance_and_a_return_sent_together_leave_exactly_one(actor, tree, make_member):
    for _ in range(ROUNDS):
        member = make_member(tree.K1, D(1990, 1, 1), D(2020, 1, 1), recognized=True)
        ms.member_transfer_out(actor=actor, member=member, date=D(2025, 3, 3), to_unit=tree.K2)
        member.refresh_from_db()
        outcomes = race(
            partial(
                ms.member_transfer_accept,
                actor=actor,
                member=member,
                date=D(2025, 3, 10),
                receiving=tree.K2,
            ),
            partial(
                ms.member_transfer_return,
                actor=actor,
                member=member,
                date=D(2025, 3, 10),
                reason="wrong cell",
                receiving=tree.K2,
            ),
        )
        winner = assert_one_won(outcomes)
        current = assert_consistent(member)
        assert current.unit_id == (tree.K2.pk, tree.K1.pk)[winner]
        assert current.pending_transfer_to_id is None
