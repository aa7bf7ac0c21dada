"""The simulated venue's latency, deterministic under a seed: an order reaches the venue (and
is acknowledged) its latency after it is sent and trades on the first bar starting then or
after; its fills reach us that long after they execute; the same order meets the same latency
on every run."""

from __future__ import annotations

import uuid
from decimal import Decimal

from bounded_contexts.execution.adapters.venues.simulated import SimulatedVenueConfig
from bounded_contexts.execution.domain.events import OrderAccepted, OrderFilled
from events.effects import EventsToAppend
from tests.execution.unit.test_execution_service import (
    MINUTE,
    T0,
    bar_at,
    cause,
    command,
    events_of,
    service,
)

SLOW = SimulatedVenueConfig(latency_ns=90_000_000_000)  # 90 s: more than a bar


def test_an_order_trades_on_the_first_bar_after_it_reaches_the_venue() -> None:
    svc = service(venue=SLOW)
    uow = EventsToAppend()
    svc.submit(command(), uow, cause(T0))
    [accepted] = [e for e in events_of(uow) if isinstance(e, OrderAccepted)]
    assert accepted.ts_acknowledged == T0 + 90_000_000_000
    early = EventsToAppend()
    svc.on_bar("AAA", bar_at(T0 + MINUTE), early, cause(T0 + MINUTE))
    assert early.items == []  # the bar started before the order arrived
    late = EventsToAppend()
    svc.on_bar("AAA", bar_at(T0 + 2 * MINUTE), late, cause(T0 + 2 * MINUTE))
    [fill] = [e for e in events_of(late) if isinstance(e, OrderFilled)]
    assert (fill.ts_executed, fill.ts_received) == (T0 + 2 * MINUTE, T0 + 2 * MINUTE + 90 * 10**9)


def test_jitter_is_the_same_for_the_same_order_and_seed_and_within_bounds() -> None:
    jittery = SimulatedVenueConfig(latency_ns=1_000, latency_jitter_ns=1_000_000, seed=7)
    orders = [uuid.UUID(int=n) for n in range(200)]
    drawn = [jittery.latency(o) for o in orders]
    assert drawn == [jittery.latency(o) for o in orders]  # replay-stable
    assert all(1_000 <= d <= 1_001_000 for d in drawn) and len(set(drawn)) > 150
    reseeded = SimulatedVenueConfig(latency_ns=1_000, latency_jitter_ns=1_000_000, seed=8)
    assert [reseeded.latency(o) for o in orders] != drawn


def test_no_latency_configured_keeps_the_venue_instant() -> None:
    svc = service()
    uow = EventsToAppend()
    svc.submit(command(quantity=Decimal(1)), uow, cause(T0))
    [accepted] = [e for e in events_of(uow) if isinstance(e, OrderAccepted)]
    assert accepted.ts_acknowledged == T0
