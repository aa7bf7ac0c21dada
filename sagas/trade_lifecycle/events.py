"""Events of the trade-lifecycle saga (store ``sagas``, stream ``trade-lifecycle``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from events.domain import DomainEvent


@dataclass(frozen=True)
class _SagaEvent(DomainEvent):
    CONTEXT = "sagas"
    STREAM = "trade-lifecycle"


@dataclass(frozen=True)
class TradeLifecycleStarted(_SagaEvent):
    """A non-HOLD decision started a trade; it must fill before ``deadline_ts``."""

    decision_id: UUID
    instrument_id: str
    ts_decided: int
    deadline_ts: int


@dataclass(frozen=True)
class TradeOrderPlaced(_SagaEvent):
    """Execution received the order behind the decision; the lifecycle now follows it."""

    order_id: UUID


@dataclass(frozen=True)
class TradeLifecycleCompleted(_SagaEvent):
    """The trade ended: filled into the position, rejected by controls, or cancelled."""

    order_id: UUID
    outcome: Literal["FILLED", "REJECTED", "CANCELLED"]


@dataclass(frozen=True)
class TradeLifecycleTimedOut(_SagaEvent):
    """No fill by the deadline: execution is asked to cancel what remains of the order.

    No longer recorded (the order's GTD expiry is the deadline; see ``saga.py``); kept so that
    logs holding it stay readable and replay as they did."""

    order_id: UUID
    deadline_ts: int
