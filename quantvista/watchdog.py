"""The database watch: a run whose database is gone ends within seconds, with one line.

Every component already retries a lost database with backoff, which is right for a blip and
wrong for a database that is not coming back: a demo would go on "running" on a dead database,
and a mutation would wait for its connection timeout. The watch probes the database from a
thread of its own (so a server that stops answering, rather than refusing, is noticed too) and
declares it lost once it has been unreachable for ``grace_s``; the run loops call
:meth:`DatabaseWatch.check`, which raises :class:`DatabaseLost`, and a blocking HTTP server is
told through ``on_lost``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg

log = logging.getLogger(__name__)


class DatabaseLost(RuntimeError):
    """The database has been unreachable longer than the grace period: the run stops. Nothing
    acknowledged is lost — every effect is in the database or will be redone from it."""


class DatabaseWatch:
    def __init__(
        self,
        database_url: str,
        *,
        grace_s: float = 3.0,
        interval_s: float = 0.5,
        probe_timeout_s: float = 2.0,
    ) -> None:
        self.database_url = database_url
        self.grace_s, self.interval_s, self.probe_timeout_s = grace_s, interval_s, probe_timeout_s
        self.on_lost: Callable[[DatabaseLost], None] | None = None
        self._last_ok = time.monotonic()
        self._last_reason = "no answer"
        self._lost: DatabaseLost | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: psycopg.Connection | None = None  # type: ignore[type-arg]

    # lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._last_ok = time.monotonic()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="database-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.probe_timeout_s + 1)
            self._thread = None
        self._disconnect()

    # what the run loops ask -----------------------------------------------------
    @property
    def reachable(self) -> bool:
        return time.monotonic() - self._last_ok < self.grace_s

    def check(self) -> None:
        """Raise :class:`DatabaseLost` once the database has been gone for ``grace_s``."""
        if self._lost is None and not self.reachable and self._thread is not None:
            self._declare_lost()
        if self._lost is not None:
            raise self._lost

    # the probe thread -------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            if self._probe():
                self._last_ok = time.monotonic()
            elif self._lost is None and not self.reachable:
                self._declare_lost()

    def _probe(self) -> bool:
        try:
            if self._connection is None or self._connection.closed:
                self._connection = psycopg.connect(
                    self.database_url,
                    autocommit=True,
                    connect_timeout=max(1, round(self.probe_timeout_s)),
                )
            self._connection.execute("SELECT 1")
            return True
        except psycopg.Error as exc:
            self._last_reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "error"
            self._disconnect()
            return False

    def _declare_lost(self) -> None:
        gone = time.monotonic() - self._last_ok
        self._lost = DatabaseLost(
            f"the database has been unreachable for {gone:.1f} s ({self._last_reason}); "
            "the run stopped — nothing recorded is lost: start it again once the database "
            "is back and it resumes from the stored state"
        )
        log.info("%s", self._lost)  # the command reports it, once
        if self.on_lost is not None:
            self.on_lost(self._lost)

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except psycopg.Error:
                log.debug("closing the probe connection failed", exc_info=True)
