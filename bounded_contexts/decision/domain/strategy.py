"""A directional strategy: trade toward a volatility-targeted position when the model is
confident, stay put when it is not, and be flat before the session closes.

The strategy's book holds the *target* position it has asked for; execution reports what was
actually filled. Sizing is the volatility-targeting rule, capped by the pre-trade limits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bounded_contexts.decision.domain.events import TradeDecided
from bounded_contexts.decision.domain.sizing import SizingLimits, volatility_target_quantity
from events.domain import Aggregate, DomainEvent

NAMESPACE = uuid.UUID("c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f")


def _default_limits() -> SizingLimits:
    return SizingLimits(
        max_order_notional=Decimal(50_000),
        max_position_notional=Decimal(100_000),
        max_gross_exposure=Decimal(1_000_000),
        lot_size=Decimal(1),
        min_order_quantity=Decimal(1),
    )


@dataclass(frozen=True)
class StrategyConfig:
    """Parameters of the directional strategy (documented defaults)."""

    strategy_id: str = "qv-directional-v1"
    buy_threshold: float = 0.55
    sell_threshold: float = 0.45
    allow_short: bool = False
    capital_per_instrument: Decimal = Decimal(100_000)
    target_volatility: float = 0.10
    fallback_volatility: float = 0.30  # used when the prediction carries no estimate yet
    min_rebalance_fraction: Decimal = Decimal("0.2")  # ignore changes under 20 % of target
    session_close_utc: tuple[int, int] = (16, 30)
    flatten_minutes_before_close: int = 5
    #: the share of the volatility-targeted size taken while the market is in its most
    #: turbulent regime (the intelligence context's hidden Markov reading): 1 ignores regimes
    turbulent_size_factor: Decimal = Decimal("0.5")
    limits: SizingLimits = field(default_factory=_default_limits)

    def __post_init__(self) -> None:
        if not 0 <= self.sell_threshold < self.buy_threshold <= 1:
            raise ValueError("thresholds must satisfy 0 <= sell < buy <= 1")
        if not 0 <= self.turbulent_size_factor <= 1:
            raise ValueError(
                f"turbulent_size_factor must be in [0, 1], got {self.turbulent_size_factor}"
            )


class StrategyBook(Aggregate):
    def __init__(self, instrument_id: str, config: StrategyConfig) -> None:
        super().__init__(uuid.uuid5(NAMESPACE, f"{config.strategy_id}/{instrument_id}"))
        self.instrument_id, self.config = instrument_id, config
        self.target = Decimal(0)

    def decide(
        self,
        *,
        ts_end: int,
        probability_up: float,
        price: Decimal,
        annualised_volatility: float | None,
        model_version: str,
        regime_level: float | None = None,
    ) -> None:
        """Decide the target position after one prediction. ``regime_level`` is the market
        regime in force (0 calmest .. 1 most turbulent; None while unknown): at 1 a new
        target is scaled by ``turbulent_size_factor``."""
        c = self.config
        turbulent = regime_level is not None and regime_level >= 1.0
        scale = c.turbulent_size_factor if turbulent else Decimal(1)
        note = f"; turbulent regime, size x {scale}" if turbulent and scale != 1 else ""
        if self._in_flatten_window(ts_end):
            target, reason = Decimal(0), "flat before the session close"
        elif probability_up >= c.buy_threshold:
            target = self._size(price, annualised_volatility, scale)
            reason = "model confident of a rise" + note
        elif probability_up <= c.sell_threshold:
            target = (
                -self._size(price, annualised_volatility, scale) if c.allow_short else Decimal(0)
            )
            reason = "model confident of a fall" + (note if c.allow_short else "")
        else:
            target, reason = self.target, "model not confident"
        delta = target - self.target
        if delta != 0 and target != 0 and abs(delta) < abs(target) * c.min_rebalance_fraction:
            delta, reason = Decimal(0), f"{reason}; change below the rebalance threshold"
        if delta == 0:
            action, side = "HOLD", None
        elif target == 0:
            action, side = "CLOSE", ("SELL" if delta < 0 else "BUY")
        else:
            action = side = "BUY" if delta > 0 else "SELL"
        self._record(
            TradeDecided(
                self.instrument_id,
                ts_end,
                action,  # type: ignore[arg-type]
                side,  # type: ignore[arg-type]
                abs(delta),
                self.target + delta,
                price,
                probability_up,
                model_version,
                c.strategy_id,
                f"{c.strategy_id}/{model_version}",
                reason,
            )
        )

    def _size(self, price: Decimal, volatility: float | None, scale: Decimal) -> Decimal:
        if scale == 0:
            return Decimal(0)
        return volatility_target_quantity(
            equity=self.config.capital_per_instrument * scale,
            price=price,
            annualised_volatility=volatility or self.config.fallback_volatility,
            target_volatility=self.config.target_volatility,
            limits=self.config.limits,
        ).quantity

    def _in_flatten_window(self, ts_end: int) -> bool:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ts_end // 1_000)
        close_h, close_m = self.config.session_close_utc
        minutes_to_close = (close_h * 60 + close_m) - (moment.hour * 60 + moment.minute)
        return minutes_to_close <= self.config.flatten_minutes_before_close

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, TradeDecided):
            self.target = event.target_position
        else:
            super().apply(event)
