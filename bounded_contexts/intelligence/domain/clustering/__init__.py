"""Instrument clustering and market-regime detection (pure domain code).

* :mod:`.correlation` — hierarchical clustering on the correlation distance sqrt(0.5 (1 - rho)).
* :mod:`.features` — k-means and DBSCAN on standardised per-instrument feature vectors.
* :mod:`.quality` — silhouette coefficient, overall and per cluster, on the clustering distance.
* :mod:`.stability` — labels that survive recomputation (Hungarian matching on overlaps).
* :mod:`.regime_features` / :mod:`.regimes` — Gaussian-mixture market regimes over rolling
  volatility and mean return, ordered calm -> turbulent.
* :mod:`.hmm` — the same regimes with persistence: a Gaussian hidden Markov model, filtered
  (no look-ahead) or smoothed.

See ``docs/quant/clustering.md`` for conventions, formulas and limits.
"""

from .correlation import (
    LINKAGES,
    Linkage,
    cluster_by_correlation,
    correlation_distance_matrix,
    correlation_matrix,
)
from .errors import (
    ClusteringError,
    ConstantSeriesError,
    InputShapeError,
    InstrumentIdError,
    InvalidClusterCountError,
    InvalidParameterError,
    NonFiniteValueError,
    NonPositivePriceError,
    RegimeFitError,
    SilhouetteUndefinedError,
    TooFewInstrumentsError,
    TooFewObservationsError,
)
from .features import cluster_by_dbscan, cluster_by_kmeans, standardise_features
from .hmm import (
    HmmFilter,
    HmmRegimeModel,
    current_hmm_regime,
    filter_hmm_regimes,
    fit_hmm_regimes,
    select_hmm_regimes,
    smooth_hmm_regimes,
)
from .labels import NOISE_LABEL, canonical_labels
from .quality import ClusterQuality, silhouette_from_distances, silhouette_from_features
from .regime_features import (
    RegimeFeatures,
    log_returns,
    regime_features,
    regime_features_from_prices,
)
from .regimes import (
    RegimeModel,
    RegimeReading,
    classify_regimes,
    current_regime,
    fit_regimes,
    regime_probabilities,
)
from .result import ClusterResult
from .stability import StableLabelling, stabilise_labels, stabilise_result

__all__ = [
    "LINKAGES",
    "NOISE_LABEL",
    "ClusterQuality",
    "ClusterResult",
    "ClusteringError",
    "ConstantSeriesError",
    "HmmFilter",
    "HmmRegimeModel",
    "InputShapeError",
    "InstrumentIdError",
    "InvalidClusterCountError",
    "InvalidParameterError",
    "Linkage",
    "NonFiniteValueError",
    "NonPositivePriceError",
    "RegimeFeatures",
    "RegimeFitError",
    "RegimeModel",
    "RegimeReading",
    "SilhouetteUndefinedError",
    "StableLabelling",
    "TooFewInstrumentsError",
    "TooFewObservationsError",
    "canonical_labels",
    "classify_regimes",
    "cluster_by_correlation",
    "cluster_by_dbscan",
    "cluster_by_kmeans",
    "correlation_distance_matrix",
    "correlation_matrix",
    "current_hmm_regime",
    "current_regime",
    "filter_hmm_regimes",
    "fit_hmm_regimes",
    "fit_regimes",
    "log_returns",
    "regime_features",
    "regime_features_from_prices",
    "regime_probabilities",
    "select_hmm_regimes",
    "silhouette_from_distances",
    "silhouette_from_features",
    "smooth_hmm_regimes",
    "stabilise_labels",
    "stabilise_result",
    "standardise_features",
]
