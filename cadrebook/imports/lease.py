"""The lease a process holds on the import job it works on.

While a worker (or the command line) validates or imports a file, a thread renews the job's
heartbeat in the cache every quarter of the lease. The heartbeat lives in the cache, like
the progress, and not in the job's row: on SQLite the import's own transaction holds the
only write lock, so nothing could write a row meanwhile. A job in a running state
(validating, importing) whose heartbeat is older than the lease has lost its worker — the
process was killed or its machine restarted — and since the import is one transaction,
nothing of it was kept.

On PostgreSQL the import's transaction also locks the job's row (`lock_job_row`), so a job
whose worker is alive is never taken for abandoned, even if its heartbeat was late.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

from cadrebook.imports.models import ImportJob, JobStatus

RUNNING = (JobStatus.VALIDATING, JobStatus.IMPORTING)
HEARTBEAT_TTL = 24 * 3600


def heartbeat_key(job: ImportJob) -> str:
    return f"cadrebook:import:{job.pk}:heartbeat"


def lease_seconds() -> float:
    return float(settings.CADREBOOK_IMPORT_LEASE_SECONDS)


def last_heartbeat(job: ImportJob) -> float | None:
    """When the job's worker last renewed its lease (seconds since the epoch), if ever."""
    value = cache.get(heartbeat_key(job))
    return float(value) if value is not None else None


def lease_expired(job: ImportJob, now: float | None = None) -> bool:
    """A running job whose worker has not renewed the lease for longer than the lease: its
    worker is gone. Without any heartbeat (the cache was cleared, or the job began before
    leases existed) the job's start counts as its last sign of life."""
    if job.status not in RUNNING:
        return False
    now = time.time() if now is None else now
    beat = last_heartbeat(job)
    if beat is None:
        since = job.started_at or job.created_at
        beat = since.timestamp() if since is not None else 0.0
    return now - beat > lease_seconds()


@contextmanager
def holding_lease(job: ImportJob) -> Iterator[None]:
    """Renew the job's heartbeat from a thread for as long as the block runs."""
    key = heartbeat_key(job)
    interval = max(lease_seconds() / 4, 0.2)
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(interval):
            cache.set(key, time.time(), HEARTBEAT_TTL)

    cache.set(key, time.time(), HEARTBEAT_TTL)
    thread = threading.Thread(target=renew, name=f"import-lease-{job.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        cache.delete(key)
