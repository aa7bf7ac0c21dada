"""Per-request context: the read-model pool, the write-side ports, the acting principal, the
request's data loaders, and read-your-writes.

Built by :func:`gateway.app.create_app`'s context getter for every request (HTTP or
WebSocket), so nothing here is shared between requests except what lives in the app's
lifespan state (the pool, the port, the projection-progress listener).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

import anyio.to_thread
import asyncpg
import psycopg
import strawberry
from graphql import GraphQLError
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from bounded_contexts.support.application.lineage import OrderNotIndexed, order_lineage
from gateway.config import GatewayConfig
from gateway.errors import ConsistencyTimeout
from gateway.ports import ModelCommands, NotificationCommands, OrderCommands, Principal
from gateway.progress import ProjectionProgress
from gateway.scalars import Nanoseconds, StorePosition
from gateway.security import Caller
from gateway.types import Fill, LineageEvent, Order, OrderEvent

READ_MODELS: dict[str, tuple[str, ...]] = {
    "orders": ("projection.orders",),
    "portfolio": ("projection.portfolio",),
    "accounts": ("projection.portfolio", "projection.orders"),
    "controls": ("projection.controls",),
    "models": ("projection.models",),
}
"""Which projections a query reads, for ``minPosition``."""
UPSTREAMS: dict[str, str] = {"models": "prediction"}
"""The store whose positions a read model's ``minPosition`` counts (the execution store's,
unless named here): a registry mutation answers with a prediction store position."""


@dataclass
class Loaders:
    """Batch loaders: orders by id, and per-order children so that a page of 500 orders costs
    one query per child kind, not one per order."""

    orders: DataLoader[UUID, Order | None]
    order_events: DataLoader[UUID, list[OrderEvent]]
    order_fills: DataLoader[UUID, list[Fill]]


@dataclass
class GatewayContext(BaseContext):
    """What every resolver sees as ``info.context``."""

    pool: asyncpg.Pool
    commands: OrderCommands
    caller: Caller
    loaders: Loaders
    progress: ProjectionProgress
    config: GatewayConfig
    notifications: NotificationCommands
    models: ModelCommands | None = None
    """The prediction context's model registry (promote, retire, request a retrain); None in
    a gateway built without it (the registry mutations then answer ``UNAVAILABLE``)."""
    database_url: str = ""
    """For the auditor's reads that use the event stores (lineage), on a worker thread."""
    connection_params: dict[str, object] | None = None
    """A subscription's ``connection_init`` payload (set by Strawberry; read to authenticate)."""
    reported_errors: list[GraphQLError] = field(default_factory=list)
    """Errors a resolver reports *beside* the data it returns (a rejected order is recorded
    and returned, and its rejection is also an error); the schema appends them."""

    def __post_init__(self) -> None:
        super().__init__()

    @property
    def principal(self) -> Principal:
        """The verified principal (raises ``UNAUTHENTICATED`` for an anonymous request)."""
        return self.caller.principal

    async def read_after(self, position: int | None, read_model: str) -> None:
        """Wait until the read model has applied its store (the execution store's, or the
        one :data:`UPSTREAMS` names) up to ``position`` (``minPosition``), at most
        ``config.consistency_timeout_s``; ``None``: no wait."""
        if position is None:
            return
        projections = READ_MODELS[read_model]
        upstream = UPSTREAMS.get(read_model, "execution")
        standing = await self.progress.wait_for(
            projections,
            upstream,
            position,
            timeout_s=self.config.consistency_timeout_s,
        )
        if standing is not None:
            behind = ", ".join(f"{name} at {at}" for name, at in sorted(standing.items()))
            raise ConsistencyTimeout(
                f"the read model has not reached {upstream} position {position} within "
                f"{self.config.consistency_timeout_s:g} s ({behind}); retry, or read without "
                "minPosition"
            )

    async def lineage(self, order_id: UUID) -> list[LineageEvent]:
        """The order's lineage (:mod:`bounded_contexts.support.application.lineage`)."""

        def walk() -> list[LineageEvent]:
            with psycopg.connect(self.database_url, connect_timeout=3) as conn:
                try:
                    steps = order_lineage(conn, order_id)
                except OrderNotIndexed:
                    return []
            return [
                LineageEvent(
                    context=s.context,
                    position=StorePosition(s.position),
                    type=s.event_type,
                    role=s.role,
                    event_id=strawberry.ID(str(s.event_id)),
                    causation_id=None
                    if s.causation_id is None
                    else strawberry.ID(str(s.causation_id)),
                    ts_event=Nanoseconds(s.ts_event),
                    actor=s.actor,
                    payload=dict(s.payload),
                )
                for s in steps
            ]

        return await anyio.to_thread.run_sync(walk)

    def report(self, error: GraphQLError) -> None:
        self.reported_errors.append(error)
