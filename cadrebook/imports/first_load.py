"""A first load: rows into tables that hold none yet (a deployment's members, a national
round's ratings) are written without the tables' secondary indexes (and, on PostgreSQL,
their unique and foreign keys), which are rebuilt at the end of the import, in the same
transaction, as pg_restore does: a rebuild costs a fraction of keeping them up to date row
by row, and on PostgreSQL the rebuilt foreign keys check every row in one join instead of
one queued check per row. The rebuilt keys check every row again; a rollback (refusal, dry
run, error) puts them back as they were.

Not for an import into tables that hold rows: dropping the indexes locks the tables against
readers until the import commits. Where the lock cannot be had at once (a long reader), or
somebody wrote before the lock was ours, the import goes the usual way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Model

from cadrebook.core.bulk import drop_secondary_structures


class _NotFirst(Exception):
    """The tables were written to before the first load took its lock."""


def begin_first_load(
    cursor: Any,
    models: Sequence[type[Model]],
    *,
    writing: bool,
    holds_rows: Callable[[], bool],
) -> list[str] | None:
    """The statements that put back what was dropped (run them in order before the
    transaction ends), or None when this is not a first load: the setting is off, nothing
    will be written, `holds_rows()` says the tables hold rows, or the lock was not to be had."""
    if not settings.CADREBOOK_IMPORT_FIRST_LOAD or not writing or holds_rows():
        return None
    tables = [m._meta.db_table for m in models]
    try:
        with transaction.atomic():  # a savepoint: a lock timeout leaves the rest alone
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL lock_timeout = '5s'")
            restore = drop_secondary_structures(cursor, tables)
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL lock_timeout = DEFAULT")
                # Rebuilding with more memory sorts in one pass.
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            if holds_rows():  # somebody wrote before the lock was ours
                raise _NotFirst
    except (_NotFirst, OperationalError):
        return None
    return restore
