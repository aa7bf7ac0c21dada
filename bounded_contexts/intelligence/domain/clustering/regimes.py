"""Market regime detection with a Gaussian mixture over volatility/trend features.

Model. Feature vectors x_t (e.g. rolling realised volatility and mean return, see
:mod:`.regime_features`) are treated as draws from a K-component Gaussian mixture
p(x) = sum_k w_k N(x | mu_k, Sigma_k), fitted by EM (scikit-learn ``GaussianMixture``, seeded,
best of ``n_init`` k-means starts and ``n_init`` starts drawn from the data). Time order is
ignored — this is the static counterpart of a hidden Markov regime model (Hamilton 1989),
cheaper and without switching dynamics.

Standardisation. Features are z-scored before fitting. EM's covariance floor ``reg_covar``
(1e-6) is absolute; on raw daily volatilities (~1e-2, variance ~1e-4 or less) it would swamp
the real covariance. Posterior probabilities are invariant to this affine change of units.

Ordering and names. EM numbers components arbitrarily, so regimes are reordered by the mean of
the volatility column, ascending (ties broken by the other columns): regime 0 is always the
calmest. Default names: ``calm``/``turbulent`` for 2 regimes, ``calm``/``normal``/``turbulent``
for 3, ``regime_0`` ... otherwise (0 = calmest).

Classification. The posterior probability of regime k at x is
w_k N(x|mu_k,Sigma_k) / sum_j w_j N(x|mu_j,Sigma_j), evaluated here in NumPy from the stored
parameters (log-space, Cholesky factors), so a fitted :class:`RegimeModel` is a plain immutable
value with no scikit-learn object inside. :func:`current_regime` reads the latest row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import cholesky, solve_triangular
from scipy.special import logsumexp
from sklearn.mixture import GaussianMixture

from .errors import (
    InputShapeError,
    InvalidClusterCountError,
    InvalidParameterError,
    RegimeFitError,
    TooFewObservationsError,
)
from .validation import (
    FloatMatrix,
    as_finite_matrix,
    integer_parameter,
    integer_seed,
    require_positive_scale,
    require_varying_columns,
)

CovarianceType = Literal["full", "tied", "diag", "spherical"]
COVARIANCE_TYPES: tuple[str, ...] = get_args(CovarianceType)

_RANDOM_INITIALISATIONS: tuple[str, ...] = ("kmeans", "random_from_data")
"""Seeded EM start schemes tried besides the volatility-quantile start (see
:func:`_volatility_quantile_start`); the converged fit with the highest likelihood wins."""

_REG_COVAR = 1e-6
"""scikit-learn's default covariance floor, in standardised units."""

_DEFAULT_NAMES: dict[int, tuple[str, ...]] = {
    2: ("calm", "turbulent"),
    3: ("calm", "normal", "turbulent"),
}


