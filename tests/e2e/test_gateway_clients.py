"""The gateway as a real client sees it: a third-party GraphQL client (``gql``) over HTTP and
over WebSocket (``graphql-transport-ws``), against the real pipeline — the execution context
decides, the projections fold, the gateway serves — on the embedded PostgreSQL and broker.

* A refused order is answered as recorded (REJECTED, with the control, limit and value) and
  reported as a REJECTED error; it is not mistaken for a placed one.
* A placed order is read back from the read models at once with ``minPosition``: no polling.
* Subscriptions deliver committed changes, and a client that reconnects with its last cursor
  misses nothing.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

from bounded_contexts.support.adapters.recipients import AuthorisationRecipients
from gateway import GatewayConfig, create_app
from gateway.ids import cursor_for
from gateway.ports import Principal
from quantvista.platform import Platform
from tests.access_helpers import TestAccess
from tests.browser.live_server import serve
from tests.pipeline_helpers import feed_synthetic

pytestmark = [pytest.mark.slow, pytest.mark.integration]

PLACE = gql(
    """
    mutation ($input: PlaceOrderInput!) {
      placeOrder(input: $input) {
        orderId position
        order { orderId status rejectReason breaches { control limit value } }
      }
    }
    """
)
ORDER = gql(
    """
    query ($id: ID!, $at: StorePosition) {
      order(id: $id, minPosition: $at) { orderId status events { type } }
    }
    """
)


@pytest.fixture(scope="module")
def live(infrastructure, tmp_path_factory) -> Iterator[tuple[Platform, str]]:  # type: ignore[no-untyped-def]
    """A session fed through every context with the components running on threads, and the
    gateway serving the same platform on a real socket."""
    import psycopg

    from tests.conftest import _with_database

    name = "gw_" + uuid.uuid4().hex[:16]
    with psycopg.connect(infrastructure.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(infrastructure.database_url, name)
    access = ACCESS_BY_MODULE[0] = TestAccess(tmp_path_factory.mktemp("identity"))
    access.grant("trader-1", "trader", ["DEMO-001"]).grant("auditor-1", "auditor")
    access.grant("viewer-2", "viewer", ["OTHER-ACC"])
    platform = Platform(
        url,
        infrastructure.pulsar_url,
        tenant="t" + uuid.uuid4().hex[:12],
        recipients=lambda: AuthorisationRecipients(access.tuples),  # who is notified
    )
    platform.create_tables()
    platform.build()
    platform.start()
    feed_synthetic(platform, seed=17, instruments=3)
    assert platform.wait_until_idle(timeout_s=300) is not None, platform.status()
    assert platform.notifications is not None
    app = create_app(
        url,
        platform.execution_commands,
        security=access.security(),
        notifications=platform.notifications.service,
        config=GatewayConfig(),
    )
    try:
        with serve(app) as base:
            yield platform, base
    finally:
        platform.close()


ACCESS_BY_MODULE: list[TestAccess] = [None]  # type: ignore[list-item]
"""The module's users (set by the ``live`` fixture): tokens for the clients below."""


def headers(user: str = "trader-1") -> dict[str, str]:
    return ACCESS_BY_MODULE[0].headers(user)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def execute(
    base: str, document: Any, variables: dict[str, Any], user: str = "trader-1"
) -> Any:
    transport = HTTPXAsyncTransport(url=f"{base}/graphql", timeout=30, headers=headers(user))
    async with Client(transport=transport) as session:
        return await session.execute(GraphQLRequest(document, variable_values=variables))


def order_input(quantity: str, **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "accountId": "DEMO-001",
            "instrumentId": "SAP",
            "side": "BUY",
            "quantity": quantity,
            **extra,
        }
    }


def test_an_order_over_the_limits_is_answered_rejected_with_the_control_that_refused_it(
    live,
) -> None:
    _, base = live
    with pytest.raises(TransportQueryError) as refused:
        run(execute(base, PLACE, order_input("100000000", orderType="LIMIT", limitPrice="100")))
    error = refused.value.errors[0]  # type: ignore[index]
    assert error["extensions"]["code"] == "REJECTED"
    assert error["extensions"]["control"] == "max_order_quantity"
    assert (error["extensions"]["limit"], error["extensions"]["value"]) == (
        "1000000",
        "100000000",
    )
    controls = [b["control"] for b in error["extensions"]["breaches"]]
    assert controls[:2] == ["max_order_quantity", "max_order_notional"]
    recorded = refused.value.data["placeOrder"]  # type: ignore[index]
    assert recorded["order"]["status"] == "REJECTED"
    assert recorded["order"]["breaches"][0] == {
        "control": "max_order_quantity",
        "limit": "1000000",
        "value": "100000000",
    }
    # The rejection is a recorded fact: the read model holds it once it reaches the position.
    read = run(execute(base, ORDER, {"id": recorded["orderId"], "at": recorded["position"]}))
    assert read["order"]["status"] == "REJECTED"
    assert [e["type"] for e in read["order"]["events"]] == ["OrderSubmitted", "OrderRejected"]


