"""`cadrebook serve`: migrate, load the demo when the database is empty, start the background
worker (supervised: started again if it dies), and serve through gunicorn, with static files
from whitenoise. `--dev` serves through Django's auto-reloading development server instead."""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

from cadrebook.core.supervise import Supervised


def seconds_until(at: str, now: dt.datetime) -> float:
    """Seconds from `now` to the next time of day "HH:MM"."""
    hour, minute = (int(x) for x in at.split(":"))
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target += dt.timedelta(days=1)
    return (target - now).total_seconds()


def _nightly(at: str, command: list[str]) -> None:
    """Run `command` every day at `at`, in a process of its own, for as long as we serve."""
    while True:
        time.sleep(seconds_until(at, dt.datetime.now()))
        subprocess.run(command, check=False)


def web_workers() -> int:
    """Server processes: the setting, else two per CPU plus one (gunicorn's advice)."""
    return settings.CADREBOOK_WEB_WORKERS or 2 * (os.cpu_count() or 1) + 1


def gunicorn_command(addrport: str, workers: int) -> list[str]:
    """The production server: worker processes, graceful restarts (HUP, which `serve` passes
    on) and stops (TERM) within 30 s, access log on standard output."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        addrport,
        "--workers",
        str(workers),
        "--graceful-timeout",
        "30",
        "--timeout",
        "120",
        "--access-logfile",
        "-",
        # `serve` talks to gunicorn by signals; its control socket would be one file in the
        # home directory shared by every instance, removed by whichever stops first.
        "--no-control-socket",
        "--chdir",
        str(settings.BASE_DIR),
    ]


STATIC_STAMP = ".cadrebook-static-sources"


def static_sources_fingerprint() -> str:
    """What the static files' sources are (each file's name, size and time of change, over
    every finder): equal to the last collection's when nothing changed since."""
    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in sorted(finder.list([]), key=lambda found: found[0]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def collect_static(manage: list[str], env: dict[str, str]) -> None:
    """Collect and compress the static files for the server processes — unless the last
    collection was of the same sources: compressing everything again takes a minute on a
    small machine, a minute of downtime at every restart."""
    stamp = settings.STATIC_ROOT / STATIC_STAMP
    fingerprint = static_sources_fingerprint()
    manifest = settings.STATIC_ROOT / "staticfiles.json"
    if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], check=True, env=env)
    stamp.write_text(fingerprint)


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(0)


class Command(BaseCommand):
    help = (
        "Migrate, load the demo organization into an empty database, start the background "
        "worker (imports, reports) and serve on 127.0.0.1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-demo", action="store_true", help="do not load demo data")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the background worker"
        )
        parser.add_argument(
            "--dev",
            action="store_true",
            help="serve through Django's auto-reloading development server (for developers)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dev"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            # The reloader's watcher: it runs this command again in a child process (and again
            # after each change of the code); the child migrates, starts the worker, serves.
            call_command("runserver", options["addrport"], insecure_serving=True)
            return
        # Until the server runs, SIGTERM (systemd's stop, `kill`) ends this command as an
        # exception would: `subprocess.run` kills what it runs (collectstatic) and the worker
        # started below is stopped (atexit). Python's default would end the process on the
        # spot and leave them running.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        call_command("migrate", verbosity=0, interactive=False)
        if not options["no_demo"]:
            call_command("demo", if_empty=True)
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        # Statistics read the aggregates only when they are current; build them now (fast on a
        # fresh or demo database) and every night, when bulk changes have been made meanwhile.
        call_command("report", "rebuild", "--if-stale")
        if settings.CADREBOOK_STATS_REBUILD_AT:
            threading.Thread(
                target=_nightly,
                args=(settings.CADREBOOK_STATS_REBUILD_AT, [*manage, "report", "rebuild"]),
                daemon=True,
            ).start()
        worker: Supervised | None = None
        if not options["no_worker"] and settings.TASKS_BACKEND == "database":
            # The worker is a process of its own, so a long import never blocks a page, and
            # it is started again if it dies.
            worker = Supervised(
                [*manage, "db_worker", "--no-reload"], log=self.stderr.write
            ).start()
            atexit.register(worker.stop)
            assert worker.process is not None
            self.stdout.write(f"Background worker started (process {worker.process.pid}).")
        if options["dev"]:
            self.stdout.write(f"Cadrebook (development server) is at http://{options['addrport']}/")
            call_command("runserver", options["addrport"], insecure_serving=True)
            return
        # Hashed, compressed static files for the server processes (CADREBOOK_STATIC_MANIFEST).
        env = {**os.environ, "CADREBOOK_STATIC_MANIFEST": "true"}
        collect_static(manage, env)
        server = subprocess.Popen(gunicorn_command(options["addrport"], web_workers()), env=env)

        def stop(signum: int, frame: Any) -> None:
            # Graceful: gunicorn finishes the requests in progress; then the worker stops.
            server.terminate()

        def reload(signum: int, frame: Any) -> None:
            # Graceful restart: gunicorn starts new processes and lets the old ones finish.
            server.send_signal(signal.SIGHUP)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, reload)
        self.stdout.write(f"Cadrebook is at http://{options['addrport']}/")
        code = server.wait()
        if worker is not None:
            worker.stop()
        if code not in (0, -signal.SIGTERM):
            raise SystemExit(code)