@dataclass(frozen=True, eq=False)
class RegimeModel:
    """Fitted regime mixture, components ordered by mean volatility (0 = calmest).

    Parameters are kept in standardised units (``z = (x - feature_centre) / feature_scale``);
    :attr:`means` and :attr:`covariances` give them back in the units of the input features.
    ``mean_log_likelihood`` is the per-observation log-likelihood of the training features under
    the standardised model (EM's lower bound), for comparing fits on the same data.
    """

    names: tuple[str, ...]
    weights: NDArray[np.float64]
    standardised_means: NDArray[np.float64]
    standardised_covariances: NDArray[np.float64]
    feature_centre: NDArray[np.float64]
    feature_scale: NDArray[np.float64]
    volatility_column: int
    mean_log_likelihood: float

    def __post_init__(self) -> None:
        count, n_features = len(self.names), self.feature_centre.shape[0]
        expected = {
            "weights": (self.weights.shape, (count,)),
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


@dataclass(frozen=True)
class RegimeReading:
    """Regime of one observation: the most probable one and the full posterior.

    ``probabilities`` maps every regime name to its posterior probability, in regime order;
    the values lie in [0, 1] and sum to 1 (up to rounding).
    """

    regime: int
    name: str
    probability: float
    probabilities: Mapping[str, float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "probabilities", MappingProxyType(dict(self.probabilities)))


def fit_regimes(
    features: ArrayLike,
    *,
    n_regimes: int = 2,
    seed: int | np.random.Generator,
    volatility_column: int = 0,
    names: Sequence[str] | None = None,
    covariance_type: CovarianceType = "full",
    n_init: int = 5,
    max_iter: int = 500,
) -> RegimeModel:
    """Fit a K-regime Gaussian mixture to a T x F feature matrix (rows are observations).

    EM is run ``n_init`` times from k-means starts, ``n_init`` times from starts drawn from the
    data (both seeded from ``seed``) and once from volatility quantiles; the converged fit with
    the highest likelihood is kept. Several schemes because each has a blind spot: when a noisy
    feature (mean return) spreads wider than the gap between two volatility levels, k-means
    starts split along the noise and EM stays there, while random starts find the volatility
    levels only by luck; the quantile start assumes regimes differ mainly in volatility.

    Needs at least ``n_regimes * (F + 1)`` rows: a Gaussian in F dimensions needs F + 1 points
    to have a non-degenerate covariance. Raises :class:`RegimeFitError` if EM does not converge
    within ``max_iter`` iterations in any start scheme, rather than return unconverged regimes.
    """
    matrix = as_finite_matrix(features, "regime features")
    n_observations, n_features = matrix.shape
    if n_features == 0:
        raise InputShapeError("regime features need at least one column")
    count = integer_parameter(n_regimes, "n_regimes")
    if count < 1:
        raise InvalidClusterCountError(f"n_regimes must be >= 1, got {count}")
    column = integer_parameter(volatility_column, "volatility_column")
    if not 0 <= column < n_features:
        raise InvalidParameterError(
            f"volatility_column must index one of the {n_features} feature column(s), got {column}"
        )
    regime_names = _regime_names(names, count)
    if covariance_type not in COVARIANCE_TYPES:
        raise InvalidParameterError(
            f"covariance_type must be one of {COVARIANCE_TYPES}, got {covariance_type!r}"
        )
    needed = count * (n_features + 1)
    if n_observations < needed:
        raise TooFewObservationsError(
            f"{count} regime(s) over {n_features} feature(s) need at least {needed} observations "
            f"(F + 1 per regime), got {n_observations}"
        )
    restarts = integer_parameter(n_init, "n_init")
    iterations = integer_parameter(max_iter, "max_iter")
    if restarts < 1 or iterations < 1:
        raise InvalidParameterError(
            f"n_init and max_iter must be >= 1, got n_init={restarts}, max_iter={iterations}"
        )
    require_varying_columns(matrix, "regime feature")

    centre = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    require_positive_scale(scale, "regime feature")
    standardised = (matrix - centre) / scale
    int_seed = integer_seed(seed)
    common = {
        "n_components": count,
        "covariance_type": covariance_type,
        "max_iter": iterations,
        "reg_covar": _REG_COVAR,
        "random_state": int_seed,
    }
    fits = [
        GaussianMixture(n_init=restarts, init_params=initialisation, **common).fit(standardised)
        for initialisation in _RANDOM_INITIALISATIONS
    ]
    weights, means, precisions = _volatility_quantile_start(
        standardised, count, column, covariance_type
    )
    fits.append(
        GaussianMixture(
            n_init=1,
            weights_init=weights,
            means_init=means,
            precisions_init=precisions,
            **common,
        ).fit(standardised)
    )
    converged = [fit for fit in fits if fit.converged_]
    if not converged:
        raise RegimeFitError(
            f"Gaussian mixture did not converge in {iterations} EM iterations; raise max_iter, "
            "use fewer regimes or check that the features really separate"
        )
    mixture = max(converged, key=lambda fit: fit.lower_bound_)
    covariances = _full_covariances(mixture.covariances_, covariance_type, count, n_features)
    order = _calm_first_order(mixture.means_, column)
    return RegimeModel(
        names=regime_names,
        weights=_frozen(mixture.weights_[order]),
        standardised_means=_frozen(mixture.means_[order]),
        standardised_covariances=_frozen(covariances[order]),
        feature_centre=_frozen(centre),
        feature_scale=_frozen(scale),
        volatility_column=column,
        mean_log_likelihood=float(mixture.lower_bound_),
    )


def regime_probabilities(model: RegimeModel, features: ArrayLike) -> FloatMatrix:
    """Posterior probability of each regime (T x K) for each row of ``features``."""
    matrix = _prediction_input(model, features)
    standardised = (matrix - model.feature_centre) / model.feature_scale
    log_joint = np.empty((matrix.shape[0], model.n_regimes))
    dimension = model.n_features
    identity = np.eye(dimension)
    for regime in range(model.n_regimes):
        # Sigma = L L^T, so (x - mu)^T Sigma^-1 (x - mu) = ||(x - mu) L^-T||^2.
        factor = cholesky(model.standardised_covariances[regime], lower=True)
        whitening = solve_triangular(factor, identity, lower=True).T
        whitened = standardised @ whitening - model.standardised_means[regime] @ whitening
        mahalanobis = np.einsum("tf,tf->t", whitened, whitened)
        log_det = 2.0 * np.sum(np.log(np.diag(factor)))
        log_joint[:, regime] = np.log(model.weights[regime]) - 0.5 * (
            dimension * np.log(2.0 * np.pi) + log_det + mahalanobis
        )
    return np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))


