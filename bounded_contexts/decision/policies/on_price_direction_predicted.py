"""prediction.PriceDirectionPredicted -> the strategy decides (buy/sell/hold/close)."""

from __future__ import annotations

from collections.abc import Sequence

from bounded_contexts.decision.domain.strategy import StrategyBook, StrategyConfig
from bounded_contexts.prediction.domain.events import PriceDirectionPredicted
from events.effects import Effects, EventsToAppend
from events.envelope import Cause, EventEnvelope
from events.policy import ReplayingPolicy
from events.store import EventStore


class OnPriceDirectionPredicted(ReplayingPolicy):
    name = "decision.strategy"
    upstreams = ("prediction",)

    def __init__(
        self, stores: dict[str, EventStore], effects: Effects, config: StrategyConfig | None = None
    ) -> None:
        super().__init__(stores, effects)
        self.config = config or StrategyConfig()
        self.books: dict[str, StrategyBook] = {}

    def clear(self) -> None:
        self.books = {}

    def apply(self, upstream: str, events: Sequence[EventEnvelope], uow: EventsToAppend) -> None:
        for envelope in events:
            prediction = envelope.event
            if not isinstance(prediction, PriceDirectionPredicted):
                continue
            book = self.books.get(prediction.instrument_id)
            if book is None:
                book = self.books[prediction.instrument_id] = StrategyBook(
                    prediction.instrument_id, self.config
                )
            book.decide(
                ts_end=prediction.ts_end,
                probability_up=prediction.probability_up,
                price=prediction.reference_price,
                annualised_volatility=prediction.annualised_volatility,
                model_version=prediction.model_id,
                regime_level=prediction.regime_level,
            )
            actor = f"algo:{self.config.strategy_id}/{prediction.model_id}"
            uow.save(book, Cause.following(envelope, actor=actor))
