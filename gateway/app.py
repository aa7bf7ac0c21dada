"""The HTTP application: GraphQL on ``/graphql`` (GraphQL over HTTP, :mod:`gateway.http`;
subscriptions over WebSocket with ``graphql-transport-ws``; GraphiQL for a browser),
``/healthz`` (the read-model database answers) and ``/readyz`` (the process is fit to serve:
the composition root's readiness report — database, components, broker, lag — or, without one,
the same check as ``/healthz``).

The composition root builds it once per process::

    app = create_app(settings.database_url, execution_order_commands)
    uvicorn.run(app, host=settings.http_host, port=settings.http_port)

The asyncpg pool and the projection-progress listener are opened in the lifespan and handed to
requests through lifespan state (``request.state``), never a module global, so two apps in one
process (tests) never share connections; they are closed on shutdown.

Load shedding: at most ``config.max_in_flight`` GraphQL requests run at once; one more is
answered at once with 503, ``Retry-After`` and the code ``OVERLOADED`` rather than queued
without bound (an open-loop load beyond capacity would otherwise grow every latency).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, NoReturn, TypedDict

import anyio.to_thread
import asyncpg
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from graphql import FieldNode, OperationDefinitionNode, OperationType
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType as StrawberryOperationType

from gateway.config import GatewayConfig
from gateway.context import GatewayContext, Loaders
from gateway.database import asyncpg_connect_args, create_read_model_pool
from gateway.errors import UNAVAILABLE, ReadOnly, Unavailable
from gateway.graphiql import graphiql_router
from gateway.http import (
    RATE_LIMITED,
    GraphQLParams,
    PersistedQueries,
    RequestRefused,
    error_body,
    get_params,
    post_params,
    refusal_response,
    response_media_type,
    run_operation,
    status_for,
)
from gateway.ports import ModelCommands, NotificationCommands, OrderCommands
from gateway.progress import ProjectionProgress
from gateway.ratelimit import RateLimited, RateLimiter
from gateway.resolvers.orders import order_events_loader, order_fills_loader, orders_loader
from gateway.schema import GatewaySchema, build_schema
from gateway.security import (
    INSECURE_NOTICE,
    UNAUTHENTICATED,
    Caller,
    Security,
    Unauthenticated,
)

OVERLOADED = "OVERLOADED"


class _LifespanState(TypedDict):
    pool: asyncpg.Pool
    progress: ProjectionProgress


Readiness = Callable[[], dict[str, Any]]
"""Returns ``{"status": "ready" | "unavailable", "checks": {...}}`` (blocking; run on a thread)."""


class ReadOnlyCommands:
    """The order port of a gateway serving a point-in-time replay: it takes no commands."""

    def __init__(self, schema: str) -> None:
        self.schema = schema

    def _refuse(self, *_args: object, **_kwargs: object) -> NoReturn:
        raise ReadOnly(
            f"this gateway serves the read models of {self.schema!r} (a point-in-time replay) "
            "and takes no commands"
        )

    place_order = cancel_order = amend_order = _refuse
    place_oco_orders = place_oto_order = place_bracket_order = _refuse
    engage_kill_switch = release_kill_switch = set_risk_limits = cancel_all_orders = _refuse
    open_account = configure_account = halt_trading = resume_trading = _refuse
    mark_read = set_preference = preferences = _refuse
    promote_model = retire_model = request_retrain = _refuse


class NotificationsNotServed:
    """The notification port of a gateway built without one (tests of other features)."""

    def _refuse(self, *_args: object, **_kwargs: object) -> NoReturn:
        raise Unavailable("this gateway was started without the notification service")

    mark_read = set_preference = preferences = _refuse


class ModelsNotServed:
    """The model registry port of a gateway built without one (tests of other features)."""

    def _refuse(self, *_args: object, **_kwargs: object) -> NoReturn:
        raise Unavailable("this gateway was started without the model registry")

    promote_model = retire_model = request_retrain = _refuse


class _InFlight:
    """Counts GraphQL requests being served, to shed load beyond ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit, self.now = limit, 0


