"""The trade lifecycle of one decision, as an aggregate.

started ──order placed──> working ──filled/rejected/cancelled──> completed

The deadline is the order's GTD expiry, enforced by execution (an expired order is cancelled).
Logs written before that may hold ``TradeLifecycleTimedOut`` (the saga's own bar-clock timeout,
removed because its outcome depended on delivery order): it is still applied on replay.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from events.domain import Aggregate, DomainEvent
from sagas.trade_lifecycle.events import (
    TradeLifecycleCompleted,
    TradeLifecycleStarted,
    TradeLifecycleTimedOut,
    TradeOrderPlaced,
)

NAMESPACE = uuid.UUID("e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a8b")


def lifecycle_id(decision_id: UUID) -> UUID:
    return uuid.uuid5(NAMESPACE, str(decision_id))


class TradeLifecycle(Aggregate):
    def _init_state(self) -> None:
        self.decision_id: UUID | None = None
        self.instrument_id = ""
        self.deadline_ts = 0
        self.order_id: UUID | None = None
        self.completed = False
        self.timed_out = False

    @classmethod
    def start(
        cls, decision_id: UUID, instrument_id: str, ts_decided: int, deadline_ts: int
    ) -> TradeLifecycle:
        lifecycle = cls(lifecycle_id(decision_id))
        lifecycle._init_state()
        lifecycle._record(
            TradeLifecycleStarted(decision_id, instrument_id, ts_decided, deadline_ts)
        )
        return lifecycle

    def order_placed(self, order_id: UUID) -> None:
        if self.order_id is None:
            self._record(TradeOrderPlaced(order_id))

    def complete(self, outcome: str) -> None:
        if not self.completed and self.order_id is not None:
            self._record(TradeLifecycleCompleted(self.order_id, outcome))  # type: ignore[arg-type]

    def apply(self, event: DomainEvent) -> None:
        match event:
            case TradeLifecycleStarted():
                self.decision_id = event.decision_id
                self.instrument_id = event.instrument_id
                self.deadline_ts = event.deadline_ts
            case TradeOrderPlaced():
                self.order_id = event.order_id
            case TradeLifecycleCompleted():
                self.completed = True
            case TradeLifecycleTimedOut():
                self.timed_out = True
            case _:
                super().apply(event)
