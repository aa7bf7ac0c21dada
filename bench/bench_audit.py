"""Benchmark: ``quantvista audit verify`` — recomputing a store's hash chain from its first event.

Workload: ``EVENTS`` ingestion events (instruments listed, then one-minute bars, 500 per append,
each append linking its events in the same transaction) in a fresh database on the embedded
PostgreSQL. Timed (best of ``REPEATS``):

* **verify**: ``events.chain.verify`` — the events and their links streamed side by side
  (a binary ``COPY`` of their join), every link recomputed (SHA-256 over the previous
  link, position, aggregate id and version, type and stored state) and compared;
* reference 1, the floor of any verification: the same rows streamed alone (the same
  ``COPY``), nothing hashed;
* reference 2: SHA-256 over the same bytes in a plain loop, nothing read.

Printed: events/s of each, the ratios, the target (at least 100,000 events/s, issue 9) and
whether it was met; the peak RSS (verification streams: it must not grow with the log).
Timings move with machine load; nothing is asserted.

Run: ``.venv/bin/python bench/bench_audit.py [EVENTS]``
"""

from __future__ import annotations

import hashlib
import resource
import sys
import time
from decimal import Decimal

import psycopg
from _servers import embedded_servers, fresh_database

from bounded_contexts.ingestion.domain.bars import Bar, InstrumentFeed
from bounded_contexts.ingestion.domain.events import InstrumentListed
from events.chain import stored_rows, verify
from events.envelope import Cause
from events.store import EventStore, datastore_from_url

EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
REPEATS = 3
PER_APPEND = 500  # the store's cap per append
MINUTE = 60_000_000_000
T0 = 1_795_165_800_000_000_000
TARGET = 100_000


def record(store: EventStore, events: int) -> int:
    """Instruments of ``PER_APPEND`` events each (listed + bars) until ``events`` are stored."""
    stored, number = 0, 0
    while stored < events:
        number += 1
        instrument = f"I{number:05d}"
        feed = InstrumentFeed.list(
            InstrumentListed(instrument, "DE0007164600", "XETR", "EUR", instrument)
        )
        for minute in range(min(PER_APPEND, events - stored) - 1):
            price = Decimal(100 + minute % 50)
            ts = T0 + minute * MINUTE
            feed.close_bar(Bar(instrument, ts, ts + MINUTE, price, price, price, price, Decimal(1)))
        cause = Cause.origin(ts_event=T0, actor="bench", key=instrument)
        stored += len(store.append([(p, cause) for p in feed.collect_pending()]))
    return stored


def best(run) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    timings = []
    result = None
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - started)
    return min(timings), result


def main() -> None:
    with embedded_servers() as infra:
        url = fresh_database(infra.database_url, "bench_audit")
        store = EventStore("ingestion", datastore_from_url(url))
        store.create_tables()
        started = time.perf_counter()
        count = record(store, EVENTS)
        print(
            f"recorded {count:,} events with their links in {time.perf_counter() - started:.1f} s"
        )
        store.datastore.close()
        with psycopg.connect(url) as conn:
            verify_s, checked = best(lambda: verify(conn, "ingestion"))
            assert checked.intact and checked.events == count, checked  # type: ignore[attr-defined]
            read_s, read = best(lambda: sum(1 for _ in stored_rows(conn, "ingestion")))
            rows = list(stored_rows(conn, "ingestion"))
        payloads = [bytes(state) for *_, state, _ in rows]

        def hash_alone() -> int:
            previous = b"\x00" * 32
            for state in payloads:
                previous = hashlib.sha256(previous + state).digest()
            return len(payloads)

        hash_s, _ = best(hash_alone)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    verify_rate, read_rate, hash_rate = count / verify_s, count / read_s, count / hash_s
    print()
    print(f"audit verify (events.chain.verify)  {count:>9,} events {verify_s:6.2f} s "
          f"{verify_rate:>10,.0f} events/s")  # fmt: skip
    print(f"reference: stream the rows alone    {read:>9,} events {read_s:6.2f} s "
          f"{read_rate:>10,.0f} events/s")  # fmt: skip
    print(f"reference: SHA-256 the states alone {count:>9,} events {hash_s:6.2f} s "
          f"{hash_rate:>10,.0f} events/s")  # fmt: skip
    print(f"verify / stream alone: x{verify_rate / read_rate:.2f}")
    print(f"peak RSS of this process (the list of rows for reference 2 included): {peak_mb:.0f} MB")
    verdict = "met" if verify_rate >= TARGET else "NOT met"
    print(f"target: at least {TARGET:,} events/s -> {verify_rate:,.0f} events/s: {verdict}")


if __name__ == "__main__":
    main()
