"""Writing many rows fast: `COPY ... FROM STDIN` on PostgreSQL, `executemany` elsewhere.

Used by the synthetic data generator (`cadrebook.demo`) and the bulk import. The rows bypass
model `save()`, so callers validate through the same rule checks as the services before
writing, and write the audit entries themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Max, Model


def copy_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows in COPY's text format. str() of a date, an aware datetime or a bool is what
    PostgreSQL reads back; text is escaped (backslash, tab, newline, carriage return)."""
    out = []
    for row in rows:
        cells = []
        for v in row:
            if v is None:
                cells.append("\\N")
            elif isinstance(v, str):
                if "\\" in v or "\t" in v or "\n" in v or "\r" in v:
                    v = (
                        v.replace("\\", "\\\\")
                        .replace("\t", "\\t")
                        .replace("\n", "\\n")
                        .replace("\r", "\\r")
                    )
                cells.append(v)
            else:
                cells.append(str(v))
        out.append("\t".join(cells))
        out.append("\n")
    return "".join(out)


# Column types whose binary COPY form psycopg makes from the Python value the writers hold
# (int, str, bool, date, aware datetime, Decimal for numeric). Anything else (JSON held as
# text, say) goes as text.
BINARY_TYPES = frozenset(
    (
        "int2",
        "int4",
        "int8",
        "numeric",
        "text",
        "varchar",
        "bpchar",
        "bool",
        "date",
        "timestamptz",
    )
)


class RowWriter:
    """Appends rows to a model's table inside the caller's transaction.

    `rows` are tuples in the order of `columns`, or (PostgreSQL only) COPY text already made.
    On PostgreSQL, tuples go by binary COPY when every column's type is in BINARY_TYPES:
    psycopg's C code packs each value, several times faster than making COPY text in
    Python, and the server has nothing to parse.
    """

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.copy = connection.vendor == "postgresql"
        self._types: dict[tuple[str, tuple[str, ...]], list[int] | None] = {}

    def write(self, model: type[Model], columns: Sequence[str], rows: Any) -> None:
        if not rows:
            return
        table = connection.ops.quote_name(model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in columns)
        if self.copy:
            types = None if isinstance(rows, str) else self._binary_types(model, columns)
            if types is None:
                with self.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    copy.write(rows if isinstance(rows, str) else copy_text(rows))
                return
            with self.cursor.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        self.cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)

    def _binary_types(self, model: type[Model], columns: Sequence[str]) -> list[int] | None:
        """The type oids of `columns` as the database has them, or None when one of them
        has no binary form made here (see BINARY_TYPES)."""
        key = (model._meta.db_table, tuple(columns))
        if key not in self._types:
            self.cursor.execute(
                "SELECT a.attname, a.atttypid, t.typname FROM pg_attribute a "
                "JOIN pg_type t ON t.oid = a.atttypid "
                "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
                [model._meta.db_table],
            )
            found = {name: (oid, typname) for name, oid, typname in self.cursor.fetchall()}
            wanted = [found[c] for c in columns]
            self._types[key] = (
                [oid for oid, _name in wanted]
                if all(name in BINARY_TYPES for _oid, name in wanted)
                else None
            )
        return self._types[key]


def reserve_ids(model: type[Model], count: int, *, above: int = 0) -> int:
    """The first of `count` consecutive primary keys nobody else will take, all greater than
    `above` (keys a caller is about to write itself); call inside a transaction. The table
    is locked against concurrent inserts until the transaction ends (SQLite's IMMEDIATE
    transactions already hold the only write lock). On PostgreSQL the sequence is moved past
    the reserved keys, and past `above` even when `count` is 0."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"LOCK TABLE {connection.ops.quote_name(table)} IN SHARE ROW EXCLUSIVE MODE"
            )
        top = max(model._default_manager.aggregate(m=Max("pk"))["m"] or 0, above)
        if connection.vendor == "postgresql":
            cursor.execute("SELECT last_value, is_called FROM " + _sequence(cursor, table))
            last, called = cursor.fetchone()
            current = last if called else last - 1
            if count or top > current:
                top = max(top, current)
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, top + count]
                )
            else:
                top = current
    return int(top) + 1


def _sequence(cursor: Any, table: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    return str(cursor.fetchone()[0])


def any_of(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """A condition `column` in `values` for raw SQL, with its parameters: one array
    parameter on PostgreSQL (cheap to plan however long the list), a list of `%s` elsewhere.
    Keep the list under SQLite's limit of 32,766 parameters."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def drop_secondary_structures(cursor: Any, tables: Sequence[str]) -> list[str]:
    """Drop what slows a large load into `tables` and return the statements that put it back
    (run them in order, in the same transaction) — the way pg_restore loads data.

    PostgreSQL: the foreign keys, unique constraints and secondary indexes (primary keys
    stay); the rebuilt constraints check every row at once. SQLite: the secondary indexes
    (its unique and foreign keys belong to the tables and stay). DDL is transactional on
    both, so a rollback puts everything back as it was."""
    if connection.vendor != "postgresql":
        marks = ", ".join(["%s"] * len(tables))
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) ORDER BY name",
            list(tables),
        )
        sqlite_restore = []
        for name, sql in cursor.fetchall():
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
            sqlite_restore.append(sql)
        return sqlite_restore
    # Rows written earlier in this transaction may have foreign-key checks queued; a table
    # with pending checks cannot be altered, so run them now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
        FROM pg_constraint c
        WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('f', 'u')
        ORDER BY c.contype DESC, c.conname
        """,
        [list(tables)],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1
        """,
        [list(tables)],
    )
    indexes = cursor.fetchall()
    restore = []
    for table, name, definition, _kind in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
        restore.insert(0, definition)  # indexes first, then unique keys, then foreign keys
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys' default
    return restore
