"""Monte Carlo VaR/ES: convergence to the closed forms, seeding, allocation, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bounded_contexts.prediction.domain.risk import (
    InsufficientObservationsError,
    InvalidDegreesOfFreedomError,
    InvalidParameterError,
    NotPositiveSemiDefiniteError,
    VaRMethod,
    monte_carlo_var,
    parametric_var,
)

COVARIANCE = np.array(
    [
        [4.0e-4, 1.2e-4, -0.5e-4],
        [1.2e-4, 2.25e-4, 0.3e-4],
        [-0.5e-4, 0.3e-4, 1.0e-4],
    ]
)
VALUES = np.array([1_000_000.0, -400_000.0, 250_000.0])
IDS = ("AAA", "BBB", "CCC")
CLUSTERS = {"AAA": "tech", "BBB": "tech", "CCC": "energy"}
SCENARIOS = 40_000


def _run(**overrides: object):
    kwargs: dict[str, object] = {
        "instruments": IDS,
        "confidence": 0.99,
        "seed": 2024,
        "scenarios": SCENARIOS,
        "clusters": CLUSTERS,
    }
    kwargs.update(overrides)
    return monte_carlo_var(VALUES, COVARIANCE, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("distribution", ["normal", "student_t"])
def test_monte_carlo_var_and_es_converge_to_the_parametric_closed_form(distribution: str) -> None:
    nu = 6.0 if distribution == "student_t" else None
    simulated = _run(distribution=distribution, nu=nu, horizon=10)
    exact = parametric_var(
        VALUES,
        COVARIANCE,
        instruments=IDS,
        confidence=0.99,
        horizon=10,
        distribution=distribution,
        nu=nu,
        clusters=CLUSTERS,
    )
    # 40,000 draws: the 99 % quantile's standard error is ~1 % (normal) to ~2 % (t, nu=6).
    assert simulated.portfolio.value_at_risk == pytest.approx(
        exact.portfolio.value_at_risk, rel=0.05
    )
    assert simulated.portfolio.expected_shortfall == pytest.approx(
        exact.portfolio.expected_shortfall, rel=0.06
    )
    for name in IDS:
        assert simulated.by_instrument[name].value_at_risk == pytest.approx(
            exact.by_instrument[name].value_at_risk, rel=0.05
        )
    assert simulated.by_cluster["tech"].value_at_risk == pytest.approx(
        exact.by_cluster["tech"].value_at_risk, rel=0.05
    )


def test_monte_carlo_with_a_mean_shifts_the_loss_by_horizon_times_expected_pnl() -> None:
    mean = np.array([0.001, 0.0, -0.002])
    without = _run(horizon=5)
    with_mean = _run(horizon=5, mean_returns=mean)
    shift = 5 * float(mean @ VALUES)
    assert without.portfolio.value_at_risk - with_mean.portfolio.value_at_risk == pytest.approx(
        shift, rel=1e-9
    )


def test_the_same_seed_reproduces_the_same_figures_and_another_seed_does_not() -> None:
    first = _run(seed=1)
    again = _run(seed=1)
    other = _run(seed=2)
    assert first == again
    assert other.portfolio.value_at_risk != first.portfolio.value_at_risk


def test_the_method_records_the_distribution() -> None:
    assert _run().method is VaRMethod.MONTE_CARLO_NORMAL
    assert _run(distribution="student_t", nu=5.0).method is VaRMethod.MONTE_CARLO_STUDENT_T


def test_student_t_has_fatter_tails_than_the_normal_at_99_9_percent() -> None:
    normal = _run(confidence=0.999)
    fat = _run(confidence=0.999, distribution="student_t", nu=3.5)
    assert fat.portfolio.value_at_risk > normal.portfolio.value_at_risk


def test_component_var_and_es_add_up_to_the_totals() -> None:
    report = _run()
    component_var = math.fsum(a.component_var for a in report.allocation.values())
    component_es = math.fsum(a.component_es for a in report.allocation.values())
    assert component_var == pytest.approx(report.portfolio.value_at_risk, rel=1e-12)
    assert component_es == pytest.approx(report.portfolio.expected_shortfall, rel=1e-12)


def test_tail_expectation_components_are_close_to_the_parametric_euler_components() -> None:
    simulated = _run(scenarios=SCENARIOS)
    exact = parametric_var(VALUES, COVARIANCE, instruments=IDS, confidence=0.99)
    scale = exact.portfolio.value_at_risk
    for name in IDS:
        assert simulated.allocation[name].component_var == pytest.approx(
            exact.allocation[name].component_var, abs=0.05 * scale
        )


def test_skipping_the_standalone_breakdown_keeps_the_portfolio_figures() -> None:
    full = _run()
    lean = _run(standalone_by_instrument=False)
    assert lean.by_instrument == {}
    assert lean.portfolio == full.portfolio
    assert lean.allocation == full.allocation
    assert lean.by_cluster == full.by_cluster


def test_a_singular_but_psd_covariance_is_simulated_through_its_eigen_square_root() -> None:
    singular = np.array([[1e-4, 1e-4], [1e-4, 1e-4]])
    report = monte_carlo_var(
        [1e6, 1e6], singular, instruments=["A", "B"], confidence=0.99, seed=0, scenarios=SCENARIOS
    )
    expected = 2.326348 * 2e6 * 0.01
    assert report.portfolio.value_at_risk == pytest.approx(expected, rel=0.05)


def test_a_non_psd_covariance_is_refused_or_repaired_as_the_caller_chooses() -> None:
    bad = np.array([[1.0, 0.9, 0.7], [0.9, 1.0, -0.9], [0.7, -0.9, 1.0]]) * 1e-4
    with pytest.raises(NotPositiveSemiDefiniteError):
        monte_carlo_var(VALUES, bad, instruments=IDS, confidence=0.99, seed=0, scenarios=1000)
    repaired = monte_carlo_var(
        VALUES, bad, instruments=IDS, confidence=0.99, seed=0, scenarios=1000, repair="nearest"
    )
    assert np.isfinite(repaired.portfolio.value_at_risk)


def test_too_few_scenarios_for_the_confidence_are_refused() -> None:
    with pytest.raises(InsufficientObservationsError, match="at least 1000"):
        _run(confidence=0.999, scenarios=999)


@pytest.mark.parametrize("seed", [-1, 1.5, None, True, 2**63])
def test_a_seed_must_be_an_integer_that_fits_a_jax_key(seed: object) -> None:
    with pytest.raises(InvalidParameterError, match="seed"):
        _run(seed=seed)


@pytest.mark.parametrize("scenarios", [0, -5, 10.0])
def test_a_scenario_count_must_be_a_positive_integer(scenarios: object) -> None:
    with pytest.raises(InvalidParameterError, match="scenarios"):
        _run(scenarios=scenarios)


def test_student_t_monte_carlo_rejects_two_degrees_of_freedom() -> None:
    with pytest.raises(InvalidDegreesOfFreedomError):
        _run(distribution="student_t", nu=2)


def test_monte_carlo_computes_in_float64_without_switching_jax_to_x64_globally() -> None:
    import jax.numpy as jnp

    report = _run(scenarios=1_000)
    assert isinstance(report.portfolio.value_at_risk, float)
    assert jnp.ones(1).dtype == jnp.float32
