"""100 ``placeOrder`` mutations on one account at once, over HTTP, against the real pipeline (the
embedded PostgreSQL and broker, the components on threads, the gateway on a real socket).

Together the orders ask for far more than the account's cash, so the execution context's
``cash`` pre-trade control (bounded_contexts/execution/domain/pretrade.py: an order's notional
plus the open buys' must not exceed the cash) has to refuse some of them while they race. The
test checks that it does so as if they had come one after the other:

* every request is answered: ACCEPTED, or REJECTED naming the ``cash`` control (its limit the
  cash, its value this order's notional plus the open buys at that moment);
* the accepted orders' notional, added to the buys already open, never exceeds the cash; and
  exactly as many were accepted as fit (no order refused while cash was left for it);
* every answer's order is in the execution store exactly once (OrderSubmitted, then
  OrderAccepted or OrderRejected), nothing else was recorded, no id is doubled; walking the
  store in order reproduces every decision;
* the orders read model holds each order once with the status it was answered with, and the
  portfolio read back still has all its cash (resting limit orders move none), at least what
  the accepted orders committed;
* each decision to let trader-1 place an order is in the access log.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport

from bounded_contexts.execution.application.service import ExecutionConfig
from bounded_contexts.support.adapters.recipients import AuthorisationRecipients
from bounded_contexts.support.application.access_log import AccessLog
from gateway import GatewayConfig, create_app
from quantvista.platform import Platform
from tests.access_helpers import TestAccess
from tests.browser.live_server import serve
from tests.conftest import _with_database
from tests.pipeline_helpers import feed_synthetic

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ACCOUNT = ExecutionConfig().account_id  # the account the execution context trades
TRADER = "trader-1"
ORDERS = 100
INSTRUMENT = "SAP"
LIMIT_PRICE = Decimal("1.00")  # far below the market: the orders rest, nothing fills

PLACE = gql(
    """
    mutation ($input: PlaceOrderInput!) {
      placeOrder(input: $input) {
        orderId position
        order { orderId accountId status quantity limitPrice breaches { control limit value } }
      }
    }
    """
)
STANDING = gql(
    """
    query ($account: String!, $at: StorePosition) {
      portfolio(accountId: $account, minPosition: $at) { cash }
      openBuys: orders(accountId: $account, side: BUY, status: [NEW, ACCEPTED, PARTIALLY_FILLED],
                       first: 500, minPosition: $at) {
        totalCount
        edges { node { orderId status quantity filledQuantity limitPrice instrumentId } }
      }
      manual: orders(accountId: $account, origin: MANUAL, first: 500, minPosition: $at) {
        totalCount
        edges { node { orderId status } }
      }
      instruments { instrumentId lastPrice }
    }
    """
)


@dataclass(frozen=True)
class Live:
    platform: Platform
    base: str
    access: TestAccess


@pytest.fixture(scope="module")
def live(infrastructure, tmp_path_factory) -> Iterator[Live]:  # type: ignore[no-untyped-def]
    """A session fed through every context with the components running on threads, and the
    gateway serving the same platform on a real socket (as tests/e2e/test_gateway_clients.py),
    with the access log recorded and room for all the requests at once (``max_in_flight``)."""
    name = "conc_" + uuid.uuid4().hex[:16]
    with psycopg.connect(infrastructure.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(infrastructure.database_url, name)
    access = TestAccess(tmp_path_factory.mktemp("identity"))
    access.grant(TRADER, "trader", [ACCOUNT])
    platform = Platform(
        url,
        infrastructure.pulsar_url,
        tenant="t" + uuid.uuid4().hex[:12],
        recipients=lambda: AuthorisationRecipients(access.tuples),
    )
    try:
        platform.create_tables()
        platform.build()
        platform.start()
        feed_synthetic(platform, seed=17, instruments=3)
        assert platform.wait_until_idle(timeout_s=120) is not None, platform.status()
        assert platform.notifications is not None
        access.access_log = AccessLog(platform.stores["support"])
        app = create_app(
            url,
            platform.execution_commands,
            security=access.security(),
            notifications=platform.notifications.service,
            config=GatewayConfig(max_in_flight=2 * ORDERS, pool_max_size=10),
        )
        with serve(app) as base:
            yield Live(platform, base, access)
    finally:
        platform.close()


def session_client(live: Live) -> Client:
    transport = HTTPXAsyncTransport(
        url=f"{live.base}/graphql", timeout=60, headers=live.access.headers(TRADER)
    )
    return Client(transport=transport)


async def standing(live: Live, at: str | None = None) -> dict[str, Any]:
    async with session_client(live) as session:
        return await session.execute(  # type: ignore[no-any-return]
            GraphQLRequest(STANDING, variable_values={"account": ACCOUNT, "at": at})
        )


def open_buy_notional(read: dict[str, Any]) -> Decimal:
    """What the cash control counts as committed: each open buy's remaining quantity at its
    limit price, or the instrument's last price for a market order."""
    open_buys = read["openBuys"]
    assert open_buys["totalCount"] == len(open_buys["edges"]), "more open buys than one page"
    last = {i["instrumentId"]: Decimal(i["lastPrice"] or 0) for i in read["instruments"]}
    total = Decimal(0)
    for edge in open_buys["edges"]:
        order = edge["node"]
        price = Decimal(order["limitPrice"] or 0) or last[order["instrumentId"]]
        total += (Decimal(order["quantity"]) - Decimal(order["filledQuantity"])) * price
    return total


