"""Benchmark: orders per second through the execution context on the embedded servers.

Workload: an embedded PostgreSQL (its own temporary data directory), the platform without a
broker, two instruments listed and one bar each (a reference price). Then ``ORDERS`` manual
limit buys far below the market (they rest: no fill, so every order writes the same events),
placed one after another through ``ExecutionCommands.place_order`` — the GraphQL path: the
catch-up with the store, validation, the kill-switch lookup, the pre-trade controls, the
Order aggregate, and one append of ``OrderSubmitted`` + ``OrderAccepted`` with the hash
chain. Printed: orders/s and the per-order latency p50/p99, with and without limits set at
five scopes (each line starts with no working order: the resting orders accumulate, and the
cash control adds up the working buys, so each line's latency grows with its own count).

Reference, measured in the same run: appending the same two events per order straight to the
execution store (``EventStore.append``, one transaction per order, no domain code) — the
floor any command path pays for durable, chained, gap-free positions.

Timings move with machine load; nothing is asserted. Run:
``.venv/bin/python bench/bench_orders.py [ORDERS]``
"""

from __future__ import annotations

import contextlib
import io
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from bounded_contexts.execution.domain.controls.events import Limits
from bounded_contexts.execution.domain.order import Order
from bounded_contexts.ingestion.adapters.csv_replay import read_instruments, sample_path
from bounded_contexts.ingestion.domain.bars import RawBar
from events.effects import EventsToAppend
from events.envelope import Cause
from gateway.ports import Principal
from quantvista.config import Settings
from quantvista.embedded import Infrastructure
from quantvista.platform import Platform

ORDERS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000
TRADER, RISK = Principal("bench-trader"), Principal("bench-risk")
MINUTE_NS = 60_000_000_000


def percentiles_ms(samples_s: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_s)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99)] * 1000


def place_orders(platform: Platform, instrument: str, count: int) -> tuple[float, list[float]]:
    commands, samples = platform.execution_commands, []
    started = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        outcome = commands.place_order(
            TRADER,
            account_id="DEMO-001",
            instrument_id=instrument,
            side="BUY",
            quantity=Decimal(1),
            order_type="LIMIT",
            limit_price=Decimal(1),
        )
        samples.append(time.perf_counter() - t0)
        assert outcome.order.status == "ACCEPTED", outcome.order.reject_reason
    return time.perf_counter() - started, samples


def append_floor(platform: Platform, count: int) -> tuple[float, list[float]]:
    """The same two events per order, appended straight to the store (no domain code)."""
    store, template = platform.stores["execution"], platform.execution.orders
    submitted = next(iter(template.values())).submitted
    assert submitted is not None
    samples = []
    started = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        order_id = uuid.uuid4()
        order = Order.submit(submitted.__class__(**{**submitted.__dict__, "order_id": order_id}))
        order.accept(ts_acknowledged=time.time_ns())
        uow = EventsToAppend()
        uow.save(order, Cause.origin(ts_event=time.time_ns(), actor="bench", key=str(order_id)))
        store.append(uow.items)
        samples.append(time.perf_counter() - t0)
    return time.perf_counter() - started, samples


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="qv-bench-orders-"))
    infra = None
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            infra = Infrastructure.start(Settings(data_dir=data_dir))
        platform = Platform(infra.database_url, None)
        try:
            platform.create_tables()
            platform.build()
            listings = read_instruments(sample_path("instruments.csv"))[:2]
            platform.ingestion.list_instruments(listings, actor="bench")
            start = (time.time_ns() // MINUTE_NS - 5) * MINUTE_NS
            platform.ingestion.ingest(
                [
                    RawBar("bench", i + 1, listing.instrument_id, str(start), *["100"] * 4, "1000")
                    for i, listing in enumerate(listings)
                ],
                actor="bench",
            )
            platform.run_until_caught_up()
            plain_s, plain = place_orders(platform, listings[0].instrument_id, ORDERS)
            # The same working set for the second line: the first line's orders cancelled.
            platform.execution_commands.cancel_all_orders(
                RISK, scope="account:DEMO-001", reason="bench"
            )
            for scope in ("firm", "account:DEMO-001", "trader:bench-trader", "venue:XETR"):
                platform.execution_commands.set_risk_limits(
                    RISK,
                    scope=scope,
                    limits=Limits(
                        max_order_quantity=Decimal(1_000),
                        max_order_notional=Decimal(1_000_000),
                        price_collar_pct=Decimal(99),
                        max_messages_per_second=1_000_000,
                    ),
                    reason="bench",
                )
            scoped_s, scoped = place_orders(platform, listings[1].instrument_id, ORDERS)
            floor_s, floor = append_floor(platform, ORDERS)
        finally:
            platform.close()
        print(f"{ORDERS:,} resting limit orders each, one after another (embedded PostgreSQL)")
        print(f"{'':44} {'orders/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
        for label, seconds, samples in (
            ("place_order (GraphQL path)", plain_s, plain),
            ("place_order, limits at 4 scopes + firm", scoped_s, scoped),
            ("reference: the two events appended alone", floor_s, floor),
        ):
            p50, p99 = percentiles_ms(samples)
            print(f"{label:44} {ORDERS / seconds:9,.0f} {p50:8.2f} {p99:8.2f}")
        print(
            f"place_order / append alone: x{(ORDERS / plain_s) / (ORDERS / floor_s):.2f} orders/s"
        )
    finally:
        if infra is not None:
            with contextlib.redirect_stdout(io.StringIO()):
                infra.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
