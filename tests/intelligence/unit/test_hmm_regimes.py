"""The hidden Markov regime model: it recovers a planted sticky two-state chain, its regimes
persist where the mixture's flip, its filter never looks ahead, online equals batch, the
same seed gives the same model, and bad input gets the clustering package's clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from bounded_contexts.intelligence.domain.clustering import (
    HmmFilter,
    InputShapeError,
    InvalidClusterCountError,
    InvalidParameterError,
    NonFiniteValueError,
    TooFewObservationsError,
    classify_regimes,
    current_hmm_regime,
    filter_hmm_regimes,
    fit_hmm_regimes,
    fit_regimes,
    select_hmm_regimes,
    smooth_hmm_regimes,
)
from bounded_contexts.intelligence.domain.clustering.errors import ClusteringError

P_STAY = 0.98


def chain(n: int = 1500, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A sticky two-state chain and its returns: volatility 1 when calm, 3 when turbulent."""
    rng = np.random.default_rng(seed)
    states = np.zeros(n, dtype=np.int64)
    for t in range(1, n):
        states[t] = states[t - 1] if rng.random() < P_STAY else 1 - states[t - 1]
    returns = rng.normal(0.0, np.where(states == 1, 3.0, 1.0))
    return states, returns[:, np.newaxis]


STATES, RETURNS = chain()
MODEL = fit_hmm_regimes(RETURNS, seed=3)


def test_it_recovers_the_planted_chain() -> None:
    np.testing.assert_allclose(np.diag(MODEL.transitions), [P_STAY, P_STAY], atol=0.02)
    np.testing.assert_allclose(MODEL.transitions.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.sqrt(MODEL.covariances[:, 0, 0]), [1.0, 3.0], rtol=0.15)
    labels = filter_hmm_regimes(MODEL, RETURNS).argmax(axis=1)
    assert (labels == STATES).mean() > 0.9
    smoothed = smooth_hmm_regimes(MODEL, RETURNS).argmax(axis=1)
    assert (smoothed == STATES).mean() > 0.95
    assert MODEL.names == ("calm", "turbulent")
    np.testing.assert_allclose(MODEL.expected_durations, 1 / (1 - np.diag(MODEL.transitions)))


def test_its_regimes_persist_where_the_mixtures_flip() -> None:
    hmm = filter_hmm_regimes(MODEL, RETURNS).argmax(axis=1)
    mixture = classify_regimes(fit_regimes(RETURNS, seed=3), RETURNS)
    planted = np.count_nonzero(np.diff(STATES))
    assert np.count_nonzero(np.diff(hmm)) < 3 * planted
    assert np.count_nonzero(np.diff(mixture)) > 3 * np.count_nonzero(np.diff(hmm))


def test_the_filter_never_looks_ahead() -> None:
    t = 700
    altered = RETURNS.copy()
    altered[t + 1 :] = np.random.default_rng(9).normal(0, 10, (len(RETURNS) - t - 1, 1))
    np.testing.assert_array_equal(
        filter_hmm_regimes(MODEL, RETURNS)[: t + 1], filter_hmm_regimes(MODEL, altered)[: t + 1]
    )
    assert not np.array_equal(
        smooth_hmm_regimes(MODEL, RETURNS)[: t + 1], smooth_hmm_regimes(MODEL, altered)[: t + 1]
    )


def test_online_filtering_equals_the_batch_filter() -> None:
    online = HmmFilter(MODEL)
    rows = [online.update(row).probabilities for row in RETURNS[:300]]
    batch = filter_hmm_regimes(MODEL, RETURNS[:300])
    np.testing.assert_allclose([list(r.values()) for r in rows], batch, atol=1e-12)
    reading = current_hmm_regime(MODEL, RETURNS[:300])
    assert reading.probabilities == pytest.approx(rows[-1])
    assert sum(reading.probabilities.values()) == pytest.approx(1.0)


def test_the_same_data_and_seed_give_the_same_model() -> None:
    again = fit_hmm_regimes(RETURNS, seed=3)
    for name in ("initial", "transitions", "standardised_means", "standardised_covariances"):
        np.testing.assert_array_equal(getattr(again, name), getattr(MODEL, name))
    assert again.mean_log_likelihood == MODEL.mean_log_likelihood


def test_three_regimes_are_named_and_ordered_by_volatility() -> None:
    rng = np.random.default_rng(4)
    blocks = [rng.normal(0, sd, 400) for sd in (3.0, 1.0, 8.0, 1.0, 3.0)]
    model = fit_hmm_regimes(np.concatenate(blocks)[:, np.newaxis], n_regimes=3, seed=2)
    assert model.names == ("calm", "normal", "turbulent")
    np.testing.assert_allclose(np.sqrt(model.covariances[:, 0, 0]), [1.0, 3.0, 8.0], rtol=0.15)


@pytest.mark.parametrize(
    ("features", "kwargs", "error", "match"),
    [
        (np.array([[1.0], [np.nan]] * 20), {}, NonFiniteValueError, "finite"),
        (RETURNS[:3], {}, TooFewObservationsError, "at least"),
        (RETURNS, {"n_regimes": 0}, InvalidClusterCountError, "n_regimes"),
        (RETURNS, {"max_iter": 0}, InvalidParameterError, "max_iter"),
        (RETURNS, {"tol": -1.0}, InvalidParameterError, "tol"),
        (np.ones((50, 1)), {}, ClusteringError, "constant|vary"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(features, kwargs, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        fit_hmm_regimes(features, seed=1, **kwargs)


def test_filtering_rows_of_another_width_is_refused() -> None:
    with pytest.raises(InputShapeError, match="1"):
        filter_hmm_regimes(MODEL, np.zeros((5, 2)))


@pytest.mark.parametrize("seed", range(5))
def test_an_unchanging_market_is_one_calm_regime_and_a_changed_one_two(seed: int) -> None:
    rng = np.random.default_rng(seed)
    unchanging = rng.normal(0, 1e-3, (500, 1))
    one = select_hmm_regimes(unchanging, seed=3)
    assert (one.n_regimes, one.names) == (1, ("calm",))
    assert current_hmm_regime(one, unchanging).probability == 1.0
    changed = np.concatenate([unchanging[:350], rng.normal(0, 3e-3, (150, 1))])
    two = select_hmm_regimes(changed, seed=3)
    assert two.n_regimes == 2 and two.bic < one.bic
    assert current_hmm_regime(two, changed).name == "turbulent"
