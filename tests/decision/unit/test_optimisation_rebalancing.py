"""Rebalancing into lot-rounded orders, and what-if evaluation of proposed trades."""

from __future__ import annotations

import math
from decimal import Decimal as D

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounded_contexts.decision.domain.optimisation import (
    InsufficientCashError,
    InvalidInputError,
    MarketModel,
    TransactionCosts,
    UnknownAssetError,
    parametric_value_at_risk,
    plan_rebalance,
    what_if,
)

PRICES = {"A": D("10.50"), "B": D("33.30"), "C": D("7.00"), "D": D("12.00")}


def test_orders_are_rounded_to_lots_towards_the_target() -> None:
    plan = plan_rebalance(
        {"A": 0.5, "B": 0.3, "C": 0.2},
        {"A": D(100)},
        PRICES,
        D(5000),
        lot_sizes={"B": D(10)},
    )
    orders = {order.asset_id: order for order in plan.orders}
    # A: 2500 / 10.5 = 238.09 -> buy 138; B: 1500 / 33.3 = 45.04 -> 40 (lots of 10);
    # C: 1000 / 7 = 142.86 -> 142.
    assert orders["A"].quantity == D(138)
    assert orders["B"].quantity == D(40)
    assert orders["C"].quantity == D(142)
    assert plan.residual_cash == D(5000) - D(238) * D("10.50") - D(40) * D("33.30") - D(142) * 7
    assert plan.resulting_weights["B"] == pytest.approx(40 * 33.3 / 5000)


def test_sells_are_rounded_towards_the_target_too() -> None:
    plan = plan_rebalance({"A": 0.2}, {"A": D(400)}, PRICES, D(5000), lot_sizes=D(25))
    # Target 95.24 shares: desired sell 304.76 -> 300 (12 lots); never below the target.
    (order,) = plan.orders
    assert order.quantity == D(-300)
    assert order.side == "sell"
    assert plan.resulting_positions["A"] == D(100)


def test_a_zero_target_closes_the_position_in_full_including_odd_lots() -> None:
    plan = plan_rebalance({"A": 1.0}, {"D": D(7)}, PRICES, D(1000), lot_sizes=D(5))
    sells = [order for order in plan.orders if order.quantity < 0]
    assert sells[0].asset_id == "D"
    assert sells[0].quantity == D(-7)
    assert "D" not in plan.resulting_positions


def test_trades_below_the_minimum_value_are_dropped_and_reported() -> None:
    plan = plan_rebalance(
        {"A": 0.5, "C": 0.5}, {"A": D(236), "C": D(100)}, PRICES, D(5000), minimum_trade_value=D(50)
    )
    # A needs +2 shares (21.00 < 50): dropped. C needs +257 shares: kept.
    assert [order.asset_id for order in plan.orders] == ["C"]
    assert plan.dropped[0].asset_id == "A"
    assert plan.dropped[0].notional == D("21.00")
    assert plan.dropped[0].reason == "below minimum trade value"


def test_sells_are_listed_before_buys() -> None:
    plan = plan_rebalance({"A": 0.1, "C": 0.9}, {"A": D(400)}, PRICES, D(5000))
    assert [order.side for order in plan.orders] == ["sell", "buy"]


def test_buys_are_trimmed_when_a_dropped_sell_would_leave_negative_cash() -> None:
    # A is 0.6 overweight by a sub-minimum amount; B's buy would then overdraw cash.
    prices = {"A": D(100), "B": D(100)}
    plan = plan_rebalance(
        {"A": 0.5, "B": 0.5},
        {"A": D("50.4")},
        prices,
        D(10000),
        lot_sizes={"A": D("0.1"), "B": D(1)},
        minimum_trade_value=D(50),
    )
    assert plan.residual_cash >= 0
    assert any(d.reason == "trimmed for lack of cash" for d in plan.dropped)
    unconstrained = plan_rebalance(
        {"A": 0.5, "B": 0.5},
        {"A": D("50.4")},
        prices,
        D(10000),
        lot_sizes={"A": D("0.1"), "B": D(1)},
        minimum_trade_value=D(50),
        allow_negative_cash=True,
    )
    assert unconstrained.residual_cash < 0


def test_a_book_that_cannot_be_funded_raises_insufficient_cash() -> None:
    with pytest.raises(InsufficientCashError, match="allow_negative_cash"):
        # Already overdrawn by 100; the sell that would repair it is below the minimum.
        plan_rebalance({"A": 1.0}, {"A": D(100)}, {"A": D(10)}, D(900), minimum_trade_value=D(200))


def test_short_targets_produce_sell_orders_and_cash() -> None:
    plan = plan_rebalance({"A": -0.2, "B": 1.2}, {}, PRICES, D(10000), allow_negative_cash=True)
    orders = {order.asset_id: order for order in plan.orders}
    assert orders["A"].quantity == D(-190)  # -2000 / 10.5 = -190.48 -> towards zero
    assert orders["B"].quantity == D(360)  # 12000 / 33.3 = 360.36


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 100), min_size=3, max_size=3),
    st.lists(st.integers(0, 500), min_size=3, max_size=3),
    st.sampled_from([D(1), D(5), D(100)]),
    st.integers(0, 200),
)
def test_rebalancing_never_overshoots_the_target_nor_overdraws_cash(
    raw_weights: list[int], held: list[int], lot: D, minimum: int
) -> None:
    total = sum(raw_weights) * 1.25  # keep 20% in cash
    targets = {a: w / total for a, w in zip("ABC", raw_weights, strict=True)}
    positions = {a: D(q) for a, q in zip("ABC", held, strict=True)}
    equity = D(20000) + sum((positions[a] * PRICES[a] for a in "ABC"), D(0))
    plan = plan_rebalance(
        targets, positions, PRICES, equity, lot_sizes=lot, minimum_trade_value=D(minimum)
    )
    assert plan.residual_cash >= 0
    for order in plan.orders:
        target_quantity = D(repr(targets[order.asset_id])) * equity / order.price
        before = positions[order.asset_id]
        after = before + order.quantity
        assert abs(target_quantity - after) <= abs(target_quantity - before)
        assert (after - target_quantity) * (before - target_quantity) >= 0  # same side
        assert order.quantity % lot == 0
        assert order.notional >= minimum


