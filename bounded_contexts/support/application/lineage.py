"""An order's lineage: every event that led to it and every event it led to, from the event log.

From the order's own events (submitted, the pre-trade controls' verdict, fills, cancellation)
the walk follows each event's ``causation_id`` back through the stores — the decision, the
prediction, the indicators, the bar — and adds the model the prediction used (its training
event, by model version) and the bars each fill executed on. Every step is shown with its store,
position, domain time, actor and payload as stored; the walk reads the event index
(``rm_event_index``) and then each event from its store, so it costs a few indexed lookups per
step, whatever the size of the log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

PIPELINE = ("ingestion", "intelligence", "prediction", "decision", "execution", "sagas", "support")
"""The order stores are shown in at one instant: the order in which the pipeline acts."""
MAX_STEPS = 500
"""A bound on one walk (a strategy order has about ten steps; a long-lived one a few dozen)."""


@dataclass(frozen=True)
class LineageStep:
    context: str
    position: int
    event_type: str
    event_id: UUID
    aggregate_id: UUID
    causation_id: UUID | None
    correlation_id: UUID
    ts_event: int
    actor: str
    payload: Mapping[str, Any]
    role: str
    """``order`` (the order's own events), ``cause`` (what led to it), ``execution`` (the bar
    a fill executed on), ``model`` (the training of the model a prediction used)."""


class OrderNotIndexed(LookupError):
    """No event of this order is in the event index (unknown, or not projected yet)."""


_COLUMNS = (
    "event_id, context, position, event_type, aggregate_id, causation_id, correlation_id, "
    "ts_event, actor"
)


def order_lineage(conn: psycopg.Connection, order_id: UUID) -> list[LineageStep]:
    """The lineage of one order, in domain time, then pipeline order, then position."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"SELECT {_COLUMNS} FROM rm_event_index WHERE aggregate_id = %s "
            "ORDER BY aggregate_version",
            (order_id,),
        )
        own = cur.fetchall()
        if not own:
            raise OrderNotIndexed(f"no event of order {order_id} in the event index")
        found: dict[UUID, tuple[dict[str, Any], str]] = {
            row["event_id"]: (row, "order") for row in own
        }
        frontier = [
            (row["causation_id"], "execution" if row["actor"].startswith("venue:") else "cause")
            for row in own
            if row["causation_id"] is not None
        ]
        while frontier and len(found) < MAX_STEPS:
            cause_id, role = frontier.pop()
            if cause_id in found:
                continue
            cur.execute(f"SELECT {_COLUMNS} FROM rm_event_index WHERE event_id = %s", (cause_id,))
            row = cur.fetchone()
            if row is None:
                continue  # not indexed (yet): the walk shows what the log has
            found[cause_id] = (row, role)
            if row["causation_id"] is not None and role != "execution":
                frontier.append((row["causation_id"], role))
        steps = [_step(cur, row, role) for row, role in found.values()]
        steps += _models(cur, steps, set(found))
    return sorted(steps, key=lambda s: (s.ts_event, PIPELINE.index(s.context), s.position))


def _stored(cur: psycopg.Cursor[Any], context: str, position: int) -> dict[str, Any]:
    """The event's stored document (schema version, envelope fields, payload), as recorded."""
    cur.execute(
        sql.SQL("SELECT state FROM {} WHERE notification_id = %s").format(
            sql.Identifier(f"{context}_events")
        ),
        (position,),
    )
    row = cur.fetchone()
    return {} if row is None else dict(json.loads(bytes(row["state"])))


def _step(cur: psycopg.Cursor[Any], row: Mapping[str, Any], role: str) -> LineageStep:
    return LineageStep(
        context=row["context"],
        position=row["position"],
        event_type=row["event_type"],
        event_id=row["event_id"],
        aggregate_id=row["aggregate_id"],
        causation_id=row["causation_id"],
        correlation_id=row["correlation_id"],
        ts_event=int(row["ts_event"]),
        actor=row["actor"],
        payload=_stored(cur, row["context"], row["position"]).get("payload", {}),
        role=role,
    )


def _models(
    cur: psycopg.Cursor[Any], steps: list[LineageStep], found: set[UUID]
) -> list[LineageStep]:
    """The training events of the models the lineage's predictions used: ``ModelTrained`` by
    the prediction's model id, or (predictions stored before the registry, schema v1) the
    per-instrument ``DirectionModelTrained`` by instrument and model version."""
    wanted: set[tuple[str, str, str]] = set()
    for s in steps:
        if s.event_type != "PriceDirectionPredicted":
            continue
        if "model_id" in s.payload:
            wanted.add(("ModelTrained", "model_id", str(s.payload["model_id"])))
        else:
            wanted.add(("DirectionModelTrained", "model_version", str(s.payload["model_version"])))
    models = []
    for event_type, field, value in sorted(wanted):
        cur.execute(
            f"SELECT i.{_COLUMNS.replace(', ', ', i.')} FROM rm_event_index i "
            "JOIN prediction_events e ON e.notification_id = i.position "
            "WHERE i.context = 'prediction' AND i.event_type = %s "
            "AND convert_from(e.state, 'UTF8')::jsonb #>> %s = %s",
            (event_type, ["payload", field], value),
        )
        models += [
            _step(cur, row, "model") for row in cur.fetchall() if row["event_id"] not in found
        ]
    return models
