"""The heavy readers read from a read replica; everything else, and every write, from the
primary (docs/deployment.md, "A read replica"; docs/architecture.md, "The performance shape").

A Django router sees the model, never the caller, so the callers say it: the statistics API,
the dashboard, the report documents and the exports read inside `reading_replica()` (a context
manager, or a decorator: `@reading_replica()`), and `ReplicaRouter.db_for_read` answers
"replica" only there. Even there a read goes to the primary:

- inside a transaction on the primary (a service reads what it is about to write);
- once the request (or task, or command) has written anything: `db_for_write` notes it, so a
  user never reads, from a replica that has not caught up yet, what they have just written;
- while the replica has not yet replayed the browser's own last write of an earlier request:
  `ReplicaMiddleware` leaves the primary's WAL position after a writing request in a cookie,
  and the next reads go to the replica only once it has replayed that far (the usual case:
  a form is posted, the browser is redirected to the dashboard);
- while the replica does not answer: it is asked once per `reading_replica()` block (a short
  connect timeout, settings.py), and a failure keeps it out for RETRY_SECONDS, with a warning
  in the log. The primary answers meanwhile, slower but current.

Without a replica (`CADREBOOK_REPLICA_URL` unset) the router is not installed and
`reading_replica()` changes nothing.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"
# How long a replica that did not answer is left out before it is asked again.
RETRY_SECONDS = 30.0
# The cookie holding the primary's WAL position after the browser's last write, and how long
# it is kept: a replica that is still further behind than that is a fault to monitor.
WROTE_COOKIE = "cadrebook_wrote"
WROTE_COOKIE_SECONDS = 120
_LSN = re.compile(r"^[0-9A-F]{1,8}/[0-9A-F]{1,8}$")


@dataclass
class _Work:
    """What the router must know of the request (or task, or command) being served."""

    wrote: bool = False
    replayed_by: str = ""  # a WAL position the replica must have replayed to be read


@dataclass
class _Block:
    """One `reading_replica()` block; whether the replica may serve it is asked once."""

    usable: bool | None = None


_work: contextvars.ContextVar[_Work | None] = contextvars.ContextVar("replica_work", default=None)
_block: contextvars.ContextVar[_Block | None] = contextvars.ContextVar(
    "replica_block", default=None
)
_down_until = 0.0  # time.monotonic() until which the replica is left out (this process)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reading_replica() -> Iterator[None]:
    """The reads in this block may be served by the replica (see the module's docstring)."""
    token = _block.set(_Block())
    try:
        yield
    finally:
        _block.reset(token)


@contextmanager
def unit_of_work(replayed_by: str = "") -> Iterator[_Work]:
    """A request, task or command: its writes send its later reads to the primary. Outside
    any, a write does so for the rest of the thread (a command's or a worker's), which is
    never stale, only slower."""
    work = _Work(replayed_by=replayed_by if _LSN.match(replayed_by) else "")
    token = _work.set(work)
    try:
        yield work
    finally:
        _work.reset(token)


def _note_write() -> None:
    work = _work.get()
    if work is None:
        _work.set(_Work(wrote=True))
    else:
        work.wrote = True


def _replica_answers(replayed_by: str) -> bool:
    """Whether the replica answers (and has replayed `replayed_by`, when given)."""
    global _down_until
    if time.monotonic() < _down_until:
        return False
    try:
        with connections[REPLICA].cursor() as cursor:
            if not replayed_by:
                cursor.execute("SELECT 1")
                return True
            # A database not in recovery is current (a primary, or a promoted replica).
            cursor.execute(
                "SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= %s::pg_lsn",
                [replayed_by],
            )
            row = cursor.fetchone()
            return bool(row and row[0])
    except DatabaseError as exc:
        _down_until = time.monotonic() + RETRY_SECONDS
        logger.warning("Read replica unavailable, reading from the primary: %s", exc)
        try:
            connections[REPLICA].close()
        except DatabaseError:
            pass  # a broken connection may refuse even to close; it is dropped all the same
        return False


def _reset_down() -> None:
    """Forget an earlier failure of the replica (tests)."""
    global _down_until
    _down_until = 0.0


class ReplicaRouter:
    """Reads inside `reading_replica()` to the replica when it may serve them; every other
    read, every write and every migration to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        block = _block.get()
        if block is None or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        work = _work.get()
        if work is not None and work.wrote:
            return PRIMARY
        if block.usable is None:
            block.usable = _replica_answers(work.replayed_by if work is not None else "")
        return REPLICA if block.usable else PRIMARY

    def db_for_write(self, model: Any, **hints: Any) -> str:
        _note_write()
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the same rows as the primary.
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None


def read_connection(model: Any) -> Any:
    """The connection the router gives reads of `model`, for raw SQL (the statistics)."""
    from django.db import router

    return connections[router.db_for_read(model)]


class ReplicaMiddleware:
    """Every request is a unit of work; after one that wrote, the browser keeps the primary's
    WAL position for a while, and its next requests read the replica only once it has
    replayed that far. First in the chain, so that the session's writes count too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with unit_of_work(request.COOKIES.get(WROTE_COOKIE, "")) as work:
            response = self.get_response(request)
        if work.wrote and replica_configured():
            position = _primary_position()
            if position:
                response.set_cookie(
                    WROTE_COOKIE,
                    position,
                    max_age=WROTE_COOKIE_SECONDS,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
        return response


def _primary_position() -> str:
    """The primary's current WAL position: past every commit this request made."""
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            row = cursor.fetchone()
    except DatabaseError:
        return ""  # without it the next request reads as if nothing was written
    return str(row[0]) if row else ""
