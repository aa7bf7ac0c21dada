"""Feature vectors per instrument and bar (``rm_features``), built by the prediction context's
own :class:`FeatureBuilder` through :func:`feature_feed.feed` — the very reading the live
predictor and the trainer use — so the hash a ``PriceDirectionPredicted`` names is the hash of
a row here, and an auditor can see exactly what a model saw.

Unlike the other projections this one needs memory of the past: the builder keeps the last
closes of each instrument and the regime and sentiment readings in force. It is rebuilt the
one way that cannot drift from the live builder: by feeding it every upstream event before the
first one of a batch, read from the intelligence store through the batch's own cursor (same
database, same transaction). That happens once after a start, a reset or a rebuild — never
per batch while the projection keeps up — and costs a read of the intelligence log (as the
predictor's own rebuild does).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from psycopg import Cursor, sql

from bounded_contexts.prediction.application.feature_feed import feed
from bounded_contexts.prediction.domain.features import FeatureBuilder, FeatureVector
from events.catalogue import default_catalogue
from events.codec import PoisonEvent, decode_state
from events.envelope import EventEnvelope
from projections.base import Projection

PAGE = 1000


class FeaturesProjection(Projection):
    name = "projection.features"
    upstreams = ("intelligence",)
    tables = ("rm_features",)

    def __init__(self) -> None:
        self._builder: FeatureBuilder | None = None
        self._fed_upto = 0  # the last upstream position the builder has seen

    def reset(self) -> None:
        """A batch failed or was applied elsewhere: what the builder saw may not be what the
        table holds, so it is rebuilt from the log before the next batch."""
        self._builder = None

    def fold(self, events: Sequence[EventEnvelope], cur: Cursor) -> None:  # type: ignore[type-arg]
        if not events:
            return
        first = events[0].position
        if self._builder is None or first <= self._fed_upto:
            self._builder = FeatureBuilder()
            for earlier in _upstream_before(cur, "intelligence", first):
                feed(self._builder, earlier.event)
        rows = []
        for envelope in events:
            vector = feed(self._builder, envelope.event)
            if vector is not None:
                rows.append(_row(vector, envelope.position))
        self._fed_upto = events[-1].position
        if rows:
            cur.executemany(
                "INSERT INTO rm_features (instrument_id, ts_end, feature_set, feature_values, "
                "absent, hash, seq) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                rows,
            )


def _row(vector: FeatureVector, position: int) -> tuple[object, ...]:
    return (
        vector.instrument_id,
        vector.ts_end,
        vector.feature_set,
        list(vector.values),
        list(vector.absent),
        vector.hash,
        position,
    )


def _upstream_before(
    cur: Cursor,  # type: ignore[type-arg]
    context: str,
    before: int,
) -> Iterator[EventEnvelope]:
    """Every decodable event of ``context``'s store below position ``before``, in order (an
    undecodable one was stepped over live as well)."""
    catalogue = default_catalogue()
    query = sql.SQL(
        "SELECT notification_id, originator_id, originator_version, state FROM {} "
        "WHERE notification_id > %s AND notification_id < %s ORDER BY notification_id LIMIT %s"
    ).format(sql.Identifier(f"{context}_events"))
    after = 0
    while True:
        cur.execute(query, (after, before, PAGE))
        rows = cur.fetchall()
        if not rows:
            return
        for row in rows:
            try:
                yield decode_state(
                    context=context,
                    aggregate_id=row["originator_id"],
                    aggregate_version=int(row["originator_version"]),
                    position=int(row["notification_id"]),
                    state=bytes(row["state"]),
                    catalogue=catalogue,
                )
            except PoisonEvent:
                continue
        after = int(rows[-1]["notification_id"])