def classify_regimes(model: RegimeModel, features: ArrayLike) -> NDArray[np.int64]:
    """Most probable regime (0 = calmest) for each row of ``features``."""
    return np.argmax(regime_probabilities(model, features), axis=1).astype(np.int64)


def current_regime(model: RegimeModel, features: ArrayLike) -> RegimeReading:
    """Regime of the latest observation (last row of ``features``) with its probabilities.

    All rows are validated, but only the last is scored: pass the full feature history or just
    the newest row.
    """
    probabilities = regime_probabilities(model, features)[-1]
    regime = int(np.argmax(probabilities))
    return RegimeReading(
        regime=regime,
        name=model.names[regime],
        probability=float(probabilities[regime]),
        probabilities={
            name: float(value) for name, value in zip(model.names, probabilities, strict=True)
        },
    )


def _prediction_input(model: RegimeModel, features: ArrayLike) -> FloatMatrix:
    matrix = np.asarray(features, dtype=np.float64)
    if matrix.ndim == 1:
        matrix = matrix[np.newaxis, :]
    matrix = as_finite_matrix(matrix, "regime features")
    if matrix.shape[0] == 0:
        raise TooFewObservationsError("regime features have no rows to classify")
    if matrix.shape[1] != model.n_features:
        raise InputShapeError(
            f"regime features have {matrix.shape[1]} column(s); the model was fitted on "
            f"{model.n_features}"
        )
    return matrix


def _regime_names(names: Sequence[str] | None, count: int) -> tuple[str, ...]:
    if names is None:
        return _DEFAULT_NAMES.get(count, tuple(f"regime_{k}" for k in range(count)))
    if isinstance(names, str):
        raise InvalidParameterError("names must be a sequence of strings, not one string")
    chosen = tuple(names)
    if len(chosen) != count:
        raise InvalidParameterError(f"got {len(chosen)} name(s) for {count} regime(s)")
    if any(not isinstance(name, str) or not name for name in chosen):
        raise InvalidParameterError(f"regime names must be non-empty strings, got {chosen!r}")
    if len(set(chosen)) != count:
        raise InvalidParameterError(f"regime names must be distinct, got {chosen!r}")
    return chosen


def _volatility_quantile_start(
    standardised: FloatMatrix, count: int, volatility_column: int, covariance_type: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """EM start that splits the observations into ``count`` equal groups by volatility rank.

    Returns initial weights, means and precisions (inverse covariances, floored by
    ``_REG_COVAR``) in the layout scikit-learn expects for ``covariance_type``. Each group has
    at least F + 1 points, guaranteed by the minimum-observations check in :func:`fit_regimes`.
    """
    n_observations, n_features = standardised.shape
    order = np.argsort(standardised[:, volatility_column], kind="stable")
    groups = [standardised[indices] for indices in np.array_split(order, count)]
    weights = np.array([group.shape[0] / n_observations for group in groups])
    means = np.stack([group.mean(axis=0) for group in groups])
    floor = _REG_COVAR * np.eye(n_features)
    covariances = np.stack(
        [
            np.cov(group, rowvar=False, bias=True).reshape(n_features, n_features) + floor
            for group in groups
        ]
    )
    if covariance_type == "full":
        precisions = np.linalg.inv(covariances)
    elif covariance_type == "tied":
        pooled = np.einsum("k,kij->ij", weights, covariances)
        precisions = np.linalg.inv(pooled)
    elif covariance_type == "diag":
        precisions = 1.0 / np.diagonal(covariances, axis1=1, axis2=2)
    else:
        precisions = 1.0 / np.diagonal(covariances, axis1=1, axis2=2).mean(axis=1)
    return weights, means, precisions


def _calm_first_order(means: NDArray[np.float64], volatility_column: int) -> NDArray[np.intp]:
    """Component order by mean volatility ascending, ties broken by the other columns in turn."""
    others = [column for column in range(means.shape[1]) if column != volatility_column]
    priority = [volatility_column, *others]
    # np.lexsort treats its *last* key as the primary one.
    return np.lexsort([means[:, column] for column in reversed(priority)])


def _full_covariances(
    covariances: NDArray[np.float64], covariance_type: str, count: int, n_features: int
) -> NDArray[np.float64]:
    """Expand scikit-learn's compact covariance storage to one full F x F matrix per regime."""
    if covariance_type == "full":
        return np.array(covariances, dtype=np.float64)
    if covariance_type == "tied":
        return np.repeat(covariances[np.newaxis, :, :], count, axis=0)
    if covariance_type == "diag":
        return np.stack([np.diag(row) for row in covariances])
    return covariances[:, np.newaxis, np.newaxis] * np.eye(n_features)[np.newaxis, :, :]


def _frozen(array: NDArray[np.float64]) -> NDArray[np.float64]:
    copy = np.array(array, dtype=np.float64)
    copy.setflags(write=False)
    return copy