def test_plan_rebalance_rejects_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="Decimal or int"):
        plan_rebalance({"A": 1.0}, {"A": 1.5}, PRICES, D(1000))  # type: ignore[dict-item]
    with pytest.raises(InvalidInputError, match=r"prices\['A'\] must be > 0"):
        plan_rebalance({"A": 1.0}, {}, {"A": D(0)}, D(1000))
    with pytest.raises(InvalidInputError, match="prices are missing"):
        plan_rebalance({"Z": 1.0}, {}, PRICES, D(1000))
    with pytest.raises(InvalidInputError, match="equity"):
        plan_rebalance({"A": 1.0}, {}, PRICES, D(-5))
    with pytest.raises(InvalidInputError, match="target_weights"):
        plan_rebalance({"A": math.nan}, {}, PRICES, D(1000))
    with pytest.raises(InvalidInputError, match="lot_sizes"):
        plan_rebalance({"A": 1.0}, {}, PRICES, D(1000), lot_sizes=D(0))
    with pytest.raises(UnknownAssetError, match="lot_sizes"):
        plan_rebalance({"A": 1.0}, {}, PRICES, D(1000), lot_sizes={"Q": D(1)})
    with pytest.raises(InvalidInputError, match="minimum_trade_value"):
        plan_rebalance({"A": 1.0}, {}, PRICES, D(1000), minimum_trade_value=D(-1))
    with pytest.raises(InvalidInputError, match="finite"):
        plan_rebalance({"A": 1.0}, {}, PRICES, D("NaN"))


def small_model() -> MarketModel:
    covariance = np.array([[0.04, 0.01, 0.0], [0.01, 0.09, 0.0], [0.0, 0.0, 0.01]])
    return MarketModel.from_covariance(("A", "B", "C"), [0.06, 0.08, 0.03], covariance)


def test_what_if_reports_weights_risk_and_cost_after_the_trades() -> None:
    model = small_model()
    prices = {"A": D(10), "B": D(20), "C": D(5)}
    positions = {"A": D(500)}
    costs = TransactionCosts(linear=0.001, quadratic={"B": 0.1})
    result = what_if(
        {"A": D(-200), "B": D(100)},
        positions,
        prices,
        D(10000),
        model,
        costs=costs,
        var_confidence=0.99,
    )
    assert result.weights_before == {"A": 0.5}
    # Trade: A -0.2, B +0.2 of equity -> cost 0.001 * 0.4 + 0.1 * 0.04 = 0.0044 of equity.
    assert result.transaction_cost == D("0.0044") * 10000
    assert result.turnover == pytest.approx(0.4)
    scale = 10000 / (10000 - 44)
    assert result.weights_after["A"] == pytest.approx(0.3 * scale)
    assert result.weights_after["B"] == pytest.approx(0.2 * scale)
    w = np.array([0.3, 0.2, 0.0]) * scale
    assert result.volatility_after == pytest.approx(math.sqrt(w @ model.covariance @ w))
    assert result.volatility_before == pytest.approx(0.5 * 0.2)
    expected_var = 2.3263478740408408 * result.volatility_after - float(model.expected_returns @ w)
    assert result.value_at_risk_after == pytest.approx(expected_var)
    assert result.cash_after == D(10000) - D(5000) + D(2000) - D(2000) - D(44)


def test_what_if_without_var_leaves_it_unset() -> None:
    result = what_if({"C": D(10)}, {}, {"C": D(5)}, D(1000), small_model())
    assert result.value_at_risk_after is None
    assert result.transaction_cost == 0


def test_what_if_rejects_assets_outside_the_risk_model() -> None:
    with pytest.raises(UnknownAssetError, match="trades"):
        what_if({"Z": D(1)}, {}, {"Z": D(1)}, D(1000), small_model())
    with pytest.raises(UnknownAssetError, match="current_positions"):
        what_if({}, {"Z": D(1)}, {"Z": D(1)}, D(1000), small_model())


def test_what_if_rejects_bad_input() -> None:
    prices = {"A": D(10)}
    with pytest.raises(InvalidInputError, match="Decimal or int"):
        what_if({"A": 1.5}, {}, prices, D(1000), small_model())  # type: ignore[dict-item]
    with pytest.raises(InvalidInputError, match="MarketModel"):
        what_if({"A": D(1)}, {}, prices, D(1000), "model")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="var_confidence"):
        what_if({"A": D(1)}, {}, prices, D(1000), small_model(), var_confidence=math.nan)
    with pytest.raises(InvalidInputError, match="exhaust"):
        what_if(
            {"A": D(100)}, {}, prices, D(1000), small_model(), costs=TransactionCosts(linear=1.0)
        )


def test_parametric_var_is_z_sigma_minus_mu() -> None:
    assert parametric_value_at_risk(0.01, 0.2, 0.95) == pytest.approx(
        1.6448536269514722 * 0.2 - 0.01
    )
    with pytest.raises(InvalidInputError, match="confidence"):
        parametric_value_at_risk(0.01, 0.2, 1.5)
    with pytest.raises(InvalidInputError, match="volatility"):
        parametric_value_at_risk(0.01, -0.2, 0.95)
