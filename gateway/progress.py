"""Where each projection stands, learnt from the database's notifications, so the gateway can
wait for a position (read-your-writes, ``minPosition``) and wake its subscriptions, without
polling.

Every projection commit notifies :data:`~events.effects.PROGRESS_CHANNEL` with
``"<projection> <upstream> <position>"`` (see :class:`events.effects.SqlEffects`). One listening
connection per gateway process keeps the latest position of each (projection, upstream) and
wakes whoever waits. Notifications are a hint, never the truth: a waiter re-reads
``projection_tracking`` whenever it has waited :data:`RECHECK_S` without being satisfied, so a
lost connection or a missed notification costs at most that long, never a wrong answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

import asyncpg

from events.effects import PROGRESS_CHANNEL

log = logging.getLogger(__name__)

RECHECK_S = 0.25
"""Longest a waiter trusts the notifications alone before reading the table itself."""

_TRACKED_SQL = """
SELECT projection, upstream, position FROM projection_tracking
 WHERE projection = ANY($1::text[]) AND upstream = $2
"""


class ProjectionProgress:
    """The latest known position of each projection in each upstream store, and a way to wait
    until some projections have reached a position."""

    def __init__(
        self, pool: asyncpg.Pool, connect: Callable[[], Awaitable[asyncpg.Connection]]
    ) -> None:
        """``pool`` serves the table reads; ``connect`` opens the listening connection (its
        own: a pooled one would be reset and handed to queries)."""
        self._pool = pool
        self._connect = connect
        self._positions: dict[tuple[str, str], int] = {}
        self._changed = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self._listener_task: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        self._listener_task = asyncio.create_task(self._listen_forever(), name="progress-listen")

    async def stop(self) -> None:
        if self._listener_task is not None:
            self._listener_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener_task
        await self._close_listener()

    async def _listen_forever(self) -> None:
        """Keep one LISTEN connection open; reconnect after a loss (waiters re-read the table
        meanwhile, so nothing is missed, only slower)."""
        while True:
            try:
                self._listener = await self._connect()
                await self._listener.add_listener(PROGRESS_CHANNEL, self._on_notify)
                while not self._listener.is_closed():
                    await asyncio.sleep(1.0)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database went away: retry in a moment
                log.debug("progress listener lost (%s); reconnecting", error)
            await self._close_listener()
            await asyncio.sleep(1.0)

    async def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        with contextlib.suppress(Exception):
            await listener.remove_listener(PROGRESS_CHANNEL, self._on_notify)
        with contextlib.suppress(Exception):
            await listener.close(timeout=1.0)

    def _on_notify(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            projection, upstream, position = payload.split(" ")
            self._advance(projection, upstream, int(position))
        except ValueError:
            log.debug("ignoring progress notification %r", payload)

    def _advance(self, projection: str, upstream: str, position: int) -> None:
        key = (projection, upstream)
        if position > self._positions.get(key, -1):
            self._positions[key] = position
            self._changed.set()
            self._changed = asyncio.Event()

    # -- queries ---------------------------------------------------------------------------
    def changed(self) -> asyncio.Event:
        """An event set at the next change of any position (subscriptions wait on it)."""
        return self._changed

    async def positions(self, projections: Iterable[str], upstream: str) -> dict[str, int]:
        """The positions as ``projection_tracking`` holds them now (0 for none yet)."""
        names = list(projections)
        rows = await self._pool.fetch(_TRACKED_SQL, names, upstream)
        found = {row["projection"]: int(row["position"]) for row in rows}
        for name, position in found.items():
            self._advance(name, upstream, position)
        return {name: found.get(name, 0) for name in names}

    async def wait_for(
        self, projections: Iterable[str], upstream: str, position: int, *, timeout_s: float
    ) -> dict[str, int] | None:
        """Wait until every named projection has applied ``upstream`` up to ``position``.

        Returns None once they have; otherwise, after ``timeout_s``, the positions they stand
        at (the caller reports them)."""
        names = list(projections)
        if all(self._positions.get((n, upstream), -1) >= position for n in names):
            return None
        deadline = time.monotonic() + timeout_s
        while True:
            standing = await self.positions(names, upstream)
            if all(p >= position for p in standing.values()):
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return standing
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(remaining, RECHECK_S))
            if all(self._positions.get((n, upstream), -1) >= position for n in names):
                return None
