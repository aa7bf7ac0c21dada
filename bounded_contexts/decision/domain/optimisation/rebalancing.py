"""Turn target weights into lot-rounded orders, and evaluate proposed trades (what-if).

Money and quantities are ``Decimal`` so that order sizes are exact; weights are floats.

Rebalancing rules, per asset (``equity`` = total portfolio value, cash = ``equity - sum(q p)``):

1. target quantity ``q* = w* equity / p``; desired trade ``d = q* - q``;
2. the trade is rounded to whole lots *towards zero* (``floor(|d| / lot) lot``), so the position
   moves towards the target and never past it: a buy never over-buys, a sell never over-sells;
3. an asset whose target weight is zero (or that is absent from the targets) is closed in full,
   odd lot included -- leaving a sub-lot remnant would keep an unwanted position;
4. a trade whose value ``|d| p`` is below ``minimum_trade_value`` is dropped and reported;
5. unless ``allow_negative_cash``: if the resulting cash is negative (a dropped sell left an
   overweight position, or cash was already short) buys are trimmed lot by lot, largest first, until
   cash is non-negative; :class:`InsufficientCashError` when even no buys cannot achieve that.

The residual cash is reported. Orders list sells first (they fund the buys), then buys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from types import MappingProxyType

import numpy as np
from scipy.stats import norm

from .costs import TransactionCosts, resolve_costs
from .errors import InsufficientCashError, InvalidInputError
from .problem import MarketModel
from .validation import check_known_assets, finite_scalar

ZERO = Decimal(0)


@dataclass(frozen=True)
class Order:
    """Signed order: ``quantity > 0`` buys, ``quantity < 0`` sells, at reference ``price``."""

    asset_id: str
    quantity: Decimal
    price: Decimal

    @property
    def side(self) -> str:
        return "buy" if self.quantity > 0 else "sell"

    @property
    def notional(self) -> Decimal:
        """Absolute traded value ``|quantity| * price``."""
        return abs(self.quantity) * self.price


@dataclass(frozen=True)
class DroppedTrade:
    """A trade the plan did not place, with the reason."""

    asset_id: str
    quantity: Decimal
    notional: Decimal
    reason: str


@dataclass(frozen=True, eq=False)
class RebalancePlan:
    """Orders that move the book towards the targets, and where the book ends up."""

    orders: tuple[Order, ...]
    dropped: tuple[DroppedTrade, ...]
    resulting_positions: Mapping[str, Decimal]
    resulting_weights: Mapping[str, float]
    target_weights: Mapping[str, float]
    residual_cash: Decimal
    traded_value: Decimal


def _decimal(name: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidInputError(
            f"{name} must be a Decimal or int (exact), got {type(value).__name__} {value!r}"
        )
    number = Decimal(value)
    if not number.is_finite():
        raise InvalidInputError(f"{name} must be finite, got {number}")
    return number


def _positive_decimal(name: str, value: object) -> Decimal:
    number = _decimal(name, value)
    if number <= 0:
        raise InvalidInputError(f"{name} must be > 0, got {number}")
    return number


def _weight(name: str, value: object) -> Decimal:
    if isinstance(value, Decimal):
        return _decimal(name, value)
    number = finite_scalar(name, value)  # type: ignore[arg-type]
    try:
        return Decimal(repr(number))
    except InvalidOperation as exc:
        raise InvalidInputError(f"{name} is not a number: {value!r}") from exc


def _validated_book(
    current_positions: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    equity: Decimal,
    needed: Sequence[str],
) -> tuple[dict[str, Decimal], dict[str, Decimal], Decimal]:
    positions = {a: _decimal(f"current_positions[{a!r}]", q) for a, q in current_positions.items()}
    quoted = {a: _positive_decimal(f"prices[{a!r}]", p) for a, p in prices.items()}
    missing = sorted(set(needed) - quoted.keys())
    if missing:
        raise InvalidInputError(f"prices are missing for asset(s): {missing}")
    return positions, quoted, _positive_decimal("equity", equity)


def _lot_size(lot_sizes: Mapping[str, Decimal] | Decimal | int, asset_id: str) -> Decimal:
    if isinstance(lot_sizes, Mapping):
        return _positive_decimal(f"lot_sizes[{asset_id!r}]", lot_sizes.get(asset_id, Decimal(1)))
    return _positive_decimal("lot_sizes", lot_sizes)


def plan_rebalance(
    target_weights: Mapping[str, float | Decimal],
    current_positions: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    equity: Decimal,
    *,
    lot_sizes: Mapping[str, Decimal] | Decimal | int = 1,
    minimum_trade_value: Decimal | int = 0,
    allow_negative_cash: bool = False,
) -> RebalancePlan:
    """Orders that move ``current_positions`` towards ``target_weights`` (module docstring)."""
    targets = {a: _weight(f"target_weights[{a!r}]", w) for a, w in target_weights.items()}
    universe = sorted(set(targets) | set(current_positions))
    positions, quoted, total_equity = _validated_book(current_positions, prices, equity, universe)
    if isinstance(lot_sizes, Mapping):
        check_known_assets("lot_sizes", lot_sizes.keys(), universe)
    minimum = _decimal("minimum_trade_value", minimum_trade_value)
    if minimum < 0:
        raise InvalidInputError(f"minimum_trade_value must be >= 0, got {minimum}")

    cash = total_equity - sum((positions.get(a, ZERO) * quoted[a] for a in universe), ZERO)
    trades: dict[str, Decimal] = {}
    dropped: list[DroppedTrade] = []
    for asset_id in universe:
        held = positions.get(asset_id, ZERO)
        price = quoted[asset_id]
        weight = targets.get(asset_id, ZERO)
        lot = _lot_size(lot_sizes, asset_id)
        if weight == 0:
            trade = -held
        else:
            desired = weight * total_equity / price - held
            lots = (abs(desired) / lot).to_integral_value(rounding=ROUND_FLOOR)
            trade = (lots * lot).copy_sign(desired) if lots else ZERO
        if trade == 0:
            continue
        if abs(trade) * price < minimum:
            dropped.append(
                DroppedTrade(asset_id, trade, abs(trade) * price, "below minimum trade value")
            )
            continue
        trades[asset_id] = trade

    residual = cash - sum((trade * quoted[a] for a, trade in trades.items()), ZERO)
    if residual < 0 and not allow_negative_cash:
        buys = sorted(
            (a for a, trade in trades.items() if trade > 0),
            key=lambda a: (-(trades[a] * quoted[a]), a),
        )
        for asset_id in buys:
            if residual >= 0:
                break
            price, lot = quoted[asset_id], _lot_size(lot_sizes, asset_id)
            lots_needed = (-residual / (lot * price)).to_integral_value(rounding=ROUND_CEILING)
            cut = min(lots_needed * lot, trades[asset_id])
            if trades[asset_id] - cut != 0 and (trades[asset_id] - cut) * price < minimum:
                cut = trades[asset_id]
            trades[asset_id] -= cut
            if trades[asset_id] == 0:
                del trades[asset_id]
            residual += cut * price
            dropped.append(DroppedTrade(asset_id, cut, cut * price, "trimmed for lack of cash"))
        if residual < 0:
            raise InsufficientCashError(
                f"cash would end at {residual} even without any buys; sell more or pass "
                "allow_negative_cash=True"
            )

    orders = sorted(
        (Order(a, trade, quoted[a]) for a, trade in trades.items()),
        key=lambda order: (order.quantity > 0, order.asset_id),
    )
    resulting = {a: positions.get(a, ZERO) + trades.get(a, ZERO) for a in universe}
    resulting = {a: q for a, q in resulting.items() if q != 0}
    return RebalancePlan(
        orders=tuple(orders),
        dropped=tuple(dropped),
        resulting_positions=MappingProxyType(resulting),
        resulting_weights=MappingProxyType(
            {a: float(q * quoted[a] / total_equity) for a, q in resulting.items()}
        ),
        target_weights=MappingProxyType({a: float(w) for a, w in targets.items()}),
        residual_cash=residual,
        traded_value=sum((order.notional for order in orders), ZERO),
    )


@dataclass(frozen=True, eq=False)
class WhatIfResult:
    """Weights, risk and cost before and after a proposed set of trades.

    Weights are fractions of equity (after costs for ``weights_after``); volatilities and VaR are
    per period of the model, VaR as a positive loss fraction (``None`` when not requested).
    """

    weights_before: Mapping[str, float]
    weights_after: Mapping[str, float]
    volatility_before: float
    volatility_after: float
    value_at_risk_before: float | None
    value_at_risk_after: float | None
    turnover: float
    transaction_cost: Decimal
    cash_after: Decimal


def _trade_cost(
    costs: TransactionCosts | None,
    asset_ids: Sequence[str],
    trades: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    equity: Decimal,
) -> Decimal:
    """``equity * sum(c |d| + k d^2)`` with ``d = trade * price / equity``, in Decimal."""
    if costs is None:
        return ZERO
    resolved = resolve_costs(costs, asset_ids)
    index = {asset_id: i for i, asset_id in enumerate(asset_ids)}
    total = ZERO
    for asset_id, quantity in trades.items():
        change = quantity * prices[asset_id] / equity
        linear = Decimal(repr(float(resolved.linear[index[asset_id]])))
        quadratic = Decimal(repr(float(resolved.quadratic[index[asset_id]])))
        total += linear * abs(change) + quadratic * change * change
    return total * equity


def _nonzero_weights(asset_ids: Sequence[str], weights: np.ndarray) -> Mapping[str, float]:
    return MappingProxyType(
        {a: float(w) for a, w in zip(asset_ids, weights, strict=True) if w != 0.0}
    )


def parametric_value_at_risk(expected_return: float, volatility: float, confidence: float) -> float:
    """Gaussian VaR as a positive loss fraction: ``z_alpha * sigma - mu``."""
    alpha = finite_scalar("confidence", confidence)
    if not 0.0 < alpha < 1.0:
        raise InvalidInputError(f"confidence must lie strictly between 0 and 1, got {alpha}")
    sigma = finite_scalar("volatility", volatility)
    if sigma < 0.0:
        raise InvalidInputError(f"volatility must be >= 0, got {sigma}")
    return float(norm.ppf(alpha)) * sigma - finite_scalar("expected_return", expected_return)


def what_if(
    trades: Mapping[str, Decimal],
    current_positions: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    equity: Decimal,
    model: MarketModel,
    *,
    costs: TransactionCosts | None = None,
    var_confidence: float | None = None,
) -> WhatIfResult:
    """Evaluate ``trades`` (signed quantities) against the book and ``model``'s risk.

    Every asset held or traded must be in ``model`` (its risk would be unknown otherwise). The cost
    uses the optimiser's model on the weight change ``d = trade * price / equity``:
    ``equity * (sum c |d| + sum k d^2)``.
    """
    if not isinstance(model, MarketModel):
        raise InvalidInputError(f"model must be a MarketModel, got {type(model).__name__}")
    check_known_assets("current_positions", current_positions.keys(), model.asset_ids)
    check_known_assets("trades", trades.keys(), model.asset_ids)
    involved = sorted(set(trades) | set(current_positions))
    positions, quoted, total_equity = _validated_book(current_positions, prices, equity, involved)
    signed = {a: _decimal(f"trades[{a!r}]", q) for a, q in trades.items()}
    if var_confidence is not None:
        finite_scalar("var_confidence", var_confidence)

    n = model.size
    before = np.zeros(n)
    change = np.zeros(n)
    for asset_id in involved:
        i = model.index_of(asset_id)
        before[i] = float(positions.get(asset_id, ZERO) * quoted[asset_id] / total_equity)
        change[i] = float(signed.get(asset_id, ZERO) * quoted[asset_id] / total_equity)
    cost = _trade_cost(costs, model.asset_ids, signed, quoted, total_equity)
    equity_after = total_equity - cost
    if equity_after <= 0:
        raise InvalidInputError(f"transaction costs {cost} would exhaust the equity {total_equity}")
    after = (before + change) * float(total_equity / equity_after)
    vol_before, vol_after = model.volatility(before), model.volatility(after)
    var_before = var_after = None
    if var_confidence is not None:
        var_before = parametric_value_at_risk(
            float(model.expected_returns @ before), vol_before, var_confidence
        )
        var_after = parametric_value_at_risk(
            float(model.expected_returns @ after), vol_after, var_confidence
        )
    held_value = sum((positions.get(a, ZERO) * quoted[a] for a in involved), ZERO)
    traded_value = sum((signed[a] * quoted[a] for a in signed), ZERO)
    cash_after = total_equity - held_value - traded_value - cost
    return WhatIfResult(
        weights_before=_nonzero_weights(model.asset_ids, before),
        weights_after=_nonzero_weights(model.asset_ids, after),
        volatility_before=vol_before,
        volatility_after=vol_after,
        value_at_risk_before=var_before,
        value_at_risk_after=var_after,
        turnover=float(np.abs(change).sum()),
        transaction_cost=cost,
        cash_after=cash_after,
    )
