"""Position-sizing rules: formula -> uncapped quantity -> ``apply_limits``.

Conventions shared by every rule:

* money (equity, price, stop distance, risk allowance) and quantities are ``Decimal``;
  ratios (fractions, volatilities, probabilities, payoff ratios) may be floats;
* notional is ``quantity * price`` (contract multiplier 1: for futures, pass the price of one
  contract's worth of underlying, i.e. price x multiplier);
* volatilities are annualised standard deviations of simple returns (0.20 = 20 %/year);
* the returned quantity is unsigned; the caller chooses buy or sell;
* ``gross_exposure_in_use`` (default 0) is the absolute notional already held elsewhere in
  the book, so that ``max_gross_exposure`` is a book-level cap.

Each rule returns a ``SizingResult`` whose ``uncapped`` is the formula's answer (computed in
Decimal, rounding floor) and whose ``quantity`` obeys every limit.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from ._checks import (
    Ratio,
    as_money,
    as_ratio,
    require_fraction,
    require_non_negative,
    require_positive,
    require_probability,
)
from .errors import InvalidSizingInput
from .limits import SIZING_CONTEXT, SizingLimits, SizingResult, apply_limits


def fixed_fractional_quantity(
    *,
    equity: Decimal,
    price: Decimal,
    fraction: Ratio,
    limits: SizingLimits,
    stop_distance: Decimal | None = None,
    gross_exposure_in_use: Decimal = Decimal(0),
) -> SizingResult:
    """Size a position from a fixed fraction ``f`` of equity.

    Two classic readings (Van Tharp, *Definitive Guide to Position Sizing*, ch. 8):

    * with ``stop_distance`` (price distance from entry to stop, > 0): *risk* ``f`` of equity,
      i.e. lose ``f * equity`` if the stop is hit: ``qty = f * equity / stop_distance``;
    * without it: *allocate* ``f`` of equity as notional: ``qty = f * equity / price``.
    """
    capital = _equity(equity)
    unit_price = _price(price)
    share = require_fraction("fraction", as_ratio("fraction", fraction))
    at_risk_per_unit = unit_price if stop_distance is None else _stop_distance(stop_distance)
    with localcontext(SIZING_CONTEXT):
        uncapped = share * capital / at_risk_per_unit
    return apply_limits(
        uncapped, price=unit_price, limits=limits, gross_exposure_in_use=gross_exposure_in_use
    )


def volatility_target_quantity(
    *,
    equity: Decimal,
    price: Decimal,
    annualised_volatility: float,
    target_volatility: float,
    limits: SizingLimits,
    gross_exposure_in_use: Decimal = Decimal(0),
) -> SizingResult:
    """Size a position so its annualised volatility, as a share of equity, is the target.

    A position of notional ``qty * price`` in an asset of annualised volatility ``sigma``
    moves equity by ``qty * price * sigma`` per year (one standard deviation); setting that
    to ``target * equity`` gives ``qty = target * equity / (price * sigma)``
    (Moreira & Muir, "Volatility-Managed Portfolios", J. Finance 2017; Carver,
    *Systematic Trading*, ch. 9).
    """
    capital = _equity(equity)
    unit_price = _price(price)
    sigma = _volatility("annualised_volatility", annualised_volatility)
    target = _volatility("target_volatility", target_volatility)
    with localcontext(SIZING_CONTEXT):
        uncapped = target * capital / (unit_price * sigma)
    return apply_limits(
        uncapped, price=unit_price, limits=limits, gross_exposure_in_use=gross_exposure_in_use
    )


def full_kelly_fraction(win_probability: float, payoff_ratio: float) -> float:
    """Kelly's growth-optimal bet fraction ``f* = p - (1 - p) / b`` (may be negative).

    For a bet won with probability ``p`` paying ``b`` per unit staked and losing the stake
    otherwise, ``f*`` maximises expected log wealth (Kelly, "A New Interpretation of
    Information Rate", Bell Syst. Tech. J. 1956; Thorp 2006). A negative value means the
    edge is negative: the growth-optimal bet is none (``kelly_quantity`` clips it to 0).
    """
    p = require_probability("win_probability", as_ratio("win_probability", win_probability))
    b = require_positive("payoff_ratio", as_ratio("payoff_ratio", payoff_ratio))
    with localcontext(SIZING_CONTEXT):
        return float(p - (1 - p) / b)


def kelly_quantity(
    *,
    equity: Decimal,
    price: Decimal,
    win_probability: float,
    payoff_ratio: float,
    fraction: Ratio,
    limits: SizingLimits,
    stop_distance: Decimal | None = None,
    gross_exposure_in_use: Decimal = Decimal(0),
) -> SizingResult:
    """Fractional Kelly: stake ``fraction * max(f*, 0)`` of equity.

    Full Kelly is notoriously aggressive and very sensitive to an overestimated ``p``;
    betting a fraction (half Kelly, ``fraction=0.5``, keeps ~75 % of the growth rate at
    half the volatility — MacLean, Thorp & Ziemba 2010) is the usual practice. A negative
    edge is never bet: the stake is clipped at 0.

    The stake is what is *lost* on a losing trade, so, as in ``fixed_fractional_quantity``:
    with ``stop_distance`` the loss per unit is the stop distance and
    ``qty = stake / stop_distance`` (``payoff_ratio`` is then reward/risk to target and
    stop); without it the whole notional is the stake and ``qty = stake / price``.
    """
    capital = _equity(equity)
    unit_price = _price(price)
    p = require_probability("win_probability", as_ratio("win_probability", win_probability))
    b = require_positive("payoff_ratio", as_ratio("payoff_ratio", payoff_ratio))
    share = require_fraction("fraction", as_ratio("fraction", fraction))
    at_risk_per_unit = unit_price if stop_distance is None else _stop_distance(stop_distance)
    with localcontext(SIZING_CONTEXT):
        edge = max(p - (1 - p) / b, Decimal(0))
        uncapped = share * edge * capital / at_risk_per_unit
    return apply_limits(
        uncapped, price=unit_price, limits=limits, gross_exposure_in_use=gross_exposure_in_use
    )


def risk_budget_quantity(
    *,
    price: Decimal,
    annualised_volatility: float,
    risk_budget: Ratio,
    total_risk_allowance: Decimal,
    limits: SizingLimits,
    gross_exposure_in_use: Decimal = Decimal(0),
) -> SizingResult:
    """Size a position so its risk is its budgeted share of a total risk allowance.

    ``total_risk_allowance`` is the book's annualised P&L volatility budget in currency
    (e.g. 10 % of 1 000 000 equity = 100 000); ``risk_budget`` in (0, 1] is this position's
    share. The position's stand-alone risk ``qty * price * sigma`` is set equal to
    ``risk_budget * total_risk_allowance``: ``qty = budget * allowance / (price * sigma)``.

    Stand-alone risk ignores correlation. Because volatility is sub-additive, a book whose
    budgets sum to at most 1 then has a total volatility of at most the allowance: the
    rule is conservative under diversification (Roncalli, *Introduction to Risk Parity and
    Budgeting*, 2013, ch. 2, gives the correlation-aware version, which needs the whole
    covariance matrix rather than one instrument).
    """
    unit_price = _price(price)
    sigma = _volatility("annualised_volatility", annualised_volatility)
    budget = require_fraction("risk_budget", as_ratio("risk_budget", risk_budget))
    allowance = require_non_negative(
        "total_risk_allowance", as_money("total_risk_allowance", total_risk_allowance)
    )
    with localcontext(SIZING_CONTEXT):
        uncapped = budget * allowance / (unit_price * sigma)
    return apply_limits(
        uncapped, price=unit_price, limits=limits, gross_exposure_in_use=gross_exposure_in_use
    )


def _equity(equity: Decimal) -> Decimal:
    amount = as_money("equity", equity)
    if amount < 0:
        raise InvalidSizingInput(
            f"equity must be >= 0 (a negative account cannot size), got {amount}"
        )
    return amount


def _price(price: Decimal) -> Decimal:
    return require_positive("price", as_money("price", price))


def _stop_distance(stop_distance: Decimal) -> Decimal:
    return require_positive("stop_distance", as_money("stop_distance", stop_distance))


def _volatility(name: str, value: float) -> Decimal:
    return require_positive(name, as_ratio(name, value))
