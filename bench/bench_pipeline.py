"""Benchmark: store -> relay -> Pulsar -> consumer -> projection, on the embedded servers.

The path a bar takes to a read model: the ingestion service appends ``BarClosed`` to the
ingestion store; the :class:`Relay` follows the store (LISTEN/NOTIFY) and publishes to
``persistent://<tenant>/ingestion/market-data`` on pulsar-lite; a :class:`TrackedConsumer` runs
``MarketDataProjection`` with :class:`SqlEffects` (rows + tracking position in one transaction).
Relay and consumer run on their own threads in this process, as in ``quantvista demo``; the
feed runs on the main thread. Every phase gets a fresh database and its own Pulsar tenant.

Measured:

* end-to-end lag of each bar: (commit of the projection transaction that applied it) minus the
  envelope's ``ts_recorded`` (stamped by ``EventStore.append`` just before its insert), p50/p99,
  with bars fed at a steady 500 bars/s (the target's rate) and at 2,500 bars/s, in small
  batches every 10 ms, after a 1 s warm-up at the same rate (first use compiles schema
  validators and opens connections; the warm-up's own p99/max are printed beside);
* drained throughput: 20,000 bars appended in one burst, events/s from the first append to the
  commit that applied the last bar.

References measured in the same run, on the burst's database: reading the same events straight
from the store (``EventStore.read`` pages of 1,000, decoded) — the ceiling for anything that
follows the log — and the same projection fed from the store without relay or broker
(``TrackedConsumer`` with no bus, ``catch_up``). Target: lag p99 < 250 ms at 500 bars/s.
Timings move with machine load; nothing is asserted.

Run: ``.venv/bin/python bench/bench_pipeline.py``
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any

import numpy as np
from _servers import embedded_servers, fresh_database
from eventsourcing.postgres import PostgresDatastore
from psycopg import Cursor

from bounded_contexts.ingestion.adapters.csv_replay import read_instruments, sample_path
from bounded_contexts.ingestion.adapters.synthetic_feed import synthetic_bars, trading_days
from bounded_contexts.ingestion.application.service import IngestionService
from bounded_contexts.ingestion.domain.bars import RawBar
from bounded_contexts.ingestion.domain.events import BarClosed
from events.bus import PulsarBus
from events.consumer import TrackedConsumer
from events.deadletter import DeadLetters
from events.effects import SqlEffects
from events.envelope import EventEnvelope
from events.relay import RELAY_DDL, Relay
from events.store import EventStore, datastore_from_url
from projections.market_data import MarketDataProjection
from projections.registry import create_read_model_tables

SLOW_RATE, SLOW_BARS = 500, 7_500  # the target's rate, 15 s
FAST_RATE, FAST_BARS = 2_500, 20_000  # 8 s
BURST_BARS = 20_000
TICK_S = 0.010  # the feed appends a small batch every 10 ms
WARMUP_S = 1.0  # fed at the phase's rate before measuring
TARGET_P99_MS = 250.0
DRAIN_TIMEOUT_S = 120.0
FIRST_SESSION = date(2026, 11, 16)


# -- servers and databases --------------------------------------------------------------


# -- the probe: lag of every bar at the commit that applied it ---------------------------
@dataclass
class LagProbe:
    """Collects, per applied bar, ``commit time - ts_recorded`` in nanoseconds.

    The projection hands the probe what it folded; the effects report the commit. Both run on
    the consumer's thread; the main thread reads the results after the drain."""

    pending: list[int] = field(default_factory=list)
    lags_ns: list[int] = field(default_factory=list)
    last_commit_ns: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def folded(self, events: Sequence[EventEnvelope]) -> None:
        self.pending.extend(e.ts_recorded for e in events if isinstance(e.event, BarClosed))

    def committed(self) -> None:
        now = time.time_ns()
        with self.lock:
            self.lags_ns.extend(now - recorded for recorded in self.pending)
            self.last_commit_ns = now
        self.pending.clear()

    def discard(self) -> None:
        self.pending.clear()

    def reset(self) -> None:
        with self.lock:
            self.lags_ns.clear()
            self.last_commit_ns = 0


class ProbedMarketData(MarketDataProjection):
    """The shipped projection, unchanged, telling the probe what it folded."""

    def __init__(self, probe: LagProbe) -> None:
        super().__init__()
        self.probe = probe

    def fold(self, events: Sequence[EventEnvelope], cur: Cursor) -> None:  # type: ignore[type-arg]
        super().fold(events, cur)
        self.probe.folded(events)


