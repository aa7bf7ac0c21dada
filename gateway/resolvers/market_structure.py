"""``clusters``, ``clusterings``, ``regime``, ``regimeHistory``: the market's structure from
its read models. Like instruments and predictions, anyone signed in may read it.

"In force at T" is the latest reading stamped at or before T: a reading is stamped with the
last bar it used, so an ``asOf`` query never shows a reading made from later bars."""

from __future__ import annotations

import asyncpg

from gateway.market_structure_types import (
    Clustering,
    InstrumentCluster,
    Regime,
    RegimeProbability,
)
from gateway.scalars import Nanoseconds

_CLUSTERINGS_SQL = """
SELECT * FROM (
    SELECT ts_end, session, method, window_bars, silhouette, clusters
      FROM rm_clusterings
     WHERE ($1::bigint IS NULL OR ts_end <= $1::bigint)
     ORDER BY ts_end DESC
     LIMIT $2
) latest
 ORDER BY ts_end
"""

_REGIMES_SQL = """
SELECT * FROM (
    SELECT ts_end, session, model, regime, rank, states, previous, probability,
           probabilities, expected_duration_bars, observations
      FROM rm_regimes
     WHERE ($1::bigint IS NULL OR ts_end <= $1::bigint)
     ORDER BY ts_end DESC
     LIMIT $2
) latest
 ORDER BY ts_end
"""


async def fetch_clusterings(
    pool: asyncpg.Pool, *, as_of: int | None, last: int
) -> list[Clustering]:
    """The ``last`` clusterings stamped at or before ``as_of`` (all when None), oldest first."""
    return [_clustering(row) for row in await pool.fetch(_CLUSTERINGS_SQL, as_of, last)]


async def fetch_regimes(pool: asyncpg.Pool, *, as_of: int | None, last: int) -> list[Regime]:
    """The ``last`` regime changes stamped at or before ``as_of``, oldest first."""
    return [_regime(row) for row in await pool.fetch(_REGIMES_SQL, as_of, last)]


def _clustering(row: asyncpg.Record) -> Clustering:
    return Clustering(
        ts_end=Nanoseconds(row["ts_end"]),
        session=row["session"],
        method=row["method"],
        window_bars=row["window_bars"],
        silhouette=row["silhouette"],
        clusters=[
            InstrumentCluster(
                label=c["label"], members=list(c["members"]), silhouette=c["silhouette"]
            )
            for c in row["clusters"]
        ],
    )


def _regime(row: asyncpg.Record) -> Regime:
    return Regime(
        ts_end=Nanoseconds(row["ts_end"]),
        session=row["session"],
        model=row["model"],
        regime=row["regime"],
        rank=row["rank"],
        states=row["states"],
        previous=row["previous"],
        probability=row["probability"],
        probabilities=[
            RegimeProbability(regime=name, probability=p)
            for name, p in row["probabilities"].items()
        ],
        expected_duration_bars=row["expected_duration_bars"],
        observations=row["observations"],
    )