def test_a_placed_order_is_read_back_at_once_with_min_position(live) -> None:
    _, base = live
    placed = run(execute(base, PLACE, order_input("3", orderType="LIMIT", limitPrice="1")))
    answer = placed["placeOrder"]
    assert answer["order"]["status"] == "ACCEPTED"
    read = run(execute(base, ORDER, {"id": answer["orderId"], "at": answer["position"]}))
    assert read["order"] == {
        "orderId": answer["orderId"],
        "status": "ACCEPTED",
        "events": [{"type": "OrderSubmitted"}, {"type": "OrderAccepted"}],
    }


def test_a_position_the_read_model_never_reaches_times_out_with_its_code(live) -> None:
    platform, base = live
    beyond = str(platform.stores["execution"].head() + 1_000_000)
    with pytest.raises(TransportQueryError) as late:
        run(
            execute(
                base,
                gql('query ($at: StorePosition) { portfolio(accountId: "DEMO-001", '
                    "minPosition: $at) { cash } }"),
                {"at": beyond},
            )
        )  # fmt: skip
    assert late.value.errors[0]["extensions"]["code"] == "CONSISTENCY_TIMEOUT"  # type: ignore[index]


async def _take(
    base: str,
    document: Any,
    variables: dict[str, Any],
    count: int,
    then: Any = None,
    init: dict[str, Any] | None = None,
) -> list[Any]:
    """Subscribe (credentials in ``connection_init``: the trader's unless ``init`` says
    otherwise), run ``then`` once subscribed, and collect ``count`` results."""
    transport = WebsocketsTransport(
        url=base.replace("http", "ws") + "/graphql",
        subprotocols=["graphql-transport-ws"],
        init_payload=headers() if init is None else init,
    )
    got: list[Any] = []
    async with Client(transport=transport) as session:
        stream = session.subscribe(GraphQLRequest(document, variable_values=variables))
        if then is not None:
            asyncio.get_running_loop().call_later(0.5, then)
        async with asyncio.timeout(30):
            async for result in stream:
                got.append(result)
                if len(got) == count:
                    break
    return got


ORDER_UPDATES = gql(
    """
    subscription ($after: String) {
      orderUpdates(accountId: "DEMO-001", after: $after) { cursor order { orderId status } }
    }
    """
)


def test_order_updates_arrive_and_a_reconnecting_client_misses_none(live) -> None:
    platform, base = live

    def place(quantity: str) -> str:
        outcome = platform.execution_commands.place_order(
            Principal("trader-1"),
            account_id="DEMO-001",
            instrument_id="SAP",
            side="BUY",
            quantity=Decimal(quantity),
            order_type="LIMIT",
            limit_price=Decimal(1),
        )
        return str(outcome.order.order_id)

    placed: list[str] = []
    [first] = run(_take(base, ORDER_UPDATES, {}, 1, then=lambda: placed.append(place("1"))))
    assert first["orderUpdates"]["order"] == {"orderId": placed[0], "status": "ACCEPTED"}
    cursor = first["orderUpdates"]["cursor"]

    # While no client listens, two more orders are placed; resuming after the cursor gets both.
    missed = [place("2"), place("3")]
    resumed = run(_take(base, ORDER_UPDATES, {"after": cursor}, 2))
    assert [r["orderUpdates"]["order"]["orderId"] for r in resumed] == missed


def test_bars_resume_after_a_cursor_in_store_order(live) -> None:
    _, base = live
    subscription = gql(
        'subscription ($after: String) { bars(instrumentId: "SAP", after: $after) '
        "{ cursor tsEnd close } }"
    )
    first_two = run(_take(base, subscription, {"after": cursor_for(0)}, 2))
    ends = [int(r["bars"]["tsEnd"]) for r in first_two]
    assert ends[1] == ends[0] + 60_000_000_000
    after_first = run(_take(base, subscription, {"after": first_two[0]["bars"]["cursor"]}, 1))
    assert after_first[0]["bars"] == first_two[1]["bars"]


