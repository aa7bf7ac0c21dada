"""Kills and races while the embedded servers start.

- SIGKILL of a first start (initdb, the bootstrap backend, pg_ctl: the whole process group)
  at fixed delays: the next start on that data directory succeeds and can create a table,
  and stops the server it adopted (no PostgreSQL is left running for that directory).
- Two processes starting brokers on separate data directories at the same instant: both get
  one (pulsar-lite scans for a free port and only then binds it, so they collide).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from quantvista.config import Settings
from quantvista.embedded import Infrastructure
from tests.faults.harness import broker_pid, postmaster_pid, stop_leftover_servers

pytestmark = [pytest.mark.integration]

# Only PostgreSQL: the broker is not what a kill during initdb breaks.
START_POSTGRES = """
import sys, time
from pathlib import Path
from quantvista.config import Settings
from quantvista.embedded import Infrastructure
Infrastructure.start(Settings(data_dir=Path(sys.argv[1]), pulsar_url="pulsar://unused:6650"))
print("up", flush=True)
time.sleep(120)
"""

# Only the broker, started when the wall clock reaches argv[2] so two of them start together,
# and held until both are up.
START_BROKER_AT = """
import sys, time
from pathlib import Path
from quantvista.config import Settings
from quantvista.embedded import Infrastructure
at = float(sys.argv[2])
while time.time() < at:
    pass
infra = Infrastructure.start(Settings(data_dir=Path(sys.argv[1]), database_url="postgresql://x"))
print("url", infra.pulsar_url, flush=True)
time.sleep(max(0.0, at + 3 - time.time()))  # both brokers up at once: two ports
infra.stop()
"""

# Measured here: initdb is under way for about the first 0.6 s of a first start (its
# bootstrap backend's postmaster.pid of 7 lines, then PG_VERSION without the databases);
# after that pg_ctl starts the server, which survives the kill (pg_ctl detaches it).
KILL_DELAYS = (0.1, 0.2, 0.3, 0.45, 0.7, 1.0, 2.0)


def _postgres_alive(data_dir: Path) -> bool:
    pgdata = str((data_dir / "postgres").resolve()).encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(") ", 1)[1][0]
        except (OSError, IndexError):
            continue
        if argv[0].endswith(b"postgres") and pgdata in argv and state != "Z":
            return True
    return False


def _wait_gone(data_dir: Path, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _postgres_alive(data_dir):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("delay", KILL_DELAYS)
def test_a_first_start_killed_at_any_point_leaves_a_directory_the_next_start_uses(
    tmp_path: Path, delay: float
) -> None:
    data_dir = tmp_path / "data"
    child = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-c", START_POSTGRES, str(data_dir)],
        cwd=tmp_path,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(delay)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        infra = Infrastructure.start(Settings(data_dir=data_dir))
        try:
            with psycopg.connect(infra.database_url, autocommit=True) as conn:
                conn.execute("CREATE TABLE after_the_kill (x int)")
                conn.execute("INSERT INTO after_the_kill VALUES (1)")
                assert conn.execute("SELECT x FROM after_the_kill").fetchone() == (1,)
        finally:
            infra.stop()
        assert _wait_gone(data_dir), "the next owner left PostgreSQL running"
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        stop_leftover_servers(data_dir)


def test_the_next_owner_stops_the_postgres_of_an_owner_killed_after_start(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    child = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-c", START_POSTGRES, str(data_dir)],
        cwd=tmp_path,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "up"
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        left = postmaster_pid(data_dir)
        assert left is not None and _postgres_alive(data_dir)
        infra = Infrastructure.start(Settings(data_dir=data_dir, pulsar_url="pulsar://x:1"))
        try:
            with psycopg.connect(infra.database_url, autocommit=True) as conn:
                assert conn.execute("SELECT pg_backend_pid() > 0").fetchone() == (True,)
        finally:
            infra.stop()
        assert _wait_gone(data_dir), f"PostgreSQL (pid {left}) still runs after its owner left"
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        stop_leftover_servers(data_dir)


def test_two_processes_starting_brokers_at_the_same_instant_both_get_one(
    tmp_path: Path,
) -> None:
    for round_ in range(3):
        dirs = [tmp_path / f"round{round_}-{side}" for side in ("a", "b")]
        at = time.time() + 1.5  # both interpreters are up by then
        children = [
            subprocess.Popen(
                [sys.executable, "-W", "ignore", "-c", START_BROKER_AT, str(d), str(at)],
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for d in dirs
        ]
        try:
            outputs = [child.communicate(timeout=60)[0] for child in children]
        finally:
            for child in children:
                if child.poll() is None:
                    child.kill()
                    child.wait()
            for d in dirs:
                stop_leftover_servers(d)
        for child, output in zip(children, outputs, strict=True):
            assert child.returncode == 0, output[-1500:]
        urls = {
            line.split()[1] for out in outputs for line in out.splitlines() if line[:4] == "url "
        }
        assert len(urls) == 2, outputs
        assert all(broker_pid(d) is None for d in dirs)
