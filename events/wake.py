"""Waking idle consumers when an upstream store is appended to, instead of polling.

Every append to a store sends ``NOTIFY "<context>_events"`` in its transaction. One listener
thread per process holds one connection that ``LISTEN``s on every store's channel and sets the
:class:`Wake` of each consumer that follows that store. An idle consumer blocks on its wake
(with a timeout, its safety net) rather than asking the broker every few milliseconds, so a
platform with nothing to do costs next to no CPU (issue 7: the idle demo burnt a quarter of a
core in ~20 polling threads).

The notification arrives before the relay has published the event, so a woken consumer polls
the broker for a short *hot* window (:class:`events.consumer.TrackedConsumer`) and only then
blocks again. Nothing depends on a notification arriving: a consumer woken by its timeout
still receives and catches up from the stores as before; a lost listener connection wakes every
consumer once it is back (appends in between are not missed).
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)


class Wake:
    """One consumer's doorbell: set by the listener (or :meth:`ring`), waited on by the
    consumer's thread."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def ring(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout``; True when rung. Clears the bell before returning, so a ring
        during the work that follows makes the next wait return at once."""
        rung = self._event.wait(timeout)
        self._event.clear()
        return rung


class StoreSignals:
    """The process's ``LISTEN`` connection on the stores' channels, fanned out to wakes."""

    def __init__(self, conninfo: str, channels: Iterable[str], *, reconnect_s: float = 1.0) -> None:
        self._conninfo = conninfo
        self._channels = tuple(sorted(set(channels)))
        self._reconnect_s = reconnect_s
        self._wakes: dict[str, list[Wake]] = defaultdict(list)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = False
        self.received = 0  # notifications seen (status, tests)

    def wake_for(self, channels: Iterable[str]) -> Wake:
        """A wake rung by an append to any of ``channels`` (the stores a consumer follows)."""
        wake = Wake()
        with self._lock:
            for channel in set(channels):
                if channel not in self._channels:
                    raise ValueError(f"not listening on {channel!r}: {self._channels}")
                self._wakes[channel].append(wake)
        return wake

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="store-signals", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as connection:
                    for channel in self._channels:
                        connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    self.connected = True
                    self._ring_all()  # anything appended while we were not listening
                    while not self._stop.is_set():
                        for notify in connection.notifies(timeout=1.0):
                            self.received += 1
                            self._ring(notify.channel)
            except Exception as exc:  # the database went away: consumers fall back to timeouts
                if self.connected:
                    log.warning("store signals lost their connection (%s); reconnecting", exc)
                log.debug("store signals failure", exc_info=exc)
            self.connected = False
            self._ring_all()
            self._stop.wait(self._reconnect_s)

    def _ring(self, channel: str) -> None:
        with self._lock:
            wakes = list(self._wakes.get(channel, ()))
        for wake in wakes:
            wake.ring()

    def _ring_all(self) -> None:
        with self._lock:
            wakes = {id(w): w for ws in self._wakes.values() for w in ws}
        for wake in wakes.values():
            wake.ring()
