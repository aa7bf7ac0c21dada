"""The directional strategy's decisions: buy when confident of a rise, close when the target
goes flat, hold when unsure or when the change is too small, and be flat before the close."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bounded_contexts.decision.domain.events import TradeDecided
from bounded_contexts.decision.domain.sizing import SizingLimits
from bounded_contexts.decision.domain.strategy import StrategyBook, StrategyConfig

PRICE = Decimal(100)
CONFIG = StrategyConfig()  # 100 000 per instrument, 10 % target volatility, caps 50k / 100k
SHORTING = dataclasses.replace(CONFIG, allow_short=True)


def at(hour: int, minute: int) -> int:
    return int(datetime(2026, 11, 20, hour, minute, tzinfo=UTC).timestamp()) * 1_000_000_000


MORNING = at(10, 0)


def decide(
    book: StrategyBook,
    probability_up: float,
    *,
    volatility: float | None = 0.25,
    ts_end: int = MORNING,
    price: Decimal = PRICE,
    regime_level: float | None = None,
) -> TradeDecided:
    book.decide(
        ts_end=ts_end,
        probability_up=probability_up,
        price=price,
        annualised_volatility=volatility,
        model_version="m1",
        regime_level=regime_level,
    )
    (pending,) = book.collect_pending()
    assert isinstance(pending.event, TradeDecided)
    return pending.event


def summary(d: TradeDecided) -> tuple[str, str | None, Decimal, Decimal]:
    return d.action, d.side, d.quantity, d.target_position


def book(config: StrategyConfig = CONFIG) -> StrategyBook:
    return StrategyBook("SAP", config)


def long_book(config: StrategyConfig = CONFIG) -> StrategyBook:
    b = book(config)
    decide(b, 0.7)
    return b


def test_a_confident_rise_from_flat_buys_the_volatility_target_quantity() -> None:
    # 0.10 x 100 000 / (100 x 0.25) = 400
    decision = decide(book(), 0.7)
    assert summary(decision) == ("BUY", "BUY", Decimal(400), Decimal(400))
    assert decision.reason == "model confident of a rise"


def test_the_decision_records_its_inputs_and_the_mifid_algo_id() -> None:
    decision = decide(book(), 0.7)
    assert (decision.instrument_id, decision.ts_end, decision.reference_price) == (
        "SAP",
        MORNING,
        PRICE,
    )
    assert (decision.probability_up, decision.model_version) == (0.7, "m1")
    assert (decision.strategy_id, decision.algo_id) == (
        "qv-directional-v1",
        "qv-directional-v1/m1",
    )


def test_the_buy_threshold_itself_counts_as_confident() -> None:
    assert decide(book(), 0.55).action == "BUY"


def test_an_unsure_model_holds_the_current_target() -> None:
    b = long_book()
    decision = decide(b, 0.5)
    assert summary(decision) == ("HOLD", None, Decimal(0), Decimal(400))
    assert decision.reason == "model not confident"


def test_an_unsure_model_from_flat_holds_flat() -> None:
    assert summary(decide(book(), 0.5)) == ("HOLD", None, Decimal(0), Decimal(0))


def test_a_confident_fall_closes_a_long_when_short_selling_is_off() -> None:
    b = long_book()
    decision = decide(b, 0.3)
    assert summary(decision) == ("CLOSE", "SELL", Decimal(400), Decimal(0))
    assert decision.reason == "model confident of a fall"
    assert b.target == Decimal(0)


def test_the_sell_threshold_itself_counts_as_confident_of_a_fall() -> None:
    assert decide(long_book(), 0.45).action == "CLOSE"


def test_a_confident_fall_from_flat_holds_when_short_selling_is_off() -> None:
    assert summary(decide(book(), 0.2)) == ("HOLD", None, Decimal(0), Decimal(0))


def test_a_confident_fall_from_flat_sells_short_when_allowed() -> None:
    assert summary(decide(book(SHORTING), 0.2)) == ("SELL", "SELL", Decimal(400), Decimal(-400))


def test_a_confident_rise_while_short_buys_through_zero_to_the_long_target() -> None:
    b = book(SHORTING)
    decide(b, 0.2)
    assert summary(decide(b, 0.8)) == ("BUY", "BUY", Decimal(800), Decimal(400))


def test_a_short_is_closed_by_a_buy_before_the_session_close() -> None:
    b = book(SHORTING)
    decide(b, 0.2)
    decision = decide(b, 0.2, ts_end=at(16, 26))
    assert summary(decision) == ("CLOSE", "BUY", Decimal(400), Decimal(0))


@pytest.mark.parametrize(("hour", "minute"), [(16, 25), (16, 29), (16, 30), (17, 0)])
def test_a_long_is_closed_in_the_flatten_window_however_confident_the_model(
    hour: int, minute: int
) -> None:
    decision = decide(long_book(), 0.99, ts_end=at(hour, minute))
    assert summary(decision) == ("CLOSE", "SELL", Decimal(400), Decimal(0))
    assert decision.reason == "flat before the session close"


def test_just_before_the_flatten_window_the_model_still_trades() -> None:
    assert decide(book(), 0.99, ts_end=at(16, 24)).action == "BUY"


def test_no_new_position_is_opened_in_the_flatten_window() -> None:
    assert summary(decide(book(), 0.99, ts_end=at(16, 27))) == (
        "HOLD",
        None,
        Decimal(0),
        Decimal(0),
    )


def test_a_change_below_the_rebalance_threshold_is_held() -> None:
    b = long_book()
    # 0.10 x 100 000 / (100 x 0.27) = 370.37 -> 370: a change of 30 < 20 % of 370
    decision = decide(b, 0.7, volatility=0.27)
    assert summary(decision) == ("HOLD", None, Decimal(0), Decimal(400))
    assert decision.reason == "model confident of a rise; change below the rebalance threshold"


def test_a_change_at_the_rebalance_threshold_is_traded() -> None:
    b = long_book()
    # target 500 (volatility 0.20): a change of 100 = 20 % of 500
    assert summary(decide(b, 0.7, volatility=0.20)) == ("BUY", "BUY", Decimal(100), Decimal(500))


def test_a_large_enough_reduction_of_a_long_is_a_sell_not_a_close() -> None:
    b = long_book()
    # volatility 0.40 -> target 250: sell 150
    assert summary(decide(b, 0.7, volatility=0.40)) == ("SELL", "SELL", Decimal(150), Decimal(250))


def test_a_missing_volatility_estimate_sizes_with_the_fallback() -> None:
    # 0.10 x 100 000 / (100 x 0.30) = 333.33 -> 333 whole lots
    assert decide(book(), 0.7, volatility=None).quantity == Decimal(333)


def test_sizing_is_capped_by_the_order_notional_limit() -> None:
    # uncapped 0.10 x 100 000 / (100 x 0.05) = 2000; 50 000 / 100 = 500
    assert decide(book(), 0.7, volatility=0.05).quantity == Decimal(500)


def test_sizing_is_capped_by_the_tightest_limit() -> None:
    tight = dataclasses.replace(
        CONFIG,
        limits=SizingLimits(
            max_order_notional=Decimal(50_000),
            max_position_notional=Decimal(30_000),
            max_gross_exposure=Decimal(1_000_000),
            lot_size=Decimal(10),
            min_order_quantity=Decimal(10),
        ),
    )
    # 30 000 / 100 = 300, in lots of 10
    assert decide(book(tight), 0.7, volatility=0.05).quantity == Decimal(300)
    # 30 000 / 90.5 = 331.49 -> 330 (lots of 10)
    assert decide(book(tight), 0.7, volatility=0.05, price=Decimal("90.5")).quantity == Decimal(330)


def test_every_decision_is_recorded_and_each_moves_the_version() -> None:
    b = book()
    for probability in (0.5, 0.7, 0.5, 0.3):
        decide(b, probability)
    assert b.version == 4


def test_books_of_different_instruments_have_different_ids() -> None:
    assert StrategyBook("SAP", CONFIG).id != StrategyBook("SIE", CONFIG).id
    assert StrategyBook("SAP", CONFIG).id == StrategyBook("SAP", CONFIG).id


@pytest.mark.parametrize(("sell", "buy"), [(0.5, 0.5), (0.6, 0.4), (-0.1, 0.5), (0.4, 1.1)])
def test_thresholds_out_of_order_or_outside_zero_one_are_refused(sell: float, buy: float) -> None:
    with pytest.raises(ValueError, match="thresholds must satisfy"):
        StrategyConfig(sell_threshold=sell, buy_threshold=buy)


# -- the market regime ------------------------------------------------------------------
def test_the_most_turbulent_regime_halves_a_new_target_and_says_so() -> None:
    calm = decide(book(), 0.7, regime_level=0.0)
    unknown = decide(book(), 0.7, regime_level=None)
    turbulent = decide(book(), 0.7, regime_level=1.0)
    assert calm.target_position == unknown.target_position
    assert turbulent.target_position == calm.target_position / 2
    assert "turbulent regime" in turbulent.reason
    assert "turbulent" not in calm.reason


def test_a_regime_between_the_extremes_keeps_the_full_size() -> None:
    assert decide(book(), 0.7, regime_level=0.5).target_position == (
        decide(book(), 0.7).target_position
    )


def test_a_long_position_is_cut_when_the_market_turns_turbulent() -> None:
    b = long_book()
    full = b.target
    cut = decide(b, 0.7, regime_level=1.0)
    assert (cut.action, cut.side) == ("SELL", "SELL")
    assert cut.target_position == full / 2


def test_a_factor_of_zero_opens_nothing_in_turbulence() -> None:
    none = dataclasses.replace(CONFIG, turbulent_size_factor=Decimal(0))
    decided = decide(book(none), 0.7, regime_level=1.0)
    assert decided.action == "HOLD" and decided.target_position == 0


@pytest.mark.parametrize("factor", [Decimal("-0.1"), Decimal("1.5")])
def test_a_factor_outside_zero_to_one_is_refused(factor: Decimal) -> None:
    with pytest.raises(ValueError, match="turbulent_size_factor"):
        dataclasses.replace(CONFIG, turbulent_size_factor=factor)
