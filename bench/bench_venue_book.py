"""Benchmark: the simulated venue's turn on a bar, with its book (adapters.venues.book).

One instrument, ``RESTING`` limit orders resting in its book at prices around the market
(every one queued behind the L1 estimate, half buys, half sells), and a stream of bars that
touch or trade through some of their levels. Timed per bar with ``perf_counter_ns``, in memory
(nothing appended):

* **ExecutionService.on_bar**: the orders sorted in price-time priority, each one's queue
  worked through the bar, the bar's participation cap shared, fills recorded on the aggregates
  and the account;
* reference: the bar model without a book, measured on the same bars over the same working
  orders — ``match`` called once per order with its own cap (what the venue did before it
  kept a book), without recording anything.

The ratio is the book's cost per bar over the bare matching. Timings move with machine load;
nothing is asserted.

Run: ``.venv/bin/python bench/bench_venue_book.py [RESTING] [BARS]``
"""

from __future__ import annotations

import random
import statistics
import sys
import time
import uuid
from decimal import Decimal

from bounded_contexts.execution.adapters.venues.simulated import (
    SimulatedVenueConfig,
    VenueBar,
    match,
)
from bounded_contexts.execution.application.service import (
    ExecutionConfig,
    ExecutionService,
    SubmitOrder,
)
from bounded_contexts.execution.domain.pretrade import PreTradeLimits
from events.effects import EventsToAppend
from events.envelope import Cause

RESTING = int(sys.argv[1]) if len(sys.argv) > 1 else 500
BARS = int(sys.argv[2]) if len(sys.argv) > 2 else 400
MINUTE = 60_000_000_000
T0 = 1_795_680_000_000_000_000
TICK = Decimal("0.01")


def service_with_book(rng: random.Random) -> ExecutionService:
    limits = PreTradeLimits(
        max_order_notional=Decimal("1e12"),
        max_position_notional=Decimal("1e12"),
        allow_short=True,
    )
    svc = ExecutionService(
        None,  # type: ignore[arg-type]  # nothing is appended: the store is never touched
        ExecutionConfig(limits=limits, initial_cash=Decimal("1e12")),
    )
    svc.instrument_listed("AAA", tick_size=TICK)
    for n in range(RESTING):
        side = "BUY" if n % 2 == 0 else "SELL"
        offset = Decimal(rng.randint(1, 400)) * TICK
        price = Decimal(100) - offset if side == "BUY" else Decimal(100) + offset
        svc.submit(
            SubmitOrder(
                uuid.UUID(int=n + 1),
                "DEMO-001",
                "AAA",
                side,
                "LIMIT",
                Decimal(rng.randint(1, 20) * 100),
                price,
                "MANUAL",
                reference_price=Decimal(100),
            ),
            EventsToAppend(),
            Cause.origin(ts_event=T0, actor="person:bench", key=f"o{n}"),
        )
    return svc


def bars(rng: random.Random) -> list[VenueBar]:
    made = []
    for minute in range(1, BARS + 1):
        open_ = Decimal(100) + Decimal(rng.randint(-20, 20)) * TICK
        high = open_ + Decimal(rng.randint(0, 40)) * TICK
        low = open_ - Decimal(rng.randint(0, 40)) * TICK
        made.append(VenueBar(T0 + minute * MINUTE, open_, high, low, Decimal(50_000)))
    return made


def timed(svc: ExecutionService, stream: list[VenueBar]) -> tuple[list[float], list[float]]:
    """Per bar: the bare matching of the orders working then, and the venue's turn on it."""
    config = SimulatedVenueConfig()
    booked, bare = [], []
    for bar in stream:
        working = [o.submitted for o in svc.working.values() if o.submitted is not None]
        start = time.perf_counter_ns()
        for s in working:
            match(
                side=s.side,
                order_type="LIMIT",
                limit_price=s.limit_price,
                remaining=s.quantity,
                bar=bar,
                config=config,
            )
        bare.append((time.perf_counter_ns() - start) / 1000)
        uow = EventsToAppend()
        cause = Cause.origin(ts_event=bar.ts_start, actor="venue:simulated", key=str(bar.ts_start))
        start = time.perf_counter_ns()
        svc.on_bar("AAA", bar, uow, cause)
        booked.append((time.perf_counter_ns() - start) / 1000)
    return booked, bare


def line(name: str, samples: list[float]) -> float:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{name:<52}{p50:>10.1f}{p99:>10.1f}{ordered[-1]:>10.1f}")
    return p50


def main() -> None:
    stream = bars(random.Random(7))
    svc = service_with_book(random.Random(11))
    booked, bare = timed(svc, stream)
    working = len(svc.working)
    print(f"{RESTING:,} resting limit orders, {BARS:,} bars; microseconds per bar")
    print(f"{'':<52}{'p50':>10}{'p99':>10}{'max':>10}")
    ours = line("ExecutionService.on_bar with the book", booked)
    floor = line("reference: match() per order, no book, no record", bare)
    print(f"on_bar with the book / bare matching, p50: x{ours / floor:.1f}")
    print(f"{working:,} of {RESTING:,} orders still working after the last bar")


if __name__ == "__main__":
    main()