class ProbedSqlEffects(SqlEffects):
    """The shipped effects; the probe hears of each commit once the transaction is done."""

    def __init__(self, datastore: PostgresDatastore, probe: LagProbe) -> None:
        super().__init__(datastore)
        self.probe = probe

    def apply(
        self, consumer: str, upstream: str, position: int, work: Callable[[Any], None]
    ) -> None:
        self.probe.discard()
        try:
            super().apply(consumer, upstream, position, work)
        except Exception:
            self.probe.discard()
            raise
        self.probe.committed()


# -- one pipeline in one fresh database ---------------------------------------------------
class Pipeline:
    """Ingestion store, relay, Pulsar, consumer running the market-data projection."""

    def __init__(self, url: str, pulsar_url: str, tenant: str) -> None:
        self.url = url
        self.probe = LagProbe()
        self.store = EventStore("ingestion", datastore_from_url(url))
        self.read_store = datastore_from_url(url, pool_size=2, max_overflow=8)
        self.dead_letters = DeadLetters(self.read_store)
        self.effects = ProbedSqlEffects(self.read_store, self.probe)
        self.bus = PulsarBus(pulsar_url, tenant)
        self.relay = Relay(self.store, self.bus, listen_url=url)
        self.consumer = TrackedConsumer(
            ProbedMarketData(self.probe),
            self.effects,
            {"ingestion": self.store},
            self.dead_letters,
            self.bus,
        )
        self.store.create_tables()
        self.dead_letters.create_tables()
        self.effects.create_tables()
        with self.read_store.transaction(commit=True) as cur:
            create_read_model_tables(cur)
            cur.execute(RELAY_DDL)
        self.ingestion = IngestionService(self.store)
        self.ingestion.list_instruments(
            read_instruments(sample_path("instruments.csv")), actor="feed:reference-data"
        )

    def start(self) -> None:
        self.relay.start()
        self.consumer.start()
        self.drain()  # the listings, so that every phase starts idle
        self.probe.reset()

    def drain(self) -> None:
        """Block until the projection has applied everything the store holds."""
        head = self.store.head()
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while self.consumer.positions.get("ingestion", 0) < head:
            for component in (self.relay, self.consumer):
                if component.failed:
                    raise RuntimeError(f"{component.name} failed: {component.last_error}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"projection not drained after {DRAIN_TIMEOUT_S:.0f} s")
            time.sleep(0.002)

    def close(self) -> None:
        self.consumer.stop()
        self.relay.stop()
        self.bus.close()
        self.store.datastore.close()
        self.read_store.close()


@dataclass(frozen=True)
class Steady:
    rate_fed: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    bars: int
    warmup_p99_ms: float
    warmup_max_ms: float
    healed: int


def feed_on_schedule(pipeline: Pipeline, rows: list[RawBar], rate: float) -> float:
    """Append ``rows`` at ``rate`` bars/s (a batch every tick, on schedule), then drain;
    returns the bars/s actually fed."""
    per_tick = max(1, round(rate * TICK_S))
    started = time.monotonic()
    for k, start in enumerate(range(0, len(rows), per_tick)):
        delay = started + k * per_tick / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        pipeline.ingestion.ingest(rows[start : start + per_tick], actor="feed:bench")
    fed_s = time.monotonic() - started
    pipeline.drain()
    return len(rows) / fed_s


def recorded_lags_ms(probe: LagProbe, expected: int) -> np.ndarray:
    lags_ms = np.array(probe.lags_ns, dtype=float) / 1e6
    if len(lags_ms) != expected:
        raise RuntimeError(f"lag recorded for {len(lags_ms)} of {expected} bars")
    probe.reset()
    return lags_ms


def feed_steadily(pipeline: Pipeline, rows: list[RawBar], rate: float) -> Steady:
    """A warm-up of ``WARMUP_S`` at ``rate`` (first use compiles the schema validators, opens
    pool connections, prepares statements; reported apart), then the measured rows."""
    warmup = round(rate * WARMUP_S)
    healed_before = pipeline.consumer.healed
    feed_on_schedule(pipeline, rows[:warmup], rate)
    cold = recorded_lags_ms(pipeline.probe, warmup)
    rate_fed = feed_on_schedule(pipeline, rows[warmup:], rate)
    lags = recorded_lags_ms(pipeline.probe, len(rows) - warmup)
    p50, p99 = np.percentile(lags, [50, 99])
    return Steady(
        rate_fed=rate_fed,
        p50_ms=float(p50),
        p99_ms=float(p99),
        max_ms=float(lags.max()),
        bars=len(lags),
        warmup_p99_ms=float(np.percentile(cold, 99)),
        warmup_max_ms=float(cold.max()),
        healed=pipeline.consumer.healed - healed_before,
    )


@dataclass(frozen=True)
class Burst:
    append_rate: float
    drained_rate: float
    events: int
    healed: int


def feed_burst(pipeline: Pipeline, rows: list[RawBar]) -> Burst:
    """Append every row at once (the service's own batches of 400), then drain."""
    healed_before = pipeline.consumer.healed
    started_ns = time.time_ns()
    pipeline.ingestion.ingest(rows, actor="feed:bench")
    appended_s = (time.time_ns() - started_ns) / 1e9
    pipeline.drain()
    drained_s = (pipeline.probe.last_commit_ns - started_ns) / 1e9
    healed = pipeline.consumer.healed - healed_before
    return Burst(len(rows) / appended_s, len(rows) / drained_s, len(rows), healed)


def store_read_rate(store: EventStore) -> tuple[float, int]:
    """Events/s reading (and decoding) the whole log in pages of 1,000."""
    started = time.perf_counter()
    after, count = 0, 0
    while batch := store.read(after, limit=1000):
        count += len(batch)
        after = batch[-1].position
    return count / (time.perf_counter() - started), count


def store_following_rate(pipeline: Pipeline) -> float:
    """Events/s of the same projection fed from the store alone (no relay, no broker), from an
    emptied read model on the burst's database."""
    with pipeline.read_store.transaction(commit=True) as cur:
        cur.execute("TRUNCATE rm_bars, rm_instruments, rm_quarantine, projection_tracking")
    probe = LagProbe()
    consumer = TrackedConsumer(
        ProbedMarketData(probe),
        ProbedSqlEffects(pipeline.read_store, probe),
        {"ingestion": pipeline.store},
        pipeline.dead_letters,
        None,
    )
    started = time.perf_counter()
    consumer.drain()  # the synchronous path of Platform.run_until_caught_up
    elapsed = time.perf_counter() - started
    return consumer.applied / elapsed


def bars(count: int, instruments: list[str]) -> list[RawBar]:
    per_day = 510 * len(instruments)
    sessions = trading_days(FIRST_SESSION, -(-count // per_day))
    return list(islice(synthetic_bars(instruments, sessions), count))


def main() -> None:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    print("pipeline: store -> relay -> pulsar-lite -> consumer -> MarketDataProjection")
    with embedded_servers() as infra:
        server, pulsar_url = infra.database_url, infra.pulsar_url

        def pipeline(phase: str) -> Pipeline:
            p = Pipeline(fresh_database(server, f"bench_{phase}"), pulsar_url, f"bench-{phase}")
            p.start()
            return p

        names = sorted(i.instrument_id for i in read_instruments(sample_path("instruments.csv")))
        steady: dict[int, Steady] = {}
        for rate, count in ((SLOW_RATE, SLOW_BARS), (FAST_RATE, FAST_BARS)):
            p = pipeline(f"steady{rate}")
            try:
                warmup = round(rate * WARMUP_S)
                steady[rate] = feed_steadily(p, bars(warmup + count, names), rate)
            finally:
                p.close()
        p = pipeline("burst")
        try:
            burst = feed_burst(p, bars(BURST_BARS, names))
            p.consumer.stop()
            p.relay.stop()
            read_rate, read_count = store_read_rate(p.store)
            following_rate = store_following_rate(p)
        finally:
            p.close()

    for rate, s in steady.items():
        print(
            f"  steady {rate:,} bars/s ({s.bars:,} bars, fed at {s.rate_fed:,.0f}/s): "
            f"lag p50 {s.p50_ms:6.1f} ms, p99 {s.p99_ms:6.1f} ms, max {s.max_ms:6.1f} ms"
            f"  (the {WARMUP_S:.0f} s warm-up before it: p99 {s.warmup_p99_ms:.0f} ms, "
            f"max {s.warmup_max_ms:.0f} ms); {s.healed:,} read from the store, not the broker"
        )
    print(
        f"  burst of {burst.events:,} bars: appended at {burst.append_rate:,.0f}/s, "
        f"drained through the projection at {burst.drained_rate:>8,.0f} events/s "
        f"({burst.healed:,} read from the store, not the broker)"
    )
    print(
        f"  reference: EventStore.read pages, decoded ({read_count:,} events): "
        f"{read_rate:>8,.0f} events/s -> ratio drained/read {burst.drained_rate / read_rate:.2f}"
    )
    print(
        f"  reference: same projection from the store, no relay/broker:   "
        f"{following_rate:>8,.0f} events/s -> ratio drained/store-following "
        f"{burst.drained_rate / following_rate:.2f}"
    )
    p99 = steady[SLOW_RATE].p99_ms
    met = "met" if p99 < TARGET_P99_MS else "NOT met"
    print(
        f"  target: lag p99 < {TARGET_P99_MS:.0f} ms at {SLOW_RATE} bars/s -> {met} ({p99:.1f} ms)"
    )


if __name__ == "__main__":
    main()
