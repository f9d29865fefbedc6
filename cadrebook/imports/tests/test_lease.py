"""Import jobs hold a lease while a process works on them. A running import whose worker is
gone (killed, or its machine restarted) is marked failed — nothing of it was kept, the
import being one transaction — by the next worker or by `prune_imports`; cancelling it
works at once; a job whose worker is alive is left to it."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.management import call_command

from cadrebook.core.errors import ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.imports import services
from cadrebook.imports.lease import heartbeat_key, last_heartbeat, lease_expired
from cadrebook.imports.models import ImportJob, JobStatus
from cadrebook.imports.selectors import cancel_key
from cadrebook.imports.services import (
    import_file,
    import_job_cancel,
    import_job_commit,
    import_job_create,
)
from cadrebook.members.models import Member

from .samples import GOOD

LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def running_job(people: SimpleNamespace, status: str = JobStatus.IMPORTING) -> ImportJob:
    job = import_job_create(
        actor=people.clerk, kind="members", source=io.BytesIO(GOOD.encode()), filename="m.csv"
    )
    ImportJob.objects.filter(pk=job.pk).update(status=status, started_at=LONG_AGO)
    job.refresh_from_db()
    return job


@pytest.mark.django_db
@pytest.mark.parametrize("status", [JobStatus.IMPORTING, JobStatus.VALIDATING])
def test_prune_imports_marks_failed_a_running_import_whose_lease_ran_out(
    people: SimpleNamespace, status: str
):
    job = running_job(people, status)
    assert Path(job.path).is_file()
    out = io.StringIO()
    call_command("prune_imports", stdout=out)
    assert "1 imports whose worker was gone marked failed" in out.getvalue()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert "nothing was kept" in job.report["failure"]
    assert not Path(job.path).exists()  # the upload holds personal data
    entry = AuditEntry.objects.get(object_id=str(job.pk), event_type="import.abandoned")
    assert entry.after == {"status": "failed", "was": status, "worker_gone": True}


@pytest.mark.django_db
def test_a_running_import_whose_worker_renews_its_lease_is_left_alone(people: SimpleNamespace):
    job = running_job(people)
    cache.set(heartbeat_key(job), time.time())
    assert not lease_expired(job)
    call_command("prune_imports", stdout=io.StringIO())
    job.refresh_from_db()
    assert job.status == JobStatus.IMPORTING


@pytest.mark.django_db
def test_cancelling_an_import_whose_worker_is_gone_cancels_it_at_once(people: SimpleNamespace):
    job = running_job(people)
    job = import_job_cancel(actor=people.clerk, job=job)
    assert job.status == JobStatus.CANCELLED and job.cancel_requested
    assert "nothing was kept" in job.report["failure"]
    assert AuditEntry.objects.filter(object_id=str(job.pk), event_type="import.cancelled").exists()


@pytest.mark.django_db
def test_cancelling_an_import_whose_worker_is_alive_asks_the_worker_to_stop(
    people: SimpleNamespace,
):
    job = running_job(people)
    cache.set(heartbeat_key(job), time.time())
    job = import_job_cancel(actor=people.clerk, job=job)
    assert job.status == JobStatus.IMPORTING and job.cancel_requested
    assert cache.get(cancel_key(job)) is True  # read by the worker at its next check


@pytest.mark.django_db
def test_the_lease_is_renewed_while_an_import_runs(
    people: SimpleNamespace, settings: Any, monkeypatch: Any, tmp_path: Path
):
    settings.CADREBOOK_IMPORT_LEASE_SECONDS = 0.4
    real_run = services.run_import
    seen: list[tuple[bool, float]] = []

    def slow_run(**kwargs: Any) -> Any:
        time.sleep(1.2)  # three leases long
        job = ImportJob.objects.get()
        beat = last_heartbeat(job)
        seen.append((lease_expired(job), time.time() - (beat or 0)))
        return real_run(**kwargs)

    monkeypatch.setattr(services, "run_import", slow_run)
    path = tmp_path / "m.csv"
    path.write_text(GOOD)
    job, report = import_file(actor=None, kind="members", path=str(path))
    assert report.committed and job.status == JobStatus.DONE
    [(expired, beat_age)] = seen
    assert not expired and beat_age < 0.4  # renewed every 0.2 s
    assert last_heartbeat(job) is None  # the lease is given back at the end


# A real worker process, killed mid-import -------------------------------------------------
SETUP = """
import sys
from cadrebook.orgs.services import unit_create
from cadrebook.imports.models import ImportJob, JobStatus
from cadrebook.imports.services import import_job_confirm, import_job_create
from cadrebook.imports.tasks import commit_import

p = unit_create(actor=None, code="P", name="P", kind="province_committee")
c = unit_create(actor=None, code="C", name="C", kind="commune_committee", parent=p)
g = unit_create(actor=None, code="G", name="G", kind="grassroots_committee", parent=c)
for k in range(20):
    unit_create(actor=None, code=f"K{k}", name=f"K{k}", kind="cell", parent=g)
job = import_job_create(actor=None, kind="members", source=sys.argv[2], filename="m.csv")
ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.VALIDATED)
job = import_job_confirm(actor=None, job=job)
commit_import.enqueue(str(job.pk), None)
print(job.pk)
"""

STATE = """
import json, sys
from pathlib import Path
from cadrebook.imports.models import ImportJob
from cadrebook.members.models import Member
job = ImportJob.objects.get(pk=sys.argv[2])
print(json.dumps({"status": job.status, "report": job.report,
                  "members": Member.objects.count(), "upload": Path(job.path).exists()}))
