"""Stress tests: named shock scenarios and historical replays applied to today's positions.

A scenario is a set of simple returns (``-0.20`` = a 20 % fall) at one level:

* ``instrument``: a return per named instrument; unnamed instruments are unshocked (0).
* ``cluster``: a return per cluster, applied to every member instrument (mapping
  instrument -> cluster given by the caller); instruments of unnamed clusters are unshocked.
* ``factor``: a move per factor; instrument returns follow the linear factor model
  ``r = B f`` with ``B`` the (instruments x factors) exposure matrix (betas) given by the
  caller; unnamed factors do not move.

P&L is linear: ``pnl_i = w_i * r_i`` with ``w_i`` the position market value (negative = short),
and the total is the sum. Signs are P&L signs (a loss is negative), unlike VaR.

A scenario naming an instrument, cluster or factor the portfolio does not know raises
:class:`UnknownScenarioTargetError` listing the unknown and the known names: a misspelt ticker
would otherwise silently shock nothing and report a reassuring zero.

Historical scenarios turn a window of daily returns into instrument-level shocks:
``worst_day_scenario`` picks the day whose returns would have hurt *today's* portfolio most,
``historical_window_scenario`` compounds a date range, ``prod(1 + r) - 1`` (buy and hold over
the range, no rebalancing).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike

from .errors import (
    DimensionMismatchError,
    InstrumentMappingError,
    InvalidParameterError,
    InvalidShockError,
    UnknownScenarioTargetError,
)
from .grouping import cluster_membership
from .validation import (
    FloatMatrix,
    FloatVector,
    as_finite_matrix,
    as_finite_vector,
    check_instruments,
)


class ShockLevel(StrEnum):
    """What a scenario's shock keys name."""

    INSTRUMENT = "instrument"
    CLUSTER = "cluster"
    FACTOR = "factor"


@dataclass(frozen=True, slots=True)
class StressScenario:
    """A named set of shocks at one level; validated on construction.

    Instrument and cluster shocks are price returns and must be >= -1 (a price cannot fall more
    than 100 %); factor moves are only required to be finite.
    """

    name: str
    level: ShockLevel
    shocks: Mapping[str, float]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidParameterError(
                f"a stress scenario needs a non-empty name, got {self.name!r}"
            )
        try:
            level = ShockLevel(self.level)
        except ValueError:
            raise InvalidParameterError(
                f"scenario {self.name!r}: level must be one of "
                f"{[lv.value for lv in ShockLevel]}, got {self.level!r}"
            ) from None
        if not isinstance(self.shocks, Mapping) or not self.shocks:
            raise InvalidShockError(f"scenario {self.name!r} must shock at least one {level.value}")
        cleaned: dict[str, float] = {}
        for target, shock in self.shocks.items():
            if not isinstance(target, str) or not target:
                raise InvalidShockError(
                    f"scenario {self.name!r}: shock targets must be non-empty strings, "
                    f"got {target!r}"
                )
            if isinstance(shock, bool) or not isinstance(shock, numbers.Real):
                raise InvalidShockError(
                    f"scenario {self.name!r}: shock for {target!r} must be a number, got {shock!r}"
                )
            value = float(shock)
            if not math.isfinite(value):
                raise InvalidShockError(
                    f"scenario {self.name!r}: shock for {target!r} is not finite ({shock!r})"
                )
            if level is not ShockLevel.FACTOR and value < -1.0:
                raise InvalidShockError(
                    f"scenario {self.name!r}: shock {value!r} for {level.value} {target!r} is "
                    "below -100%, impossible for a price return (shocks are simple returns, "
                    "-0.2 = -20%)"
                )
            cleaned[target] = value
        object.__setattr__(self, "level", level)
        object.__setattr__(self, "shocks", MappingProxyType(cleaned))


@dataclass(frozen=True, slots=True)
class FactorExposures:
    """Instrument betas to named factors: ``matrix[i, k]`` = return of instrument i per unit
    move of factor k. Rows follow the portfolio's instrument order."""

    factor_names: tuple[str, ...]
    matrix: FloatMatrix


@dataclass(frozen=True, slots=True)
class StressResult:
    """P&L of one scenario (currency; a loss is negative), per position, cluster and total."""

    scenario: str
    instrument_returns: Mapping[str, float]
    pnl_by_instrument: Mapping[str, float]
    pnl_by_cluster: Mapping[str, float]
    total_pnl: float


