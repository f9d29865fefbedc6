"""Against a real streaming replica (`scripts/replica.sh start`, CADREBOOK_REPLICA_URL set; CI
sets both): the heavy readers read from it, and a user never reads stale what they have
just written.

The "replica" alias mirrors the test database (settings.py): the test database is created on
the primary and the replica replays it, so the alias reads the same database on the
replica's server. The tests commit (transaction=True); the ordinary tests, inside a
transaction on the primary, always read from the primary.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from cadrebook.core import replica
from cadrebook.core.replica import (
    PRIMARY,
    REPLICA,
    WROTE_COOKIE,
    ReplicaMiddleware,
    reading_replica,
    unit_of_work,
)
from cadrebook.members.models import Member
from cadrebook.members.services import member_update_personal

pytestmark = [
    pytest.mark.skipif(
        REPLICA not in settings.DATABASES,
        reason="no read replica: scripts/replica.sh start, then set CADREBOOK_REPLICA_URL",
    ),
    pytest.mark.django_db(transaction=True, databases=[PRIMARY, REPLICA]),
]


def _one(alias: str, sql: str, params: list[Any] | None = None) -> Any:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def caught_up(timeout: float = 30.0) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    position = _one(PRIMARY, "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + timeout
    while not _one(REPLICA, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [position]):
        assert time.monotonic() < deadline, f"the replica did not reach {position} in {timeout}s"
        time.sleep(0.05)


@pytest.fixture
def paused() -> Iterator[None]:
    """The replica stops replaying (it stays connected and answers): what the primary
    writes meanwhile is not on it, as under a heavy lag."""
    _one(REPLICA, "SELECT pg_wal_replay_pause()::text")
    try:
        yield
    finally:
        _one(REPLICA, "SELECT pg_wal_replay_resume()::text")


@pytest.fixture
def member(tree: SimpleNamespace, make_member: Any) -> Member:
    result = make_member(tree.K1, dt.date(1990, 1, 1), dt.date(2020, 3, 1), full_name="Lê Thị Old")
    caught_up()
    return result


def test_the_replica_is_a_standby_of_the_test_database() -> None:
    assert _one(REPLICA, "SELECT pg_is_in_recovery()") is True
    assert _one(PRIMARY, "SELECT pg_is_in_recovery()") is False
    assert _one(REPLICA, "SELECT current_database()") == _one(PRIMARY, "SELECT current_database()")


def test_statistics_and_exports_are_read_from_the_replica(
    member: Member, actor: Any, client: Any
) -> None:
    from cadrebook.accounts.services import role_grant

    role_grant(actor=None, user=actor, role="clerk", unit=None)
    client.force_login(actor)
    caught_up()
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections[PRIMARY]) as on_primary,
    ):
        stats = client.get(
            "/api/v1/reports/stats", {"unit": "P", "from": "2020-01-01", "to": "2020-12-31"}
        )
        export = client.get(
            "/imports/export/", {"kind": "members", "format": "csv", "headers": "en"}
        )
    assert stats.status_code == 200
    assert stats.json()["members"]["total"] == 1
    assert export.status_code == 200
    assert "Lê Thị Old" in export.content.decode()
    replica_sql = " ".join(q["sql"] for q in on_replica.captured_queries)
    primary_sql = " ".join(q["sql"] for q in on_primary.captured_queries)
    assert "members_memberperiod" in replica_sql  # the statistics' raw SQL
    assert "members_member" in replica_sql  # the export's rows
    assert "members_memberperiod" not in primary_sql
    assert "audit" in primary_sql  # the export's audit entry is written on the primary


def test_a_write_then_a_read_of_the_same_member_reads_the_primary(
    member: Member, actor: Any, paused: None
) -> None:
    with unit_of_work(), reading_replica():
        before = Member.objects.get(pk=member.pk)
        assert before._state.db == REPLICA
        member_update_personal(
            actor=actor, member=before, version=before.version, full_name="Lê Thị New"
        )
        after = Member.objects.get(pk=member.pk)
        assert after._state.db == PRIMARY
        assert after.full_name == "Lê Thị New"
    # The replica has not replayed the change: reading it there would have been stale.
    assert Member.objects.using(REPLICA).get(pk=member.pk).full_name == "Lê Thị Old"


def _name_and_database(request: Any) -> HttpResponse:
    with reading_replica():
        found = Member.objects.get(pk=request.GET["pk"])
    return HttpResponse(f"{found.full_name}|{found._state.db}")


def test_the_next_request_reads_the_primary_until_the_replica_has_the_write(
    member: Member, actor: Any, paused: None
) -> None:
    def write(request: Any) -> HttpResponse:
        current = Member.objects.get(pk=member.pk)
        member_update_personal(
            actor=actor, member=current, version=current.version, full_name="Lê Thị New"
        )
        return HttpResponse("written")

    factory = RequestFactory()
    written = ReplicaMiddleware(write)(factory.post("/"))
    position = written.cookies[WROTE_COOKIE].value

    def read() -> str:
        request = factory.get("/", {"pk": member.pk})
        request.COOKIES[WROTE_COOKIE] = position
        return ReplicaMiddleware(_name_and_database)(request).content.decode()

    assert read() == f"Lê Thị New|{PRIMARY}"
    _one(REPLICA, "SELECT pg_wal_replay_resume()::text")
    caught_up()
    assert read() == f"Lê Thị New|{REPLICA}"


def test_when_the_replica_does_not_answer_the_primary_does(
    member: Member, caplog: pytest.LogCaptureFixture
) -> None:
    connection = connections[REPLICA]
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = 1  # nothing listens there
    replica._reset_down()
    try:
        with unit_of_work(), reading_replica():
            found = Member.objects.get(pk=member.pk)
        assert (found.full_name, found._state.db) == ("Lê Thị Old", PRIMARY)
        assert "Read replica unavailable" in caplog.text
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
        replica._reset_down()
