"""Known answers, cap behaviour and bad input for the position-sizing rules."""

from __future__ import annotations

from decimal import Decimal as D
from decimal import localcontext

import pytest

from bounded_contexts.decision.domain.sizing import (
    BindingLimit,
    InvalidSizingInput,
    InvalidSizingLimits,
    SizingError,
    SizingLimits,
    SizingResult,
    apply_limits,
    fixed_fractional_quantity,
    full_kelly_fraction,
    kelly_quantity,
    risk_budget_quantity,
    volatility_target_quantity,
)

LOOSE = SizingLimits(
    max_order_notional=D("1e12"),
    max_position_notional=D("1e12"),
    max_gross_exposure=D("1e12"),
    lot_size=D("0.0001"),
    min_order_quantity=D("0"),
)


def limits(**overrides: D) -> SizingLimits:
    fields = {
        "max_order_notional": D("1e12"),
        "max_position_notional": D("1e12"),
        "max_gross_exposure": D("1e12"),
        "lot_size": D("0.0001"),
        "min_order_quantity": D("0"),
    }
    fields.update(overrides)
    return SizingLimits(**fields)


# --- known answers ---------------------------------------------------------------------------


def test_volatility_target_quantity_follows_target_times_equity_over_price_times_vol() -> None:
    result = volatility_target_quantity(
        equity=D("100000"),
        price=D("50"),
        annualised_volatility=0.25,
        target_volatility=0.10,
        limits=LOOSE,
    )
    # 0.10 * 100000 / (50 * 0.25) = 800
    assert result == SizingResult(quantity=D("800"), uncapped=D("800"), binding_limit=None)


def test_volatility_target_position_has_the_target_money_volatility() -> None:
    equity, price, sigma, target = D("250000"), D("123.45"), 0.37, 0.15
    result = volatility_target_quantity(
        equity=equity,
        price=price,
        annualised_volatility=sigma,
        target_volatility=target,
        limits=LOOSE,
    )
    money_vol = float(result.uncapped * price) * sigma
    assert money_vol == pytest.approx(target * float(equity), rel=1e-12)


def test_fixed_fractional_with_a_stop_risks_the_fraction_of_equity() -> None:
    result = fixed_fractional_quantity(
        equity=D("50000"),
        price=D("20"),
        fraction=0.01,
        stop_distance=D("2.5"),
        limits=LOOSE,
    )
    assert result.uncapped == D("200")  # 0.01 * 50000 / 2.5; losing 2.5 each costs 500 = 1 %
    assert result.quantity == D("200")


def test_fixed_fractional_without_a_stop_allocates_the_fraction_as_notional() -> None:
    result = fixed_fractional_quantity(equity=D("50000"), price=D("20"), fraction=0.3, limits=LOOSE)
    assert result.quantity == D("750")  # 0.3 * 50000 / 20


def test_full_kelly_fraction_matches_the_closed_form() -> None:
    assert full_kelly_fraction(0.6, 2.0) == pytest.approx(0.6 - 0.4 / 2.0)
    assert full_kelly_fraction(0.5, 1.0) == 0.0
    assert full_kelly_fraction(0.4, 1.0) == pytest.approx(-0.2)
    assert full_kelly_fraction(1.0, 0.5) == 1.0


def test_half_kelly_stakes_half_the_kelly_fraction_of_equity_as_notional() -> None:
    result = kelly_quantity(
        equity=D("100000"),
        price=D("100"),
        win_probability=0.6,
        payoff_ratio=2.0,
        fraction=0.5,
        limits=LOOSE,
    )
    # f* = 0.6 - 0.4/2 = 0.4 ; half = 0.2 ; notional 20000 ; qty 200
    assert result.quantity == D("200")
    assert result.binding_limit is None


def test_kelly_with_a_stop_risks_the_kelly_stake_at_the_stop() -> None:
    result = kelly_quantity(
        equity=D("100000"),
        price=D("100"),
        win_probability=0.55,
        payoff_ratio=1.5,
        fraction=0.25,
        stop_distance=D("4"),
        limits=LOOSE,
    )
    f_star = 0.55 - 0.45 / 1.5
    assert float(result.uncapped) == pytest.approx(0.25 * f_star * 100000 / 4, rel=1e-12)


def test_kelly_never_bets_a_negative_edge() -> None:
    result = kelly_quantity(
        equity=D("100000"),
        price=D("100"),
        win_probability=0.3,
        payoff_ratio=1.0,
        fraction=1.0,
        limits=LOOSE,
    )
    assert result == SizingResult(quantity=D("0"), uncapped=D("0"), binding_limit=None)


def test_risk_budget_position_uses_its_share_of_the_allowance() -> None:
    result = risk_budget_quantity(
        price=D("40"),
        annualised_volatility=0.5,
        risk_budget=0.25,
        total_risk_allowance=D("100000"),
        limits=LOOSE,
    )
    # 0.25 * 100000 / (40 * 0.5) = 1250 ; its money vol 1250*40*0.5 = 25000 = 25 % of budget
    assert result.quantity == D("1250")


