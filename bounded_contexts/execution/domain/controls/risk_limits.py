"""The pre-trade limits of one scope, set at run time by a person (RTS 6 Art. 15: limits are
the firm's to set, and every change must be traceable to who made it and why)."""

from __future__ import annotations

from decimal import Decimal

from bounded_contexts.execution.domain.controls.events import Limits, RiskLimitsSet
from bounded_contexts.execution.domain.controls.kill_switch import checked_reason
from bounded_contexts.execution.domain.controls.scope import ControlScope
from bounded_contexts.execution.domain.errors import InvalidControl
from events.domain import Aggregate, DomainEvent

MAX_LIMIT = Decimal("1e15")
MAX_ROLLING_WINDOW_S = 86_400
"""The longest rolling-collar window: the execution service keeps a day of prices for it."""


def checked_limits(limits: Limits) -> Limits:
    """Every limit given must be a positive, finite number (a collar at most 100 %, a message
    rate at least 1/s); a limit of 0 would be a kill switch in disguise — use the switch."""
    for name in ("max_order_quantity", "max_order_notional", "max_position_notional"):
        value = getattr(limits, name)
        if value is not None and (not value.is_finite() or not 0 < value <= MAX_LIMIT):
            raise InvalidControl(
                f"{name} must be a number above 0 and at most {MAX_LIMIT:E}, got {value}",
                field=name,
            )
    collar = limits.price_collar_pct
    if collar is not None and (not collar.is_finite() or not 0 < collar <= 100):
        raise InvalidControl(
            f"price_collar_pct must be above 0 and at most 100, got {collar}",
            field="price_collar_pct",
        )
    for name in ("max_messages_per_second", "max_executions_per_minute"):
        rate = getattr(limits, name)
        if rate is not None and not 1 <= rate <= 1_000_000:
            raise InvalidControl(f"{name} must be between 1 and 1000000, got {rate}", field=name)
    rolling, window = limits.rolling_collar_pct, limits.rolling_collar_window_s
    if (rolling is None) != (window is None):
        missing = "rolling_collar_window_s" if window is None else "rolling_collar_pct"
        raise InvalidControl(
            "the rolling collar needs both rolling_collar_pct and rolling_collar_window_s",
            field=missing,
        )
    if rolling is not None and (not rolling.is_finite() or not 0 < rolling <= 100):
        raise InvalidControl(
            f"rolling_collar_pct must be above 0 and at most 100, got {rolling}",
            field="rolling_collar_pct",
        )
    if window is not None and not 1 <= window <= MAX_ROLLING_WINDOW_S:
        raise InvalidControl(
            f"rolling_collar_window_s must be between 1 and {MAX_ROLLING_WINDOW_S} (a day), "
            f"got {window}",
            field="rolling_collar_window_s",
        )
    return limits


class RiskLimits(Aggregate):
    def _init_state(self) -> None:
        self.scope = ""
        self.limits = Limits()
        self.reason = ""

    @classmethod
    def for_scope(cls, scope: ControlScope) -> RiskLimits:
        """A scope whose limits were never set (not stored until they first are)."""
        limits = cls(scope.aggregate_id("risk-limits"))
        limits._init_state()
        limits.scope = str(scope)
        return limits

    def set(self, limits: Limits, reason: str) -> None:
        """Replace this scope's limits. Setting what is already set is refused: the log
        records changes, not repetitions."""
        reason = checked_reason(reason)
        limits = checked_limits(limits)
        if self.version > 0 and limits == self.limits:
            raise InvalidControl(f"the limits of {self.scope} are already {limits}")
        self._record(RiskLimitsSet(self.scope, limits, reason))

    def apply(self, event: DomainEvent) -> None:
        match event:
            case RiskLimitsSet():
                self.scope, self.limits, self.reason = event.scope, event.limits, event.reason
            case _:
                super().apply(event)
