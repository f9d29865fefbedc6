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
