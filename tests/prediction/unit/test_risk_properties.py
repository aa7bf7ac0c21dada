"""Property tests: Euler components add up, VaR grows with confidence, ES >= VaR."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bounded_contexts.prediction.domain.risk import (
    historical_var,
    monte_carlo_var,
    parametric_var,
)

SETTINGS = settings(max_examples=25, deadline=None)


@st.composite
def portfolios(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(position values, covariance, returns history, ids) from a drawn seed and size."""
    size = draw(st.integers(min_value=1, max_value=4))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    values = rng.uniform(-1e6, 1e6, size)
    factor = rng.uniform(-0.03, 0.03, (size, size))
    covariance = factor @ factor.T + np.diag(rng.uniform(1e-6, 1e-4, size))
    history = rng.standard_t(4, (150, size)) * 0.01
    return values, covariance, history, [f"I{k}" for k in range(size)]


confidences = st.floats(min_value=0.5, max_value=0.99)


@SETTINGS
@given(
    portfolios(),
    confidences,
    st.integers(min_value=1, max_value=20),
    st.sampled_from(["normal", "student_t"]),
)
def test_parametric_component_var_and_es_sum_to_the_totals(
    portfolio: tuple, confidence: float, horizon: int, distribution: str
) -> None:
    values, covariance, _, ids = portfolio
    report = parametric_var(
        values,
        covariance,
        instruments=ids,
        confidence=confidence,
        horizon=horizon,
        distribution=distribution,
        nu=5.0 if distribution == "student_t" else None,
        mean_returns=np.full(len(ids), 2e-4),
    )
    scale = max(abs(report.portfolio.value_at_risk), 1.0)
    total_var = math.fsum(a.component_var for a in report.allocation.values())
    total_es = math.fsum(a.component_es for a in report.allocation.values())
    assert abs(total_var - report.portfolio.value_at_risk) <= 1e-10 * scale
    assert abs(total_es - report.portfolio.expected_shortfall) <= 1e-10 * scale


@SETTINGS
@given(portfolios(), confidences, st.sampled_from(["sqrt_time", "overlapping"]))
def test_historical_component_var_and_es_sum_to_the_totals(
    portfolio: tuple, confidence: float, scaling: str
) -> None:
    values, _, history, ids = portfolio
    report = historical_var(
        history,
        values,
        instruments=ids,
        confidence=confidence,
        horizon=1 if scaling == "sqrt_time" else 2,
        horizon_scaling=scaling,
    )
    scale = max(abs(report.portfolio.expected_shortfall), 1.0)
    total_var = math.fsum(a.component_var for a in report.allocation.values())
    total_es = math.fsum(a.component_es for a in report.allocation.values())
    assert abs(total_var - report.portfolio.value_at_risk) <= 1e-10 * scale
    assert abs(total_es - report.portfolio.expected_shortfall) <= 1e-10 * scale


@SETTINGS
@given(portfolios(), confidences, confidences)
def test_var_and_es_never_fall_when_confidence_rises(
    portfolio: tuple, first: float, second: float
) -> None:
    values, covariance, history, ids = portfolio
    low, high = sorted((first, second))
    for method in (
        lambda a: parametric_var(values, covariance, instruments=ids, confidence=a),
        lambda a: historical_var(history, values, instruments=ids, confidence=a),
    ):
        at_low, at_high = method(low).portfolio, method(high).portfolio
        tolerance = 1e-9 * max(abs(at_high.expected_shortfall), 1.0)
        assert at_high.value_at_risk >= at_low.value_at_risk - tolerance
        assert at_high.expected_shortfall >= at_low.expected_shortfall - tolerance


@SETTINGS
@given(portfolios(), confidences)
def test_expected_shortfall_is_at_least_var_at_every_level(
    portfolio: tuple, confidence: float
) -> None:
    values, covariance, history, ids = portfolio
    clusters = {name: ("even" if k % 2 == 0 else "odd") for k, name in enumerate(ids)}
    reports = [
        parametric_var(
            values, covariance, instruments=ids, confidence=confidence, clusters=clusters
        ),
        parametric_var(
            values,
            covariance,
            instruments=ids,
            confidence=confidence,
            distribution="student_t",
            nu=3.0,
            clusters=clusters,
        ),
        historical_var(history, values, instruments=ids, confidence=confidence, clusters=clusters),
    ]
    for report in reports:
        figures = [report.portfolio, *report.by_cluster.values(), *report.by_instrument.values()]
        for figure in figures:
            assert figure.expected_shortfall >= figure.value_at_risk


@settings(max_examples=10, deadline=None)
@given(
    st.integers(min_value=0, max_value=2**31 - 1),
    confidences,
    confidences,
    st.sampled_from(["normal", "student_t"]),
)
def test_monte_carlo_components_sum_es_dominates_and_var_is_monotone(
    seed: int, first: float, second: float, distribution: str
) -> None:
    values = np.array([1e6, -4e5, 2.5e5])
    covariance = np.array([[4e-4, 1e-4, 0.0], [1e-4, 2e-4, 3e-5], [0.0, 3e-5, 1e-4]])
    low, high = sorted((first, second))
    kwargs = {
        "instruments": ["A", "B", "C"],
        "seed": seed,
        "scenarios": 2_000,
        "distribution": distribution,
        "nu": 4.0 if distribution == "student_t" else None,
    }
    at_low = monte_carlo_var(values, covariance, confidence=low, **kwargs)  # type: ignore[arg-type]
    at_high = monte_carlo_var(values, covariance, confidence=high, **kwargs)  # type: ignore[arg-type]
    assert at_high.portfolio.value_at_risk >= at_low.portfolio.value_at_risk
    for report in (at_low, at_high):
        assert report.portfolio.expected_shortfall >= report.portfolio.value_at_risk
        components = math.fsum(a.component_var for a in report.allocation.values())
        assert math.isclose(components, report.portfolio.value_at_risk, rel_tol=1e-10)
