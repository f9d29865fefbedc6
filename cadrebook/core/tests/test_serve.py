"""`cadrebook serve` as a new user runs it: the production server (gunicorn) with static
files from whitenoise, compressed and cached for good under hashed names, a background worker
started again when it dies, and everything stopped by SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _worker_of(serve: int) -> int | None:
    for child in _children(serve):
        try:
            if b"db_worker" in Path(f"/proc/{child}/cmdline").read_bytes():
                return child
        except OSError:
            continue
    return None


def test_serve_runs_the_production_server_and_keeps_the_worker(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CADREBOOK_DATABASE_URL", "CADREBOOK_REPLICA_URL")
    }
    # Its own SQLite database: never the suite's (nor CI's PostgreSQL, nor its replica).
    env.update(
        CADREBOOK_VAR_DIR=str(tmp_path),
        CADREBOOK_SECURE_COOKIES="false",
        CADREBOOK_WEB_WORKERS="2",
        CADREBOOK_STATS_REBUILD_AT="",
    )
    manage = str(settings.BASE_DIR / "manage.py")
    serve = subprocess.Popen(
        [sys.executable, manage, "serve", f"127.0.0.1:{port}", "--no-demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    started: list[int] = []
    try:
        deadline = time.monotonic() + 120
        status = 0
        while time.monotonic() < deadline:
            try:
                status, headers, page = _get(base + "/login/")
                break
            except (urllib.error.URLError, ConnectionError):
                assert serve.poll() is None, serve.stdout.read() if serve.stdout else ""
                time.sleep(0.5)
        assert status == 200
        assert headers["Server"] == "gunicorn"
        # Static files by their content hash, compressed, cached for good.
        css = re.search(rb'/static/[^"]+\.[0-9a-f]{12}\.css', page)
        assert css is not None
        status, headers, _ = _get(base + css.group().decode(), **{"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers["Content-Encoding"] == "gzip"
        assert "immutable" in headers["Cache-Control"]
        # The background worker is started again when it dies.
        worker = _worker_of(serve.pid)
        assert worker is not None
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 30
        again = None
        while time.monotonic() < deadline and again in (None, worker):
            time.sleep(0.2)
            again = _worker_of(serve.pid)
        assert again not in (None, worker)
        started = _children(serve.pid)  # gunicorn's master and the worker
        assert len(started) >= 2
        # A graceful restart (HUP) keeps serving.
        serve.send_signal(signal.SIGHUP)
        time.sleep(2)
        assert serve.poll() is None
        assert _get(base + "/login/")[0] == 200
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            code = serve.wait(60)
        except subprocess.TimeoutExpired:
            serve.kill()
            raise
    assert code == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in started):
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in started)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigterm_while_serve_is_still_starting_stops_the_worker(tmp_path: Path) -> None:
    """SIGTERM (systemd's stop, `kill`) during the start-up, while the static files are being
    collected (a minute on a busy 2-core machine), stops the worker started before it and the
    collecting: nothing is left running without its parent."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CADREBOOK_DATABASE_URL", "CADREBOOK_REPLICA_URL")
    }
    env.update(
        CADREBOOK_VAR_DIR=str(tmp_path),
        CADREBOOK_SECURE_COOKIES="false",
        CADREBOOK_STATS_REBUILD_AT="",
    )
    manage = str(settings.BASE_DIR / "manage.py")
    serve = subprocess.Popen(
        [sys.executable, manage, "serve", f"127.0.0.1:{_free_port()}", "--no-demo"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            children = _children(serve.pid)
            commands = [_cmdline(pid) for pid in children]
            if any(b"collectstatic" in c for c in commands) and any(
                b"db_worker" in c for c in commands
            ):
                break
            assert serve.poll() is None
            time.sleep(0.05)
        else:
            raise AssertionError("serve never got to collecting the static files")
        serve.send_signal(signal.SIGTERM)
        serve.wait(30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(pid) for pid in children):
            time.sleep(0.2)
        left = [pid for pid in children if _alive(pid)]
        assert not left, [_cmdline(pid) for pid in left]
    finally:
        for pid in [serve.pid, *children]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_static_files_are_collected_again_only_when_their_sources_changed(
    settings: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """A restart with the same static sources does not compress everything again (a minute
    of downtime on a small machine); a changed source, or a missing manifest, does."""
    from cadrebook.core.management.commands import serve

    settings.STATIC_ROOT = tmp_path
    runs: list[list[str]] = []

    def collect(command: list[str], check: bool, env: dict[str, str]) -> None:
        runs.append(command)
        (tmp_path / "staticfiles.json").write_text("{}")

    monkeypatch.setattr(serve.subprocess, "run", collect)
    serve.collect_static(["manage"], {})
    serve.collect_static(["manage"], {})
    assert len(runs) == 1 and "collectstatic" in runs[0]
    monkeypatch.setattr(serve, "static_sources_fingerprint", lambda: "other sources")
    serve.collect_static(["manage"], {})
    assert len(runs) == 2
    (tmp_path / "staticfiles.json").unlink()
    serve.collect_static(["manage"], {})
    assert len(runs) == 3
