"""The audit log is tamper-evident: each entry's hash chains it to the previous one, and
`cadrebook audit verify` names the first broken link when someone with database access
deletes or alters entries behind the application's back (dropping the triggers first)."""

from __future__ import annotations

import io
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction

from cadrebook.core.append_only import uninstall
from cadrebook.core.audit import audit_record
from cadrebook.core.audit_chain import GENESIS, entries_in_order, entry_hash, verify
from cadrebook.core.models import AuditEntry

TABLE = "core_auditentry"


def _entries(tree: Any, n: int) -> list[AuditEntry]:
    return [
        audit_record(
            actor=None,
            obj=tree.K1,
            action="view",
            event_type="unit.viewed",
            unit=tree.K1,
            after={"n": i, "ratio": 2.0, "share": 0.25, "names": ["Đ", "ư"]},
        )
        for i in range(n)
    ]


def _attacker(sql: str, params: list[Any]) -> None:
    """Raw SQL past the append-only triggers, as someone with database access could."""
    with transaction.atomic(), connection.cursor() as cursor:
        uninstall(cursor, connection.vendor, TABLE)
        cursor.execute(sql, params)


def _verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def _verify_breaks() -> str:
    with pytest.raises(CommandError) as broken:
        call_command("audit", "verify", stdout=io.StringIO())
    assert broken.value.returncode == 1
    return str(broken.value)


@pytest.mark.django_db
def test_every_entry_is_chained_to_the_one_before(tree: SimpleNamespace):
    _entries(tree, 3)
    rows = list(entries_in_order(AuditEntry.objects.all()))
    previous = GENESIS
    for row in rows:
        assert row["hash"] == entry_hash(previous, row)
        previous = row["hash"]
    last = rows[-1]
    assert f"{len(rows)} entries; the last is #{last['id']}, hash {last['hash']}" in _verify()


@pytest.mark.django_db
def test_verify_names_the_entry_after_a_deleted_one(tree: SimpleNamespace):
    first, second, third, *_rest = _entries(tree, 5)
    _attacker(f"DELETE FROM {TABLE} WHERE id = %s", [second.pk])
    message = _verify_breaks()
    assert f"breaks at entry #{third.pk}" in message
    assert f"entries between #{first.pk} and it were deleted" in message


@pytest.mark.django_db
def test_verify_names_an_altered_entry(tree: SimpleNamespace):
    entries = _entries(tree, 4)
    altered = entries[2]
    _attacker(f"UPDATE {TABLE} SET actor_name = %s WHERE id = %s", ["someone else", altered.pk])
    assert f"breaks at entry #{altered.pk}" in _verify_breaks()


@pytest.mark.django_db
def test_verify_notices_an_altered_hash_and_an_altered_time(tree: SimpleNamespace):
    entries = _entries(tree, 3)
    _attacker(
        f"UPDATE {TABLE} SET created_at = created_at - INTERVAL '1 day' WHERE id = %s"
        if connection.vendor == "postgresql"
        else f"UPDATE {TABLE} SET created_at = '2001-01-01 00:00:00' WHERE id = %s",
        [entries[1].pk],
    )
    assert f"breaks at entry #{entries[1].pk}" in _verify_breaks()


@pytest.mark.django_db
def test_verify_says_when_the_first_entries_were_deleted(tree: SimpleNamespace):
    entries = _entries(tree, 3)
    _attacker(f"DELETE FROM {TABLE} WHERE id <= %s", [entries[0].pk])
    message = _verify_breaks()
    first_left = AuditEntry.objects.order_by("id").first()
    assert first_left is not None
    assert f"breaks at entry #{first_left.pk}" in message and "first entry" in message


@pytest.mark.django_db
def test_the_migration_chains_the_entries_written_before_it(tree: SimpleNamespace):
    from importlib import import_module

    entries = _entries(tree, 4)
    _attacker(f"UPDATE {TABLE} SET hash = %s", [""])  # as they were before the migration
    assert not verify(entries_in_order(AuditEntry.objects.all())).holds
    migration = import_module("cadrebook.core.migrations.0005_audit_hash_chain")
    migration.chain_existing_entries(apps, SimpleNamespace(connection=connection))
    verdict = verify(entries_in_order(AuditEntry.objects.all()))
    assert verdict.holds and verdict.last_id == entries[-1].pk
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entries[0].pk)._raw_delete(connection.alias)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_extend_one_chain(tree: SimpleNamespace):
    """Writers in several threads at once (own connections): the chain stays one line."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; its test database is shared in memory")
    errors: list[BaseException] = []

    def write(k: int) -> None:
        try:
            for i in range(5):
                with transaction.atomic():
                    audit_record(
                        actor=None,
                        obj=tree.K1,
                        action="view",
                        event_type="unit.viewed",
                        after={"thread": k, "i": i},
                    )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    before = AuditEntry.objects.count()
    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert AuditEntry.objects.count() == before + 20
    assert "entries; the last is" in _verify()


@pytest.mark.django_db
def test_a_batch_writes_its_entries_at_its_end_chained_in_order(tree: SimpleNamespace):
    from cadrebook.core.audit import audit_batch

    _entries(tree, 1)
    before = AuditEntry.objects.count()
    with transaction.atomic(), audit_batch():
        for i in range(3):
            audit_record(actor=None, obj=tree.K1, action="view", event_type=f"e{i}")
        try:
            with transaction.atomic():  # a change refused and rolled back: no entry for it
                audit_record(actor=None, obj=tree.K1, action="view", event_type="undone")
                raise RuntimeError
        except RuntimeError:
            pass
        assert AuditEntry.objects.count() == before  # nothing yet
    written = list(AuditEntry.objects.order_by("id").values_list("event_type", flat=True))
    assert written[before:] == ["e0", "e1", "e2"]
    assert "entries; the last is" in _verify()


@pytest.mark.django_db
def test_a_batch_that_fails_writes_nothing(tree: SimpleNamespace):
    from cadrebook.core.audit import audit_batch

    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic(), audit_batch():
        audit_record(actor=None, obj=tree.K1, action="view", event_type="e")
        raise RuntimeError
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_an_import_that_updates_members_leaves_a_chain_that_holds(
    tree: SimpleNamespace, tmp_path: Any
):
    from cadrebook.imports.pipeline import run_import
    from cadrebook.imports.tests.samples import FULL, HEAD, PROB

    path = tmp_path / "m.csv"
    path.write_text(HEAD + FULL + PROB)
    assert run_import(actor=None, kind="members", path=str(path)).committed
    path.write_text(HEAD + FULL.replace("Nguyễn Văn An", "Nguyễn Văn Ân") + PROB)
    before = AuditEntry.objects.count()
    report = run_import(actor=None, kind="members", path=str(path))
    assert report.committed and report.updated == 1
    assert AuditEntry.objects.count() == before + 1
    assert "entries; the last is" in _verify()
