"""Events of the intelligence context (stream ``indicators``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from events.domain import DomainEvent


@dataclass(frozen=True)
class IndicatorsUpdated(DomainEvent):
    """Every streaming indicator of one instrument after a bar closed (None while warming up).

    The values equal a batch computation over the same bars (tested)."""

    CONTEXT = "intelligence"
    STREAM = "indicators"

    instrument_id: str
    ts_end: int
    close: Decimal
    values: dict[str, float | None]
