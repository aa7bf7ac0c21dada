"""Every projection of the platform, and the DDL of their tables."""

from __future__ import annotations

import logging

import psycopg
from psycopg import Cursor, sql

from projections.base import SCHEMA_SQL, Projection
from projections.controls import ControlsProjection
from projections.event_index import EventIndexProjection
from projections.features import FeaturesProjection
from projections.market_data import MarketDataProjection
from projections.market_structure import MarketStructureProjection
from projections.models import ModelsProjection
from projections.notifications import NotificationsProjection
from projections.orders import OrdersProjection
from projections.portfolio import PortfolioProjection
from projections.predictions import PredictionsProjection


def all_projections() -> list[Projection]:
    return [
        MarketDataProjection(),
        PredictionsProjection(),
        ModelsProjection(),
        FeaturesProjection(),
        MarketStructureProjection(),
        OrdersProjection(),
        ControlsProjection(),
        PortfolioProjection(),
        EventIndexProjection(),
        NotificationsProjection(),
    ]


READ_MODEL_VERSION = 12
"""Raised with every change to ``schema.sql``. Version 2: ``seq``/``updated_seq`` positions on
every listed row (stable paging and resumable subscriptions), orders' rejection breaches,
algorithm, actor and time in force, instruments' lot and tick sizes. Version 3: the event
index (``rm_event_index``) auditors walk for lineage. Version 4: notifications (in-app notices,
deliveries, preferences); the event index takes any ``ts_event`` the store took. Version 5:
fill corrections (``rm_fills.corrected_seq``; the portfolio's own ledger of fills,
``rm_position_fills``, to re-fold a position when a past fill's price is corrected). Version 6:
the RTS 6 controls (``rm_kill_switches``, ``rm_risk_limits``, ``rm_control_changes``); order
types, times in force and flags (``rm_orders.stop_price``, ``trail_amount``, ``trail_percent``,
``trigger_price``, ``ts_triggered``, ``post_only``, ``reduce_only``). Version 7: the rolling
price collar (``rm_risk_limits.rolling_collar_pct``, ``rolling_collar_window_s``). Version 8:
contingent orders (``rm_orders.oco_group``, ``parent_order_id``, ``ts_activated``; status
``HELD``) and a FIX broker's unanswered requests (``rm_orders.pending_request``). Version 9:
predictions name their registry model and feature hash and carry every horizon's forecast
(``rm_predictions.registry_version``, ``feature_hash``, ``forecasts``). Version 10: the model
registry (``rm_models``: one row per model with its status, figures, promotion and retirement;
``rm_model_changes``: requests, trainings, failures, promotions, retirements, drift readings)
and the feature vectors per instrument and bar (``rm_features``, joined to a prediction by its
``feature_hash``). Version 12: the market's structure (``rm_clusterings``: every clustering of
the universe; ``rm_regimes``: every regime change)."""

_VERSION_DDL = """
CREATE TABLE IF NOT EXISTS rm_schema_version (
    version     INTEGER NOT NULL,
    installed   TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""
_MIGRATION_LOCK = 0x716D_7276  # "qmrv": one process at a time checks and migrates
_EVERY_READ_MODEL = (
    "rm_instruments",
    "rm_bars",
    "rm_quarantine",
    "rm_predictions",
    "rm_orders",
    "rm_order_events",
    "rm_fills",
    "rm_positions",
    "rm_position_fills",
    "rm_portfolio",
    "rm_event_index",
    "rm_notifications",
    "rm_notification_deliveries",
    "rm_notification_preferences",
    "rm_kill_switches",
    "rm_risk_limits",
    "rm_control_changes",
    "rm_models",
    "rm_model_changes",
    "rm_features",
    "rm_clusterings",
    "rm_regimes",
)
"""Every read-model table any version created (dropped when the version changes)."""

log = logging.getLogger(__name__)


def create_read_model_tables(cur: Cursor) -> bool:  # type: ignore[type-arg]
    """Create the read-model tables; returns True when tables of an older version were dropped.

    Read models are disposable (ARCHITECTURE principle 2): when their stored version is not
    :data:`READ_MODEL_VERSION`, every table is dropped and every projection's position
    forgotten (with its dead letters), in this transaction, so the projections rebuild them
    from the log as they start. Concurrent callers are serialised by an advisory lock.
    """
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
    cur.execute(_VERSION_DDL)
    cur.execute("SELECT max(version) AS version FROM rm_schema_version")
    row = cur.fetchone()
    stored = None if row is None else _value(row, "version")
    # Only this schema's tables count (a point-in-time replay puts its own in another schema,
    # with the live ones still on the search path).
    cur.execute(
        "SELECT to_regclass(format('%I.rm_orders', current_schema())) IS NOT NULL AS present"
    )
    present = bool(_value(cur.fetchone(), "present"))
    migrated = False
    if stored != READ_MODEL_VERSION and (present or stored is not None):
        log.warning(
            "read models are version %s, this release needs %s: dropping them; the "
            "projections rebuild them from the event log",
            stored or 1,
            READ_MODEL_VERSION,
        )
        cur.execute("SELECT current_schema() AS schema")
        schema = _value(cur.fetchone(), "schema")
        cur.execute(
            sql.SQL("DROP TABLE IF EXISTS {}").format(
                sql.SQL(", ").join(sql.Identifier(str(schema), t) for t in _EVERY_READ_MODEL)
            )
        )
        cur.execute("DELETE FROM rm_schema_version")
        for statement in (
            "DELETE FROM projection_tracking WHERE projection LIKE 'projection.%%'",
            "DELETE FROM dead_letters WHERE consumer LIKE 'projection.%%'",
        ):
            cur.execute("SAVEPOINT forget")
            try:
                cur.execute(statement)
            except psycopg.errors.UndefinedTable:  # created later in a fresh database
                cur.execute("ROLLBACK TO SAVEPOINT forget")
        migrated = True
    cur.execute(SCHEMA_SQL.read_text())
    if stored != READ_MODEL_VERSION:
        cur.execute("INSERT INTO rm_schema_version (version) VALUES (%s)", (READ_MODEL_VERSION,))
    return migrated


def _value(row: object, key: str) -> object:
    """A column of a row from a dict-row or a tuple-row cursor."""
    if row is None:
        return None
    return row[key] if isinstance(row, dict) else row[0]  # type: ignore[index]


def projection_named(name: str) -> Projection:
    for projection in all_projections():
        if name in (projection.name, projection.name.removeprefix("projection.")):
            return projection
    known = ", ".join(p.name.removeprefix("projection.") for p in all_projections())
    raise LookupError(f"no projection named {name!r}; known: {known}")
