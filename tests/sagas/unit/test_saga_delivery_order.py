"""The trade-lifecycle saga records the same events whatever order its two upstreams arrive
in, as long as an order's events come after the decision behind them (the causal barrier the
consumer runtime enforces: an order's events carry their decision's position as a watermark).

Before, the saga also followed the bar clock, and whether a bar or the order's fate reached it
first decided whether it recorded a timeout: two runs of the same input could disagree."""

from __future__ import annotations

import itertools
import uuid
from decimal import Decimal
from typing import Any

from bounded_contexts.decision.domain.events import TradeDecided
from bounded_contexts.execution.domain.events import (
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
)
from events.domain import DomainEvent
from events.effects import EventsToAppend
from events.envelope import EventEnvelope, event_id_for
from sagas.trade_lifecycle.saga import TradeLifecycleConfig, TradeLifecycleSaga

MINUTE = 60_000_000_000
D = Decimal


class _EmptyStore:
    """The saga's own store as a fresh run finds it (nothing to reload)."""

    def iter_all(self) -> list[EventEnvelope]:
        return []


def _envelope(context: str, position: int, aggregate: uuid.UUID, version: int, event: DomainEvent):
    return EventEnvelope(
        event_id=event_id_for(context, aggregate, version),
        event_type=type(event).__name__,
        schema_version=1,
        context=context,
        stream="s",
        aggregate_id=aggregate,
        aggregate_version=version,
        position=position,
        ts_event=position * MINUTE,
        ts_recorded=0,
        causation_id=None,
        correlation_id=uuid.UUID(int=position),
        actor="test",
        watermarks={},
        payload={},
        event=event,
    )


def _decision(position: int, instrument: str) -> EventEnvelope:
    book = uuid.uuid5(uuid.NAMESPACE_URL, instrument)
    decided = TradeDecided(
        instrument, position * MINUTE, "BUY", "BUY", D(10), D(10), D(100), 0.7, "m1", "s1", "a1", ""
    )
    return _envelope("decision", position, book, position, decided)


def _order_events(decision: EventEnvelope, fate: str, first_position: int) -> list[EventEnvelope]:
    order = uuid.uuid5(uuid.NAMESPACE_URL, str(decision.event_id))
    submitted = OrderSubmitted(
        order, "DEMO-001", decision.event.instrument_id, "BUY", "MARKET", D(10), None, "GTD",
        decision.ts_event + 5 * MINUTE, "STRATEGY", decision.event_id, "a1",
    )  # fmt: skip
    events: list[DomainEvent] = [submitted]
    if fate == "REJECTED":
        events.append(OrderRejected(order, "notional over the limit"))
    else:
        events.append(OrderAccepted(order))
        if fate in ("FILLED", "PARTLY_THEN_EXPIRED"):
            events.append(OrderFilled(order, 1, D(4), D(100), D(1), D(4), D(6), D(100)))
        if fate == "FILLED":
            events.append(OrderFilled(order, 2, D(6), D(101), D(1), D(10), D(0), D("100.6")))
        if fate in ("EXPIRED", "PARTLY_THEN_EXPIRED"):
            events.append(OrderCancelled(order, "expired unfilled (GTD)", D(6)))
    return [
        _envelope("execution", first_position + i, order, i + 1, event)
        for i, event in enumerate(events)
    ]


def _recorded(arrivals: list[EventEnvelope]) -> list[tuple[Any, ...]]:
    saga = TradeLifecycleSaga(_EmptyStore(), TradeLifecycleConfig(deadline_ns=5 * MINUTE))  # type: ignore[arg-type]
    facts = []
    for envelope in arrivals:
        uow = EventsToAppend()
        saga.handle(envelope.context, [envelope], uow)
        for pending, cause in uow.items:
            facts.append(
                (pending.aggregate_id, pending.aggregate_version, pending.event, cause.causation_id)
            )
    return sorted(facts, key=lambda fact: (str(fact[0]), fact[1]))


def _interleavings(decisions: list[EventEnvelope], executions: list[EventEnvelope]):
    """Every merge of the two streams (each kept in its own order) in which each order's
    first event comes after the decision behind it."""
    for slots in itertools.combinations(range(len(decisions) + len(executions)), len(decisions)):
        merged, d, e = [], iter(decisions), iter(executions)
        for i in range(len(decisions) + len(executions)):
            merged.append(next(d) if i in slots else next(e))
        seen: set[uuid.UUID] = set()
        valid = True
        for envelope in merged:
            if envelope.context == "decision":
                seen.add(envelope.event_id)
            elif (
                isinstance(envelope.event, OrderSubmitted)
                and envelope.event.decision_id not in seen
            ):
                valid = False
                break
        if valid:
            yield merged


def test_every_delivery_order_of_decisions_and_orders_records_the_same_lifecycles() -> None:
    assert TradeLifecycleSaga.upstreams == ("decision", "execution")  # no clock of its own
    decisions = [_decision(1, "SAP"), _decision(2, "SIE"), _decision(3, "SAP")]
    executions = (
        _order_events(decisions[0], "FILLED", 1)
        + _order_events(decisions[1], "EXPIRED", 5)
        + _order_events(decisions[2], "REJECTED", 8)
    )
    outcomes = {tuple(_recorded(merged)) for merged in _interleavings(decisions, executions)}
    assert len(outcomes) == 1
    (facts,) = outcomes
    completed = sorted(
        fact[2].outcome for fact in facts if type(fact[2]).__name__ == "TradeLifecycleCompleted"
    )
    assert completed == ["CANCELLED", "FILLED", "REJECTED"]
    assert not any(type(fact[2]).__name__ == "TradeLifecycleTimedOut" for fact in facts)


def test_a_partly_filled_order_that_expires_completes_cancelled_with_the_deadline_recorded() -> (
    None
):
    decision = _decision(1, "SAP")
    facts = _recorded([decision, *_order_events(decision, "PARTLY_THEN_EXPIRED", 1)])
    events = [fact[2] for fact in facts]
    assert [type(e).__name__ for e in events] == [
        "TradeLifecycleStarted",
        "TradeOrderPlaced",
        "TradeLifecycleCompleted",
    ]
    assert events[0].deadline_ts == decision.event.ts_end + 5 * MINUTE
    assert events[2].outcome == "CANCELLED"
