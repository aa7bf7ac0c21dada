"""VaR backtesting: exceptions, Kupiec, Christoffersen, edge cases without NaN."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bounded_contexts.prediction.domain.risk import (
    DimensionMismatchError,
    InvalidConfidenceError,
    InvalidParameterError,
    NonFiniteInputError,
    backtest_var,
    christoffersen_conditional_coverage_test,
    christoffersen_independence_test,
    kupiec_pof_test,
    var_exceptions,
)


def test_an_exception_is_a_loss_strictly_larger_than_the_var() -> None:
    pnl = [-5.0, -10.0, -10.5, 3.0, -20.0]
    var = [10.0, 10.0, 10.0, 10.0, 10.0]
    exceptions = var_exceptions(pnl, var)
    assert exceptions.indicators.tolist() == [False, False, True, False, True]
    assert exceptions.count == 2
    assert exceptions.observations == 5
    assert exceptions.rate == pytest.approx(0.4)


def test_kupiec_statistic_matches_the_hand_computed_example() -> None:
    # T = 250, x = 8, p = 0.01, p_hat = 0.032:
    # LR = -2 [242 ln 0.99 + 8 ln 0.01] + 2 [242 ln 0.968 + 8 ln 0.032]
    #    = -2 (-2.432182 - 36.841361) + 2 (-7.870616 - 27.536156) = 7.733551
    result = kupiec_pof_test(8, 250, 0.99)
    assert result.statistic == pytest.approx(7.733551, abs=1e-5)
    assert result.p_value == pytest.approx(stats.chi2.sf(7.733551, 1), rel=1e-5)
    assert result.degrees_of_freedom == 1
    assert result.reject


def test_kupiec_does_not_reject_the_expected_number_of_exceptions() -> None:
    result = kupiec_pof_test(3, 250, 0.99)
    assert result.p_value > 0.5
    assert not result.reject


def test_kupiec_with_zero_exceptions_uses_zero_log_zero_and_stays_finite() -> None:
    result = kupiec_pof_test(0, 250, 0.99)
    assert result.statistic == pytest.approx(-2 * 250 * math.log(0.99))
    assert math.isfinite(result.p_value)


def test_kupiec_with_only_exceptions_stays_finite() -> None:
    result = kupiec_pof_test(10, 10, 0.95)
    assert result.statistic == pytest.approx(-2 * 10 * math.log(0.05))
    assert result.reject


def test_kupiec_rejection_follows_the_chosen_significance() -> None:
    statistic_p = kupiec_pof_test(6, 250, 0.99).p_value
    assert 0.01 < statistic_p < 0.10
    assert kupiec_pof_test(6, 250, 0.99, significance=0.10).reject
    assert not kupiec_pof_test(6, 250, 0.99, significance=0.01).reject


def test_christoffersen_statistic_matches_the_transition_count_formula() -> None:
    hits = np.array([0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1], dtype=bool)
    # Transitions counted by hand: n00 = 9, n01 = 4, n10 = 3, n11 = 3 (19 transitions).
    n00, n01, n10, n11 = 9, 4, 3, 3
    pi01, pi11, pi = n01 / 13, n11 / 6, 7 / 19
    expected = -2 * (
        (n00 + n10) * math.log(1 - pi)
        + (n01 + n11) * math.log(pi)
        - n00 * math.log(1 - pi01)
        - n01 * math.log(pi01)
        - n10 * math.log(1 - pi11)
        - n11 * math.log(pi11)
    )
    result = christoffersen_independence_test(hits)
    assert result.statistic == pytest.approx(expected, rel=1e-12)
    assert result.p_value == pytest.approx(stats.chi2.sf(expected, 1), rel=1e-10)


def test_clustered_exceptions_fail_the_independence_test() -> None:
    hits = np.zeros(250, dtype=bool)
    hits[100:106] = True
    assert christoffersen_independence_test(hits).reject


def test_zero_exceptions_give_a_zero_independence_statistic_not_nan() -> None:
    result = christoffersen_independence_test(np.zeros(250, dtype=bool))
    assert result.statistic == 0.0
    assert result.p_value == 1.0
    assert not result.reject


def test_a_single_exception_on_the_last_day_leaves_pi11_undefined_but_the_test_finite() -> None:
    hits = np.zeros(100, dtype=bool)
    hits[-1] = True
    result = christoffersen_independence_test(hits)
    assert math.isfinite(result.statistic)
    assert result.statistic == pytest.approx(0.0, abs=1e-12)


def test_all_exceptions_give_a_finite_independence_statistic() -> None:
    result = christoffersen_independence_test(np.ones(20, dtype=bool))
    assert result.statistic == 0.0


def test_conditional_coverage_adds_the_two_statistics_with_two_degrees_of_freedom() -> None:
    hits = np.zeros(250, dtype=bool)
    hits[[10, 11, 50, 120, 121, 200]] = True
    pof = kupiec_pof_test(6, 250, 0.99)
    independence = christoffersen_independence_test(hits)
    coverage = christoffersen_conditional_coverage_test(hits, 0.99)
    assert coverage.statistic == pytest.approx(pof.statistic + independence.statistic)
    assert coverage.degrees_of_freedom == 2
    assert coverage.p_value == pytest.approx(stats.chi2.sf(coverage.statistic, 2))


def test_backtest_bundles_exceptions_and_all_three_tests() -> None:
    rng = np.random.default_rng(0)
    pnl = rng.normal(0, 1, 500)
    var = np.full(500, stats.norm.ppf(0.99))
    report = backtest_var(pnl, var, 0.99)
    assert report.exceptions.count == int(np.sum(pnl < -var))
    assert report.expected_exceptions == pytest.approx(5.0)
    assert report.kupiec == kupiec_pof_test(report.exceptions.count, 500, 0.99)
    assert report.conditional_coverage.statistic == pytest.approx(
        report.kupiec.statistic + report.independence.statistic
    )


def test_a_backtest_with_no_exceptions_is_finite_everywhere() -> None:
    report = backtest_var(np.zeros(250), np.ones(250), 0.99)
    for test in (report.kupiec, report.independence, report.conditional_coverage):
        assert math.isfinite(test.statistic)
        assert math.isfinite(test.p_value)


def test_misaligned_pnl_and_var_series_are_rejected_with_both_lengths() -> None:
    with pytest.raises(DimensionMismatchError, match=r"3 day.*has 2"):
        var_exceptions([1.0, 2.0, 3.0], [1.0, 1.0])


def test_a_non_finite_var_names_its_position() -> None:
    with pytest.raises(NonFiniteInputError, match=r"VaR series.*\[1\]"):
        var_exceptions([1.0, 2.0], [1.0, np.nan])


def test_empty_series_are_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="at least one day"):
        var_exceptions([], [])


@pytest.mark.parametrize(
    ("exceptions", "observations"), [(-1, 10), (11, 10), (0, 0), (2.0, 10), (True, 10)]
)
def test_kupiec_rejects_impossible_counts(exceptions: object, observations: object) -> None:
    with pytest.raises(InvalidParameterError):
        kupiec_pof_test(exceptions, observations, 0.99)  # type: ignore[arg-type]


def test_kupiec_rejects_a_bad_confidence_and_a_bad_significance() -> None:
    with pytest.raises(InvalidConfidenceError, match="confidence"):
        kupiec_pof_test(1, 10, 1.0)
    with pytest.raises(InvalidConfidenceError, match="significance"):
        kupiec_pof_test(1, 10, 0.99, significance=0.0)


def test_independence_rejects_non_binary_indicators_and_a_single_day() -> None:
    with pytest.raises(InvalidParameterError, match="position 2"):
        christoffersen_independence_test([0, 1, 2])
    with pytest.raises(InvalidParameterError, match="at least 2 days"):
        christoffersen_independence_test([True])
    with pytest.raises(DimensionMismatchError, match="1-D"):
        christoffersen_independence_test(np.zeros((3, 3), dtype=bool))
