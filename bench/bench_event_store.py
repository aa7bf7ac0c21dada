"""Benchmark: appends to the event store on the embedded PostgreSQL, beside raw binary COPY.

What is timed (each in a fresh database on the same embedded server, median of a few repeats):

* one new aggregate per ``EventStore.append`` call — one ``BarClosed`` each, one transaction
  each (the per-command path of an application);
* batched: 100 and 500 new aggregates per ``append`` (the ingestion service's path; 500 is the
  store's cap, see FACTS.md);

each including what a real append costs in Python: the aggregate recording the event, payload
encoding, JSON-schema validation against the catalogue, envelope JSON, and the library's insert
(table lock, ``RETURNING notification_id``, ``NOTIFY``). The events and their causes are built
before the clock starts.

The reference is the physical limit on the same server: the same rows (uuid, bigint version,
text topic, the very bytea states the store wrote) copied with psycopg's binary ``COPY`` in one
transaction, into a plain table and into a table with the store's keys (bigserial
notification id, primary key, unique index). Printed: events/s, rows/s, batched/COPY ratio, and
the target (batched >= 15,000 events/s). Timings move with machine load; nothing is asserted.

Run: ``.venv/bin/python bench/bench_event_store.py``
"""

from __future__ import annotations

import statistics
import time
import uuid
import warnings
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import psycopg
from _servers import embedded_servers, fresh_database

from bounded_contexts.ingestion.domain.events import BarClosed
from events.catalogue import default_catalogue
from events.codec import encode_state
from events.domain import Aggregate, DomainEvent, PendingEvent
from events.envelope import Cause
from events.store import EventStore, datastore_from_url

SINGLE_EVENTS = 1_500
BATCHED_EVENTS = 20_000
BATCH_SIZES = (100, 500)
REPEATS = 3
TARGET_BATCHED_EVENTS_PER_S = 15_000
MINUTE_NS = 60_000_000_000
BENCH_NAMESPACE = uuid.UUID("6f1d7c62-3b1e-4f43-9a57-0d6a3c1f5e21")

Item = tuple[BarClosed, Cause]


class BarSeries(Aggregate):
    """A minimal aggregate recording ``BarClosed``: the store sees exactly what a real feed
    aggregate hands it (a new aggregate at version 1), without the feed's listing event."""

    def close(self, bar: BarClosed) -> None:
        self._record(bar)

    def apply(self, event: DomainEvent) -> None:
        if not isinstance(event, BarClosed):
            super().apply(event)


# -- servers and databases --------------------------------------------------------------


# -- workload -----------------------------------------------------------------------------
def bar_items(count: int, seed: int = 20261120) -> list[Item]:
    """``count`` realistic bars (two-decimal prices, integer volumes) with their causes."""
    rng = np.random.default_rng(seed)
    closes = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, count)))
    opens = np.concatenate([[100.0], closes[:-1]])
    spread = np.abs(rng.normal(0.0, 0.0005, (count, 2)))
    highs = np.maximum(opens, closes) * (1 + spread[:, 0])
    lows = np.minimum(opens, closes) * (1 - spread[:, 1])
    volumes = rng.lognormal(8.0, 0.5, count).astype(int)
    ts0 = 1_795_161_600_000_000_000  # 2026-11-20T08:00:00Z
    items = []
    for k in range(count):
        ts_start = ts0 + k * MINUTE_NS
        o, c = round(opens[k], 2), round(closes[k], 2)
        h, lo = max(round(highs[k], 2), o, c), min(round(lows[k], 2), o, c)
        bar = BarClosed(
            instrument_id=f"I{k % 500:03d}",
            ts_start=ts_start,
            ts_end=ts_start + MINUTE_NS,
            open=Decimal(f"{o:.2f}"),
            high=Decimal(f"{h:.2f}"),
            low=Decimal(f"{lo:.2f}"),
            close=Decimal(f"{c:.2f}"),
            volume=Decimal(int(volumes[k])),
            session="2026-11-20",
        )
        cause = Cause.origin(ts_event=ts_start + MINUTE_NS, actor="feed:bench", key=f"bar/{k}")
        items.append((bar, cause))
    return items


def aggregate_id(run: str, k: int) -> uuid.UUID:
    return uuid.uuid5(BENCH_NAMESPACE, f"{run}/{k}")


def time_appends(url: str, items: list[Item], per_append: int, run: str) -> float:
    """Seconds to append ``items`` as new aggregates, ``per_append`` aggregates per call."""
    store = EventStore("ingestion", datastore_from_url(url))
    try:
        store.create_tables()
        warm = BarSeries(aggregate_id(run, -1))
        warm.close(items[0][0])
        store.append([(p, items[0][1]) for p in warm.collect_pending()])
        started = time.perf_counter()
        for start in range(0, len(items), per_append):
            batch = []
            for k in range(start, min(start + per_append, len(items))):
                bar, cause = items[k]
                series = BarSeries(aggregate_id(run, k))
                series.close(bar)
                batch.extend((pending, cause) for pending in series.collect_pending())
            store.append(batch)
        elapsed = time.perf_counter() - started
        if store.head() != len(items) + 1:
            raise RuntimeError(f"expected {len(items) + 1} events stored, found {store.head()}")
        return elapsed
    finally:
        store.datastore.close()