"""


def _members_file(path: Path, rows: int) -> None:
    lines = [
        "external_id,full_name,gender,birth_date,ethnicity,national_id,unit_code,status,"
        "admitted_on,recognized_on,card_number"
    ]
    for i in range(rows):
        lines.append(
            f"X{i:06d},Nguyễn Văn {i},male,1990-02-01,Kinh,{i:012d},K{i % 20},full,"
            "2020-01-10,2021-01-10,"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _script(env: dict[str, str], code: str, *args: str) -> str:
    """Run `code` in a new Python process set up as Cadrebook is; its last line of output."""
    script = Path(env["CADREBOOK_VAR_DIR"]) / "script.py"
    script.write_text(textwrap.dedent(code))
    done = subprocess.run(
        [sys.executable, "-c", BOOT, str(script), *args],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    done = subprocess.run(
        [sys.executable, manage, *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done


BOOT = "import django, sys; django.setup(); exec(open(sys.argv[1]).read())"


def test_an_import_whose_worker_was_killed_is_marked_failed_by_the_next_worker(tmp_path: Path):
    var = tmp_path / "var"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CADREBOOK_VAR_DIR": str(var),
        "CADREBOOK_DATABASE_URL": "sqlite:///" + str(tmp_path / "db.sqlite3"),
        "CADREBOOK_REPLICA_URL": "",  # a SQLite database of its own has no replica
        "CADREBOOK_TASKS_BACKEND": "database",
        "CADREBOOK_IMPORT_LEASE_SECONDS": "2",
        "CADREBOOK_STATS_REBUILD_AFTER_IMPORT": "false",
    }
    _manage(env, "migrate", "--verbosity", "0")
    members = tmp_path / "members.csv"
    _members_file(members, 20000)
    job_id = _script(env, SETUP, str(members))

    worker = subprocess.Popen(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "db_worker"]
        + ["--no-startup-delay", "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    progress_cache = FileBasedCache(str(var / "cache"), {})
    try:
        deadline = time.monotonic() + 120
        progress: dict[str, Any] = {}
        while time.monotonic() < deadline and worker.poll() is None:
            progress = progress_cache.get(f"cadrebook:import:{job_id}:progress") or {}
            if progress.get("dry_run") is False and progress.get("rows_read", 0) > 0:
                break
            time.sleep(0.05)
        assert progress.get("phase") in ("checking", "writing"), progress
        os.kill(worker.pid, signal.SIGKILL)  # mid-import, no chance to clean up
    finally:
        worker.kill()
        worker.wait()

    state = json.loads(_script(env, STATE, job_id))
    assert state["status"] == "importing"  # what it stayed forever before
    time.sleep(2.5)  # the lease runs out
    _manage(env, "db_worker", "--batch", "--no-startup-delay")  # the next worker

    state = json.loads(_script(env, STATE, job_id))
    assert state["status"] == "failed"
    assert "nothing was kept" in state["report"]["failure"]
    assert state["members"] == 0 and not state["upload"]


@pytest.mark.django_db(transaction=True)
def test_a_live_import_is_never_taken_for_abandoned_and_can_still_be_cancelled(
    monkeypatch: Any, tmp_path: Path
):
    """Even when its heartbeat is late, a job whose import transaction is alive holds its row:
    the reaper passes it by, and the Cancel button's update does not wait for the import."""
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("on SQLite the import's transaction holds the whole database")
    inside, release = threading.Event(), threading.Event()
    real_run = services.run_import

    def held_run(**kwargs: Any) -> Any:
        inside.set()
        release.wait(30)
        return real_run(**kwargs)

    monkeypatch.setattr(services, "run_import", held_run)
    job = import_job_create(
        actor=None, kind="members", source=io.BytesIO(GOOD.encode()), filename="m.csv"
    )
    outcome: list[Any] = []

    def worker() -> None:
        try:
            outcome.append(import_job_commit(actor=None, job=job))
        except Exception as exc:  # shown by the assertion below
            outcome.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert inside.wait(30)
        job = ImportJob.objects.get()
        monkeypatch.setattr(services, "lease_expired", lambda job, now=None: True)  # late beat
        assert services.import_jobs_fail_abandoned() == []
        started = time.monotonic()
        job = import_job_cancel(actor=None, job=job)
        assert time.monotonic() - started < 5
        assert job.status == JobStatus.IMPORTING and job.cancel_requested
    finally:
        release.set()
        thread.join(60)
    [job] = outcome
    assert job.status == JobStatus.CANCELLED
    assert Member.objects.count() == 0


@pytest.mark.django_db
def test_a_command_line_import_cancelled_meanwhile_ends_cancelled(monkeypatch: Any, tmp_path: Path):
    def cancelled_meanwhile(**kwargs: Any) -> Any:
        job = ImportJob.objects.get()
        cache.set(cancel_key(job), True)  # the uploader pressed Cancel in the browser
        return real_run(**kwargs)

    real_run = services.run_import
    monkeypatch.setattr(services, "run_import", cancelled_meanwhile)
    path = tmp_path / "m.csv"
    path.write_text(GOOD)
    with pytest.raises(ServiceError) as refused:
        import_file(actor=None, kind="members", path=str(path))
    assert refused.value.code == "import.cancelled"
    assert ImportJob.objects.get().status == JobStatus.CANCELLED
    assert Member.objects.count() == 0
