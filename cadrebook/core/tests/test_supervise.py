"""The background worker is kept running: started again when it dies, stopped on request."""

from __future__ import annotations

import sys
import time

from cadrebook.core.supervise import Supervised


def test_a_process_that_dies_is_started_again_until_stopped() -> None:
    logged: list[str] = []
    dying = Supervised(
        [sys.executable, "-c", "raise SystemExit(3)"], first_delay=0.05, log=logged.append
    ).start()
    deadline = time.monotonic() + 20
    while dying.restarts < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    dying.stop()
    assert dying.restarts >= 2
    assert "exited (3)" in logged[0]
    restarts = dying.restarts
    time.sleep(0.3)
    assert dying.restarts == restarts  # stopped means stopped


def test_stop_ends_a_running_process() -> None:
    sleeper = Supervised([sys.executable, "-c", "import time; time.sleep(60)"]).start()
    assert sleeper.process is not None and sleeper.process.poll() is None
    sleeper.stop()
    assert sleeper.process.poll() is not None
    assert sleeper.restarts == 0


def test_the_process_ends_when_its_supervisor_is_killed(tmp_path) -> None:
    """A supervisor that dies without stopping it (SIGKILL; `serve --dev`'s server process,
    which Django's reloader kills when it is told to stop) takes the process with it: no
    worker is left running without its parent."""
    import os
    import signal
    import subprocess
    from pathlib import Path

    pid_file = tmp_path / "child"
    script = (
        "import sys, time\n"
        "from cadrebook.core.supervise import Supervised\n"
        "s = Supervised([sys.executable, '-c', 'import time; time.sleep(60)']).start()\n"
        f"open({str(pid_file)!r}, 'w').write(str(s.process.pid))\n"
        "time.sleep(60)\n"
    )
    root = Path(__file__).resolve().parents[3]
    supervisor = subprocess.Popen([sys.executable, "-c", script], cwd=root)
    try:
        deadline = time.monotonic() + 20
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        child = int(pid_file.read_text())
        supervisor.send_signal(signal.SIGKILL)
        supervisor.wait(10)
        deadline = time.monotonic() + 10
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(child)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
        if pid_file.exists() and pid_file.read_text() and _running(int(pid_file.read_text())):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def _running(pid: int) -> bool:
    from pathlib import Path

    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
