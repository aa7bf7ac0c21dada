"""The baseline direction model is deterministic, learns what is learnable, refuses unusable
input; the forecaster trains once its warm-up window is full and then predicts every bar."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from bounded_contexts.prediction.domain.direction_forecaster import (
    DirectionForecaster,
    ForecasterConfig,
)
from bounded_contexts.prediction.domain.direction_model import (
    FEATURES,
    LogisticModel,
    ModelInputError,
    features_from_indicators,
    fit_logistic,
)
from bounded_contexts.prediction.domain.events import (
    DirectionModelTrained,
    PriceDirectionPredicted,
)


def separable(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Up exactly when a weighted sum of the first two features is positive."""
    x = np.random.default_rng(seed).standard_normal((n, len(FEATURES)))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(float)
    return x, y


@pytest.fixture(scope="module")
def toy_model() -> LogisticModel:
    x, y = separable()
    return fit_logistic(x, y, name="toy")


def test_fitting_the_same_data_twice_gives_identical_weights_and_version(
    toy_model: LogisticModel,
) -> None:
    x, y = separable()
    again = fit_logistic(x, y, name="toy")
    assert again == toy_model
    assert again.version.startswith("logreg-v1-toy-") and len(again.version) == len("toy") + 21


def test_different_data_gives_a_different_version(toy_model: LogisticModel) -> None:
    x, y = separable(seed=1)
    assert fit_logistic(x, y, name="toy").version != toy_model.version


def test_the_model_learns_a_separable_toy_problem(toy_model: LogisticModel) -> None:
    assert toy_model.train_accuracy >= 0.95
    w = toy_model.weights
    assert w[0] > w[1] > 0  # the informative features, in the right order
    assert all(abs(v) < 0.5 * w[1] for v in w[2:])
    x_test, y_test = separable(seed=2)
    predicted_up = toy_model.probability_up(x_test) > 0.5
    assert np.mean(predicted_up == (y_test > 0.5)) >= 0.9


def test_the_model_carries_its_standardisation(toy_model: LogisticModel) -> None:
    x, _ = separable()
    assert toy_model.means == pytest.approx(tuple(x.mean(axis=0)))
    assert toy_model.scales == pytest.approx(tuple(x.std(axis=0)))
    assert toy_model.feature_names == FEATURES and toy_model.train_samples == 200


def test_probabilities_are_within_zero_and_one_and_monotone_in_the_signal(
    toy_model: LogisticModel,
) -> None:
    grid = np.zeros((7, len(FEATURES)))
    grid[:, 0] = np.linspace(-3, 3, 7)
    p = toy_model.probability_up(grid)
    assert np.all((p >= 0) & (p <= 1))
    assert np.all(np.diff(p) > 0)


def test_a_constant_feature_gets_unit_scale_instead_of_a_division_by_zero() -> None:
    x, y = separable()
    x[:, 4] = 3.0
    model = fit_logistic(x, y, name="toy")
    assert model.scales[4] == 1.0 and model.weights[4] == 0.0
    assert np.all(np.isfinite(model.probability_up(x)))


def test_predicting_from_a_matrix_of_the_wrong_shape_is_refused(toy_model: LogisticModel) -> None:
    with pytest.raises(ModelInputError, match=r"expected a \(n, 5\) feature matrix"):
        toy_model.probability_up(np.zeros(5))
    with pytest.raises(ModelInputError, match=r"got \(2, 4\)"):
        toy_model.probability_up(np.zeros((2, 4)))


def test_features_and_labels_of_different_lengths_are_refused() -> None:
    x, y = separable()
    with pytest.raises(ModelInputError, match=r"got features \(\d+, 5\), labels"):
        fit_logistic(x, y[:-1], name="bad")


def test_a_one_dimensional_feature_array_is_refused() -> None:
    _, y = separable()
    with pytest.raises(ModelInputError, match=r"need a \(n, k\) feature matrix"):
        fit_logistic(np.zeros(len(y)), y, name="bad")


def test_fewer_than_ten_samples_are_refused() -> None:
    x, y = separable()
    with pytest.raises(ModelInputError, match="at least 10 samples to fit, got 9"):
        fit_logistic(x[:9], y[:9], name="bad")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_a_non_finite_feature_is_refused_naming_the_feature_and_row(value: float) -> None:
    x, y = separable()
    x[17, 3] = value
    with pytest.raises(ModelInputError, match="feature macd_hist at row 17 is not finite"):
        fit_logistic(x, y, name="bad")


@pytest.mark.parametrize("label", [2.0, 0.5, -1.0, np.nan])
def test_labels_other_than_zero_or_one_are_refused(label: float) -> None:
    x, y = separable()
    y[5] = label
    with pytest.raises(ModelInputError, match="labels must be 0 or 1"):
        fit_logistic(x, y, name="bad")


INDICATORS = {"rsi": 60.0, "sma": 99.0, "ema": 99.5, "atr": 2.0, "macd_hist": 0.4}


def test_features_from_indicators_follow_the_documented_formulas() -> None:
    f = features_from_indicators(INDICATORS, close=101.0, previous_close=100.0)
    assert f is not None
    assert f == pytest.approx([0.2, 1.0, 0.25, 0.2, np.log(1.01)])


