"""Events of the decision context (stream ``decisions``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from events.domain import DomainEvent

Action = Literal["BUY", "SELL", "HOLD", "CLOSE"]


@dataclass(frozen=True)
class TradeDecided(DomainEvent):
    """A strategy decided what to do about one instrument after a prediction.

    Every decision is recorded, HOLD included: the audit trail shows why nothing was done as
    well as why something was. ``algo_id`` (strategy and model version) is the MiFID II
    investment-decision identifier (RTS 22 field 57). ``quantity`` is unsigned; ``side`` says
    which way (None for HOLD)."""

    CONTEXT = "decision"
    STREAM = "decisions"

    instrument_id: str
    ts_end: int
    action: Action
    side: Literal["BUY", "SELL"] | None
    quantity: Decimal
    target_position: Decimal
    reference_price: Decimal
    probability_up: float
    model_version: str
    strategy_id: str
    algo_id: str
    reason: str
