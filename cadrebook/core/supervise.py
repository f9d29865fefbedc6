"""A child process kept running: restarted when it dies, stopped on request.

`cadrebook serve` runs the background worker this way, so an import or a report waiting in
the queue is not stranded by a worker that crashed; the restarts back off (1 s, 2 s, 4 s, up
to a minute) so a worker that cannot start does not spin.
"""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

# Linux's prctl(PR_SET_PDEATHSIG): the child gets SIGTERM when its supervisor dies, even
# killed outright (SIGKILL, or `serve --dev`'s server process, which Django's reloader kills
# when told to stop), so no worker is left running without it. Looked up before any fork.
_PR_SET_PDEATHSIG = 1
_prctl: Any = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def _end_with_parent() -> None:
    """Run in the child between fork and exec."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervised:
    """Run `command` in a process of its own, start it again whenever it exits, until
    `stop()`; `restarts` counts the restarts."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        first_delay: float = 1.0,
        max_delay: float = 60.0,
        log: Callable[[str], None] = print,
    ) -> None:
        self.command = list(command)
        self.first_delay, self.max_delay = first_delay, max_delay
        self.log = log
        self.restarts = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Supervised:
        self._spawn()
        self._thread.start()
        return self

    def _spawn(self) -> None:
        with self._lock:
            if not self._stopping.is_set():
                self.process = subprocess.Popen(self.command, preexec_fn=_end_with_parent)

    def _run(self) -> None:
        delay = self.first_delay
        while not self._stopping.is_set():
            process = self.process
            if process is None:
                return
            code = process.wait()
            if self._stopping.is_set():
                return
            self.log(f"Background worker exited ({code}); starting it again in {delay:g} s.")
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, self.max_delay)
            self.restarts += 1
            self._spawn()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process (SIGTERM, then SIGKILL after `timeout`) and do not restart it."""
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._thread.join(timeout)
