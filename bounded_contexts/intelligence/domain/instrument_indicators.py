"""The indicator state of one instrument, as an aggregate: each closed bar updates the bank
and records the values."""

from __future__ import annotations

import math
import uuid
from decimal import Decimal

from bounded_contexts.intelligence.domain.events import IndicatorsUpdated
from bounded_contexts.intelligence.domain.indicators.bank import IndicatorBank, IndicatorBankConfig
from events.domain import Aggregate, DomainEvent

NAMESPACE = uuid.UUID("2f3c1d6a-7a4e-4c55-8f0e-3b9f5d1c2a77")


class InstrumentIndicators(Aggregate):
    def __init__(self, instrument_id: str, config: IndicatorBankConfig) -> None:
        super().__init__(uuid.uuid5(NAMESPACE, instrument_id))
        self.instrument_id = instrument_id
        self.bank = IndicatorBank(config)

    def bar_closed(
        self,
        *,
        ts_end: int,
        open: Decimal,
        high: Decimal,
        low: Decimal,
        close: Decimal,
        volume: Decimal,
        session: str,
    ) -> None:
        values = self.bank.update(
            float(open), float(high), float(low), float(close), float(volume), session=session
        )
        clean = {
            k: (None if v is None or not math.isfinite(v) else float(v)) for k, v in values.items()
        }
        self._record(IndicatorsUpdated(self.instrument_id, ts_end, close, clean))

    def apply(self, event: DomainEvent) -> None:
        if not isinstance(event, IndicatorsUpdated):
            super().apply(event)