def _check_factor_exposures(
    factor_exposures: ArrayLike | None,
    factor_names: Sequence[str] | None,
    instruments: tuple[str, ...],
) -> FactorExposures | None:
    if factor_exposures is None and factor_names is None:
        return None
    if factor_exposures is None or factor_names is None:
        raise InvalidParameterError(
            "factor_exposures and factor_names must be given together (a matrix of betas "
            "instruments x factors, and one name per column)"
        )
    names = tuple(factor_names)
    if (
        not names
        or len(set(names)) != len(names)
        or not all(isinstance(n, str) and n for n in names)
    ):
        raise InstrumentMappingError(
            f"factor names must be unique non-empty strings, got {list(names)!r}"
        )
    matrix = as_finite_matrix(factor_exposures, "factor exposures", labels=instruments)
    if matrix.shape != (len(instruments), len(names)):
        raise DimensionMismatchError(
            f"factor exposures have shape {matrix.shape} but the portfolio has "
            f"{len(instruments)} instrument(s) and {len(names)} factor name(s) were given"
        )
    return FactorExposures(factor_names=names, matrix=matrix)


def _unknown(scenario: StressScenario, known: Sequence[str]) -> None:
    known_set = set(known)
    unknown = [target for target in scenario.shocks if target not in known_set]
    if unknown:
        raise UnknownScenarioTargetError(
            scenario.name, scenario.level.value, unknown, sorted(known_set)
        )


def scenario_returns(
    scenario: StressScenario,
    instruments: tuple[str, ...],
    clusters: Mapping[str, str] | None,
    factors: FactorExposures | None,
) -> FloatVector:
    """Instrument returns implied by a scenario (validated against the portfolio's names)."""
    if scenario.level is ShockLevel.INSTRUMENT:
        _unknown(scenario, instruments)
        return np.array([scenario.shocks.get(i, 0.0) for i in instruments])
    if scenario.level is ShockLevel.CLUSTER:
        if clusters is None:
            raise InvalidParameterError(
                f"scenario {scenario.name!r} shocks clusters but no instrument -> cluster "
                "mapping was given"
            )
        names, membership = cluster_membership(instruments, clusters)
        _unknown(scenario, names)
        return membership @ np.array([scenario.shocks.get(c, 0.0) for c in names])
    if factors is None:
        raise InvalidParameterError(
            f"scenario {scenario.name!r} shocks factors but no factor exposures were given"
        )
    _unknown(scenario, factors.factor_names)
    moves = np.array([scenario.shocks.get(f, 0.0) for f in factors.factor_names])
    return factors.matrix @ moves


def apply_stress_scenarios(
    scenarios: Sequence[StressScenario],
    position_values: ArrayLike,
    *,
    instruments: Sequence[str],
    clusters: Mapping[str, str] | None = None,
    factor_exposures: ArrayLike | None = None,
    factor_names: Sequence[str] | None = None,
) -> tuple[StressResult, ...]:
    """P&L of each scenario on today's positions, in the order given.

    All scenarios are checked before any is applied, so a bad one fails the whole batch
    instead of returning a partial stress report.
    """
    ids = check_instruments(instruments)
    values = as_finite_vector(position_values, "position values", len(ids), ids)
    factors = _check_factor_exposures(factor_exposures, factor_names, ids)
    cluster_names, membership = cluster_membership(ids, clusters)
    for scenario in scenarios:
        if not isinstance(scenario, StressScenario):
            raise InvalidParameterError(
                f"expected StressScenario objects, got {type(scenario).__name__}"
            )
    names = [scenario.name for scenario in scenarios]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise InvalidParameterError(f"scenario names must be unique; repeated: {duplicated}")
    if not scenarios:
        return ()
    returns = np.vstack([scenario_returns(s, ids, clusters, factors) for s in scenarios])
    pnl = returns * values + 0.0  # + 0.0 turns -0.0 (short x unshocked) into 0.0
    cluster_pnl = pnl @ membership
    return tuple(
        StressResult(
            scenario=scenario.name,
            instrument_returns=MappingProxyType(dict(zip(ids, map(float, row_r), strict=True))),
            pnl_by_instrument=MappingProxyType(dict(zip(ids, map(float, row_p), strict=True))),
            pnl_by_cluster=MappingProxyType(
                dict(zip(cluster_names, map(float, row_c), strict=True))
            ),
            total_pnl=math.fsum(row_p),
        )
        for scenario, row_r, row_p, row_c in zip(scenarios, returns, pnl, cluster_pnl, strict=True)
    )


