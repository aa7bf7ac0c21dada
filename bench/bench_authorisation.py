"""Benchmark: the cost of one permission check — what every resolver that touches an account
asks before it reads or acts.

What it measures, µs per call (median of 5 rounds, the variants taking turns within a round):

(a) ``AccessPolicy.can_trade`` / ``can_view_account`` / ``has`` on the PostgreSQL tuple store
    (``PostgresRelationTuples``: one prepared recursive CTE per check, subject sets expanded as
    Keto does), allowed and denied, with 1,000 users each trading its own account plus one of
    each other role — the embedded default, with no cache;
(b) the same checks through the gateway's cross-request decision cache (``_DecisionCache``,
    2 s): what a repeated request pays;
(c) the same checks on the in-memory tuple store (the graph walk alone, no database).

Reference, in the same run: ``SELECT 1`` through the same kind of pool connection, prepared —
the round trip to PostgreSQL, the floor under any check that asks the database; the ratio
check / round trip is the figure to read. Target (issue 8): a permission check < 100 µs
cached. Nothing is asserted; figures move ±30 % with machine load.

Run: ``.venv/bin/python bench/bench_authorisation.py`` (about 30 s; starts an embedded
PostgreSQL in a temporary directory).
"""

from __future__ import annotations

import contextlib
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

from bounded_contexts.support.adapters.relation_tuples import (
    InMemoryRelationTuples,
    PostgresRelationTuples,
)
from bounded_contexts.support.application.access import AccessPolicy
from bounded_contexts.support.application.users import UserAdministration
from bounded_contexts.support.domain.access_model import PlatformPermission
from gateway.security import _DecisionCache
from quantvista.config import Settings
from quantvista.embedded import Infrastructure

USERS = 1_000
ROUNDS = 5
CALLS = 2_000
CACHED_CALLS = 200_000


def populate(tuples: object) -> None:
    users = UserAdministration(tuples)  # type: ignore[arg-type]
    for i in range(USERS):
        users.add(f"trader-{i}", "trader", (f"ACC-{i}",))
    users.add("vera", "viewer", ("ACC-7",))
    for role in ("risk", "auditor", "regulator", "admin"):
        users.add(f"{role}-1", role)


def per_call_us(call: Callable[[], object], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) / calls * 1e6


def checks(policy: AccessPolicy) -> dict[str, Callable[[], object]]:
    return {
        "can_trade, allowed": lambda: policy.can_trade("trader-500", "ACC-500"),
        "can_trade, denied": lambda: policy.can_trade("trader-500", "ACC-501"),
        "can_view_account (viewer)": lambda: policy.can_view_account("vera", "ACC-7"),
        "can_view_account (risk, all)": lambda: policy.can_view_account("risk-1", "ACC-9"),
        "has(audit), denied": lambda: policy.has("trader-1", PlatformPermission.AUDIT),
    }


def cached(policy: AccessPolicy) -> dict[str, Callable[[], object]]:
    cache = _DecisionCache(ttl_s=3600)
    return {
        name: (lambda ask=ask, key=("bench", name): cache.get(key, ask))  # type: ignore[misc]
        for name, ask in checks(policy).items()
    }


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="qv-authz-"))
    infra = Infrastructure.start(Settings(data_dir=data_dir, pulsar_url="pulsar://unused:1"))
    try:
        run(infra.database_url)
    finally:
        with contextlib.suppress(Exception):
            infra.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def run(url: str) -> None:
    stored = PostgresRelationTuples.from_url(url)
    stored.create_tables()
    populate(stored)
    in_memory = InMemoryRelationTuples()
    populate(in_memory)
    on_postgres = AccessPolicy(stored)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT 1", prepare=True)  # prepared, like the checks

        variants: dict[str, tuple[Callable[[], object], int]] = {
            "round trip: SELECT 1 (reference)": (
                lambda: conn.execute("SELECT 1", prepare=True).fetchone(),
                CALLS,
            )
        }
        for name, call in checks(on_postgres).items():
            variants[f"postgres  {name}"] = (call, CALLS)
        for name, call in cached(on_postgres).items():
            variants[f"cached    {name}"] = (call, CACHED_CALLS)
        for name, call in checks(AccessPolicy(in_memory)).items():
            variants[f"in-memory {name}"] = (call, CALLS)
        for call, _ in variants.values():
            call()  # warm: plans prepared, caches filled
        rounds: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(ROUNDS):
            for name, (call, calls) in variants.items():
                rounds[name].append(per_call_us(call, calls))
    stored.close()
    floor = statistics.median(rounds["round trip: SELECT 1 (reference)"])
    print(f"permission checks, {USERS:,} traders each on its own account (µs per call)")
    print(f"{'variant':<46}{'median':>10}{'min':>10}{'/ round trip':>14}")
    for name, values in rounds.items():
        median = statistics.median(values)
        print(f"{name:<46}{median:>10.2f}{min(values):>10.2f}{median / floor:>13.2f}x")
    worst_cached = max(statistics.median(v) for n, v in rounds.items() if n.startswith("cached"))
    verdict = "met" if worst_cached < 100 else "NOT met"
    print(f"\ntarget: a cached permission check < 100 µs: worst {worst_cached:.2f} µs -> {verdict}")


if __name__ == "__main__":
    main()
