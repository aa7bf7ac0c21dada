"""Waking an idle component when its store is appended to, or when its own work finishes.

``LISTEN "<context>_events"`` on a connection of its own (every append sends that
``NOTIFY``), plus a socket pair that worker threads poke when a send completes; a wait blocks
in ``select`` on both, so an idle delivery component costs nothing and reacts at once
(ARCHITECTURE principle 12). Notifications arrive only while the connection is open: open it
first, then read the store, and nothing is missed.
"""

from __future__ import annotations

import contextlib
import select
import socket
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from events.store import EventStore


class StoreWake:
    def __init__(self, store: EventStore) -> None:
        pool = store.datastore.pool
        self._conninfo = make_conninfo(
            pool.conninfo, **{k: v for k, v in pool.kwargs.items() if k != "row_factory"}
        )
        self._channel = store.events_table
        self._connection: psycopg.Connection[Any] | None = None
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)

    def open(self) -> None:
        self._connection = psycopg.connect(self._conninfo, autocommit=True)
        self._connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))

    def poke(self) -> None:
        """Wake the waiter (from any thread)."""
        with contextlib.suppress(BlockingIOError, OSError):  # already awake, or closed
            self._writer.send(b"!")

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` for an append or a poke; True if either came."""
        waitables: list[Any] = [self._reader]
        if self._connection is not None:
            waitables.append(self._connection)
        if not self._drain():
            select.select(waitables, [], [], max(0.0, timeout))
            return self._drain()
        return True

    def _drain(self) -> bool:
        woken = False
        with contextlib.suppress(BlockingIOError):
            woken = bool(self._reader.recv(4096))
        if self._connection is not None:
            woken = any(True for _ in self._connection.notifies(timeout=0)) or woken
        return woken

    def close(self) -> None:
        """Stop listening and release the socket pair; a late poke is ignored."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
        self._reader.close()
        self._writer.close()
