"""What the fault-injection tests share: running the real ``quantvista`` command in a data
directory (with a fault plan that makes it SIGKILL itself at a chosen point), reading what a
data directory holds in a form two runs can be compared by, the cash/position/fill
invariants, and stopping whatever servers a killed run left behind."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

from quantvista.platform import STORES
from tests.pipeline_helpers import read_models

QUANTVISTA = str(Path(sys.executable).with_name("quantvista"))
KILLED = -signal.SIGKILL


def run(
    data_dir: Path,
    *args: str,
    plan: str | None = None,
    timeout: float = 240,
) -> subprocess.CompletedProcess[str]:
    """``quantvista --data-dir DATA_DIR ARGS``, on the embedded servers, killing itself where
    ``plan`` says (see :mod:`events.faults`)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "PULSAR_URL", "QUANTVISTA_FAULT_PLAN")
    }
    env["COLUMNS"] = "160"
    if plan:
        env["QUANTVISTA_FAULT_PLAN"] = plan
    return subprocess.run(
        [QUANTVISTA, "--data-dir", str(data_dir), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass(frozen=True)
class Snapshot:
    """Everything two runs must agree on: every read-model table row for row, and every
    store's events as recorded facts (store positions and recording times aside: a killed
    transaction, or a killed database's sequence cache, burns positions, and the wall clock
    differs)."""

    read_models: dict[str, list[tuple]]  # type: ignore[type-arg]
    stores: dict[str, list[tuple]]  # type: ignore[type-arg]


def snapshot(database_url: str) -> Snapshot:
    stores = {}
    with psycopg.connect(database_url) as conn:
        for context in STORES:
            rows = conn.execute(
                f"SELECT originator_id, originator_version, topic, state FROM {context}_events "
                "ORDER BY originator_id, originator_version"
            ).fetchall()
            stores[context] = [_fact(*row) for row in rows]
    return Snapshot(read_models(database_url, positions=False), stores)


def _fact(aggregate_id: Any, version: int, topic: str, state: bytes) -> tuple:  # type: ignore[type-arg]
    data = json.loads(bytes(state))
    return (
        str(aggregate_id),
        version,
        topic,
        data["event_id"],
        data["ts_event"],
        data["causation_id"],
        data["correlation_id"],
        data["actor"],
        json.dumps(data["payload"], sort_keys=True),
    )


def assert_same_as(reference: Snapshot, data_dir: Path) -> None:
    """The data directory holds exactly what the uninterrupted run holds, and adds up."""
    with database_of(data_dir) as url:
        got = snapshot(url)
        assert invariant_breaches(url) == []
    for table, rows in reference.read_models.items():
        if got.read_models[table] != rows:
            missing = [r for r in rows if r not in got.read_models[table]][:3]
            extra = [r for r in got.read_models[table] if r not in rows][:3]
            raise AssertionError(
                f"read model {table} differs: {len(got.read_models[table])} rows, "
                f"{len(rows)} expected; missing {missing}; unexpected {extra}"
            )
    for context, facts in reference.stores.items():
        assert got.stores[context] == facts, f"{context} store differs"


def invariant_breaches(database_url: str) -> list[str]:
    """Cash, fees, positions and order fills that do not add up from the fills."""
    breaches: list[str] = []
    with psycopg.connect(database_url) as conn:
        fills = conn.execute(
            "SELECT order_id, account_id, instrument_id, side, quantity, price, fee FROM rm_fills"
        ).fetchall()
        for account_id, initial, cash, fees_paid in conn.execute(
            "SELECT account_id, initial_cash, cash, fees_paid FROM rm_portfolio"
        ).fetchall():
            mine = [f for f in fills if f[1] == account_id]
            flow = sum(
                (-q * p if side == "BUY" else q * p for _, _, _, side, q, p, _ in mine),
                Decimal(0),
            )
            fees = sum((f[6] for f in mine), Decimal(0))
            if cash != initial + flow - fees:
                breaches.append(f"{account_id}: cash {cash} != {initial} + {flow} - {fees}")
            if fees_paid != fees:
                breaches.append(f"{account_id}: fees_paid {fees_paid} != sum of fees {fees}")
        held: dict[tuple[str, str], Decimal] = {}
        for _, account_id, instrument_id, side, quantity, _, _ in fills:
            key = (account_id, instrument_id)
            held[key] = held.get(key, Decimal(0)) + (quantity if side == "BUY" else -quantity)
        positions = {
            (a, i): q
            for a, i, q in conn.execute(
                "SELECT account_id, instrument_id, quantity FROM rm_positions"
            ).fetchall()
        }
        for key, quantity in held.items():
            if positions.get(key, Decimal(0)) != quantity:
                breaches.append(f"{key}: position {positions.get(key)} != fills {quantity}")
        for order_id, quantity, filled in conn.execute(
            "SELECT order_id, quantity, filled_quantity FROM rm_orders"
        ).fetchall():
            booked = sum((f[4] for f in fills if f[0] == order_id), Decimal(0))
            if filled != booked or filled > quantity:
                breaches.append(f"order {order_id}: filled {filled}, fills {booked}, of {quantity}")
    return breaches


@contextlib.contextmanager
def database_of(data_dir: Path):  # type: ignore[no-untyped-def]
    """The URL of a data directory's embedded PostgreSQL (started if no run left it up),
    and every server of that directory stopped afterwards."""
    from quantvista.config import Settings
    from quantvista.embedded import Infrastructure

    infra = Infrastructure.start(Settings(data_dir=data_dir))
    try:
        yield infra.database_url
    finally:
        infra.stop()
        stop_leftover_servers(data_dir)


def postmaster_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "postgres" / "postmaster.pid"
    try:
        return int(pid_file.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def broker_pid(data_dir: Path) -> int | None:
    needle = str((data_dir / "pulsar" / "broker.db").absolute()).encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"pulsar-lite") and needle in argv:
            return int(proc.name)
    return None


def stop_leftover_servers(data_dir: Path) -> None:
    """Stop the PostgreSQL and broker a killed run left running on ``data_dir`` (a test must
    leave no process behind)."""
    for pid, sig in ((postmaster_pid(data_dir), signal.SIGINT), (broker_pid(data_dir), None)):
        if pid is None:
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig or signal.SIGTERM)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    status = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        return status.read_text().split(") ", 1)[1][0] != "Z"
    return False
