"""Transaction cost analysis, known answers: slippage and the VWAP comparison in basis points
with the sign of a cost for buys and sells, fees, implementation shortfall with the
opportunity cost of what never filled, and per-strategy totals weighted by filled notional;
unknown benchmarks stay unknown rather than becoming zero."""

from __future__ import annotations

from decimal import Decimal as D

from bounded_contexts.support.domain.tca import OrderMarket, order_cost, strategy_costs


def market(**changes: object) -> OrderMarket:
    fields: dict[str, object] = {
        "order_id": "o1",
        "strategy": "momo",
        "side": "BUY",
        "quantity": D(100),
        "filled": D(100),
        "average_price": D("100.50"),
        "fees": D("3.00"),
        "arrival_price": D(100),
        "vwap": D("100.25"),
        "final_price": D(101),
    }
    fields.update(changes)
    return OrderMarket(**fields)  # type: ignore[arg-type]


def test_a_buy_filled_above_arrival_costs_its_slippage_and_fees() -> None:
    cost = order_cost(market())
    assert cost.slippage_bps == D("50.00")  # 0.50 / 100
    assert cost.vs_vwap_bps == D("24.94")  # 0.25 / 100.25
    assert cost.fees_bps == D("2.99")  # 3 / 10,050
    assert (cost.execution_cost, cost.opportunity_cost) == (D("50.00"), D("0.00"))
    assert cost.implementation_shortfall == D("53.00")
    assert cost.implementation_shortfall_bps == D("53.00")  # over 100 x 100


def test_a_sell_filled_below_arrival_is_a_cost_and_above_a_gain() -> None:
    worse = order_cost(market(side="SELL", average_price=D("99.50")))
    better = order_cost(market(side="SELL", average_price=D("100.50")))
    assert (worse.slippage_bps, better.slippage_bps) == (D("50.00"), D("-50.00"))


def test_the_unfilled_part_costs_what_the_market_moved_against_it() -> None:
    cost = order_cost(market(filled=D(60), final_price=D(102)))
    assert cost.execution_cost == D("30.00")  # 0.50 x 60
    assert cost.opportunity_cost == D("80.00")  # 2.00 x 40 never bought
    assert cost.implementation_shortfall == D("113.00")


def test_an_order_never_filled_has_no_slippage_but_an_opportunity_cost() -> None:
    cost = order_cost(market(filled=D(0), average_price=None, fees=D(0)))
    assert (cost.slippage_bps, cost.vs_vwap_bps, cost.fees_bps) == (None, None, None)
    assert cost.implementation_shortfall == D("100.00")  # 1.00 x 100


def test_no_bar_before_the_order_leaves_the_arrival_benchmarks_unknown() -> None:
    cost = order_cost(market(arrival_price=None))
    assert (cost.slippage_bps, cost.implementation_shortfall) == (None, None)
    assert cost.vs_vwap_bps == D("24.94")  # the VWAP is still known


def test_strategies_add_up_weighted_by_filled_notional() -> None:
    costs = [
        order_cost(market(order_id="a", average_price=D(101), fees=D(0))),  # 100 bps, 10,100
        order_cost(market(order_id="b", quantity=D(300), filled=D(300), fees=D(0))),  # 50 bps
        order_cost(market(order_id="c", strategy="manual", fees=D(1))),
    ]
    manual, momo = strategy_costs(costs)  # by name
    assert (momo.strategy, momo.orders, manual.strategy) == ("momo", 2, "manual")
    # (100 x 10,100 + 50 x 30,150) / 40,250
    assert momo.slippage_bps == D("62.55")
    assert momo.filled_notional == D("40250.00")
    assert momo.implementation_shortfall == D("250.00")  # 100 + 150
    assert momo.implementation_shortfall_bps == D("62.50")  # over 40,000 at arrival