def create_app(
    database_url: str,
    commands: OrderCommands,
    *,
    security: Security,
    notifications: NotificationCommands | None = None,
    models: ModelCommands | None = None,
    config: GatewayConfig | None = None,
    readiness: Readiness | None = None,
    on_shutdown: Callable[[], None] | None = None,
) -> FastAPI:
    """Build the gateway app on the read models at ``database_url``.

    ``database_url`` is a libpq URL (``DATABASE_URL``, or the embedded server's socket URL);
    it is checked here, and connected to when the app starts (lifespan), which fails loudly
    if the database is unreachable. ``commands`` is the execution context's order port; the
    gateway calls it on a worker thread as the request's principal. ``security`` decides who
    the caller is and what it may do (:mod:`gateway.security`). ``notifications`` is the
    support context's notification service (the user's preferences and read marks).
    ``models`` is the prediction context's model registry (promote, retire, retrain).
    ``on_shutdown`` runs (on a worker thread) when the app stops, after the pool is closed: a
    process that built its own write side for the gateway stops it there.
    """
    settings = config or GatewayConfig()
    connect_args = asyncpg_connect_args(database_url)  # a malformed URL fails now
    schema = build_schema(settings.limits, introspection=settings.introspection)
    persisted = PersistedQueries(settings.http.persisted_queries, settings.allowlist)
    notification_port: NotificationCommands = notifications or NotificationsNotServed()
    model_port: ModelCommands = models or ModelsNotServed()
    if settings.read_schema is not None:
        commands = notification_port = model_port = ReadOnlyCommands(settings.read_schema)
    in_flight = _InFlight(settings.max_in_flight)
    limiter = None if settings.rate_limits is None else RateLimiter(settings.rate_limits)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[_LifespanState]:
        pool = await create_read_model_pool(
            database_url,
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            schema=settings.read_schema,
        )
        progress = ProjectionProgress(
            pool, lambda: asyncpg.connect(connect_args.dsn, **connect_args.options)
        )
        await progress.start()
        try:
            yield {"pool": pool, "progress": progress}
        finally:
            await progress.stop()
            await pool.close()
            if on_shutdown is not None:
                await anyio.to_thread.run_sync(on_shutdown)

    def context_for(request: Request | WebSocket, caller: Caller) -> GatewayContext:
        pool: asyncpg.Pool = request.state.pool
        # One set of loaders per operation: a batch's operations never share cached rows.
        return GatewayContext(
            pool=pool,
            commands=commands,
            notifications=notification_port,
            models=model_port,
            caller=caller,
            loaders=Loaders(
                orders=orders_loader(pool),
                order_events=order_events_loader(pool),
                order_fills=order_fills_loader(pool),
            ),
            progress=request.state.progress,
            config=settings,
            database_url=database_url,
        )

    async def websocket_context(request: WebSocket) -> GatewayContext:
        """Anonymous until ``connection_init`` proves otherwise (:class:`_SecuredRouter`)."""
        return context_for(request, Caller(security, None, new_request_id()))

    app = FastAPI(title="QuantVista gateway", lifespan=lifespan)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Accept", "Authorization", "X-Session-Token"],
            max_age=600,
        )
    if settings.graphiql:  # our offline GraphiQL; its page route takes only browsers' GETs
        app.include_router(graphiql_router("/graphql"))

    async def serve_graphql(request: Request) -> Response:
        try:
            media_type = response_media_type(request.headers.get("accept"))
        except RequestRefused as refused:
            return refusal_response(refused)
        if in_flight.now >= in_flight.limit:
            return refusal_response(
                RequestRefused(
                    503,
                    OVERLOADED,
                    "the gateway is at capacity; retry after the time in Retry-After",
                    {"Retry-After": str(settings.retry_after_s)},
                ),
                media_type,
            )
        in_flight.now += 1
        try:
            return await _serve(request, media_type)
        except RequestRefused as refused:
            return refusal_response(refused, media_type)
        finally:
            in_flight.now -= 1

    def _throttle_refused(address: str) -> None:
        if limiter is None:
            return
        try:
            limiter.admit(address, "query", anonymous=True)
        except RateLimited as limited:
            raise RequestRefused(
                429,
                RATE_LIMITED,
                f"{address!r} sent too many refused credentials; retry after the time in "
                "Retry-After",
                {"Retry-After": str(max(1, math.ceil(limited.retry_after_s)))},
            ) from None

    async def _serve(request: Request, media_type: str) -> Response:
        address = f"ip:{request.client.host if request.client else '?'}"
        try:  # who is calling, before reading the body
            identity = await security.identify(request.headers, request.cookies)
        except Unauthenticated as refused:
            # A refused credential spends the address's anonymous allowance: guessing tokens
            # is throttled like any unauthenticated traffic.
            _throttle_refused(address)
            raise RequestRefused(
                401, UNAUTHENTICATED, str(refused), {"WWW-Authenticate": "Bearer"}
            ) from None
        except Unavailable as down:
            raise RequestRefused(503, UNAVAILABLE, str(down), {"Retry-After": "1"}) from None
        caller_key = address if identity is None else identity.subject
        if request.method == "GET":
            batch: list[GraphQLParams] | GraphQLParams = get_params(request)
        else:
            batch = await post_params(request, settings.http)

        async def execute(
            query: str, params: GraphQLParams, kind: OperationType
        ) -> ExecutionResult:
            caller = Caller(security, identity, new_request_id())
            return await schema.execute(
                query,
                variable_values=params.variables,
                context_value=context_for(request, caller),
                operation_name=params.operation_name,
                allowed_operation_types=(StrawberryOperationType(kind.value),),
            )

        def admit(operation: OperationDefinitionNode | None) -> None:
            kind = OperationType.QUERY if operation is None else operation.operation
            if limiter is not None:
                try:
                    limiter.admit(
                        caller_key,
                        "mutation" if kind is OperationType.MUTATION else "query",
                        anonymous=identity is None,
                    )
                except RateLimited as limited:
                    raise RequestRefused(
                        429,
                        RATE_LIMITED,
                        f"{caller_key!r} is over its {kind.value} rate limit; retry after the "
                        "time in Retry-After",
                        {"Retry-After": str(max(1, math.ceil(limited.retry_after_s)))},
                    ) from None
            if identity is None and not introspection_only(operation):
                raise RequestRefused(
                    401,
                    UNAUTHENTICATED,
                    "this API needs credentials: send Authorization: Bearer <token> "
                    "(`quantvista token NAME` issues one) or an Ory session",
                    {"WWW-Authenticate": "Bearer"},
                )

        async def run(params: GraphQLParams) -> tuple[dict[str, Any], int]:
            try:
                body = await run_operation(
                    params,
                    method=request.method,
                    persisted=persisted,
                    execute=execute,
                    limits=settings.http,
                    admit=admit,
                )
            except RequestRefused as refused:
                if not isinstance(batch, list):
                    raise
                return error_body(refused.code, str(refused)), refused.status
            if security.insecure_dev_auth:
                body.setdefault("extensions", {})["insecureDevAuth"] = INSECURE_NOTICE
            return body, status_for(body, media_type)

        if isinstance(batch, list):
            bodies = [(await run(params))[0] for params in batch]  # in order: may be mutations
            return Response(json.dumps(bodies), media_type=media_type, headers=NO_STORE)
        body, status = await run(batch)
        return Response(
            json.dumps(body), status_code=status, media_type=media_type, headers=NO_STORE
        )

    app.add_api_route("/graphql", serve_graphql, methods=["GET", "POST"], include_in_schema=False)
    app.include_router(
        _SecuredRouter(
            security,
            schema,
            context_getter=websocket_context,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        ),
        prefix="/graphql",
    )

    if security.jwks is not None:
        jwks = security.jwks

        @app.get("/.well-known/jwks.json")
        async def public_keys() -> JSONResponse:
            """The embedded identity provider's public keys (what verifies its tokens)."""
            return JSONResponse(jwks(), headers={"Cache-Control": "public, max-age=300"})

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
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
"""Account data must not sit in a shared cache, nor be read as anything but JSON."""


