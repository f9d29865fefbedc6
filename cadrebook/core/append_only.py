"""Tables whose rows, once written, are never changed or deleted — the audit log and the
members' histories — refused in the database itself, on SQLite and PostgreSQL alike, so
that no path (raw SQL, a bulk write, a bug) rewrites the past.

Each app registers its tables (`guard`); their triggers are installed by the app's
migration and put back after every `migrate` (`ensure_guards`, run on post_migrate): on
SQLite a later migration that alters such a table rebuilds it, which drops its triggers.
A data migration that must update such rows, the test suite's flush and the benchmarks'
wipes drop the triggers for the length of one transaction (`unguarded`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection as default_connection
from django.db import transaction

# table -> the message the database answers a change with
GUARDED: dict[str, str] = {}

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION cadrebook_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION USING MESSAGE = TG_ARGV[0]; END; $$ LANGUAGE plpgsql;
"""


def guard(table: str, message: str) -> None:
    """Declare `table` append-only; `message` must say "append-only" and hold no quote."""
    assert "'" not in message and "append-only" in message
    GUARDED[table] = message


def _install_sql(vendor: str, table: str, message: str) -> list[str]:
    out = []
    for verb in ("UPDATE", "DELETE"):
        name = f"{table}_no_{verb.lower()}"
        if vendor == "sqlite":
            out.append(
                f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END;"
            )
        elif vendor == "postgresql":
            out.append(
                f"CREATE OR REPLACE TRIGGER {name} BEFORE {verb} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION cadrebook_append_only('{message}');"
            )
    return ([PG_FUNCTION] if vendor == "postgresql" else []) + out


def _drop_sql(vendor: str, table: str) -> list[str]:
    out = []
    for verb in ("update", "delete"):
        name = f"{table}_no_{verb}"
        if vendor == "sqlite":
            out.append(f"DROP TRIGGER IF EXISTS {name};")
        elif vendor == "postgresql":
            out.append(f"DROP TRIGGER IF EXISTS {name} ON {table};")
    return out


def install(executor: Any, vendor: str, table: str, message: str | None = None) -> None:
    """Install the triggers of a guarded table (`executor`: a schema editor or cursor).
    Migrations name the message themselves, not relying on today's registry."""
    for sql in _install_sql(vendor, table, message or GUARDED[table]):
        executor.execute(sql)


def uninstall(executor: Any, vendor: str, table: str) -> None:
    for sql in _drop_sql(vendor, table):
        executor.execute(sql)


def ensure_guards(using: Any = None) -> None:
    """Put back the triggers of every guarded table that exists (after `migrate`)."""
    connection = using or default_connection
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in GUARDED:
            if table in existing:
                install(cursor, connection.vendor, table)


def ensure_guards_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate handler: see `ensure_guards`."""
    from django.db import connections

    ensure_guards(connections[using])


@contextmanager
def unguarded(tables: list[str] | None = None, using: Any = None) -> Iterator[None]:
    """Within one transaction, let the block change or delete rows of the guarded `tables`
    (default all): their triggers are dropped and put back before the transaction ends, so
    no other connection ever sees them missing (DDL is transactional on both databases)."""
    connection = using or default_connection
    chosen = list(GUARDED) if tables is None else tables
    existing = set(connection.introspection.table_names())
    chosen = [t for t in chosen if t in existing]
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            for table in chosen:
                uninstall(cursor, connection.vendor, table)
        yield
        with connection.cursor() as cursor:
            for table in chosen:
                install(cursor, connection.vendor, table)
