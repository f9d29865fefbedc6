"""Member events are append-only in the database itself, as the audit log is: raw SQL
UPDATE and DELETE are refused by triggers on SQLite and PostgreSQL; the triggers come back
after every migrate (a SQLite table rebuild drops them); flushing the database and the
benchmarks' wipes lift them for one transaction only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import DatabaseError, connection, transaction

from cadrebook.core.append_only import GUARDED, unguarded, uninstall
from cadrebook.core.models import AuditEntry
from cadrebook.members.models import Member, MemberEvent

D = dt.date
pytestmark = pytest.mark.django_db
TABLE = "members_memberevent"


@pytest.fixture
def member(tree: Any, make_member: Any) -> Member:
    return make_member(tree.K1, D(1990, 1, 1), D(2024, 1, 10), recognized=True)


def _execute(sql: str, params: list[Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_raw_sql_update_of_a_member_event_is_refused_by_the_database(member: Member):
    event = member.events.get(type="admitted")
    with pytest.raises(DatabaseError, match="append-only"):
        _execute(f"UPDATE {TABLE} SET date = %s WHERE id = %s", [D(2023, 1, 1), event.pk])
    assert MemberEvent.objects.get(pk=event.pk).date == D(2024, 1, 10)


def test_a_raw_sql_delete_of_a_member_event_is_refused_by_the_database(member: Member):
    event = member.events.get(type="recognized")
    with pytest.raises(DatabaseError, match="append-only"):
        _execute(f"DELETE FROM {TABLE} WHERE id = %s", [event.pk])
    assert MemberEvent.objects.filter(pk=event.pk).exists()


def test_a_raw_sql_delete_of_an_audit_entry_is_refused_by_the_database(member: Member):
    entry = AuditEntry.objects.first()
    assert entry is not None
    with pytest.raises(DatabaseError, match="append-only"):
        _execute("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_every_migrate_puts_back_triggers_a_table_rebuild_dropped(member: Member):
    event = member.events.get(type="admitted")
    with connection.cursor() as cursor:
        for table in GUARDED:
            uninstall(cursor, connection.vendor, table)  # what a SQLite rebuild does
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    with pytest.raises(DatabaseError, match="append-only"):
        _execute(f"DELETE FROM {TABLE} WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _execute("UPDATE core_auditentry SET event_type = %s", ["x"])


def test_unguarded_lifts_the_triggers_for_one_transaction_only(member: Member):
    event = member.events.get(type="recognized")
    with unguarded([TABLE]):
        _execute(f"DELETE FROM {TABLE} WHERE id = %s", [event.pk])
    assert not MemberEvent.objects.filter(pk=event.pk).exists()
    other = member.events.get(type="admitted")
    with pytest.raises(DatabaseError, match="append-only"):
        _execute(f"DELETE FROM {TABLE} WHERE id = %s", [other.pk])


@pytest.mark.django_db(transaction=True)  # flush as between transactional tests
def test_flush_empties_the_append_only_tables_and_keeps_their_guards(member: Member):
    call_command("flush", interactive=False, verbosity=0)
    assert not MemberEvent.objects.exists() and not AuditEntry.objects.exists()
    AuditEntry.objects.create(object_type="t", object_id="1", action="view", event_type="t")
    with pytest.raises(DatabaseError, match="append-only"):
        _execute("UPDATE core_auditentry SET event_type = %s", ["x"])
