"""`cadrebook serve`: migrate, load the demo when the database is empty, start the background
worker, and serve."""

from __future__ import annotations

import atexit
import datetime as dt
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


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

    def handle(self, *args: Any, **options: Any) -> None:
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
        if not options["no_worker"] and settings.TASKS_BACKEND == "database":
            # The worker is a process of its own, so a long import never blocks a page.
            worker = subprocess.Popen([*manage, "db_worker", "--no-reload"])
            atexit.register(worker.terminate)

            def stop(signum: int, frame: Any) -> None:
                # atexit does not run on SIGTERM by default: stop the worker with the server.
                worker.terminate()
                raise SystemExit(0)

            signal.signal(signal.SIGTERM, stop)
            self.stdout.write(f"Background worker started (process {worker.pid}).")
        self.stdout.write(f"Cadrebook is at http://{options['addrport']}/")
        # runserver serves the vendored static files itself (--insecure outside DEBUG).
        call_command("runserver", options["addrport"], insecure_serving=True, use_reloader=False)
