"""Market regimes: rolling volatility/mean-return features and a calm-first Gaussian mixture."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal
from sklearn.mixture import GaussianMixture

from bounded_contexts.intelligence.domain.clustering import (
    ConstantSeriesError,
    InputShapeError,
    InvalidClusterCountError,
    InvalidParameterError,
    NonFiniteValueError,
    NonPositivePriceError,
    RegimeFitError,
    RegimeModel,
    TooFewObservationsError,
    classify_regimes,
    current_regime,
    fit_regimes,
    log_returns,
    regime_features,
    regime_features_from_prices,
    regime_probabilities,
)

CALM_VOL, TURBULENT_VOL = 0.005, 0.03


def two_regime_returns(
    seed: int, spell: int = 300, spells: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    """Alternating spells of calm and turbulent Gaussian returns, with the true regime per step."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(spells) % 2, spell)
    volatility = np.where(truth == 1, TURBULENT_VOL, CALM_VOL)
    return rng.standard_normal(truth.size) * volatility, truth


FITTED_FOR_PROPERTIES = fit_regimes(
    regime_features(two_regime_returns(seed=10, spell=100, spells=4)[0], window=10).values,
    seed=0,
)


# --- features ------------------------------------------------------------------------------


def test_regime_features_are_rolling_root_mean_square_and_mean_of_the_returns() -> None:
    returns = np.array([0.01, -0.02, 0.03, 0.0, -0.01])

    features = regime_features(returns, window=3)

    expected_volatility = [
        math.sqrt((0.01**2 + 0.02**2 + 0.03**2) / 3),
        math.sqrt((0.02**2 + 0.03**2 + 0.0**2) / 3),
        math.sqrt((0.03**2 + 0.0**2 + 0.01**2) / 3),
    ]
    expected_mean = [0.02 / 3, 0.01 / 3, 0.02 / 3]
    np.testing.assert_allclose(features.values[:, 0], expected_volatility, rtol=1e-12)
    np.testing.assert_allclose(features.values[:, 1], expected_mean, rtol=1e-12)
    assert features.end_indices.tolist() == [2, 3, 4]
    assert features.window == 3
    assert features.COLUMNS[features.VOLATILITY_COLUMN] == "realised_volatility"


def test_log_returns_are_log_price_ratios() -> None:
    np.testing.assert_allclose(
        log_returns([100.0, 110.0, 99.0]), [math.log(1.1), math.log(0.9)], rtol=1e-12
    )


def test_features_from_prices_use_log_returns_and_index_windows_by_price_position() -> None:
    prices = np.array([100.0, 101.0, 99.0, 102.0, 103.0])

    from_prices = regime_features_from_prices(prices, window=2)

    expected = regime_features(np.diff(np.log(prices)), window=2)
    np.testing.assert_array_equal(from_prices.values, expected.values)
    assert from_prices.end_indices.tolist() == [2, 3, 4]


def test_feature_arrays_are_read_only() -> None:
    features = regime_features(np.array([0.01, -0.02, 0.03]), window=2)

    with pytest.raises(ValueError, match="read-only"):
        features.values[0, 0] = 1.0


# --- model ---------------------------------------------------------------------------------


def test_two_separated_volatility_regimes_are_recovered_on_more_than_95_percent_of_points() -> None:
    returns, truth = two_regime_returns(seed=1)
    features = regime_features(returns, window=10)

    model = fit_regimes(features.values, n_regimes=2, seed=0)
    detected = classify_regimes(model, features.values)

    agreement = np.mean(detected == truth[features.end_indices])
    assert agreement > 0.95
    assert model.names == ("calm", "turbulent")


def test_regime_zero_is_the_calm_one_whatever_the_seed() -> None:
    returns, _ = two_regime_returns(seed=2)
    features = regime_features(returns, window=10).values

    sequences = [
        classify_regimes(fit_regimes(features, seed=s, n_init=1), features) for s in range(3)
    ]

    for sequence in sequences[1:]:
        np.testing.assert_array_equal(sequence, sequences[0])
    model = fit_regimes(features, seed=0)
    assert model.means[0, 0] < model.means[1, 0]
    assert model.means[0, 0] == pytest.approx(CALM_VOL, rel=0.15)
    assert model.means[1, 0] == pytest.approx(TURBULENT_VOL, rel=0.15)


