"""The HTTP application: GraphQL on ``/graphql`` (GraphiQL in a browser), ``/healthz`` (the
read-model database answers) and ``/readyz`` (the process is fit to serve: the composition
root's readiness report — database, components, broker, lag — or, without one, the same check
as ``/healthz``).

The composition root builds it once per process::

    app = create_app(settings.database_url, execution_order_commands)
    uvicorn.run(app, host=settings.http_host, port=settings.http_port)

The asyncpg pool is opened in the lifespan and handed to requests through lifespan state
(``request.state.pool``), never a module global, so two apps in one process (tests) never
share connections; it is closed on shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypedDict

import anyio.to_thread
import asyncpg
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from strawberry.fastapi import GraphQLRouter

from gateway.config import GatewayConfig
from gateway.context import (
    PRINCIPAL_HEADER,
    GatewayContext,
    InvalidPrincipalHeader,
    Loaders,
    principal_from_header,
)
from gateway.database import asyncpg_connect_args, create_read_model_pool
from gateway.ports import OrderCommands
from gateway.resolvers.orders import order_events_loader, order_fills_loader, orders_loader
from gateway.schema import schema


class _LifespanState(TypedDict):
    pool: asyncpg.Pool


Readiness = Callable[[], dict[str, Any]]
"""Returns ``{"status": "ready" | "unavailable", "checks": {...}}`` (blocking; run on a thread)."""


def create_app(
    database_url: str,
    commands: OrderCommands,
    *,
    config: GatewayConfig | None = None,
    readiness: Readiness | None = None,
) -> FastAPI:
    """Build the gateway app on the read models at ``database_url``.

    ``database_url`` is a libpq URL (``DATABASE_URL``, or the embedded server's socket URL);
    it is checked here, and connected to when the app starts (lifespan), which fails loudly
    if the database is unreachable. ``commands`` is the execution context's order port; the
    gateway calls it on a worker thread as the request's principal.
    """
    settings = config or GatewayConfig()
    asyncpg_connect_args(database_url)  # refuse a malformed URL now, not at first request

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[_LifespanState]:
        pool = await create_read_model_pool(
            database_url, min_size=settings.pool_min_size, max_size=settings.pool_max_size
        )
        try:
            yield {"pool": pool}
        finally:
            await pool.close()

    async def get_context(request: Request) -> GatewayContext:
        try:
            principal = principal_from_header(request.headers.get(PRINCIPAL_HEADER))
        except InvalidPrincipalHeader as error:
            raise HTTPException(status_code=400, detail=str(error)) from None
        pool: asyncpg.Pool = request.state.pool
        return GatewayContext(
            pool=pool,
            commands=commands,
            principal=principal,
            loaders=Loaders(
                orders=orders_loader(pool),
                order_events=order_events_loader(pool),
                order_fills=order_fills_loader(pool),
            ),
        )

    app = FastAPI(title="QuantVista gateway", lifespan=lifespan)
    app.include_router(
        GraphQLRouter(
            schema,
            context_getter=get_context,
            graphql_ide="graphiql" if settings.graphiql else None,
        ),
        prefix="/graphql",
    )

    async def database_error(request: Request) -> str | None:
        pool: asyncpg.Pool = request.state.pool
        try:
            await pool.fetchval("SELECT 1", timeout=READ_TIMEOUT_S)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            return f"read-model database: {type(error).__name__}: {error}"
        return None

    @app.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        """``ok`` once a query round-trips to the read-model database, 503 otherwise."""
        error = await database_error(request)
        if error is not None:
            return JSONResponse({"status": "unavailable", "detail": error}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """200 when the process should get traffic, 503 with the failing checks otherwise."""
        error = await database_error(request)
        if readiness is None:
            report: dict[str, Any] = {
                "status": "unavailable" if error else "ready",
                "checks": {"read_models": error or "ok"},
            }
        else:
            report = await anyio.to_thread.run_sync(readiness)
            report["checks"]["read_models"] = error or "ok"
            if error is not None:
                report["status"] = "unavailable"
        return JSONResponse(report, status_code=200 if report["status"] == "ready" else 503)

    return app


READ_TIMEOUT_S = 3.0
"""A health probe that has not answered by then counts as a failure (a hung database)."""
