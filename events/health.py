"""The health table: each supervised component's state, failure count, restarts and last
error, written by the process running it on every change of state, so that ``quantvista
status`` (another process) and an operator's SQL see what the in-memory supervisor saw.

Writing is best effort: with the database gone the row cannot be written, and the process
reports that loss itself (the run ends with one line; see :mod:`quantvista.watchdog`).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

from eventsourcing.postgres import PostgresDatastore

from events.component import Component

HEALTH_DDL = """
CREATE TABLE IF NOT EXISTS component_health (
    component      TEXT NOT NULL,
    process        TEXT NOT NULL,             -- host:pid of the process running it
    state          TEXT NOT NULL,             -- running | failing | stopped
    failures       INTEGER NOT NULL,
    restarts       INTEGER NOT NULL,
    last_error     TEXT,
    last_error_at  TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (component, process)
)
"""


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class HealthBook:
    def __init__(
        self,
        datastore: PostgresDatastore,
        process: str | None = None,
        *,
        reachable: Callable[[], bool] = lambda: True,
    ) -> None:
        """``reachable`` tells whether the database is up: with it gone, a state change is
        not written (each write would wait for a connection, and a run stopping because its
        database is lost would take seconds per component to stop)."""
        self.datastore = datastore
        self.process = process or this_process()
        self.reachable = reachable

    def create_tables(self) -> None:
        with self.datastore.transaction(commit=True) as cur:
            cur.execute(HEALTH_DDL)

    def record(self, component: Component, state: str) -> None:
        """Upsert the component's row for this process (the :data:`HealthListener` hook)."""
        if not self.reachable():
            return
        with self.datastore.transaction(commit=True) as cur:
            cur.execute(
                "INSERT INTO component_health (component, process, state, failures, restarts, "
                "last_error, last_error_at, updated_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, to_timestamp(%s), now()) "
                "ON CONFLICT (component, process) DO UPDATE SET state = EXCLUDED.state, "
                "failures = EXCLUDED.failures, restarts = EXCLUDED.restarts, "
                "last_error = EXCLUDED.last_error, last_error_at = EXCLUDED.last_error_at, "
                "updated_at = now()",
                (
                    component.name,
                    self.process,
                    state,
                    component.failures,
                    component.restarts,
                    component.last_error,
                    component.last_error_at,
                ),
            )

    def rows(self) -> list[dict[str, Any]]:
        """Every component's latest row, newest first per component."""
        with self.datastore.transaction(commit=False) as cur:
            cur.execute("SELECT to_regclass('component_health') IS NOT NULL AS present")
            if not cur.fetchone()["present"]:
                return []
            cur.execute(
                "SELECT component, process, state, failures, restarts, last_error, "
                "last_error_at, updated_at FROM component_health "
                "ORDER BY component, updated_at DESC"
            )
            return [dict(r) for r in cur.fetchall()]