def copy_rows(items: list[Item], run: str) -> list[tuple[uuid.UUID, int, str, bytes]]:
    """The rows the store writes for these events: same ids, versions, topics and states."""
    catalogue = default_catalogue()
    rows = []
    recorded = time.time_ns()
    for k, (bar, cause) in enumerate(items):
        pending = PendingEvent(aggregate_id(run, k), 1, bar)
        topic, state = encode_state("ingestion", pending, cause, recorded, catalogue)
        rows.append((pending.aggregate_id, 1, topic, state))
    return rows


PLAIN_DDL = (
    "CREATE TABLE copy_ref (originator_id uuid, originator_version bigint, topic text, state bytea)"
)
KEYED_DDL = (
    "CREATE TABLE copy_ref (originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
    "topic text, state bytea, notification_id bigserial, "
    "PRIMARY KEY (originator_id, originator_version)); "
    "CREATE UNIQUE INDEX copy_ref_notification_id ON copy_ref (notification_id)"
)


def time_copy(url: str, rows: list[tuple[uuid.UUID, int, str, bytes]], ddl: str) -> float:
    """Seconds to binary-COPY ``rows`` in one transaction (connection and table made first)."""
    with psycopg.connect(url) as conn:
        conn.execute(ddl)
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY copy_ref (originator_id, originator_version, topic, state) "
                "FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.set_types(["uuid", "int8", "text", "bytea"])
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started


def encode_rate(items: list[Item]) -> float:
    """Events/s of the Python half of an append alone: payload, schema check, envelope JSON."""
    catalogue = default_catalogue()
    pending = [PendingEvent(aggregate_id("enc", k), 1, bar) for k, (bar, _) in enumerate(items)]
    started = time.perf_counter()
    for p, (_, cause) in zip(pending, items, strict=True):
        encode_state("ingestion", p, cause, 0, catalogue)
    return len(items) / (time.perf_counter() - started)


def median_rate(
    server_url: str, label: str, count: int, measure: Callable[[str, str], float]
) -> float:
    """Median items/s over the repeats, each repeat in a fresh database."""
    rates = []
    for repeat in range(REPEATS):
        run = f"{label}_{repeat}"
        url = fresh_database(server_url, f"bench_{run}")
        rates.append(count / measure(url, run))
    return statistics.median(rates)


def main() -> None:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    print(f"event store appends — embedded PostgreSQL, median of {REPEATS}, fresh database each")
    single_items = bar_items(SINGLE_EVENTS)
    batched_items = bar_items(BATCHED_EVENTS)
    with embedded_servers() as infra:
        server = infra.database_url
        single = median_rate(
            server,
            "single",
            SINGLE_EVENTS,
            lambda url, run: time_appends(url, single_items, 1, run),
        )
        batched = {
            size: median_rate(
                server,
                f"batch{size}",
                BATCHED_EVENTS,
                lambda url, run, size=size: time_appends(url, batched_items, size, run),
            )
            for size in BATCH_SIZES
        }
        rows = copy_rows(batched_items, "copy")
        state_bytes = statistics.mean(len(r[3]) for r in rows)
        plain = median_rate(
            server, "copy_plain", len(rows), lambda url, run: time_copy(url, rows, PLAIN_DDL)
        )
        keyed = median_rate(
            server, "copy_keyed", len(rows), lambda url, run: time_copy(url, rows, KEYED_DDL)
        )

    encoding = encode_rate(batched_items)
    best = max(batched.values())
    print(f"  BarClosed state: {state_bytes:,.0f} bytes of JSON per event")
    print(f"  1 aggregate per append ({SINGLE_EVENTS:,} events): {single:>9,.0f} events/s")
    for size, rate in batched.items():
        print(
            f"  {size} aggregates per append ({BATCHED_EVENTS:,} events): {rate:>9,.0f} events/s"
            f"   = {rate / plain:.2f} x plain COPY"
        )
    print(
        f"  encode + schema validation alone (no I/O): {encoding:>9,.0f} events/s "
        f"({1e6 / encoding:.0f} us/event)"
    )
    print(f"  reference: binary COPY, plain table, 1 txn:     {plain:>9,.0f} rows/s")
    print(f"  reference: binary COPY, store's keys, 1 txn:    {keyed:>9,.0f} rows/s")
    print(
        f"  ratio batched (best) / plain COPY: {best / plain:.2f}; "
        f"/ keyed COPY: {best / keyed:.2f}; batched / single: {best / single:.1f}x"
    )
    met = "met" if best >= TARGET_BATCHED_EVENTS_PER_S else "NOT met"
    print(f"  target: batched >= {TARGET_BATCHED_EVENTS_PER_S:,} events/s -> {met} ({best:,.0f})")


if __name__ == "__main__":
    main()
