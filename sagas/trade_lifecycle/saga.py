"""The trade-lifecycle process manager: follows decisions and orders, and records each trade's
progress in the ``sagas`` store — started by a decision, working once its order is placed,
completed when the order is filled, rejected or cancelled.

The deadline of a trade is its order's GTD expiry, enforced by execution on the bar clock (an
expired order is cancelled there, and the lifecycle completes ``CANCELLED``). The saga used to
time trades out on a bar clock of its own, from the ingestion stream; whether a bar or the
order's fate reached it first then decided what it recorded, so two runs of the same input
could disagree. Following only decision and execution, each lifecycle's events come in one
causal order (an order's events carry their decision's position as a watermark), whatever the
broker delivers first. ``TradeLifecycleTimedOut`` stays readable for old logs.

Its state is its own event history, reloaded from the ``sagas`` store after a restart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from bounded_contexts.decision.domain.events import TradeDecided
from bounded_contexts.execution.domain.events import (
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
)
from events.effects import EventsToAppend
from events.envelope import Cause, EventEnvelope
from events.store import EventStore
from sagas.trade_lifecycle.events import TradeLifecycleStarted
from sagas.trade_lifecycle.lifecycle import TradeLifecycle

ACTOR = "saga:trade-lifecycle-v1"
MINUTE_NS = 60_000_000_000


@dataclass(frozen=True)
class TradeLifecycleConfig:
    """``deadline_ns`` after a decision's ``ts_end`` its trade is due: the strategy orders'
    GTD time to live (``ExecutionConfig.strategy_order_ttl_ns``), recorded with the start."""

    deadline_ns: int = 5 * MINUTE_NS


class TradeLifecycleSaga:
    name = "sagas.trade-lifecycle"
    upstreams = ("decision", "execution")

    def __init__(self, store: EventStore, config: TradeLifecycleConfig | None = None) -> None:
        self.store = store
        self.config = config or TradeLifecycleConfig()
        self.by_decision: dict[UUID, TradeLifecycle] = {}
        self.by_order: dict[UUID, TradeLifecycle] = {}
        self._ready = False

    def reset(self) -> None:
        self._ready = False

    def _reload(self) -> None:
        histories: dict[UUID, list[Any]] = {}
        for envelope in self.store.iter_all():
            histories.setdefault(envelope.aggregate_id, []).append(envelope.event)
        self.by_decision, self.by_order = {}, {}
        for aggregate_id, history in histories.items():
            if isinstance(history[0], TradeLifecycleStarted):
                self._index(TradeLifecycle.replay(aggregate_id, history))
        self._ready = True

    def _index(self, lifecycle: TradeLifecycle) -> None:
        assert lifecycle.decision_id is not None
        if lifecycle.completed:  # nothing more can happen to it: memory stays bounded
            self.by_decision.pop(lifecycle.decision_id, None)
            if lifecycle.order_id is not None:
                self.by_order.pop(lifecycle.order_id, None)
            return
        self.by_decision[lifecycle.decision_id] = lifecycle
        if lifecycle.order_id is not None:
            self.by_order[lifecycle.order_id] = lifecycle

    def handle(self, upstream: str, events: Sequence[EventEnvelope], uow: EventsToAppend) -> None:
        if not self._ready:
            self._reload()
        for envelope in events:
            event = envelope.event
            cause = Cause.following(envelope, actor=ACTOR)
            touched: TradeLifecycle | None = None
            match event:
                case TradeDecided() if event.action != "HOLD":
                    touched = TradeLifecycle.start(
                        envelope.event_id,
                        event.instrument_id,
                        event.ts_end,
                        event.ts_end + self.config.deadline_ns,
                    )
                case OrderSubmitted(decision_id=decision_id) if decision_id in self.by_decision:
                    touched = self.by_decision[decision_id]
                    touched.order_placed(event.order_id)
                case OrderRejected() if event.order_id in self.by_order:
                    touched = self.by_order[event.order_id]
                    touched.complete("REJECTED")
                case OrderFilled() if event.order_id in self.by_order:
                    if event.remaining_quantity == 0:
                        touched = self.by_order[event.order_id]
                        touched.complete("FILLED")
                case OrderCancelled() if event.order_id in self.by_order:
                    touched = self.by_order[event.order_id]
                    touched.complete("CANCELLED")
            if touched is not None:
                self._index(touched)
                uow.save(touched, cause)