def new_request_id() -> str:
    return uuid.uuid4().hex


def introspection_only(operation: OperationDefinitionNode | None) -> bool:
    """A query asking only about the schema (what GraphiQL asks before a token is pasted)."""
    if operation is None or operation.operation is not OperationType.QUERY:
        return False
    return all(
        isinstance(selection, FieldNode) and selection.name.value.startswith("__")
        for selection in operation.selection_set.selections
    )


class _SecuredRouter(GraphQLRouter):  # type: ignore[type-arg]
    """Strawberry's router, for WebSocket subscriptions only (HTTP is :mod:`gateway.http`), with
    ``connection_init`` authenticated: its payload carries the credentials (``Authorization``,
    ``X-Session-Token``) a browser cannot put on a WebSocket upgrade; the upgrade's own headers
    and cookies count too. No credentials, or bad ones: the connection is refused."""

    def __init__(self, security: Security, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.security = security

    async def on_ws_connect(self, context: GatewayContext) -> Any:
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        socket = context.request
        headers = {  # header names are case-insensitive: the payload's win over the upgrade's
            **{k.lower(): v for k, v in socket.headers.items()},
            **{str(k).lower(): str(v) for k, v in params.items()},
        }
        try:
            identity = await self.security.identify(headers, dict(socket.cookies))
        except (Unauthenticated, Unavailable) as refused:
            raise ConnectionRejectionError({"message": str(refused)}) from None
        if identity is None:
            raise ConnectionRejectionError(
                {"message": "subscriptions need credentials in connection_init"}
            )
        context.caller = Caller(self.security, identity, new_request_id())
        return None


__all__ = ["GatewaySchema", "create_app"]
