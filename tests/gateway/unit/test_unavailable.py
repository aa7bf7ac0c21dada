"""``UNAVAILABLE``: an unreachable write side (``StoreUnavailable`` from the order port) or
read-model database is reported as such at once, never as an internal error; nothing is
recorded. Runs the schema directly with fakes of the port and of the pool."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bounded_contexts.support.adapters.relation_tuples import InMemoryRelationTuples
from bounded_contexts.support.application.access import AccessPolicy
from bounded_contexts.support.application.users import UserAdministration
from events.store import StoreUnavailable
from gateway.app import NotificationsNotServed
from gateway.config import GatewayConfig
from gateway.context import GatewayContext, Loaders
from gateway.identity import Identity
from gateway.ports import Principal
from gateway.progress import ProjectionProgress
from gateway.resolvers.orders import order_events_loader, order_fills_loader, orders_loader
from gateway.schema import schema
from gateway.security import Caller, HeaderAuthenticator, Security


def _security() -> Security:
    """The schema is run directly here (no HTTP, no authentication): ``tester`` may read
    every account and trade account ``a``."""
    tuples = InMemoryRelationTuples()
    UserAdministration(tuples).add("tester", "risk")
    UserAdministration(tuples).add("tester", "trader", ["a"])
    return Security(authenticator=HeaderAuthenticator(), access=AccessPolicy(tuples))


SECURITY = _security()
PLACE = (
    'mutation { placeOrder(input: {accountId: "a", instrumentId: "AAPL", side: BUY, '
    'quantity: "1"}) { orderId } }'
)


class UnreachableWriteSide:
    """The order port while the execution store's database is down."""

    def place_order(self, principal: Principal, **_fields: Any) -> object:
        raise StoreUnavailable("connection to 10.0.0.7:5432 refused")

    def cancel_order(self, principal: Principal, **_fields: Any) -> None:
        raise StoreUnavailable("connection to 10.0.0.7:5432 refused")


class _Refused:
    """What a call on the pool returns: raises when awaited or entered (``acquire()``)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __await__(self) -> Any:
        raise self.error
        yield  # pragma: no cover - makes this a generator

    async def __aenter__(self) -> Any:
        raise self.error

    async def __aexit__(self, *_exc: object) -> None:
        return None


class UnreachablePool:
    """The read-model pool while its database is down: every call is refused."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        return lambda *_args, **_kwargs: _Refused(self.error)


def execute(query: str, pool: Any = None, commands: Any = None) -> Any:
    pool = pool or UnreachablePool(AssertionError("the read models were not to be read"))
    loaders = Loaders(orders_loader(pool), order_events_loader(pool), order_fills_loader(pool))
    context = GatewayContext(
        pool=pool,
        commands=commands or UnreachableWriteSide(),
        notifications=NotificationsNotServed(),
        caller=Caller(SECURITY, Identity("tester", "test", "test", None), "request-1"),
        loaders=loaders,
        progress=ProjectionProgress(pool, connect=pool.connect),
        config=GatewayConfig(),
    )
    return asyncio.run(schema.execute(query, context_value=context))


@pytest.mark.parametrize(
    "query",
    [
        PLACE,
        'mutation { cancelOrder(orderId: "11111111-1111-4111-8111-111111111111") { orderId } }',
    ],
)
def test_a_mutation_while_the_write_side_is_unreachable_is_unavailable(query: str) -> None:
    result = execute(query)
    assert result.data is None
    [error] = result.errors
    assert error.extensions == {"code": "UNAVAILABLE"}
    assert "write side is unreachable" in error.message
    assert "nothing was recorded" in error.message
    assert "10.0.0.7" not in error.message


@pytest.mark.parametrize(
    "error",
    [ConnectionRefusedError(111, "Connect call failed ('10.0.0.7', 5432)"), TimeoutError()],
)
def test_a_query_while_the_read_models_are_unreachable_is_unavailable(
    error: BaseException,
) -> None:
    result = execute('{ portfolio(accountId: "acc-1") { cash } }', pool=UnreachablePool(error))
    [reported] = result.errors
    assert reported.extensions == {"code": "UNAVAILABLE"}
    assert "read-model database is unreachable" in reported.message
    assert "10.0.0.7" not in reported.message


def test_a_query_failing_for_another_reason_is_still_internal() -> None:
    result = execute(
        '{ portfolio(accountId: "acc-1") { cash } }', pool=UnreachablePool(KeyError("cash"))
    )
    assert [e.extensions["code"] for e in result.errors] == ["INTERNAL_SERVER_ERROR"]
