"""ingestion.BarClosed -> the instrument's streaming indicators, and on schedule the market's
clusters and regime.

Both are written by this one policy so that their order in the intelligence log is a function
of the bars alone: a regime reading stamped at bar end T is appended before the indicators of
the first bar after T, in every run, so the features that read it are the same after a replay
or a kill and restart.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bounded_contexts.ingestion.domain.events import BarClosed
from bounded_contexts.intelligence.domain.indicators.bank import IndicatorBankConfig
from bounded_contexts.intelligence.domain.instrument_indicators import InstrumentIndicators
from bounded_contexts.intelligence.domain.market_structure import (
    MarketFact,
    MarketStructure,
    MarketStructureConfig,
)
from events.effects import Effects, EventsToAppend
from events.envelope import Cause, EventEnvelope
from events.policy import ReplayingPolicy
from events.store import EventStore

ACTOR = "algo:qv-indicators-v1"
STRUCTURE_ACTOR = "algo:qv-market-structure-v1"
log = logging.getLogger(__name__)


class OnBarClosed(ReplayingPolicy):
    name = "intelligence.indicators"
    upstreams = ("ingestion",)

    def __init__(
        self,
        stores: dict[str, EventStore],
        effects: Effects,
        config: IndicatorBankConfig | None = None,
        structure: MarketStructureConfig | None = None,
    ) -> None:
        super().__init__(stores, effects)
        # 1-minute bars, 510 a session: volatilities come out annualised.
        self.config = config or IndicatorBankConfig(periods_per_year=252 * 510)
        self.structure_config = structure or MarketStructureConfig()
        self.clear()

    def clear(self) -> None:
        self.instruments: dict[str, InstrumentIndicators] = {}
        self.structure = MarketStructure(self.structure_config)

    def apply(self, upstream: str, events: Sequence[EventEnvelope], uow: EventsToAppend) -> None:
        for envelope in events:
            bar = envelope.event
            if not isinstance(bar, BarClosed):
                continue
            cause = Cause.following(envelope, actor=ACTOR)
            self._structure(bar, envelope, uow)
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
            uow.save(state, cause)

    def _structure(self, bar: BarClosed, envelope: EventEnvelope, uow: EventsToAppend) -> None:
        structure = self.structure
        readings = structure.bar_closed(
            bar.instrument_id, bar.ts_end, float(bar.close), bar.session
        )
        if structure.last_skipped and not self.rebuilding:
            log.info("market structure before %s: %s", bar.ts_end, structure.last_skipped)
        structure.last_skipped = None
        for reading in readings:
            uow.save(MarketFact.of(reading), Cause.following(envelope, actor=STRUCTURE_ACTOR))