def test_three_regimes_are_ordered_by_mean_volatility_and_named_calm_normal_turbulent() -> None:
    # The mean-return column is pure noise with more spread than the calm/normal gap: k-means
    # starts alone split along it and merge calm with normal; data-point starts do not.
    rng = np.random.default_rng(3)
    levels = np.array([0.005, 0.015, 0.045])
    truth = np.repeat(np.tile([0, 1, 2], 4), 200)
    features = np.column_stack(
        [
            levels[truth] * np.exp(0.05 * rng.standard_normal(truth.size)),
            0.001 * rng.standard_normal(truth.size),
        ]
    )

    model = fit_regimes(features, n_regimes=3, seed=1)

    assert model.names == ("calm", "normal", "turbulent")
    assert np.all(np.diff(model.means[:, 0]) > 0)
    assert np.mean(classify_regimes(model, features) == truth) > 0.95


def test_posterior_probabilities_lie_in_zero_one_and_sum_to_one() -> None:
    returns, _ = two_regime_returns(seed=4)
    features = regime_features(returns, window=10).values

    probabilities = regime_probabilities(fit_regimes(features, seed=0), features)

    assert probabilities.shape == (features.shape[0], 2)
    assert np.all((probabilities >= 0.0) & (probabilities <= 1.0))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_posteriors_equal_bayes_rule_over_the_fitted_gaussians_in_input_units(
    covariance_type: str,
) -> None:
    returns, _ = two_regime_returns(seed=5, spells=4)
    features = regime_features(returns, window=10).values

    model = fit_regimes(features, seed=7, covariance_type=covariance_type)  # type: ignore[arg-type]

    joint = np.column_stack(
        [
            model.weights[k]
            * multivariate_normal(model.means[k], model.covariances[k]).pdf(features)
            for k in range(model.n_regimes)
        ]
    )
    np.testing.assert_allclose(
        regime_probabilities(model, features), joint / joint.sum(axis=1, keepdims=True), atol=1e-9
    )


def test_the_fit_is_never_less_likely_than_scikit_learns_default_k_means_start() -> None:
    returns, _ = two_regime_returns(seed=5, spells=4)
    features = regime_features(returns, window=10).values
    standardised = (features - features.mean(axis=0)) / features.std(axis=0)

    model = fit_regimes(features, seed=7)
    reference = GaussianMixture(n_components=2, n_init=5, max_iter=500, random_state=7).fit(
        standardised
    )

    assert model.mean_log_likelihood >= reference.lower_bound_


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)), min_size=1, max_size=20)
)
def test_probabilities_stay_valid_even_for_observations_far_outside_the_training_data(
    rows: list[tuple[float, float]],
) -> None:
    probabilities = regime_probabilities(FITTED_FOR_PROPERTIES, np.array(rows))

    assert np.all(np.isfinite(probabilities))
    assert np.all((probabilities >= 0.0) & (probabilities <= 1.0))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-12)


def test_current_regime_reads_the_latest_observation_with_all_probabilities() -> None:
    returns, truth = two_regime_returns(seed=6)
    features = regime_features(returns, window=10).values
    model = fit_regimes(features, seed=0, names=("quiet", "stormy"))

    reading = current_regime(model, features)

    last = regime_probabilities(model, features)[-1]
    assert reading.regime == truth[-1] == 1
    assert reading.name == "stormy"
    assert reading.probability == pytest.approx(last[1])
    assert list(reading.probabilities) == ["quiet", "stormy"]
    assert sum(reading.probabilities.values()) == pytest.approx(1.0)
    only_latest = current_regime(model, features[-1])
    assert (only_latest.regime, only_latest.name) == (reading.regime, reading.name)
    assert only_latest.probability == pytest.approx(reading.probability)


def test_the_model_holds_read_only_parameters_in_input_units() -> None:
    returns, _ = two_regime_returns(seed=7)
    features = regime_features(returns, window=10).values

    model = fit_regimes(features, seed=0)

    assert model.n_regimes == 2 and model.n_features == 2
    assert model.covariances.shape == (2, 2, 2)
    assert model.weights.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="read-only"):
        model.weights[0] = 0.5


def test_a_generator_seed_gives_reproducible_regimes() -> None:
    returns, _ = two_regime_returns(seed=8, spells=4)
    features = regime_features(returns, window=10).values

    first = fit_regimes(features, seed=np.random.default_rng(1))
    second = fit_regimes(features, seed=np.random.default_rng(1))

    np.testing.assert_array_equal(first.standardised_means, second.standardised_means)


# --- bad input -----------------------------------------------------------------------------


