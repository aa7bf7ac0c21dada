"""Market regimes with persistence: a Gaussian hidden Markov model (Hamilton 1989).

Why. The Gaussian mixture of :mod:`.regimes` classifies each row on its own, so a market
near the boundary between two regimes flips back and forth bar by bar. A hidden Markov model
adds a transition matrix A (``A[i, j]`` = P(regime j next | regime i now)); with a sticky
diagonal a single odd bar is not enough to change the regime, and ``1 / (1 - A[k, k])`` is the
expected stay in regime k.

Model. Hidden states s_t follow a Markov chain with initial distribution pi and transitions
A; each observation x_t (rolling volatility and mean return, see :mod:`.regime_features`) is
drawn from N(mu_k, Sigma_k) of its state. Parameters are fitted by Baum-Welch (EM over the
scaled forward-backward recursions) on z-scored features, with the covariance floor of
:mod:`.regimes` in standardised units.

Starts. EM finds a local optimum, so it is run from several seeded starts and the converged
fit with the highest likelihood is kept: the Gaussian mixture of :func:`.regimes.fit_regimes`
(same seed) with a sticky transition matrix, and ``n_init`` starts whose means are drawn from
the data. The result is a deterministic function of the input and the seed.

Filter or smoother. :func:`filter_hmm_regimes` gives P(s_t | x_1..x_t) — forward only, no
look-ahead, what a live policy may use bar by bar (:class:`HmmFilter` updates it one row at a
time). :func:`smooth_hmm_regimes` gives P(s_t | x_1..x_T), which uses later rows: for offline
analysis only.

States are ordered calm first by the mean square (mean^2 + variance, in input units) of the
volatility column: for a volatility feature that is its level, as in :mod:`.regimes`; for a
return feature, whose mean is near 0, it is its variance — so raw returns can be modelled
too. Names as in :mod:`.regimes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import cholesky, solve_triangular

from .errors import InputShapeError, InvalidClusterCountError, InvalidParameterError, RegimeFitError
from .regimes import (
    RegimeReading,
    _frozen,
    _prediction_input,
    _regime_names,
    fit_regimes,
)
from .validation import FloatMatrix, as_finite_matrix, integer_parameter, integer_seed

_REG_COVAR = 1e-6
"""Covariance floor in standardised units, as in :mod:`.regimes`."""
_STICKY_START = 0.95
"""Diagonal of the transition matrix every EM start begins from."""
_MIN_PROBABILITY = 1e-300
"""Floor for start probabilities and transitions before their logarithm is taken."""


@dataclass(frozen=True, eq=False)
class HmmRegimeModel:
    """A fitted Gaussian HMM, states ordered calm first (see the module docstring).

    Emission parameters are in standardised units (``z = (x - feature_centre) /
    feature_scale``); :attr:`means` and :attr:`covariances` give them in input units.
    ``mean_log_likelihood`` is log p(x_1..x_T) / T of the training rows.
    """

    names: tuple[str, ...]
    initial: NDArray[np.float64]
    transitions: NDArray[np.float64]
    standardised_means: NDArray[np.float64]
    standardised_covariances: NDArray[np.float64]
    feature_centre: NDArray[np.float64]
    feature_scale: NDArray[np.float64]
    volatility_column: int
    mean_log_likelihood: float
    iterations: int
    n_observations: int

    def __post_init__(self) -> None:
        count, n_features = len(self.names), self.feature_centre.shape[0]
        expected = {
            "initial": (self.initial.shape, (count,)),
            "transitions": (self.transitions.shape, (count, count)),
            "standardised_means": (self.standardised_means.shape, (count, n_features)),
            "standardised_covariances": (
                self.standardised_covariances.shape,
                (count, n_features, n_features),
            ),
            "feature_scale": (self.feature_scale.shape, (n_features,)),
        }
        for name, (actual, wanted) in expected.items():
            if actual != wanted:
                raise InputShapeError(
                    f"{name} has shape {actual}; {count} regime(s) over {n_features} feature(s) "
                    f"need {wanted}"
                )
        if not np.allclose(self.transitions.sum(axis=1), 1.0) or np.any(self.transitions < 0):
            raise InvalidParameterError("every row of the transition matrix must be a distribution")
        if not 0 <= self.volatility_column < n_features:
            raise InvalidParameterError(
                f"volatility_column {self.volatility_column} is not one of {n_features} features"
            )

    @property
    def n_regimes(self) -> int:
        return len(self.names)

    @property
    def n_features(self) -> int:
        return int(self.feature_centre.shape[0])

    @property
    def means(self) -> FloatMatrix:
        """Regime means (K x F) in input units."""
        return self.standardised_means * self.feature_scale + self.feature_centre

    @property
    def covariances(self) -> NDArray[np.float64]:
        """Regime covariances (K x F x F) in input units."""
        scale = np.outer(self.feature_scale, self.feature_scale)
        return self.standardised_covariances * scale[np.newaxis, :, :]

    @property
    def parameter_count(self) -> int:
        """Free parameters: start and transition probabilities, means, covariances."""
        k, f = self.n_regimes, self.n_features
        return (k - 1) + k * (k - 1) + k * f + k * f * (f + 1) // 2

    @property
    def bic(self) -> float:
        """Bayesian information criterion, -2 log L + p log T (lower is better)."""
        total = self.mean_log_likelihood * self.n_observations
        return -2.0 * total + self.parameter_count * float(np.log(self.n_observations))

    @property
    def expected_durations(self) -> NDArray[np.float64]:
        """Expected stay in each regime, in observations: 1 / (1 - A[k, k]) (inf if absorbing)."""
        leave = 1.0 - np.diag(self.transitions)
        with np.errstate(divide="ignore"):
            return np.where(leave > 0, 1.0 / np.maximum(leave, 1e-300), np.inf)


def fit_hmm_regimes(
    features: ArrayLike,
    *,
    n_regimes: int = 2,
    seed: int | np.random.Generator,
    volatility_column: int = 0,
    names: Sequence[str] | None = None,
    max_iter: int = 200,
    tol: float = 1e-4,
    n_init: int = 1,
) -> HmmRegimeModel:
    """Fit a K-state Gaussian HMM to a T x F feature matrix (rows in time order).

    Input checks (finite values, enough rows, varying columns, valid names) are those of
    :func:`.regimes.fit_regimes`, whose mixture is the first EM start. EM stops when the mean
    log-likelihood improves by less than ``tol``; :class:`RegimeFitError` if no start
    converges within ``max_iter`` iterations.
    """
    iterations = integer_parameter(max_iter, "max_iter")
    restarts = integer_parameter(n_init, "n_init")
    if iterations < 1 or restarts < 0:
        raise InvalidParameterError(
            f"max_iter must be >= 1 and n_init >= 0, got {iterations}, {restarts}"
        )
    if not (isinstance(tol, int | float) and np.isfinite(tol) and tol > 0):
        raise InvalidParameterError(f"tol must be a positive number, got {tol!r}")
    int_seed = integer_seed(seed)
    mixture = fit_regimes(
        features,
        n_regimes=n_regimes,
        seed=int_seed,
        volatility_column=volatility_column,
        names=names,
    )
    matrix = as_finite_matrix(features, "regime features")
    z = (matrix - mixture.feature_centre) / mixture.feature_scale
    count = mixture.n_regimes
    sticky = np.full((count, count), (1.0 - _STICKY_START) / max(count - 1, 1))
    np.fill_diagonal(sticky, _STICKY_START if count > 1 else 1.0)
    starts = [
        (mixture.weights, sticky, mixture.standardised_means, mixture.standardised_covariances)
    ]
    rng = np.random.default_rng(int_seed)
    spread = np.cov(z, rowvar=False, bias=True).reshape(z.shape[1], z.shape[1])
    for _ in range(restarts):
        rows = rng.choice(z.shape[0], size=count, replace=False)
        starts.append(
            (
                np.full(count, 1.0 / count),
                sticky,
                z[rows],
                np.repeat(spread[np.newaxis] + _REG_COVAR * np.eye(z.shape[1]), count, axis=0),
            )
        )
    fits = [_baum_welch(z, *start, max_iter=iterations, tol=float(tol)) for start in starts]
    converged = [fit for fit in fits if fit is not None]
    if not converged:
        raise RegimeFitError(
            f"hidden Markov model did not converge in {iterations} EM iterations from any of "
            f"{len(starts)} starts; raise max_iter, use fewer regimes or check the features"
        )
    best = max(converged, key=lambda fit: fit[0])
    likelihood, initial, transitions, means, covariances, used = best
    column = mixture.volatility_column
    centre, scale = mixture.feature_centre[column], mixture.feature_scale[column]
    mean_square = (means[:, column] * scale + centre) ** 2 + covariances[
        :, column, column
    ] * scale**2
    order = np.argsort(mean_square, kind="stable")
    return HmmRegimeModel(
        names=_regime_names(names, count),
        initial=_frozen(initial[order]),
        transitions=_frozen(transitions[np.ix_(order, order)]),
        standardised_means=_frozen(means[order]),
        standardised_covariances=_frozen(covariances[order]),
        feature_centre=mixture.feature_centre,
        feature_scale=mixture.feature_scale,
        volatility_column=mixture.volatility_column,
        mean_log_likelihood=float(likelihood),
        iterations=used,
        n_observations=int(z.shape[0]),
    )


def select_hmm_regimes(
    features: ArrayLike,
    *,
    max_regimes: int = 2,
    seed: int | np.random.Generator,
    volatility_column: int = 0,
    max_iter: int = 200,
) -> HmmRegimeModel:
    """Fit 1 .. ``max_regimes`` states and keep the lowest BIC.

    Fitting K regimes always finds K, even in a market that never changed: the calmer half of
    an unchanging market would be called "calm" and the other half "turbulent". The BIC asks
    whether the extra states explain the data better than one Gaussian does, net of their
    parameters; when they do not, the one-state model is returned — its only regime named
    ``calm``. The criterion assumes rows independent given the state, which holds for returns
    but not for rolling statistics (overlapping windows look like persistent regimes): give it
    returns.
    """
    count = integer_parameter(max_regimes, "max_regimes")
    if count < 1:
        raise InvalidClusterCountError(f"max_regimes must be >= 1, got {count}")
    fits = [
        fit_hmm_regimes(
            features,
            n_regimes=k,
            seed=seed,
            volatility_column=volatility_column,
            names=("calm",) if k == 1 else None,
            max_iter=max_iter,
        )
        for k in range(1, count + 1)
    ]
    return min(fits, key=lambda model: model.bic)


def filter_hmm_regimes(model: HmmRegimeModel, features: ArrayLike) -> FloatMatrix:
    """P(regime at t | rows 0..t) for every row (T x K): forward only, no look-ahead."""
    z = _standardised(model, features)
    filtered, _, _ = _forward(
        _emission_log_likelihoods(z, model.standardised_means, model.standardised_covariances),
        model.initial,
        model.transitions,
    )
    return filtered


def smooth_hmm_regimes(model: HmmRegimeModel, features: ArrayLike) -> FloatMatrix:
    """P(regime at t | every row) (T x K): uses later rows, so for offline analysis only."""
    z = _standardised(model, features)
    log_b = _emission_log_likelihoods(z, model.standardised_means, model.standardised_covariances)
    filtered, scales, shifted = _forward(log_b, model.initial, model.transitions)
    backward = _backward(shifted, scales, model.transitions)
    smoothed = filtered * backward
    return smoothed / smoothed.sum(axis=1, keepdims=True)


def current_hmm_regime(model: HmmRegimeModel, features: ArrayLike) -> RegimeReading:
    """The filtered regime of the last row of ``features`` (pass the history up to now: the
    filter carries the earlier rows' evidence forward)."""
    probabilities = filter_hmm_regimes(model, features)[-1]
    return _reading(model, probabilities)


class HmmFilter:
    """The forward filter one observation at a time, for a live feed: after each
    :meth:`update` the probabilities equal :func:`filter_hmm_regimes` on every row so far."""

    def __init__(self, model: HmmRegimeModel) -> None:
        self.model = model
        self.probabilities: NDArray[np.float64] | None = None

    def update(self, row: ArrayLike) -> RegimeReading:
        model = self.model
        z = _standardised(model, np.asarray(row, dtype=np.float64).reshape(1, -1))
        log_b = _emission_log_likelihoods(
            z, model.standardised_means, model.standardised_covariances
        )[0]
        prior = (
            model.initial
            if self.probabilities is None
            else self.probabilities @ (model.transitions)
        )
        joint = prior * np.exp(log_b - log_b.max())
        self.probabilities = joint / joint.sum()
        return _reading(model, self.probabilities)


# -- the recursions ---------------------------------------------------------------------
def _baum_welch(
    z: FloatMatrix,
    initial: NDArray[np.float64],
    transitions: NDArray[np.float64],
    means: NDArray[np.float64],
    covariances: NDArray[np.float64],
    *,
    max_iter: int,
    tol: float,
) -> tuple[float, NDArray, NDArray, NDArray, NDArray, int] | None:  # type: ignore[type-arg]
    """EM from one start; (mean log-likelihood, parameters..., iterations) or None if it did
    not converge."""
    n_rows, n_features = z.shape
    previous = -np.inf
    pi, a, mu, sigma = (
        np.array(p, dtype=np.float64) for p in (initial, transitions, means, covariances)
    )
    floor = _REG_COVAR * np.eye(n_features)
    for iteration in range(1, max_iter + 1):
        try:
            log_b = _emission_log_likelihoods(z, mu, sigma)
        except np.linalg.LinAlgError:
            return None
        filtered, scales, shifted = _forward(log_b, pi, a)
        likelihood = (np.log(scales).sum() + _shift_total(log_b)) / n_rows
        backward = _backward(shifted, scales, a)
        gamma = filtered * backward
        gamma /= gamma.sum(axis=1, keepdims=True)
        # expected transitions: sum_t alpha_t(i) A(i,j) b_{t+1}(j) beta_{t+1}(j) / c_{t+1}
        weighted = shifted[1:] * backward[1:] / scales[1:, np.newaxis]
        xi = a * (filtered[:-1].T @ weighted)
        pi = np.maximum(gamma[0], _MIN_PROBABILITY)
        pi /= pi.sum()
        a = np.maximum(xi, _MIN_PROBABILITY)
        a /= a.sum(axis=1, keepdims=True)
        totals = gamma.sum(axis=0)
        if np.any(totals < 1e-9):
            return None  # a state lost every row: this start collapsed
        mu = (gamma.T @ z) / totals[:, np.newaxis]
        centred = z[np.newaxis, :, :] - mu[:, np.newaxis, :]
        sigma = (
            np.einsum("tk,kti,ktj->kij", gamma, centred, centred)
            / totals[:, np.newaxis, np.newaxis]
            + floor
        )
        if abs(likelihood - previous) < tol:
            return likelihood, pi, a, mu, sigma, iteration
        previous = likelihood
    return None


def _emission_log_likelihoods(
    z: FloatMatrix, means: NDArray[np.float64], covariances: NDArray[np.float64]
) -> FloatMatrix:
    """log N(z_t | mu_k, Sigma_k) for every row and state (T x K), through Cholesky factors."""
    n_features = z.shape[1]
    identity = np.eye(n_features)
    out = np.empty((z.shape[0], means.shape[0]))
    for k in range(means.shape[0]):
        factor = cholesky(covariances[k], lower=True)
        whitening = solve_triangular(factor, identity, lower=True).T
        whitened = (z - means[k]) @ whitening
        log_det = 2.0 * np.sum(np.log(np.diag(factor)))
        out[:, k] = -0.5 * (
            n_features * np.log(2.0 * np.pi) + log_det + np.einsum("tf,tf->t", whitened, whitened)
        )
    return out


def _shift_total(log_b: FloatMatrix) -> float:
    return float(log_b.max(axis=1).sum())


def _forward(
    log_b: FloatMatrix, initial: NDArray[np.float64], transitions: NDArray[np.float64]
) -> tuple[FloatMatrix, NDArray[np.float64], FloatMatrix]:
    """Scaled forward pass: filtered probabilities (T x K), the scale c_t of each step, and the
    emission likelihoods divided by their row maximum (reused by the backward pass).

    log p(x_1..x_T) = sum_t log c_t + sum_t max_k log b_t(k)."""
    shifted = np.exp(log_b - log_b.max(axis=1, keepdims=True))
    n_rows, count = shifted.shape
    filtered = np.empty((n_rows, count))
    scales = np.empty(n_rows)
    a_t = transitions.T.copy()
    alpha = initial * shifted[0]
    for t in range(n_rows):
        if t:
            alpha = (a_t @ alpha) * shifted[t]
        total = alpha.sum()
        scales[t] = total
        alpha = alpha / total
        filtered[t] = alpha
    return filtered, scales, shifted


def _backward(
    shifted: FloatMatrix, scales: NDArray[np.float64], transitions: NDArray[np.float64]
) -> FloatMatrix:
    """Scaled backward pass, matching :func:`_forward`'s scales (so alpha * beta is gamma)."""
    n_rows, count = shifted.shape
    backward = np.empty((n_rows, count))
    beta = np.ones(count)
    backward[-1] = beta
    for t in range(n_rows - 2, -1, -1):
        beta = transitions @ (shifted[t + 1] * beta) / scales[t + 1]
        backward[t] = beta
    return backward


def _standardised(model: HmmRegimeModel, features: ArrayLike) -> FloatMatrix:
    matrix = _prediction_input(model, features)  # type: ignore[arg-type]
    return (matrix - model.feature_centre) / model.feature_scale


def _reading(model: HmmRegimeModel, probabilities: NDArray[np.float64]) -> RegimeReading:
    regime = int(np.argmax(probabilities))
    return RegimeReading(
        regime=regime,
        name=model.names[regime],
        probability=float(probabilities[regime]),
        probabilities={name: float(p) for name, p in zip(model.names, probabilities, strict=True)},
    )