async def place_all(live: Live, quantity: Decimal) -> list[tuple[dict[str, Any], list[Any]]]:
    """Send every order at once over one connection pool; (data, errors) per request."""
    variables = {
        "input": {
            "accountId": ACCOUNT,
            "instrumentId": INSTRUMENT,
            "side": "BUY",
            "quantity": str(quantity),
            "orderType": "LIMIT",
            "limitPrice": str(LIMIT_PRICE),
        }
    }

    async def place(session: Any) -> tuple[dict[str, Any], list[Any]]:
        try:
            data = await session.execute(GraphQLRequest(PLACE, variable_values=variables))
        except TransportQueryError as refused:
            return refused.data or {}, list(refused.errors or [])
        return data, []

    async with session_client(live) as session:
        return await asyncio.gather(*(place(session) for _ in range(ORDERS)))


def test_concurrent_orders_never_commit_more_than_the_cash_and_each_is_recorded_once(
    live: Live,
) -> None:
    before = asyncio.run(standing(live))
    assert before["portfolio"] is not None, "the synthetic session traded the account"
    cash = Decimal(before["portfolio"]["cash"])
    committed = open_buy_notional(before)
    assert Decimal(0) <= committed < cash
    # Sized so that about half fit: together they ask for about twice what is left.
    quantity = Decimal(math.ceil((cash - committed) / (ORDERS // 2) / LIMIT_PRICE))
    notional = quantity * LIMIT_PRICE
    assert notional <= ExecutionConfig().limits.max_order_notional  # only cash may refuse
    fit = min(ORDERS, int((cash - committed) // notional))
    assert 0 < fit < ORDERS

    store = live.platform.stores["execution"]
    support = live.platform.stores["support"]
    execution_head, support_head = store.head(), support.head()
    answers = asyncio.run(place_all(live, quantity))

    # Every request answered, each with its own order.
    assert len(answers) == ORDERS
    outcomes: dict[str, str] = {}
    for data, errors in answers:
        placed = data["placeOrder"]
        order = placed["order"]
        assert placed["orderId"] == order["orderId"]
        assert (order["accountId"], Decimal(order["quantity"])) == (ACCOUNT, quantity)
        if order["status"] == "ACCEPTED":
            assert errors == [] and order["breaches"] == []
        else:
            assert order["status"] == "REJECTED", placed
            assert [b["control"] for b in order["breaches"]] == ["cash"], order
            [error] = errors
            assert error["extensions"]["code"] == "REJECTED"
            assert error["extensions"]["control"] == "cash"
            assert error["extensions"]["orderId"] == order["orderId"]
            assert Decimal(error["extensions"]["limit"]) == cash
            assert Decimal(error["extensions"]["value"]) > cash
        outcomes[order["orderId"]] = order["status"]
    assert len(outcomes) == ORDERS, "an order id was answered twice"
    assert len({data["placeOrder"]["position"] for data, _ in answers}) == ORDERS
    accepted = sum(1 for status in outcomes.values() if status == "ACCEPTED")
    assert committed + accepted * notional <= cash, "the orders committed more than the cash"
    assert accepted == fit, f"{accepted} accepted where {fit} fit"

    # The execution store: each order once, submitted then decided; walking it in store order
    # reproduces every decision (the cash check saw the orders one after the other).
    recorded = store.read(execution_head, limit=10 * ORDERS)
    assert {e.aggregate_id for e in recorded} == {uuid.UUID(i) for i in outcomes}
    open_buys = committed
    history: dict[str, list[str]] = {}
    for envelope in recorded:
        order_id = str(envelope.aggregate_id)
        history.setdefault(order_id, []).append(envelope.event_type)
        assert envelope.actor == f"person:{TRADER}"
        if envelope.event_type == "OrderAccepted":
            open_buys += notional
            assert open_buys <= cash
        elif envelope.event_type == "OrderRejected":
            [breach] = envelope.event.breaches  # type: ignore[attr-defined]
            assert (breach.control, breach.limit) == ("cash", cash)
            assert breach.value == open_buys + notional > cash
    for order_id, status in outcomes.items():
        decided = "OrderAccepted" if status == "ACCEPTED" else "OrderRejected"
        assert history[order_id] == ["OrderSubmitted", decided], order_id

    # Every decision to let the trader place an order is in the access log.
    decisions = [
        e.event
        for e in support.read(support_head, limit=100 * ORDERS)
        if e.event_type == "AccessDecided"
    ]
    placing = [d for d in decisions if d.operation == "placeOrder"]  # type: ignore[attr-defined]
    assert len(placing) == ORDERS
    assert {(d.subject, d.outcome) for d in placing} == {(TRADER, "ALLOWED")}  # type: ignore[attr-defined]

    # The read models, once they have applied the last of them.
    last = str(max(int(data["placeOrder"]["position"]) for data, _ in answers))
    after = asyncio.run(standing(live, last))
    assert before["manual"]["totalCount"] == 0, "no manual order before these"
    ours = [edge["node"] for edge in after["manual"]["edges"]]
    assert after["manual"]["totalCount"] == len(ours) == ORDERS
    assert sorted(o["orderId"] for o in ours) == sorted(outcomes), "lost or doubled in the list"
    assert {o["orderId"]: o["status"] for o in ours} == outcomes
    assert Decimal(after["portfolio"]["cash"]) == cash  # resting orders move no cash
    assert open_buy_notional(after) == committed + accepted * notional <= cash