def test_zero_equity_sizes_to_zero() -> None:
    result = volatility_target_quantity(
        equity=D("0"), price=D("10"), annualised_volatility=0.2, target_volatility=0.1, limits=LOOSE
    )
    assert result.quantity == 0
    assert result.binding_limit is None


# --- limits --------------------------------------------------------------------------------


def test_quantity_is_rounded_down_to_the_lot_and_says_so() -> None:
    result = apply_limits(D("123.99"), price=D("10"), limits=limits(lot_size=D("5")))
    assert result.quantity == D("120")
    assert result.binding_limit is BindingLimit.LOT_SIZE
    assert result.binding_limit == "lot_size"


def test_order_notional_cap_binds_and_is_named() -> None:
    result = apply_limits(
        D("1000"), price=D("10"), limits=limits(max_order_notional=D("5005"), lot_size=D("1"))
    )
    assert result.quantity == D("500")
    assert result.uncapped == D("1000")
    assert result.binding_limit == "max_order_notional"


def test_tightest_of_several_caps_is_reported() -> None:
    result = apply_limits(
        D("1000"),
        price=D("10"),
        limits=limits(
            max_order_notional=D("6000"),
            max_position_notional=D("4000"),
            max_gross_exposure=D("5000"),
            lot_size=D("1"),
        ),
    )
    assert result.quantity == D("400")
    assert result.binding_limit is BindingLimit.MAX_POSITION_NOTIONAL


def test_gross_exposure_headroom_accounts_for_exposure_already_in_use() -> None:
    result = apply_limits(
        D("1000"),
        price=D("10"),
        gross_exposure_in_use=D("97000"),
        limits=limits(max_gross_exposure=D("100000"), lot_size=D("1")),
    )
    assert result.quantity == D("300")
    assert result.binding_limit is BindingLimit.MAX_GROSS_EXPOSURE


def test_exhausted_gross_exposure_sizes_to_zero() -> None:
    result = apply_limits(
        D("10"),
        price=D("10"),
        gross_exposure_in_use=D("150000"),
        limits=limits(max_gross_exposure=D("100000")),
    )
    assert result.quantity == 0
    assert result.binding_limit is BindingLimit.MAX_GROSS_EXPOSURE


def test_quantity_below_the_minimum_order_is_dropped_to_zero() -> None:
    result = apply_limits(
        D("7"), price=D("10"), limits=limits(lot_size=D("1"), min_order_quantity=D("10"))
    )
    assert result.quantity == 0
    assert result.binding_limit is BindingLimit.MIN_ORDER_QUANTITY


def test_cap_division_never_rounds_up_past_the_cap() -> None:
    # 200 / 3 = 66.666...; a half-even context would round the last digit up.
    result = apply_limits(
        D("1000"), price=D("3"), limits=limits(max_order_notional=D("200"), lot_size=D("1E-33"))
    )
    with localcontext() as exact:
        exact.prec = 100  # the default 28 digits would round the product back to 200
        assert result.quantity * D("3") <= D("200")


def test_rules_apply_the_limits_they_are_given() -> None:
    capped = volatility_target_quantity(
        equity=D("1000000"),
        price=D("100"),
        annualised_volatility=0.1,
        target_volatility=0.2,
        limits=limits(max_position_notional=D("250000"), lot_size=D("10")),
    )
    assert capped.uncapped == D("20000")
    assert capped.quantity == D("2500")
    assert capped.binding_limit is BindingLimit.MAX_POSITION_NOTIONAL


def test_limits_are_immutable() -> None:
    with pytest.raises(AttributeError):
        LOOSE.lot_size = D("1")  # type: ignore[misc]


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_order_notional", D("0")),
        ("max_position_notional", D("-1")),
        ("max_gross_exposure", D("NaN")),
        ("lot_size", D("0")),
        ("min_order_quantity", D("-1")),
        ("lot_size", 0.01),
    ],
)
def test_limits_reject_non_positive_non_finite_or_float_fields(field: str, value: object) -> None:
    with pytest.raises(InvalidSizingLimits, match=field):
        limits(**{field: value})  # type: ignore[arg-type]


def test_every_sizing_error_is_a_value_error() -> None:
    assert issubclass(SizingError, ValueError)
    assert issubclass(InvalidSizingInput, SizingError)
    assert issubclass(InvalidSizingLimits, SizingError)


