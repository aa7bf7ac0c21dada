"""One anatomy for every long-running component (relays, projectors, policies, sagas):
``start()`` runs ``step()`` in a thread until ``stop()``; ``status()`` reports the same fields.

Components are supervised: a component whose start or step raises is closed, waits with
exponential backoff and opens again, so a broker restart or a database blip costs a pause, not a
dead pipeline. Every failure is counted and its reason kept (``status()``, ``quantvista status``,
``/readyz``); a failure is logged as one line, not a traceback per retry (the traceback goes to
the debug log). An event whose *effect* fails is not a component failure: the consumer
dead-letters it and goes on (see :mod:`events.consumer`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """How long a failed component waits before it opens again: ``initial_s`` doubling per
    consecutive failure up to ``max_s``. A component that ran ``healthy_after_s`` without
    failing starts again from ``initial_s``."""

    initial_s: float = 0.1
    max_s: float = 5.0
    healthy_after_s: float = 30.0

    def delay(self, consecutive_failures: int) -> float:
        return min(self.max_s, self.initial_s * 2 ** max(0, consecutive_failures - 1))


HealthListener = Callable[["Component", str], None]
"""Told of every state change (``running``, ``failing``, ``stopped``): the health table."""


class Component:
    name: str = "component"
    idle_sleep_s: float = 0.002
    backoff: Backoff = Backoff()

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.last_error_at: float | None = None  # wall clock, seconds
        self.failures = 0  # every failure since construction
        self.restarts = 0  # openings after a failure
        self.failing_since: float | None = None  # monotonic start of the current failing streak
        self.health_listener: HealthListener | None = None

    # lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.request_stop()
        self.join(timeout)

    def request_stop(self) -> None:
        """Ask the thread to end after its current step (stopping many components at once:
        ask them all, then join each, so their waits overlap)."""
        self._stop.set()
        self._interrupt_idle()

    def join(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._safe_close()
        self._tell("stopped")

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def failed(self) -> bool:
        """Failing now: the last attempt raised and the component has not recovered yet."""
        return self.failing_since is not None

    def failing_for(self, now: float | None = None) -> float:
        """Seconds this component has been failing without recovering (0 when healthy)."""
        if self.failing_since is None:
            return 0.0
        return (time.monotonic() if now is None else now) - self.failing_since

    def _run(self) -> None:
        consecutive = 0
        while not self._stop.is_set():
            opened_at = time.monotonic()
            try:
                self._open()
                if consecutive:
                    self.restarts += 1
                self._work()
                return  # stopped
            except Exception as exc:  # supervised: report, close, back off, open again
                if time.monotonic() - opened_at >= self.backoff.healthy_after_s:
                    consecutive = 0
                consecutive += 1
                self._record_failure(exc, consecutive)
                self._safe_close()
                if self._stop.wait(self.backoff.delay(consecutive)):
                    return

    def _work(self) -> None:
        recovered = self.failing_since is None
        if recovered:
            self._tell("running")
        while not self._stop.is_set():
            did_work = self.step()
            if not recovered:  # one clean step after a failure: healthy again
                recovered = True
                self.failing_since = None
                log.warning("%s recovered after %d failure(s)", self.name, self.failures)
                self._tell("running")
            if not did_work:
                self._idle()

    def _record_failure(self, exc: Exception, consecutive: int) -> None:
        reason = f"{type(exc).__name__}: {exc}".strip()
        repeated = reason == self.last_error
        self.failures += 1
        self.last_error, self.last_error_at = reason, time.time()
        if self.failing_since is None:
            self.failing_since = time.monotonic()
        delay = self.backoff.delay(consecutive)
        # One line per new reason; the same reason again (a retry loop) only at debug level.
        log.log(
            logging.DEBUG if repeated else logging.WARNING,
            "%s failed (%d so far): %s; restarting in %.1f s",
            self.name,
            self.failures,
            reason,
            delay,
        )
        log.debug("%s failure traceback", self.name, exc_info=exc)
        self._tell("failing")

    def _safe_close(self) -> None:
        try:
            self._close()
        except Exception:  # closing after a failure: the resource may already be gone
            log.debug("%s close failed", self.name, exc_info=True)

    def _tell(self, state: str) -> None:
        if self.health_listener is None:
            return
        try:
            self.health_listener(self, state)
        except Exception:  # health is best effort: never let it stop the component
            log.debug("%s health listener failed", self.name, exc_info=True)

    # hooks -------------------------------------------------------------------
    def _open(self) -> None:
        """Acquire resources in the component's own thread."""

    def _close(self) -> None:
        """Release resources after the thread has ended (or after a failure)."""

    def _idle(self) -> None:
        """Wait a little when there was nothing to do (override to wait on a notification)."""
        time.sleep(self.idle_sleep_s)

    def _interrupt_idle(self) -> None:
        """End a blocking wait in ``_idle()`` now: called from another thread on stop (a
        component that blocks for long in ``_idle`` overrides it)."""

    def step(self) -> bool:
        """Do one unit of work; return False when there was nothing to do."""
        return False

    def status(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "running": self.running,
            "state": "failing" if self.failed else ("running" if self.running else "stopped"),
            "failures": self.failures,
            "restarts": self.restarts,
            "last_error": self.last_error,
        }
