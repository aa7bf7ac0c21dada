"""One anatomy for every long-running component (relays, projectors, policies, sagas):
``start()`` runs ``step()`` in a thread until ``stop()``; ``status()`` reports the same fields."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

log = logging.getLogger(__name__)


class Component:
    name: str = "component"
    idle_sleep_s: float = 0.002

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.failed = False

    # lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._open()
        except Exception as exc:  # could not even start: report it like any other failure
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.failed = True
            log.exception("%s failed to start", self.name)
            return
        while not self._stop.is_set():
            try:
                did_work = self.step()
            except Exception as exc:  # a crashed component reports why and stops
                self.last_error = f"{type(exc).__name__}: {exc}"
                self.failed = True
                log.exception("%s stopped on an error", self.name)
                return
            if not did_work:
                self._idle()

    # hooks -------------------------------------------------------------------
    def _open(self) -> None:
        """Acquire resources in the component's own thread."""

    def _close(self) -> None:
        """Release resources after the thread has ended."""

    def _idle(self) -> None:
        """Wait a little when there was nothing to do (override to wait on a notification)."""
        time.sleep(self.idle_sleep_s)

    def step(self) -> bool:
        """Do one unit of work; return False when there was nothing to do."""
        return False

    def status(self) -> dict[str, Any]:
        return {"name": self.name, "running": self.running, "last_error": self.last_error}
