"""The result every VaR method returns: portfolio, per-cluster and per-instrument figures.

All figures are positive loss numbers in the currency of the position values. A negative VaR
means the distribution is so favourable (large expected return) that even the alpha-quantile
of the loss is a gain; it is reported as computed, never clipped.

Two kinds of per-instrument figure coexist and answer different questions:

* *standalone* (``by_instrument``, ``by_cluster``): the VaR/ES of that position or cluster held
  alone. They do not add up to the portfolio figure (diversification).
* *Euler allocation* (``allocation``): how much of the portfolio VaR/ES each position is
  responsible for. Component VaRs add up to the portfolio VaR, component ESs to the ES.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from .grouping import GroupWeights
from .tail import EulerAllocation
from .validation import FloatVector


class VaRMethod(StrEnum):
    """Which model produced the figures."""

    HISTORICAL = "historical"
    PARAMETRIC_NORMAL = "parametric_normal"
    PARAMETRIC_STUDENT_T = "parametric_student_t"
    MONTE_CARLO_NORMAL = "monte_carlo_normal"
    MONTE_CARLO_STUDENT_T = "monte_carlo_student_t"


@dataclass(frozen=True, slots=True)
class RiskFigures:
    """VaR and expected shortfall of one position, cluster or portfolio (currency, losses > 0)."""

    value_at_risk: float
    expected_shortfall: float


@dataclass(frozen=True, slots=True)
class InstrumentAllocation:
    """Euler allocation of the portfolio figures to one instrument.

    ``marginal_var`` is d VaR / d w_i: the VaR added per extra unit of currency held in the
    instrument. ``component_var = w_i * marginal_var``; components sum to the portfolio VaR.
    """

    marginal_var: float
    component_var: float
    component_es: float


@dataclass(frozen=True, slots=True)
class VaRReport:
    """VaR/ES at one confidence and horizon, at portfolio, cluster and instrument level.

    ``by_instrument`` is empty when the caller skipped the standalone instrument breakdown
    (Monte Carlo, ``standalone_by_instrument=False``); everything else is always filled.
    ``component_var_by_cluster`` sums the instrument components inside each cluster, so it
    also adds up to the portfolio VaR.
    """

    method: VaRMethod
    confidence: float
    horizon_days: int
    portfolio: RiskFigures
    by_cluster: Mapping[str, RiskFigures]
    by_instrument: Mapping[str, RiskFigures]
    allocation: Mapping[str, InstrumentAllocation]
    component_var_by_cluster: Mapping[str, float]
    component_es_by_cluster: Mapping[str, float]


def _figures(
    var: FloatVector, es: FloatVector, names: tuple[str, ...]
) -> Mapping[str, RiskFigures]:
    return MappingProxyType(
        {name: RiskFigures(float(v), float(e)) for name, v, e in zip(names, var, es, strict=True)}
    )


def _named(values: FloatVector, names: tuple[str, ...]) -> Mapping[str, float]:
    return MappingProxyType({name: float(v) for name, v in zip(names, values, strict=True)})


def assemble_report(
    *,
    method: VaRMethod,
    confidence: float,
    horizon: int,
    instruments: tuple[str, ...],
    groups: GroupWeights,
    group_var: FloatVector,
    group_es: FloatVector,
    instrument_var: FloatVector | None,
    instrument_es: FloatVector | None,
    allocation: EulerAllocation,
) -> VaRReport:
    """Turn the arrays a method computed into the named, immutable report.

    ``group_var``/``group_es`` follow the columns of ``groups.matrix``: clusters, then portfolio.
    """
    clusters = groups.cluster_names
    portfolio_column = groups.portfolio_column
    cluster_component_var = allocation.component_var @ groups.membership
    cluster_component_es = allocation.component_es @ groups.membership
    by_instrument: Mapping[str, RiskFigures] = MappingProxyType({})
    if instrument_var is not None and instrument_es is not None:
        by_instrument = _figures(instrument_var, instrument_es, instruments)
    return VaRReport(
        method=method,
        confidence=confidence,
        horizon_days=horizon,
        portfolio=RiskFigures(
            float(group_var[portfolio_column]), float(group_es[portfolio_column])
        ),
        by_cluster=_figures(group_var[:portfolio_column], group_es[:portfolio_column], clusters),
        by_instrument=by_instrument,
        allocation=MappingProxyType(
            {
                name: InstrumentAllocation(float(m), float(cv), float(ce))
                for name, m, cv, ce in zip(
                    instruments,
                    allocation.marginal_var,
                    allocation.component_var,
                    allocation.component_es,
                    strict=True,
                )
            }
        ),
        component_var_by_cluster=_named(cluster_component_var, clusters),
        component_es_by_cluster=_named(cluster_component_es, clusters),
    )
