"""The simulated exchange's matching rule: slippage, limit triggers, the participation cap,
the minimum fee and rounding to the price tick and the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bounded_contexts.execution.adapters.venues.simulated import (
    Execution,
    SimulatedVenueConfig,
    VenueBar,
    match,
)

CONFIG = SimulatedVenueConfig(
    slippage_bps=Decimal(2),
    fee_bps=Decimal("1.5"),
    min_fee=Decimal(1),
    max_participation=Decimal("0.25"),
)


def bar(open_: str = "100", high: str = "101", low: str = "99", volume: str = "100000") -> VenueBar:
    return VenueBar(0, Decimal(open_), Decimal(high), Decimal(low), Decimal(volume))


def run(
    side: str,
    order_type: str = "MARKET",
    limit: str | None = None,
    remaining: str = "100",
    on: VenueBar | None = None,
    config: SimulatedVenueConfig = CONFIG,
) -> Execution | None:
    return match(
        side=side,
        order_type=order_type,
        limit_price=None if limit is None else Decimal(limit),
        remaining=Decimal(remaining),
        bar=on or bar(),
        config=config,
    )


def test_a_market_buy_fills_at_the_open_plus_the_slippage() -> None:
    # 100 x (1 + 2 bp) = 100.02; fee 100 x 100.02 x 1.5 bp = 1.5003 -> 1.50
    assert run("BUY") == Execution(Decimal(100), Decimal("100.0200"), Decimal("1.50"))


def test_a_market_sell_fills_at_the_open_minus_the_slippage() -> None:
    assert run("SELL") == Execution(Decimal(100), Decimal("99.9800"), Decimal("1.50"))


def test_a_limit_buy_fills_at_its_limit_when_the_bar_trades_down_to_it() -> None:
    # It rested below the open and the market came to it: a maker fill.
    assert run("BUY", "LIMIT", "99.5") == Execution(
        Decimal(100), Decimal("99.5000"), Decimal("1.49"), maker=True
    )


def test_a_limit_buy_fills_at_the_low_boundary_exactly() -> None:
    result = run("BUY", "LIMIT", "99")
    assert result is not None and result.price == Decimal("99.0000")


def test_a_limit_buy_above_the_open_fills_at_the_better_open_without_slippage() -> None:
    result = run("BUY", "LIMIT", "100.7")
    assert result is not None and result.price == Decimal("100.0000")


def test_a_limit_buy_is_not_filled_when_the_bar_stays_above_its_limit() -> None:
    assert run("BUY", "LIMIT", "98.99") is None


def test_a_limit_sell_fills_at_its_limit_when_the_bar_trades_up_to_it() -> None:
    result = run("SELL", "LIMIT", "100.6")
    assert result is not None and result.price == Decimal("100.6000")


def test_a_limit_sell_below_the_open_fills_at_the_better_open() -> None:
    result = run("SELL", "LIMIT", "99.2")
    assert result is not None and result.price == Decimal("100.0000")


def test_a_limit_sell_is_not_filled_when_the_bar_stays_below_its_limit() -> None:
    assert run("SELL", "LIMIT", "101.01") is None


@pytest.mark.parametrize("side", ["BUY", "SELL"])
def test_a_limit_order_without_a_limit_price_never_fills(side: str) -> None:
    assert run(side, "LIMIT", None) is None


def test_an_order_larger_than_the_participation_cap_fills_only_the_cap() -> None:
    # 25 % of 1000 = 250 of the 400 wanted
    result = run("BUY", remaining="400", on=bar(volume="1000"))
    assert result is not None and result.quantity == Decimal(250)


def test_the_participation_cap_is_rounded_down_to_whole_units() -> None:
    # 25 % of 1003 = 250.75 -> 250
    result = run("BUY", remaining="400", on=bar(volume="1003"))
    assert result is not None and result.quantity == Decimal(250)


def test_a_bar_too_thin_for_one_unit_fills_nothing() -> None:
    assert run("BUY", on=bar(volume="3")) is None
    assert run("BUY", on=bar(volume="0")) is None


def test_an_order_with_nothing_remaining_fills_nothing() -> None:
    assert run("BUY", remaining="0") is None


def test_a_small_fill_pays_the_minimum_fee() -> None:
    # 5 x 100.02 x 1.5 bp = 0.075 < 1
    result = run("BUY", remaining="5")
    assert result is not None and result.fee == Decimal("1.00")


def test_prices_are_rounded_to_the_tick_and_fees_to_the_cent() -> None:
    # 123.4567 x 1.0002 = 123.48139134 -> 123.4814; fee 1000 x 123.4814 x 1.5 bp = 18.52221
    result = run("BUY", remaining="1000", on=bar("123.4567", "124", "123", "100000"))
    assert result == Execution(Decimal(1000), Decimal("123.4814"), Decimal("18.52"))


def test_a_zero_slippage_venue_fills_market_orders_at_the_open() -> None:
    frictionless = SimulatedVenueConfig(
        slippage_bps=Decimal(0),
        fee_bps=Decimal(0),
        min_fee=Decimal(0),
        max_participation=Decimal(1),
    )
    result = run("SELL", remaining="100000", config=frictionless)
    assert result == Execution(Decimal(100000), Decimal("100.0000"), Decimal("0.00"))
