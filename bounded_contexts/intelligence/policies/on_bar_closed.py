"""ingestion.BarClosed -> update the instrument's streaming indicators."""

from __future__ import annotations

from collections.abc import Sequence

from bounded_contexts.ingestion.domain.events import BarClosed
from bounded_contexts.intelligence.domain.indicators.bank import IndicatorBankConfig
from bounded_contexts.intelligence.domain.instrument_indicators import InstrumentIndicators
from events.effects import Effects, EventsToAppend
from events.envelope import Cause, EventEnvelope
from events.policy import ReplayingPolicy
from events.store import EventStore

ACTOR = "algo:qv-indicators-v1"


class OnBarClosed(ReplayingPolicy):
    name = "intelligence.indicators"
    upstreams = ("ingestion",)

    def __init__(
        self,
        stores: dict[str, EventStore],
        effects: Effects,
        config: IndicatorBankConfig | None = None,
    ) -> None:
        super().__init__(stores, effects)
        # 1-minute bars, 510 a session: volatilities come out annualised.
        self.config = config or IndicatorBankConfig(periods_per_year=252 * 510)
        self.instruments: dict[str, InstrumentIndicators] = {}

    def clear(self) -> None:
        self.instruments = {}

    def apply(self, upstream: str, events: Sequence[EventEnvelope], uow: EventsToAppend) -> None:
        for envelope in events:
            bar = envelope.event
            if not isinstance(bar, BarClosed):
                continue
            state = self.instruments.get(bar.instrument_id)
            if state is None:
                state = self.instruments[bar.instrument_id] = InstrumentIndicators(
                    bar.instrument_id, self.config
                )
            state.bar_closed(
                ts_end=bar.ts_end,
                open=bar.open,
                high=bar.high,
                low=bar.low,
                close=bar.close,
                volume=bar.volume,
                session=bar.session,
            )
            uow.save(state, Cause.following(envelope, actor=ACTOR))