def features_for_errors() -> np.ndarray:
    returns, _ = two_regime_returns(seed=9, spell=50, spells=4)
    return np.array(regime_features(returns, window=5).values)


def test_nan_feature_is_rejected_naming_row_and_column() -> None:
    features = features_for_errors()
    features[12, 1] = np.nan

    with pytest.raises(NonFiniteValueError, match="row 12, column 1"):
        fit_regimes(features, seed=0)


def test_nan_return_is_rejected_naming_its_index() -> None:
    with pytest.raises(NonFiniteValueError, match="row 2"):
        regime_features([0.01, 0.02, np.nan, 0.0], window=2)


@pytest.mark.parametrize("count", [0, -1, 2.5])
def test_an_invalid_number_of_regimes_is_rejected(count: object) -> None:
    with pytest.raises((InvalidClusterCountError, InvalidParameterError), match="n_regimes"):
        fit_regimes(features_for_errors(), n_regimes=count, seed=0)  # type: ignore[arg-type]


def test_too_few_observations_for_the_regimes_are_rejected() -> None:
    with pytest.raises(TooFewObservationsError, match="at least 9 observations"):
        fit_regimes(features_for_errors()[:8], n_regimes=3, seed=0)


def test_a_constant_feature_column_is_rejected() -> None:
    features = features_for_errors()
    features[:, 1] = 0.0

    with pytest.raises(ConstantSeriesError, match="column 1"):
        fit_regimes(features, seed=0)


@pytest.mark.parametrize(
    ("names", "message"),
    [(("calm",), "1 name"), (("x", "x"), "distinct"), (("x", ""), "non-empty"), ("xy", "not one")],
)
def test_bad_regime_names_are_rejected(names: object, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        fit_regimes(features_for_errors(), seed=0, names=names)  # type: ignore[arg-type]


def test_volatility_column_must_exist() -> None:
    with pytest.raises(InvalidParameterError, match="volatility_column"):
        fit_regimes(features_for_errors(), seed=0, volatility_column=2)


def test_an_unknown_covariance_type_is_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="covariance_type"):
        fit_regimes(features_for_errors(), seed=0, covariance_type="banded")  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_an_unconverged_fit_is_an_error_not_a_result() -> None:
    with pytest.raises(RegimeFitError, match="did not converge in 1 EM"):
        fit_regimes(features_for_errors(), seed=0, n_init=1, max_iter=1)


def test_classifying_features_with_the_wrong_number_of_columns_is_rejected() -> None:
    model = fit_regimes(features_for_errors(), seed=0)

    with pytest.raises(InputShapeError, match="3 column"):
        regime_probabilities(model, np.ones((4, 3)))
    with pytest.raises(TooFewObservationsError, match="no rows"):
        current_regime(model, np.ones((0, 2)))


@pytest.mark.parametrize("window", [1, 0, 2.0])
def test_window_must_be_an_integer_of_at_least_two(window: object) -> None:
    with pytest.raises(InvalidParameterError, match="window"):
        regime_features(np.ones(10), window=window)  # type: ignore[arg-type]


def test_window_longer_than_the_series_is_rejected() -> None:
    with pytest.raises(TooFewObservationsError, match="window of 5 needs at least 5"):
        regime_features(np.ones(4), window=5)
    with pytest.raises(TooFewObservationsError, match="one fewer than prices"):
        regime_features_from_prices(np.ones(5) * 100.0, window=5)


@pytest.mark.parametrize("bad_price", [0.0, -1.0])
def test_non_positive_prices_are_rejected_naming_the_index(bad_price: float) -> None:
    with pytest.raises(NonPositivePriceError, match="index 2"):
        log_returns([100.0, 101.0, bad_price, 99.0])


def test_returns_must_be_one_dimensional_for_regime_features() -> None:
    with pytest.raises(InputShapeError, match="1-D"):
        regime_features(np.ones((5, 2)), window=2)


def test_a_regime_model_with_inconsistent_parameter_shapes_cannot_be_built() -> None:
    fitted = FITTED_FOR_PROPERTIES

    with pytest.raises(InputShapeError, match="weights has shape \\(3,\\)"):
        RegimeModel(
            names=fitted.names,
            weights=np.array([0.2, 0.3, 0.5]),
            standardised_means=fitted.standardised_means,
            standardised_covariances=fitted.standardised_covariances,
            feature_centre=fitted.feature_centre,
            feature_scale=fitted.feature_scale,
            volatility_column=0,
            mean_log_likelihood=0.0,
        )
