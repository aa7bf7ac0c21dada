"""Every projection of the platform, and the DDL of their tables."""

from __future__ import annotations

from psycopg import Cursor

from projections.base import SCHEMA_SQL, Projection
from projections.market_data import MarketDataProjection
from projections.orders import OrdersProjection
from projections.portfolio import PortfolioProjection
from projections.predictions import PredictionsProjection


def all_projections() -> list[Projection]:
    return [
        MarketDataProjection(),
        PredictionsProjection(),
        OrdersProjection(),
        PortfolioProjection(),
    ]


def create_read_model_tables(cur: Cursor) -> None:  # type: ignore[type-arg]
    cur.execute(SCHEMA_SQL.read_text())


def projection_named(name: str) -> Projection:
    for projection in all_projections():
        if name in (projection.name, projection.name.removeprefix("projection.")):
            return projection
    known = ", ".join(p.name.removeprefix("projection.") for p in all_projections())
    raise LookupError(f"no projection named {name!r}; known: {known}")
