"""Which database answers: the router's rules, without a replica (core/replica.py)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import OperationalError, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from cadrebook.core import replica
from cadrebook.core.replica import (
    PRIMARY,
    REPLICA,
    WROTE_COOKIE,
    ReplicaMiddleware,
    ReplicaRouter,
    reading_replica,
    unit_of_work,
)
from cadrebook.members.models import Member

router = ReplicaRouter()


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The replica answers; what it was asked to have replayed, each time it was asked."""
    calls: list[str] = []

    def answers(replayed_by: str) -> bool:
        calls.append(replayed_by)
        return True

    monkeypatch.setattr(replica, "_replica_answers", answers)
    return calls


def test_only_reads_inside_a_replica_block_go_to_the_replica(asked: list[str]) -> None:
    with unit_of_work():
        assert router.db_for_read(Member) == PRIMARY
        with reading_replica():
            assert router.db_for_read(Member) == REPLICA
            assert router.db_for_read(Member) == REPLICA
        assert router.db_for_read(Member) == PRIMARY
    assert asked == [""]  # asked once per block, not once per read


def test_writes_always_go_to_the_primary(asked: list[str]) -> None:
    with unit_of_work(), reading_replica():
        assert router.db_for_write(Member) == PRIMARY


def test_after_a_write_the_same_request_reads_the_primary(asked: list[str]) -> None:
    with unit_of_work():
        with reading_replica():
            assert router.db_for_read(Member) == REPLICA
            router.db_for_write(Member)
            assert router.db_for_read(Member) == PRIMARY
        with reading_replica():
            assert router.db_for_read(Member) == PRIMARY
    with unit_of_work(), reading_replica():  # the next request starts afresh
        assert router.db_for_read(Member) == REPLICA


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_reads_go_to_the_primary(asked: list[str]) -> None:
    with unit_of_work(), reading_replica():
        with transaction.atomic():
            assert router.db_for_read(Member) == PRIMARY
        assert router.db_for_read(Member) == REPLICA


def test_the_replica_must_have_replayed_the_browsers_last_write(asked: list[str]) -> None:
    with unit_of_work("0/3000148"), reading_replica():
        router.db_for_read(Member)
    with unit_of_work("0/3000148; DROP TABLE x"), reading_replica():  # not a WAL position
        router.db_for_read(Member)
    assert asked == ["0/3000148", ""]


class _Down:
    """Connections whose replica refuses every connection."""

    def __init__(self) -> None:
        self.tries = 0

    def __getitem__(self, alias: str) -> Any:
        down = self

        class Connection:
            in_atomic_block = False

            def cursor(self) -> Any:
                down.tries += 1
                raise OperationalError("connection refused")

            def close(self) -> None:
                pass

        return Connection()


def test_a_replica_that_does_not_answer_is_left_out_for_a_while(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    down = _Down()
    monkeypatch.setattr(replica, "connections", down)
    clock = [1000.0]
    monkeypatch.setattr(replica.time, "monotonic", lambda: clock[0])
    replica._reset_down()
    try:
        with caplog.at_level(logging.WARNING, logger="cadrebook.core.replica"):
            for _ in range(3):
                with unit_of_work(), reading_replica():
                    assert router.db_for_read(Member) == PRIMARY
        assert down.tries == 1
        assert "Read replica unavailable" in caplog.text
        clock[0] += replica.RETRY_SECONDS + 1
        with unit_of_work(), reading_replica():
            assert router.db_for_read(Member) == PRIMARY
        assert down.tries == 2  # asked again once the time is up
    finally:
        replica._reset_down()


def test_migrations_and_relations(asked: list[str]) -> None:
    assert router.allow_migrate(REPLICA, "members") is False
    assert router.allow_migrate(PRIMARY, "members") is None
    a, b = Member(), Member()
    a._state.db, b._state.db = PRIMARY, REPLICA
    assert router.allow_relation(a, b) is True


def _respond(write: bool) -> Any:
    def get_response(request: Any) -> HttpResponse:
        if write:
            router.db_for_write(Member)
        with reading_replica():
            return HttpResponse(router.db_for_read(Member))

    return get_response


def test_a_writing_request_leaves_the_primarys_position_for_the_next(
    asked: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replica, "replica_configured", lambda: True)
    monkeypatch.setattr(replica, "_primary_position", lambda: "0/5000060")
    factory = RequestFactory()

    response = ReplicaMiddleware(_respond(write=True))(factory.post("/"))
    assert response.content == PRIMARY.encode()
    assert response.cookies[WROTE_COOKIE].value == "0/5000060"
    assert response.cookies[WROTE_COOKIE]["httponly"]

    request = factory.get("/")
    request.COOKIES[WROTE_COOKIE] = "0/5000060"
    response = ReplicaMiddleware(_respond(write=False))(request)
    assert response.content == REPLICA.encode()  # the replica said it has replayed that far
    assert asked == ["0/5000060"]
    assert WROTE_COOKIE not in response.cookies


def test_without_a_replica_no_cookie_is_left(
    asked: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replica, "replica_configured", lambda: False)
    response = ReplicaMiddleware(_respond(write=True))(RequestFactory().post("/"))
    assert WROTE_COOKIE not in response.cookies
