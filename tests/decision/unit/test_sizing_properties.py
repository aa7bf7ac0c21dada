"""Property tests: every sized quantity respects every limit and is a whole number of lots."""

from __future__ import annotations

from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from bounded_contexts.decision.domain.sizing import (
    BindingLimit,
    SizingLimits,
    SizingResult,
    fixed_fractional_quantity,
    kelly_quantity,
    risk_budget_quantity,
    volatility_target_quantity,
)


def money(low: str, high: str, places: int = 2) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=Decimal(low),
        max_value=Decimal(high),
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


limits_strategy = st.builds(
    SizingLimits,
    max_order_notional=money("1", "1e7"),
    max_position_notional=money("1", "1e7"),
    max_gross_exposure=money("1", "1e7"),
    lot_size=st.sampled_from(
        [
            Decimal("1"),
            Decimal("0.01"),
            Decimal("0.001"),
            Decimal("100"),
            Decimal("0.5"),
            Decimal("1E-8"),
        ]
    ),
    min_order_quantity=money("0", "50", places=3),
)
prices = money("0.0001", "1e5", places=4)
equities = money("0", "1e8")
ratios = st.floats(min_value=1e-4, max_value=1.0)
vols = st.floats(min_value=1e-3, max_value=5.0)
in_use = money("0", "2e7")


def assert_within_limits(
    result: SizingResult, price: Decimal, limits: SizingLimits, gross_in_use: Decimal
) -> None:
    with localcontext() as exact:
        exact.prec = 100  # products checked exactly, not at the default 28 digits
        _assert_within_limits(result, price, limits, gross_in_use)


def _assert_within_limits(
    result: SizingResult, price: Decimal, limits: SizingLimits, gross_in_use: Decimal
) -> None:
    quantity = result.quantity
    assert quantity >= 0
    assert quantity <= result.uncapped
    assert quantity % limits.lot_size == 0
    notional = quantity * price
    assert notional <= limits.max_order_notional
    assert notional <= limits.max_position_notional
    assert quantity == 0 or gross_in_use + notional <= limits.max_gross_exposure
    assert quantity == 0 or quantity >= limits.min_order_quantity
    assert (result.binding_limit is None) == (quantity == result.uncapped)
    if result.binding_limit is not None:
        assert result.binding_limit in set(BindingLimit)


@settings(max_examples=150, deadline=None)
@given(limits=limits_strategy, price=prices, equity=equities, sigma=vols, target=vols, gross=in_use)
def test_volatility_target_never_breaches_a_limit(
    limits: SizingLimits,
    price: Decimal,
    equity: Decimal,
    sigma: float,
    target: float,
    gross: Decimal,
) -> None:
    result = volatility_target_quantity(
        equity=equity,
        price=price,
        annualised_volatility=sigma,
        target_volatility=target,
        limits=limits,
        gross_exposure_in_use=gross,
    )
    assert_within_limits(result, price, limits, gross)


@settings(max_examples=100, deadline=None)
@given(
    limits=limits_strategy,
    price=prices,
    equity=equities,
    fraction=ratios,
    stop=st.none() | money("0.01", "100"),
    gross=in_use,
)
def test_fixed_fractional_never_breaches_a_limit(
    limits: SizingLimits,
    price: Decimal,
    equity: Decimal,
    fraction: float,
    stop: Decimal | None,
    gross: Decimal,
) -> None:
    result = fixed_fractional_quantity(
        equity=equity,
        price=price,
        fraction=fraction,
        stop_distance=stop,
        limits=limits,
        gross_exposure_in_use=gross,
    )
    assert_within_limits(result, price, limits, gross)


@settings(max_examples=100, deadline=None)
@given(
    limits=limits_strategy,
    price=prices,
    equity=equities,
    p=st.floats(min_value=0.0, max_value=1.0),
    b=st.floats(min_value=0.01, max_value=20.0),
    fraction=ratios,
    gross=in_use,
)
def test_kelly_never_breaches_a_limit_and_never_bets_a_negative_edge(
    limits: SizingLimits,
    price: Decimal,
    equity: Decimal,
    p: float,
    b: float,
    fraction: float,
    gross: Decimal,
) -> None:
    result = kelly_quantity(
        equity=equity,
        price=price,
        win_probability=p,
        payoff_ratio=b,
        fraction=fraction,
        limits=limits,
        gross_exposure_in_use=gross,
    )
    assert_within_limits(result, price, limits, gross)
    if p - (1 - p) / b <= 0:
        assert result.uncapped == 0


@settings(max_examples=100, deadline=None)
@given(
    limits=limits_strategy,
    price=prices,
    sigma=vols,
    budget=ratios,
    allowance=money("0", "1e7"),
    gross=in_use,
)
def test_risk_budget_never_breaches_a_limit(
    limits: SizingLimits,
    price: Decimal,
    sigma: float,
    budget: float,
    allowance: Decimal,
    gross: Decimal,
) -> None:
    result = risk_budget_quantity(
        price=price,
        annualised_volatility=sigma,
        risk_budget=budget,
        total_risk_allowance=allowance,
        limits=limits,
        gross_exposure_in_use=gross,
    )
    assert_within_limits(result, price, limits, gross)


@settings(max_examples=100, deadline=None)
@given(price=prices, equity=money("1", "1e7"), sigma=vols, target=vols)
def test_volatility_target_quantity_shrinks_as_volatility_grows(
    price: Decimal, equity: Decimal, sigma: float, target: float
) -> None:
    loose = SizingLimits(
        max_order_notional=Decimal("1e20"),
        max_position_notional=Decimal("1e20"),
        max_gross_exposure=Decimal("1e20"),
        lot_size=Decimal("1E-12"),
        min_order_quantity=Decimal(0),
    )
    calm = volatility_target_quantity(
        equity=equity,
        price=price,
        annualised_volatility=sigma,
        target_volatility=target,
        limits=loose,
    )
    wild = volatility_target_quantity(
        equity=equity,
        price=price,
        annualised_volatility=sigma * 2,
        target_volatility=target,
        limits=loose,
    )
    assert wild.uncapped <= calm.uncapped