@pytest.mark.parametrize("missing", ["rsi", "sma", "ema", "atr", "macd_hist"])
def test_features_are_none_while_any_indicator_is_warming_up(missing: str) -> None:
    values: dict[str, float | None] = {**INDICATORS, missing: None}
    assert features_from_indicators(values, 101.0, 100.0) is None


def test_features_are_none_without_a_previous_close_or_with_a_zero_atr() -> None:
    assert features_from_indicators(INDICATORS, 101.0, None) is None
    assert features_from_indicators({**INDICATORS, "atr": 0.0}, 101.0, 100.0) is None


def indicator_stream(n: int, seed: int = 3) -> list[tuple[int, Decimal, dict[str, float | None]]]:
    """A random walk with plausible indicator values; the first two bars are warming up."""
    rng = np.random.default_rng(seed)
    closes = 100 * np.exp(np.cumsum(0.002 * rng.standard_normal(n)))
    stream = []
    for k, close in enumerate(closes):
        values: dict[str, float | None] = {
            "rsi": float(rng.uniform(20, 80)),
            "sma": float(close * (1 + 0.001 * rng.standard_normal())),
            "ema": float(close * (1 + 0.001 * rng.standard_normal())),
            "atr": float(abs(rng.standard_normal()) + 0.1),
            "macd_hist": float(0.1 * rng.standard_normal()),
            "volatility": 0.2 if k % 2 else None,
        }
        if k < 2:
            values["rsi"] = None
        stream.append((k * 60_000_000_000, Decimal(f"{close:.2f}"), values))
    return stream


def run_forecaster(n: int, warmup: int = 20) -> tuple[DirectionForecaster, list[list[object]]]:
    forecaster = DirectionForecaster("SAP", ForecasterConfig(warmup_samples=warmup))
    per_bar = []
    for ts_end, close, values in indicator_stream(n):
        forecaster.observe(ts_end=ts_end, close=close, values=values)
        per_bar.append([p.event for p in forecaster.collect_pending()])
    return forecaster, per_bar


@pytest.fixture(scope="module")
def forecast_run() -> tuple[DirectionForecaster, list[list[object]]]:
    return run_forecaster(40)


def test_the_forecaster_is_silent_until_its_warm_up_window_is_full(
    forecast_run: tuple[DirectionForecaster, list[list[object]]],
) -> None:
    _, per_bar = forecast_run
    # two bars warm the indicators up, one more gives the first features; samples pair the
    # features of bar t-1 with the direction of bar t: the 20th sample arrives with bar 23
    first = next(k for k, events in enumerate(per_bar) if events)
    assert first == 22
    assert all(events == [] for events in per_bar[:first])


def test_the_forecaster_trains_once_then_predicts_every_bar(
    forecast_run: tuple[DirectionForecaster, list[list[object]]],
) -> None:
    forecaster, per_bar = forecast_run
    trained, first_prediction = per_bar[22]
    assert isinstance(trained, DirectionModelTrained) and trained.train_samples == 20
    assert isinstance(first_prediction, PriceDirectionPredicted)
    later = per_bar[23:]
    assert all(len(events) == 1 for events in later)
    predictions = [first_prediction] + [events[0] for events in later]
    assert all(isinstance(p, PriceDirectionPredicted) for p in predictions)
    assert forecaster.model is not None and forecaster.model.version == trained.model_version
    assert {p.model_version for p in predictions} == {trained.model_version}  # type: ignore[union-attr]


def test_every_prediction_is_a_probability_with_its_reference_price_and_volatility(
    forecast_run: tuple[DirectionForecaster, list[list[object]]],
) -> None:
    _, per_bar = forecast_run
    stream = indicator_stream(40)
    for k in range(22, 40):
        prediction = per_bar[k][-1]
        assert isinstance(prediction, PriceDirectionPredicted)
        assert 0.0 <= prediction.probability_up <= 1.0
        assert prediction.reference_price == stream[k][1]
        assert prediction.ts_end == stream[k][0] and prediction.horizon_bars == 1
        assert prediction.annualised_volatility == (0.2 if k % 2 else None)


def test_the_same_bars_give_the_same_model_and_predictions(
    forecast_run: tuple[DirectionForecaster, list[list[object]]],
) -> None:
    _, again = run_forecaster(40)
    assert again == forecast_run[1]


def test_labels_shaped_as_a_column_are_refused_not_broadcast() -> None:
    x, y = separable()
    with pytest.raises(ModelInputError, match="n labels"):
        fit_logistic(x, y[:, None], name="bad")


def test_a_feature_matrix_with_the_wrong_number_of_columns_is_refused() -> None:
    x, y = separable()
    with pytest.raises(ModelInputError, match="expected 5 features"):
        fit_logistic(np.hstack([x, x[:, :1]]), y, name="bad")


def test_a_nan_feature_at_prediction_is_an_error_naming_it_not_a_nan_probability() -> None:
    x, y = separable()
    model = fit_logistic(x, y, name="ok")
    features = x[:2].copy()
    features[1, 3] = np.nan
    with pytest.raises(ModelInputError, match="feature macd_hist at row 1 is not finite"):
        model.probability_up(features)
