"""The audit log's hash chain: each entry carries the SHA-256 of the previous entry's hash
and of its own content, so that an entry deleted or altered behind the application's back
(by someone with access to the database, who can drop the triggers) breaks the chain at
that point, and `cadrebook audit verify` names it.

The chain runs in id order. Writers append one at a time: on PostgreSQL a transaction-level
advisory lock is taken before the last hash is read and held until the transaction ends (so
the next writer reads a committed tip and gets a larger id); on SQLite the write transaction
already holds the database. An entry rolled back with its transaction leaves no link: the
next entry follows the last committed one.

The content hashed is a contract: changing `FIELDS` or `canonical` breaks every existing
hash. The chain cannot see the newest entries deleted (nothing follows them): compare the
last id and hash `verify` reports with an earlier copy of them to notice that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection

# The entry's columns that are hashed, in this order (the id is not: the order is).
FIELDS = (
    "created_at",
    "actor_id",
    "actor_name",
    "unit_id",
    "unit_path",
    "object_type",
    "object_id",
    "object_repr",
    "action",
    "event_type",
    "before",
    "after",
    "request_id",
    "via",
)
GENESIS = ""  # the "previous hash" of the first entry
LOCK_KEY = 0x63616472  # PostgreSQL advisory lock of the audit log's tip ("cadr")


def _normal(value: Any) -> Any:
    """JSON values as both databases give them back: PostgreSQL's jsonb writes a float
    with an integral value as an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value


def canonical(values: dict[str, Any]) -> bytes:
    """The bytes hashed for one entry's `FIELDS`."""
    out = []
    for name in FIELDS:
        value = values[name]
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).isoformat()
        out.append(_normal(value))
    return json.dumps(out, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(previous: str, values: dict[str, Any]) -> str:
    return hashlib.sha256(previous.encode() + b"\n" + canonical(values)).hexdigest()


def lock_tip() -> str:
    """Take the right to append (until the transaction ends) and return the chain's tip:
    the hash of the last entry. Call inside a transaction."""
    from cadrebook.core.models import AuditEntry

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    return last or GENESIS


@dataclass
class Verdict:
    """What `verify` found: how many entries hold, the last one, and the first break."""

    checked: int = 0
    last_id: int | None = None
    last_hash: str = ""
    broken_at: int | None = None
    previous_id: int | None = None

    @property
    def holds(self) -> bool:
        return self.broken_at is None


def verify(rows: Iterable[dict[str, Any]]) -> Verdict:
    """Walk entries in id order (each a dict of id, hash and `FIELDS`) and stop at the first
    whose hash does not follow from the entry before it."""
    verdict = Verdict()
    previous = GENESIS
    for row in rows:
        if entry_hash(previous, row) != row["hash"]:
            verdict.broken_at = row["id"]
            verdict.previous_id = verdict.last_id
            return verdict
        verdict.checked += 1
        verdict.last_id, verdict.last_hash = row["id"], row["hash"]
        previous = row["hash"]
    return verdict


def entries_in_order(queryset: Any) -> Iterator[dict[str, Any]]:
    return queryset.order_by("id").values("id", "hash", *FIELDS).iterator(chunk_size=5000)
