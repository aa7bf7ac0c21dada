"""Events of the firm's run-time controls (RTS 6), recorded in the execution store beside the
orders they govern (stream ``orders``), so that one log shows an order and the control that
refused or cancelled it, in the order they happened. Who acted is each event's actor
(``person:<subject>``); why is its ``reason``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bounded_contexts.execution.domain.events import _ExecutionEvent


@dataclass(frozen=True)
class KillSwitchEngaged(_ExecutionEvent):
    """The kill switch of ``scope`` (``firm`` or ``<kind>:<value>``, see ``ControlScope``) was
    engaged (RTS 6 Art. 12): every working order in the scope is cancelled in the same append
    (``orders_cancelled`` of them, each with its own ``OrderCancelled`` naming the switch),
    and every new order in the scope is rejected until the switch is released."""

    scope: str
    reason: str
    orders_cancelled: int


@dataclass(frozen=True)
class KillSwitchReleased(_ExecutionEvent):
    """The kill switch of ``scope`` was lifted: orders in the scope are accepted again (if no
    other engaged switch covers them). Orders it cancelled stay cancelled."""

    scope: str
    reason: str


@dataclass(frozen=True)
class Limits:
    """Pre-trade limits of one scope (RTS 6 Art. 15); ``null`` is "no limit at this scope".

    - ``max_order_quantity``: the maximum order volume, in units;
    - ``max_order_notional``: the maximum order value (quantity × limit or reference price);
    - ``max_position_notional``: the largest absolute position per instrument after the order,
      valued at that price;
    - ``price_collar_pct``: how far a limit price may stray from the reference price (the last
      trade), in percent of the reference;
    - ``max_messages_per_second``: submits and cancels sent in any one second (counted as they
      are sent, on the commands' clock);
    - ``max_executions_per_minute``: the repeated-execution throttle — executions (fills) of
      the scope's orders in any 60 s of the venue's clock; the fill beyond it engages the
      scope's kill switch (actor ``system:execution-throttle``), which only a person releases
      (for a strategy scope: the algorithm is disabled until a person re-enables it);
    - ``rolling_collar_pct`` over ``rolling_collar_window_s``: the price collar over a period
      (Art. 15(1)(a)): an order's price (its limit, or the reference price of a market order)
      may stray at most this far, in percent, from the market price at the start of the last
      ``rolling_collar_window_s`` seconds (the open of the first bar in that window) — so an
      algorithm chasing a market that ran away is stopped even though each order sits close
      to the last trade. Set both or neither."""

    max_order_quantity: Decimal | None = None
    max_order_notional: Decimal | None = None
    max_position_notional: Decimal | None = None
    price_collar_pct: Decimal | None = None
    max_messages_per_second: int | None = None
    max_executions_per_minute: int | None = None
    rolling_collar_pct: Decimal | None = None
    rolling_collar_window_s: int | None = None


@dataclass(frozen=True)
class RiskLimitsSet(_ExecutionEvent):
    """The pre-trade limits of ``scope`` are ``limits`` from now on (they replace what the
    scope had; an order must pass the limits of every scope it falls under: the firm, its
    account, strategy, trader, instrument and venue). Until the firm scope is first set, the
    firm's limits are the defaults (``ExecutionConfig.limits``).

    Version 2 adds the rolling collar to ``limits``; version-1 limits are upcast without one
    (both ``null``), which is what they were."""

    SCHEMA_VERSION = 2

    scope: str
    limits: Limits
    reason: str


def _risk_limits_set_v1_to_v2(payload: dict) -> dict:  # type: ignore[type-arg]
    limits = {**payload["limits"], "rolling_collar_pct": None, "rolling_collar_window_s": None}
    return {**payload, "limits": limits}


RiskLimitsSet.UPCASTERS = {1: _risk_limits_set_v1_to_v2}


@dataclass(frozen=True)
class TradingHalted(_ExecutionEvent):
    """Trading in ``instrument_id`` is halted at the simulated venue (as a venue's market
    operations would on a news event or a volatility break): working orders stay in the book
    but nothing fills, and new orders are rejected (``trading_halted``), until
    ``TradingResumed``. Expiries still happen on the bar clock. Who halted it is the actor."""

    instrument_id: str
    reason: str


@dataclass(frozen=True)
class TradingResumed(_ExecutionEvent):
    """Trading in ``instrument_id`` resumes: working orders fill again from the next bar."""

    instrument_id: str
    reason: str