def apply_stress_scenario(
    scenario: StressScenario,
    position_values: ArrayLike,
    *,
    instruments: Sequence[str],
    clusters: Mapping[str, str] | None = None,
    factor_exposures: ArrayLike | None = None,
    factor_names: Sequence[str] | None = None,
) -> StressResult:
    """P&L of one scenario on today's positions (see :func:`apply_stress_scenarios`)."""
    return apply_stress_scenarios(
        [scenario],
        position_values,
        instruments=instruments,
        clusters=clusters,
        factor_exposures=factor_exposures,
        factor_names=factor_names,
    )[0]


def _check_dates(dates: Sequence[dt.date], observations: int) -> tuple[dt.date, ...]:
    labels = tuple(dates)
    if len(labels) != observations:
        raise DimensionMismatchError(
            f"{len(labels)} date(s) given for {observations} row(s) of returns"
        )
    for index, day in enumerate(labels):
        if not isinstance(day, dt.date):
            raise InvalidParameterError(
                f"dates must be datetime.date values; position {index} holds {day!r}"
            )
    for index in range(1, len(labels)):
        if not labels[index - 1] < labels[index]:
            raise InvalidParameterError(
                f"dates must be strictly increasing: position {index - 1} is "
                f"{labels[index - 1]} and position {index} is {labels[index]}"
            )
    return labels


def _history(
    returns: ArrayLike, dates: Sequence[dt.date], instruments: Sequence[str]
) -> tuple[tuple[str, ...], FloatMatrix, tuple[dt.date, ...]]:
    ids = check_instruments(instruments)
    matrix = as_finite_matrix(returns, "returns", len(ids), ids)
    if matrix.shape[0] == 0:
        raise InvalidParameterError("a historical scenario needs at least one day of returns")
    return ids, matrix, _check_dates(dates, matrix.shape[0])


def worst_day_scenario(
    returns: ArrayLike,
    position_values: ArrayLike,
    *,
    instruments: Sequence[str],
    dates: Sequence[dt.date],
) -> StressScenario:
    """The day in the window whose returns lose most on today's positions (earliest on ties)."""
    ids, matrix, labels = _history(returns, dates, instruments)
    values = as_finite_vector(position_values, "position values", len(ids), ids)
    worst = int(np.argmin(matrix @ values))
    return StressScenario(
        name=f"worst day {labels[worst].isoformat()}",
        level=ShockLevel.INSTRUMENT,
        shocks=dict(zip(ids, map(float, matrix[worst]), strict=True)),
    )


def historical_window_scenario(
    returns: ArrayLike,
    *,
    instruments: Sequence[str],
    dates: Sequence[dt.date],
    start: dt.date,
    end: dt.date,
) -> StressScenario:
    """Compounded instrument returns over ``start <= date <= end`` (both inclusive)."""
    ids, matrix, labels = _history(returns, dates, instruments)
    if not (isinstance(start, dt.date) and isinstance(end, dt.date)) or start > end:
        raise InvalidParameterError(
            f"need datetime.date bounds with start <= end, got start={start!r}, end={end!r}"
        )
    inside = np.array([start <= day <= end for day in labels])
    if not inside.any():
        raise InvalidParameterError(
            f"no returns between {start} and {end}; the window covers {labels[0]} to {labels[-1]}"
        )
    window = matrix[inside]
    window_dates = [day for day, keep in zip(labels, inside, strict=True) if keep]
    if np.any(window < -1.0):
        row, column = (int(i) for i in np.argwhere(window < -1.0)[0])
        raise InvalidShockError(
            f"return {window[row, column]!r} of instrument {ids[column]!r} on "
            f"{window_dates[row]} is below -100%; it cannot be compounded"
        )
    compounded = np.prod(1.0 + window, axis=0) - 1.0
    return StressScenario(
        name=f"historical {start.isoformat()}..{end.isoformat()}",
        level=ShockLevel.INSTRUMENT,
        shocks=dict(zip(ids, map(float, compounded), strict=True)),
    )