def test_a_subscription_with_bad_arguments_is_refused_with_a_code(live) -> None:
    _, base = live
    bad = gql('subscription { orderUpdates(accountId: "DEMO-001", after: "junk") { cursor } }')
    with pytest.raises(TransportQueryError) as refused:
        run(_take(base, bad, {}, 1))
    assert refused.value.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"  # type: ignore[index]


def test_subscriptions_need_credentials_and_see_only_their_accounts(live) -> None:
    from gql.transport.exceptions import TransportConnectionFailed

    _, base = live
    portfolio = gql('subscription { portfolio(accountId: "DEMO-001") { cash } }')
    for init in ({}, {"Authorization": "Bearer not.a.token"}):
        with pytest.raises(TransportConnectionFailed) as refused:
            run(_take(base, portfolio, {}, 1, init=init))
        closed = refused.value.__cause__
        assert getattr(getattr(closed, "rcvd", None), "code", None) == 4403
    with pytest.raises(TransportQueryError) as foreign:
        run(_take(base, portfolio, {}, 1, init=headers("viewer-2")))
    assert foreign.value.errors[0]["extensions"]["code"] == "FORBIDDEN"  # type: ignore[index]
    [own] = run(_take(base, portfolio, {}, 1))
    assert own["portfolio"]["cash"]


def test_another_account_looks_unknown_and_its_orders_cannot_be_cancelled(live) -> None:
    _, base = live
    placed = run(execute(base, PLACE, order_input("2", orderType="LIMIT", limitPrice="1")))
    order_id = placed["placeOrder"]["orderId"]
    as_stranger = run(execute(base, ORDER, {"id": order_id, "at": None}, user="viewer-2"))
    assert as_stranger == {"order": None}
    with pytest.raises(TransportQueryError) as refused:
        run(
            execute(
                base,
                gql("mutation ($id: ID!) { cancelOrder(orderId: $id) { orderId } }"),
                {"id": order_id},
                user="viewer-2",
            )
        )
    assert refused.value.errors[0]["extensions"]["code"] == "NOT_FOUND"  # type: ignore[index]


NOTIFICATIONS = gql(
    """
    query { notifications(first: 50) { totalCount edges { node {
      notificationId rule accountId severity title read } } } }
    """
)
ALERTS = gql("subscription { alerts { cursor node { notificationId rule accountId title read } } }")
MARK_READ = gql(
    "mutation ($id: ID!) { markNotificationRead(notificationId: $id) { notificationId changed } }"
)


def test_alerts_reach_the_account_holder_as_they_happen_and_no_one_else(live) -> None:
    _, base = live
    over_limit = order_input("100000000", orderType="LIMIT", limitPrice="100")

    def reject_an_order() -> None:
        def place() -> None:
            with pytest.raises(TransportQueryError):  # REJECTED, reported beside the data
                run(execute(base, PLACE, over_limit))

        threading.Thread(target=place).start()

    [alert] = run(_take(base, ALERTS, {}, 1, then=reject_an_order))
    node = alert["alerts"]["node"]
    assert (node["rule"], node["accountId"], node["read"]) == ("order_rejected", "DEMO-001", False)
    assert "max_order_quantity" in node["title"]
    mine = run(execute(base, NOTIFICATIONS, {}))["notifications"]
    assert node["notificationId"] in [e["node"]["notificationId"] for e in mine["edges"]]
    assert all(e["node"]["accountId"] == "DEMO-001" for e in mine["edges"])
    theirs = run(execute(base, NOTIFICATIONS, {}, user="viewer-2"))["notifications"]
    assert theirs == {"totalCount": 0, "edges": []}
    with pytest.raises(TransportQueryError) as hidden:  # another user's: as if it did not exist
        run(execute(base, MARK_READ, {"id": node["notificationId"]}, user="viewer-2"))
    assert hidden.value.errors[0]["extensions"]["code"] == "NOT_FOUND"  # type: ignore[index]
    marked = run(execute(base, MARK_READ, {"id": node["notificationId"]}))
    assert marked["markNotificationRead"]["changed"] is True
    again = run(execute(base, MARK_READ, {"id": node["notificationId"]}))
    assert again["markNotificationRead"]["changed"] is False