VOL_TARGET = {
    "equity": D("100000"),
    "price": D("50"),
    "annualised_volatility": 0.2,
    "target_volatility": 0.1,
    "limits": LOOSE,
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price", D("0"), "price must be > 0"),
        ("price", D("-5"), "price must be > 0"),
        ("price", 50.0, "price must be a decimal.Decimal"),
        ("equity", D("-1"), "equity must be >= 0"),
        ("equity", D("Infinity"), "equity must be finite"),
        ("annualised_volatility", 0.0, "annualised_volatility must be > 0"),
        ("annualised_volatility", -0.2, "annualised_volatility must be > 0"),
        ("annualised_volatility", float("nan"), "annualised_volatility must be finite"),
        ("annualised_volatility", float("inf"), "annualised_volatility must be finite"),
        ("target_volatility", 0.0, "target_volatility must be > 0"),
        ("target_volatility", True, "target_volatility must be a real number"),
    ],
)
def test_volatility_target_rejects_bad_input(field: str, value: object, message: str) -> None:
    with pytest.raises(InvalidSizingInput, match=message):
        volatility_target_quantity(**{**VOL_TARGET, field: value})  # type: ignore[arg-type]


FIXED = {"equity": D("100000"), "price": D("50"), "fraction": 0.02, "limits": LOOSE}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("fraction", 0.0, r"fraction must lie in \(0, 1\]"),
        ("fraction", 1.5, r"fraction must lie in \(0, 1\]"),
        ("fraction", float("nan"), "fraction must be finite"),
        ("stop_distance", D("0"), "stop_distance must be > 0"),
        ("stop_distance", 1.0, "stop_distance must be a decimal.Decimal"),
        ("price", D("0"), "price must be > 0"),
        ("equity", D("-100"), "equity must be >= 0"),
        ("gross_exposure_in_use", D("-1"), "gross_exposure_in_use must be >= 0"),
    ],
)
def test_fixed_fractional_rejects_bad_input(field: str, value: object, message: str) -> None:
    with pytest.raises(InvalidSizingInput, match=message):
        fixed_fractional_quantity(**{**FIXED, field: value})  # type: ignore[arg-type]


KELLY = {
    "equity": D("100000"),
    "price": D("50"),
    "win_probability": 0.55,
    "payoff_ratio": 1.2,
    "fraction": 0.5,
    "limits": LOOSE,
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("win_probability", -0.01, r"win_probability must lie in \[0, 1\]"),
        ("win_probability", 1.01, r"win_probability must lie in \[0, 1\]"),
        ("win_probability", float("nan"), "win_probability must be finite"),
        ("payoff_ratio", 0.0, "payoff_ratio must be > 0"),
        ("payoff_ratio", -1.0, "payoff_ratio must be > 0"),
        ("fraction", 0.0, r"fraction must lie in \(0, 1\]"),
        ("fraction", 1.0001, r"fraction must lie in \(0, 1\]"),
        ("price", D("-1"), "price must be > 0"),
        ("equity", D("-1"), "equity must be >= 0"),
        ("stop_distance", D("-2"), "stop_distance must be > 0"),
    ],
)
def test_kelly_rejects_bad_input(field: str, value: object, message: str) -> None:
    with pytest.raises(InvalidSizingInput, match=message):
        kelly_quantity(**{**KELLY, field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("p", "b", "message"),
    [(1.2, 1.0, "win_probability"), (0.5, 0.0, "payoff_ratio"), (0.5, float("inf"), "finite")],
)
def test_full_kelly_fraction_rejects_bad_input(p: float, b: float, message: str) -> None:
    with pytest.raises(InvalidSizingInput, match=message):
        full_kelly_fraction(p, b)


BUDGET = {
    "price": D("50"),
    "annualised_volatility": 0.2,
    "risk_budget": 0.1,
    "total_risk_allowance": D("50000"),
    "limits": LOOSE,
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("risk_budget", 0.0, r"risk_budget must lie in \(0, 1\]"),
        ("risk_budget", 2.0, r"risk_budget must lie in \(0, 1\]"),
        ("total_risk_allowance", D("-1"), "total_risk_allowance must be >= 0"),
        ("total_risk_allowance", 5e4, "total_risk_allowance must be a decimal.Decimal"),
        ("annualised_volatility", 0.0, "annualised_volatility must be > 0"),
        ("annualised_volatility", float("-inf"), "annualised_volatility must be finite"),
        ("price", D("0"), "price must be > 0"),
    ],
)
def test_risk_budget_rejects_bad_input(field: str, value: object, message: str) -> None:
    with pytest.raises(InvalidSizingInput, match=message):
        risk_budget_quantity(**{**BUDGET, field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("uncapped", "price", "message"),
    [
        (D("-1"), D("10"), "uncapped quantity must be >= 0"),
        (D("1"), D("0"), "price must be > 0"),
        (D("NaN"), D("10"), "uncapped quantity must be finite"),
    ],
)
def test_apply_limits_rejects_bad_input(uncapped: D, price: D, message: str) -> None:
    with pytest.raises(InvalidSizingInput, match=message):
        apply_limits(uncapped, price=price, limits=LOOSE)


def test_limits_must_be_a_sizing_limits_object() -> None:
    with pytest.raises(InvalidSizingInput, match="limits must be a SizingLimits"):
        volatility_target_quantity(**{**VOL_TARGET, "limits": {"lot_size": D("1")}})
