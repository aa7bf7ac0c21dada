"""The role x operation matrix: every root field of Query, Mutation and Subscription (and every
nested field with a check of its own), for each of the six roles and an anonymous caller.

The tables below *are* the specification, as gateway/security.py states the rules:

* ``ok``: the operation succeeds and shows what the role may see (checked per operation).
* ``hidden``: a read of an account the caller may not see answers exactly like an unknown
  account (``null``, an empty list or an empty page, no error): nothing tells it exists.
* ``FORBIDDEN`` / ``NOT_FOUND``: the operation fails with that code; a refused mutation records
  nothing but the denied decision in the support context's access log (the execution store is
  unchanged). A cancel is ``NOT_FOUND`` for whoever may not see the order (as for an unknown
  one) and ``FORBIDDEN`` for whoever may see it but not trade its account.
* ``401``: an anonymous HTTP request is refused with 401 ``UNAUTHENTICATED`` before it runs
  (only introspection is open to it); ``4403``: an anonymous WebSocket is closed with that
  code at ``connection_init``.

Users: ``trader-1`` trades ``acc-1``, ``viewer-1`` views ``acc-1``; ``acc-2`` is
``owner-2``'s, so for those two it must look like an account that does not exist. The data is
real: a platform (no broker) with both accounts, orders filled on a bar, a quarantined row and
a notification per user, projected into the read models the gateway serves; mutations go to
the real execution context.

The matrix must stay complete: a root field, or a field that consults the caller, that the
tables do not name fails :func:`test_the_matrix_names_every_root_field_and_every_guarded_field`.
"""

from __future__ import annotations

import concurrent.futures
import inspect
import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient
from graphql import GraphQLObjectType, OperationDefinitionNode, parse
from starlette.websockets import WebSocketDisconnect

from bounded_contexts.execution.application.service import ExecutionConfig
from bounded_contexts.execution.domain.account import Account
from bounded_contexts.ingestion.adapters.csv_replay import read_instruments, sample_path
from bounded_contexts.ingestion.domain.bars import RawBar
from bounded_contexts.intelligence.domain.events import (
    InstrumentCluster,
    InstrumentsClustered,
    RegimeChanged,
)
from bounded_contexts.intelligence.domain.market_structure import MarketFact
from bounded_contexts.prediction.application.registry_view import load_registry
from bounded_contexts.support.adapters.recipients import AuthorisationRecipients
from bounded_contexts.support.application.access_log import AccessLog
from bounded_contexts.support.domain.access_model import Role
from bounded_contexts.support.domain.notifications.notification import Notification
from events.effects import EventsToAppend
from events.envelope import Cause, EventEnvelope
from events.store import EventStore
from gateway import GatewayConfig, create_app
from gateway.ids import cursor_for, global_id
from gateway.ports import Principal
from gateway.schema import build_schema
from quantvista.platform import PipelineConfig, Platform
from tests.access_helpers import TestAccess
from tests.conftest import _with_database
from tests.registry_helpers import seed_registry

pytestmark = pytest.mark.integration

# ------------------------------------------------------------------------------ the matrix
ROLES = ("trader", "viewer", "risk", "auditor", "regulator", "admin")
CALLERS = (*ROLES, "anonymous")
USERS = {role: f"{role}-1" for role in ROLES}
OWNER_2 = "owner-2"  # trades acc-2: the "someone else" of trader-1 and viewer-1
OK, HIDDEN = "ok", "hidden"
UNAUTH, REFUSED = "401", "4403"
OUTCOMES = {OK, HIDDEN, "FORBIDDEN", "NOT_FOUND", UNAUTH, REFUSED}

QUERIES = """
operation                      trader    viewer    risk      auditor   regulator admin  anon
node(order@acc-1)              ok        ok        ok        ok        hidden    hidden 401
node(order@acc-2)              hidden    hidden    ok        ok        hidden    hidden 401
node(instrument)               ok        ok        ok        ok        ok        ok     401
portfolio(acc-1)               ok        ok        ok        ok        hidden    hidden 401
portfolio(acc-2)               hidden    hidden    ok        ok        hidden    hidden 401
accounts                       ok        ok        ok        ok        hidden    hidden 401
positions(acc-1)               ok        ok        ok        ok        hidden    hidden 401
positions(acc-2)               hidden    hidden    ok        ok        hidden    hidden 401
orders(acc-1)                  ok        ok        ok        ok        hidden    hidden 401
orders(acc-2)                  hidden    hidden    ok        ok        hidden    hidden 401
order(acc-1)                   ok        ok        ok        ok        hidden    hidden 401
order(acc-2)                   hidden    hidden    ok        ok        hidden    hidden 401
fills(acc-1)                   ok        ok        ok        ok        hidden    hidden 401
fills(acc-2)                   hidden    hidden    ok        ok        hidden    hidden 401
instruments                    ok        ok        ok        ok        ok        ok     401
bars                           ok        ok        ok        ok        ok        ok     401
equityCurve(acc-1)             ok        ok        ok        ok        hidden    hidden 401
equityCurve(acc-2)             hidden    hidden    ok        ok        hidden    hidden 401
performance(acc-1)             ok        ok        ok        ok        hidden    hidden 401
performance(acc-2)             hidden    hidden    ok        ok        hidden    hidden 401
transactionCosts(acc-1)        ok        ok        ok        ok        hidden    hidden 401
transactionCosts(acc-2)        hidden    hidden    ok        ok        hidden    hidden 401
predictions                    ok        ok        ok        ok        ok        ok     401
quarantine                     FORBIDDEN FORBIDDEN ok        ok        FORBIDDEN ok     401
deadLetters                    FORBIDDEN FORBIDDEN ok        ok        FORBIDDEN ok     401
notifications                  ok        ok        ok        ok        ok        ok     401
notificationPreferences        ok        ok        ok        ok        ok        ok     401
notificationPreferences(other) FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN ok     401
transactionReports             FORBIDDEN FORBIDDEN FORBIDDEN ok        ok        FORBIDDEN 401
orderRecords                   FORBIDDEN FORBIDDEN FORBIDDEN ok        ok        FORBIDDEN 401
accessLog                      FORBIDDEN FORBIDDEN FORBIDDEN ok        FORBIDDEN FORBIDDEN 401
chainVerification              FORBIDDEN FORBIDDEN FORBIDDEN ok        FORBIDDEN FORBIDDEN 401
killSwitches                   FORBIDDEN FORBIDDEN ok        ok        FORBIDDEN FORBIDDEN 401
riskLimits                     FORBIDDEN FORBIDDEN ok        ok        FORBIDDEN FORBIDDEN 401
models                         ok        ok        ok        ok        ok        ok     401
model                          ok        ok        ok        ok        ok        ok     401
modelChanges                   ok        ok        ok        ok        ok        ok     401
features                       ok        ok        ok        ok        ok        ok     401
clusters                       ok        ok        ok        ok        ok        ok     401
clusterings                    ok        ok        ok        ok        ok        ok     401
regime                         ok        ok        ok        ok        ok        ok     401
regimeHistory                  ok        ok        ok        ok        ok        ok     401
"""

NESTED = """
operation            trader    viewer    risk      auditor regulator admin  anon
Order.lineage(acc-1) FORBIDDEN FORBIDDEN FORBIDDEN ok      hidden    hidden 401
Order.lineage(acc-2) hidden    hidden    FORBIDDEN ok      hidden    hidden 401
"""

MUTATIONS = """
operation                          trader    viewer    risk      auditor   regulator admin     anon
placeOrder(acc-1)                  ok        FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN 401
placeOrder(acc-2)                  FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN 401
placeOcoOrders(acc-1)              ok        FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN 401
placeOcoOrders(acc-2)              FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN 401
placeOtoOrder(acc-1)               ok        FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN 401
placeOtoOrder(acc-2)               FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN 401
placeBracketOrder(acc-1)           ok        FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN 401
placeBracketOrder(acc-2)           FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN 401
cancelOrder(acc-1)                 ok        FORBIDDEN FORBIDDEN FORBIDDEN NOT_FOUND NOT_FOUND 401
cancelOrder(acc-2)                 NOT_FOUND NOT_FOUND FORBIDDEN FORBIDDEN NOT_FOUND NOT_FOUND 401
openAccount                        FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN ok        401
configureAccount                   FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN ok        401
amendOrder(acc-1)                  ok        FORBIDDEN FORBIDDEN FORBIDDEN NOT_FOUND NOT_FOUND 401
amendOrder(acc-2)                  NOT_FOUND NOT_FOUND FORBIDDEN FORBIDDEN NOT_FOUND NOT_FOUND 401
cancelAllOrders(acc-1)             ok        FORBIDDEN ok        FORBIDDEN FORBIDDEN FORBIDDEN 401
cancelAllOrders(acc-2)             FORBIDDEN FORBIDDEN ok        FORBIDDEN FORBIDDEN FORBIDDEN 401
engageKillSwitch                   FORBIDDEN FORBIDDEN ok        FORBIDDEN FORBIDDEN FORBIDDEN 401
releaseKillSwitch                  FORBIDDEN FORBIDDEN ok        FORBIDDEN FORBIDDEN FORBIDDEN 401
haltTrading                        FORBIDDEN FORBIDDEN ok        FORBIDDEN FORBIDDEN FORBIDDEN 401
resumeTrading                      FORBIDDEN FORBIDDEN ok        FORBIDDEN FORBIDDEN FORBIDDEN 401
setRiskLimits                      FORBIDDEN FORBIDDEN ok        FORBIDDEN FORBIDDEN FORBIDDEN 401
promoteModel                       FORBIDDEN FORBIDDEN ok        FORBIDDEN FORBIDDEN FORBIDDEN 401
retireModel                        FORBIDDEN FORBIDDEN ok        FORBIDDEN FORBIDDEN FORBIDDEN 401
requestRetrain                     FORBIDDEN FORBIDDEN ok        FORBIDDEN FORBIDDEN FORBIDDEN 401
markNotificationRead               ok        ok        ok        ok        ok        ok        401
markNotificationRead(other)        NOT_FOUND NOT_FOUND NOT_FOUND NOT_FOUND NOT_FOUND NOT_FOUND 401
setNotificationPreference          ok        ok        ok        ok        ok        ok        401
setNotificationPreference(other)   FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN ok        401
setNotificationPreference(webhook) FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN ok        401
"""

SUBSCRIPTIONS = """
operation           trader    viewer    risk auditor regulator admin     anon
orderUpdates(acc-1) ok        ok        ok   ok      FORBIDDEN FORBIDDEN 4403
orderUpdates(acc-2) FORBIDDEN FORBIDDEN ok   ok      FORBIDDEN FORBIDDEN 4403
fills(acc-1)        ok        ok        ok   ok      FORBIDDEN FORBIDDEN 4403
fills(acc-2)        FORBIDDEN FORBIDDEN ok   ok      FORBIDDEN FORBIDDEN 4403
portfolio(acc-1)    ok        ok        ok   ok      FORBIDDEN FORBIDDEN 4403
portfolio(acc-2)    FORBIDDEN FORBIDDEN ok   ok      FORBIDDEN FORBIDDEN 4403
bars                ok        ok        ok   ok      ok        ok        4403
alerts              ok        ok        ok   ok      ok        ok        4403
"""


def matrix(table: str) -> dict[str, dict[str, str]]:
    """``{operation: {caller: outcome}}`` from a table above."""
    lines = [line.split() for line in table.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert header == ["operation", *ROLES, "anon"], header
    parsed = {row[0]: dict(zip(CALLERS, row[1:], strict=True)) for row in rows}
    assert len(parsed) == len(rows), "an operation is named twice"
    for name, cells in parsed.items():
        assert set(cells.values()) <= OUTCOMES, (name, cells)
    return parsed


def cells(table: str) -> list[Any]:
    return [
        pytest.param(name, caller, outcome, id=f"{name}-{caller}")
        for name, row in matrix(table).items()
        for caller, outcome in row.items()
    ]


def root_field(name: str) -> str:
    """``portfolio(acc-2)`` -> ``portfolio``; ``Order.lineage(acc-1)`` -> ``Order.lineage``."""
    return name.split("(")[0]


# ------------------------------------------------------------------------------ the world
PLACE = """
mutation ($input: PlaceOrderInput!) {
  placeOrder(input: $input) { orderId order { orderId accountId status actor } }
}
"""
MINUTE_NS = 60_000_000_000


@dataclass
class World:
    platform: Platform
    access: TestAccess
    client: TestClient
    filled: dict[str, UUID]
    """A filled market order per account (its read-model rows: order, events, fill)."""
    notifications: dict[str, frozenset[str]]
    """Every notification id of each user (rm_notifications, after the setup)."""
    seeded: dict[str, str]
    """The notification each user was given at the setup."""
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    def headers(self, caller: str) -> dict[str, str]:
        if caller == "anonymous":
            return {}
        user = USERS.get(caller, caller)
        if user not in self.tokens:
            self.tokens[user] = self.access.headers(user)
        return self.tokens[user]

    @property
    def execution(self) -> EventStore:
        return self.platform.stores["execution"]

    @property
    def support(self) -> EventStore:
        return self.platform.stores["support"]

    def open_order(self, account: str) -> UUID:
        """A resting limit buy (far below the market) of ``account``, placed by its owner."""
        owner = USERS["trader"] if account == "acc-1" else OWNER_2
        outcome = self.platform.execution_commands.place_order(
            Principal(owner),
            account_id=account,
            instrument_id="SAP",
            side="BUY",
            quantity=Decimal(1),
            order_type="LIMIT",
            limit_price=Decimal(1),
        )
        assert outcome.order.status == "ACCEPTED", outcome
        return outcome.order.order_id


def _seed_market_structure(platform: Platform, ts: int) -> None:
    """A clustering and a regime reading (three bars are too few for the real ones)."""
    readings = (
        InstrumentsClustered(
            1, "2026-11-20", "hierarchical/average", 240, {"SAP": 0, "SIE": 1},
            (InstrumentCluster(0, ("SAP",), None), InstrumentCluster(1, ("SIE",), None)),
            0.1, 2,
        ),
        RegimeChanged(1, "2026-11-20", "hmm", "calm", 0, 1, None, 1.0, {"calm": 1.0}, None, 100),
    )  # fmt: skip
    seeded = EventsToAppend()
    for reading in readings:
        seeded.save(
            MarketFact.of(reading),
            Cause.origin(ts_event=ts, actor="test", key=f"seed/{type(reading).__name__}"),
        )
    platform.stores["intelligence"].append(seeded.items)


def _notify(platform: Platform, user: str) -> str:
    """A notification for ``user``, recorded as the support context records one."""
    notification = Notification.request(
        key=f"role-matrix/{user}",
        rule="fill",
        recipient=user,
        account_id=None,
        severity="INFO",
        title=f"for {user}",
        body="seeded by the role matrix",
        details={},
        channels=("in_app",),
        cause_context="support",
        cause_event_id=None,
        cause_position=None,
    )
    uow = EventsToAppend()
    uow.save(notification, Cause.origin(ts_event=time.time_ns(), actor="test", key=user))
    platform.stores["support"].append(uow.items)
    return str(notification.id)


@pytest.fixture(scope="module")
def world(infrastructure, tmp_path_factory) -> Iterator[World]:  # type: ignore[no-untyped-def]
    name = "matrix_" + uuid.uuid4().hex[:12]
    with psycopg.connect(infrastructure.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(infrastructure.database_url, name)
    access = TestAccess(tmp_path_factory.mktemp("identity"))
    access.grant(USERS["trader"], "trader", ["acc-1"]).grant(USERS["viewer"], "viewer", ["acc-1"])
    for role in ("risk", "auditor", "regulator", "admin"):
        access.grant(USERS[role], role)
    access.grant(OWNER_2, "trader", ["acc-2"])
    platform = Platform(
        url,
        None,
        config=PipelineConfig(execution=ExecutionConfig(account_id="acc-1")),
        recipients=lambda: AuthorisationRecipients(access.tuples),
    )
    try:
        platform.create_tables()
        platform.build()
        access.access_log = AccessLog(platform.stores["support"])
        # A second account (the execution context opens only its configured one by itself).
        opened = EventsToAppend()
        opened.save(
            Account.open("acc-2", "EUR", Decimal(1_000_000)),
            Cause.origin(ts_event=time.time_ns(), actor="test", key="open/acc-2"),
        )
        platform.stores["execution"].append(opened.items)
        listings = read_instruments(sample_path("instruments.csv"))[:2]
        platform.ingestion.list_instruments(listings, actor="test")
        # Bars starting after now: an order placed now executes on the first of them.
        start = (time.time_ns() // MINUTE_NS + 10) * MINUTE_NS
        rows = [
            RawBar("matrix", 2 * i + j + 1, listing.instrument_id, str(start + i * MINUTE_NS),
                   "100", "101", "99", "100.5", "1000")
            for i in range(3)
            for j, listing in enumerate(listings)
        ]  # fmt: skip
        rows.append(RawBar("matrix", 99, "NOPE", str(start), "1", "1", "1", "1", "1"))
        platform.ingestion.ingest(rows, actor="test")  # the last row is quarantined
        platform.run_until_caught_up()
        filled = {}
        for account, owner in (("acc-1", USERS["trader"]), ("acc-2", OWNER_2)):
            outcome = platform.execution_commands.place_order(
                Principal(owner),
                account_id=account,
                instrument_id="SAP",
                side="BUY",
                quantity=Decimal(10),
                order_type="MARKET",
                limit_price=None,
            )
            assert outcome.order.status == "FILLED", outcome
            filled[account] = outcome.order.order_id
        seeded = {user: _notify(platform, user) for user in (*USERS.values(), OWNER_2)}
        # Models to promote and retire (three bars train none; nothing is fed after this).
        seed_registry(platform, 5)
        _seed_market_structure(platform, start)
        platform.run_until_caught_up()
        with psycopg.connect(url) as conn:
            found: dict[str, set[str]] = {}
            for recipient, notification_id in conn.execute(
                "SELECT recipient, notification_id FROM rm_notifications"
            ):
                found.setdefault(recipient, set()).add(str(notification_id))
        app = create_app(
            url,
            platform.execution_commands,
            security=access.security(),
            notifications=platform.notifications.service,  # type: ignore[union-attr]
            models=platform.model_commands,
            config=GatewayConfig(pool_min_size=1, pool_max_size=4, firm_config=DEMO_FIRM),
        )
        with TestClient(app) as client:
            yield World(
                platform,
                access,
                client,
                filled,
                {user: frozenset(ids) for user, ids in found.items()},
                seeded,
            )
    finally:
        platform.close()


# ------------------------------------------------------------------------------ calling
def post(world: World, caller: str, document: str, variables: Mapping[str, Any]) -> Any:
    return world.client.post(
        "/graphql",
        json={"query": document, "variables": dict(variables)},
        headers=world.headers(caller),
    )


def codes(body: Mapping[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def assert_unauthenticated(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert codes(response.json()) == ["UNAUTHENTICATED"]
    assert "data" not in response.json()  # refused before anything ran


def events_since(store: EventStore, position: int) -> list[EventEnvelope]:
    return store.read(position)


# ------------------------------------------------------------------------------ operations
Variables = Callable[[World, str], dict[str, Any]]
"""The variables of an operation for a caller (``anonymous`` included)."""
Shows = Callable[[World, str, Any], None]
"""Asserts what an allowed caller (a role) sees in the operation's root field."""


@dataclass(frozen=True)
class Operation:
    document: str
    variables: Variables = lambda world, caller: {}
    shows: Shows = lambda world, role, value: None
    hidden: Any = None
    """The root field's value when the caller may not see the account."""
    unknown: Variables | None = None
    """Variables naming an account or object that does not exist: a hidden answer must be
    exactly the answer to these."""


def account(name: str) -> Variables:
    return lambda world, caller: {"account": name}


UNKNOWN_ACCOUNT = account("acc-404")


def node_of_order(name: str) -> Variables:
    return lambda world, caller: {"id": global_id("Order", world.filled[name])}


def order_id_of(name: str) -> Variables:
    return lambda world, caller: {"id": str(world.filled[name])}


def unknown_order(world: World, caller: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4())}


def unknown_order_node(world: World, caller: str) -> dict[str, Any]:
    return {"id": global_id("Order", uuid.uuid4())}


def of_account(name: str) -> Shows:
    def shows(world: World, role: str, value: Any) -> None:
        assert value["accountId"] == name

    return shows


def nodes_of_account(name: str) -> Shows:
    def shows(world: World, role: str, value: Any) -> None:
        assert value["totalCount"] >= 1
        assert {edge["node"]["accountId"] for edge in value["edges"]} == {name}

    return shows


def field_is(key: str, expected: Any) -> Shows:
    def shows(world: World, role: str, value: Any) -> None:
        assert value[key] == expected

    return shows


def non_empty(world: World, role: str, value: Any) -> None:
    assert isinstance(value, list) and value


def a_list(world: World, role: str, value: Any) -> None:
    assert isinstance(value, list)


def a_page(world: World, role: str, value: Any) -> None:
    assert isinstance(value["edges"], list)


def the_filled_order(name: str) -> Shows:
    def shows(world: World, role: str, value: Any) -> None:
        assert (value["orderId"], value["accountId"]) == (str(world.filled[name]), name)
        assert [e["type"] for e in value["events"]][:2] == ["OrderSubmitted", "OrderAccepted"]
        assert [f["fillSeq"] for f in value["fills"]] == [1]

    return shows


def visible_accounts(world: World, role: str, value: Any) -> None:
    expected = ["acc-1", "acc-2"] if role in ("risk", "auditor") else ["acc-1"]
    assert [p["accountId"] for p in value] == expected


def own_notifications(world: World, role: str, value: Any) -> None:
    user = USERS[role]
    shown = {edge["node"]["notificationId"] for edge in value["edges"]}
    assert world.seeded[user] in shown
    assert shown == world.notifications[user]  # every one of its own and no one else's


DEMO_FIRM = Path(__file__).resolve().parents[3] / "docs" / "firm-config.demo.toml"


def fill_day(world: World) -> date:
    """The UTC day of the setup's first fill (its bars start ten minutes after it)."""
    return min(
        datetime.fromtimestamp(envelope.ts_event // 10**9, UTC).date()
        for envelope in world.execution.iter_all()
        if envelope.event_type == "OrderFilled"
    )


def the_days_executions(world: World, role: str, value: Any) -> None:
    assert value["day"] == fill_day(world).isoformat()
    assert value["reported"] + len(value["leftOut"]) >= 1
    assert (value["xml"] is None) == (value["reported"] == 0)


def every_order_event(world: World, role: str, value: Any) -> None:
    orders = {row["order_id"] for row in value["rows"]}
    assert {str(order) for order in world.filled.values()} <= orders, orders
    assert value["totalCount"] == len(value["rows"]) and not value["truncated"]


def decisions_recorded(world: World, role: str, value: Any) -> None:
    assert value and all(d["outcome"] in ("ALLOWED", "DENIED") for d in value)
    # reading the access log is itself recorded before it is read
    assert (value[0]["subject"], value[0]["operation"]) == (USERS[role], "accessLog")


def execution_chain_intact(world: World, role: str, value: Any) -> None:
    assert value == [
        {"context": "execution", "intact": True, "events": value[0]["events"], "breaks": []}
    ]
    assert value[0]["events"] > 0


def champion(world: World) -> str:
    champion = load_registry(world.platform.stores["prediction"]).champion
    assert champion is not None
    return champion


def candidates(world: World) -> list[str]:
    """Models a person may promote or retire now (neither the champion nor retired)."""
    registry = load_registry(world.platform.stores["prediction"])
    found = sorted(m for m in registry.models if registry.status(m) == "candidate")
    assert len(found) >= 2, "the setup seeds enough candidates for the matrix"
    return found


def a_champion_among(world: World, role: str, value: Any) -> None:
    assert [m["modelId"] for m in value if m["status"] == "CHAMPION"] == [champion(world)]
    assert all(len(m["metrics"]) == 2 for m in value)


def recorded_by_the_person(status: str | None) -> Shows:
    """The registry command's event is in the prediction store, the person its actor."""

    def shows(world: World, role: str, value: Any) -> None:
        if status is not None:
            assert value["status"] == status
        [written] = world.platform.stores["prediction"].read(int(value["position"]) - 1, limit=1)
        assert written.actor == f"person:{USERS[role]}"

    return shows


EMPTY_PAGE = {"totalCount": 0, "edges": []}
ORDER_FIELDS = "orderId accountId events { type } fills { fillSeq }"
PAGE = "totalCount edges { node { accountId } }"

QUERY_OPERATIONS: dict[str, Operation] = {
    **{
        f"node(order@{name})": Operation(
            "query ($id: ID!) { node(id: $id) { id ... on Order { accountId } } }",
            node_of_order(name),
            of_account(name),
            unknown=unknown_order_node,
        )
        for name in ("acc-1", "acc-2")
    },
    "node(instrument)": Operation(
        "query ($id: ID!) { node(id: $id) { id ... on Instrument { instrumentId } } }",
        lambda world, caller: {"id": global_id("Instrument", "SAP")},
        field_is("instrumentId", "SAP"),
    ),
    "accounts": Operation("{ accounts { accountId cash } }", shows=visible_accounts, hidden=[]),
    "instruments": Operation("{ instruments { instrumentId } }", shows=non_empty),
    "bars": Operation('{ bars(instrumentId: "SAP") { close } }', shows=non_empty),
    "predictions": Operation("{ predictions { instrumentId } }", shows=a_list),
    "quarantine": Operation(
        "{ quarantine { edges { node { reason } } } }",
        shows=lambda world, role, value: non_empty(world, role, value["edges"]),
    ),
    "deadLetters": Operation("{ deadLetters { edges { cursor } } }", shows=a_page),
    "transactionReports": Operation(
        "query ($day: String!) { transactionReports(date: $day) { day reported leftOut "
        "{ transactionReference problems } xml } }",
        lambda world, caller: {"day": fill_day(world).isoformat()},
        the_days_executions,
    ),
    "orderRecords": Operation(
        "query ($from: UtcTimestamp!, $to: UtcTimestamp!) { orderRecords(from: $from, to: $to) "
        "{ columns rows totalCount truncated } }",
        lambda world, caller: {  # the day before to the day after: every order's events
            "from": f"{fill_day(world) - timedelta(days=1)}T00:00:00Z",
            "to": f"{fill_day(world) + timedelta(days=1)}T00:00:00Z",
        },
        every_order_event,
    ),
    "accessLog": Operation(
        "{ accessLog(first: 1000) { subject operation resource outcome reason } }",
        shows=decisions_recorded,
    ),
    "chainVerification": Operation(
        '{ chainVerification(context: "execution") { context intact events breaks { position } } }',
        shows=execution_chain_intact,
    ),
    "killSwitches": Operation("{ killSwitches { scope engaged reason actor } }", shows=a_list),
    "riskLimits": Operation("{ riskLimits { scope maxOrderQuantity reason } }", shows=a_list),
    "models": Operation(
        "{ models { modelId status metrics { horizon logLoss } } }", shows=a_champion_among
    ),
    "model": Operation(
        "query ($id: String!) { model(id: $id) { modelId status history { type actor } } }",
        lambda world, caller: {"id": champion(world)},
        lambda world, role, value: field_is("modelId", champion(world))(world, role, value),
    ),
    "modelChanges": Operation("{ modelChanges { type reason actor } }", shows=non_empty),
    "features": Operation('{ features(instrumentId: "SAP") { hash values } }', shows=a_list),
    # one seeded reading of each (tests/intelligence/integration has the computed ones)
    "clusters": Operation(
        "{ clusters { tsEnd clusters { label members } } }", shows=field_is("tsEnd", "1")
    ),
    "clusterings": Operation("{ clusterings { tsEnd silhouette } }", shows=non_empty),
    "regime": Operation("{ regime { tsEnd regime probability } }", shows=field_is("tsEnd", "1")),
    "regimeHistory": Operation("{ regimeHistory { tsEnd regime previous } }", shows=non_empty),
    "notifications": Operation(
        "{ notifications(first: 500) { edges { node { notificationId } } } }",
        shows=own_notifications,
    ),
    "notificationPreferences": Operation(
        "{ notificationPreferences { rule channel enabled } }", shows=a_list
    ),
    "notificationPreferences(other)": Operation(
        "query ($user: String) { notificationPreferences(userId: $user) { rule } }",
        lambda world, caller: {"user": OWNER_2},
        a_list,
    ),
}
for _name in ("acc-1", "acc-2"):
    QUERY_OPERATIONS |= {
        f"portfolio({_name})": Operation(
            "query ($account: String!) { portfolio(accountId: $account) "
            "{ accountId cash positions { instrumentId } } }",
            account(_name),
            of_account(_name),
            unknown=UNKNOWN_ACCOUNT,
        ),
        f"positions({_name})": Operation(
            "query ($account: String!) { positions(accountId: $account) "
            "{ instrumentId quantity } }",
            account(_name),
            non_empty,
            hidden=[],
            unknown=UNKNOWN_ACCOUNT,
        ),
        f"orders({_name})": Operation(
            f"query ($account: String!) {{ orders(accountId: $account) {{ {PAGE} }} }}",
            account(_name),
            nodes_of_account(_name),
            hidden=EMPTY_PAGE,
            unknown=UNKNOWN_ACCOUNT,
        ),
        f"order({_name})": Operation(
            f"query ($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}",
            order_id_of(_name),
            the_filled_order(_name),
            unknown=unknown_order,
        ),
        f"fills({_name})": Operation(
            f"query ($account: String!) {{ fills(accountId: $account) {{ {PAGE} }} }}",
            account(_name),
            nodes_of_account(_name),
            hidden=EMPTY_PAGE,
            unknown=UNKNOWN_ACCOUNT,
        ),
        f"equityCurve({_name})": Operation(
            "query ($account: String!) { equityCurve(accountId: $account) { equity } }",
            account(_name),
            non_empty,
            hidden=[],
            unknown=UNKNOWN_ACCOUNT,
        ),
        f"transactionCosts({_name})": Operation(
            "query ($account: String!) { transactionCosts(accountId: $account) "
            "{ orders { orderId strategy slippageBps } byStrategy { strategy orders } "
            "truncated } }",
            account(_name),
            lambda world, role, value: non_empty(world, role, value["orders"]),
            hidden={"orders": [], "byStrategy": [], "truncated": False},
            unknown=UNKNOWN_ACCOUNT,
        ),
        f"performance({_name})": Operation(
            "query ($account: String!) { performance(accountId: $account) { accountId periods } }",
            account(_name),
            of_account(_name),
            unknown=UNKNOWN_ACCOUNT,
        ),
    }

NESTED_OPERATIONS: dict[str, Operation] = {
    f"Order.lineage({name})": Operation(
        "query ($id: ID!) { order(id: $id) { orderId lineage { type role actor } } }",
        order_id_of(name),
        lambda world, role, value: None,  # checked in the test: the root field is `order`
        unknown=unknown_order,
    )
    for name in ("acc-1", "acc-2")
}


def open_order_of(name: str) -> Variables:
    return lambda world, caller: {"id": str(world.open_order(name))}


def own_notification(world: World, caller: str) -> dict[str, Any]:
    return {"id": world.seeded[USERS.get(caller, OWNER_2)]}


def limit_order(name: str) -> Variables:
    return lambda world, caller: {
        "input": {
            "accountId": name,
            "instrumentId": "SAP",
            "side": "BUY",
            "quantity": "1",
            "orderType": "LIMIT",
            "limitPrice": "1",
        }
    }


def placed(world: World, role: str, value: Any) -> None:
    order = value["order"]
    assert (order["accountId"], order["status"]) == ("acc-1", "ACCEPTED")
    assert order["actor"] == f"person:{USERS[role]}"  # the verified subject, not a header


CONTINGENT_PAYLOAD = "{ orderIds orders { accountId status actor parentOrderId ocoGroup } }"


def contingent_orders(name: str, kind: str) -> Variables:
    """An OCO pair, an OTO order with one child, or a bracket, on account ``name``."""

    def order(side: str, order_type: str, **prices: str) -> dict[str, Any]:
        return {
            "accountId": name,
            "instrumentId": "SAP",
            "side": side,
            "quantity": "1",
            "orderType": order_type,
            **prices,
        }

    entry = order("BUY", "LIMIT", limitPrice="1")
    take_profit = order("SELL", "LIMIT", limitPrice="1.2")
    stop_loss = order("SELL", "STOP", stopPrice="0.8")
    return lambda world, caller: {
        "oco": {"orders": [entry, order("BUY", "LIMIT", limitPrice="0.9")]},
        "oto": {"parent": entry, "children": [take_profit]},
        "bracket": {"entry": entry, "takeProfit": take_profit, "stopLoss": stop_loss},
    }[kind]


def contingent_placed(world: World, role: str, value: Any) -> None:
    orders = value["orders"]
    assert {o["accountId"] for o in orders} == {"acc-1"}
    assert {o["actor"] for o in orders} == {f"person:{USERS[role]}"}
    held = [o for o in orders if o["status"] == "HELD"]
    assert all(o["parentOrderId"] == value["orderIds"][0] for o in held)
    assert held or all(o["ocoGroup"] for o in orders)


def cancelled(world: World, role: str, value: Any) -> None:
    assert value["order"]["status"] == "CANCELLED"


def marked(world: World, role: str, value: Any) -> None:
    assert value["notificationId"] == world.seeded[USERS[role]]


def preference_of(user: str | None) -> Shows:
    def shows(world: World, role: str, value: Any) -> None:
        assert value["userId"] == (user or USERS[role])

    return shows


def caller_scope(kind: str, prefix: str) -> Callable[[World, str], dict[str, Any]]:
    """A scope of the caller's own that no order falls under (no other test is touched)."""
    return lambda world, caller: {
        "scope": {"kind": kind, "value": f"{prefix}-{caller}"},
        "reason": "role matrix",
    }


def engaged_for_release(world: World, caller: str) -> dict[str, Any]:
    """A switch the risk desk engaged, for the caller to try to release."""
    scope = f"venue:REL-{caller}-{uuid.uuid4().hex[:8]}"
    world.platform.execution_commands.engage_kill_switch(
        Principal(USERS["risk"]), scope=scope, reason="to be released"
    )
    return {
        "scope": {"kind": "VENUE", "value": scope.removeprefix("venue:")},
        "reason": "role matrix",
    }


def halted_for(world: World, caller: str, *, halt: bool) -> str:
    """The second listed instrument (no order of the matrix trades it), resumed or halted
    first as the cell needs, by the risk desk."""
    instrument = next(i for i in sorted(world.platform.execution.instruments) if i != "SAP")
    commands, risk = world.platform.execution_commands, Principal(USERS["risk"])
    halted = world.platform.execution.halts.get(instrument)
    if halt and not (halted and halted.halted):
        commands.halt_trading(risk, instrument_id=instrument, reason="setup")
    if not halt and halted and halted.halted:
        commands.resume_trading(risk, instrument_id=instrument, reason="setup")
    return instrument


def with_working_order(name: str) -> Variables:
    def variables(world: World, caller: str) -> dict[str, Any]:
        world.open_order(name)
        return {"scope": {"kind": "ACCOUNT", "value": name}, "reason": "role matrix"}

    return variables


def cancelled_some(world: World, role: str, value: Any) -> None:
    assert value["cancelledOrderIds"], value


CONTROL_PAYLOAD = "{ scope engaged cancelledOrderIds position }"
SCOPE_AND_REASON = "($scope: ControlScopeInput!, $reason: String!)"

SET_PREFERENCE = """
mutation ($input: NotificationPreferenceInput!) {
  setNotificationPreference(input: $input) { userId changed preferences { rule channel } }
}
"""

MUTATION_OPERATIONS: dict[str, Operation] = {
    "placeOrder(acc-1)": Operation(PLACE, limit_order("acc-1"), placed),
    "placeOrder(acc-2)": Operation(PLACE, limit_order("acc-2"), placed),
    **{
        f"{field}({name})": Operation(
            f"mutation {signature} {{ {field}{arguments} {CONTINGENT_PAYLOAD} }}",
            contingent_orders(name, kind),
            contingent_placed,
        )
        for field, kind, signature, arguments in (
            (
                "placeOcoOrders",
                "oco",
                "($orders: [PlaceOrderInput!]!)",
                "(orders: $orders)",
            ),
            (
                "placeOtoOrder",
                "oto",
                "($parent: PlaceOrderInput!, $children: [PlaceOrderInput!]!)",
                "(parent: $parent, children: $children)",
            ),
            (
                "placeBracketOrder",
                "bracket",
                "($entry: PlaceOrderInput!, $takeProfit: PlaceOrderInput!, "
                "$stopLoss: PlaceOrderInput!)",
                "(entry: $entry, takeProfit: $takeProfit, stopLoss: $stopLoss)",
            ),
        )
        for name in ("acc-1", "acc-2")
    },
    **{
        f"cancelOrder({name})": Operation(
            "mutation ($id: ID!) { cancelOrder(orderId: $id) { orderId order { status } } }",
            open_order_of(name),
            cancelled,
            unknown=unknown_order,
        )
        for name in ("acc-1", "acc-2")
    },
    **{
        f"cancelAllOrders({name})": Operation(
            f"mutation {SCOPE_AND_REASON} {{ cancelAllOrders(scope: $scope, reason: $reason) "
            "{ scope cancelledOrderIds position } }",
            with_working_order(name),
            cancelled_some,
        )
        for name in ("acc-1", "acc-2")
    },
    **{
        f"amendOrder({name})": Operation(
            'mutation ($id: ID!) { amendOrder(input: {orderId: $id, limitPrice: "1.5"}) '
            "{ orderId amended order { status limitPrice } } }",
            open_order_of(name),
            field_is("amended", True),
            unknown=unknown_order,
        )
        for name in ("acc-1", "acc-2")
    },
    "openAccount": Operation(
        "mutation ($input: OpenAccountInput!) { openAccount(input: $input) "
        "{ accountId position } }",
        lambda world, caller: {
            "input": {
                "accountId": f"NEW-{caller}",
                "currency": "EUR",
                "initialCash": "1000",
                "reason": "role matrix",
            }
        },
        field_is("accountId", "NEW-admin"),
    ),
    "configureAccount": Operation(
        "mutation ($input: ConfigureAccountInput!) { configureAccount(input: $input) "
        "{ accountId position } }",
        lambda world, caller: {
            "input": {"accountId": "acc-2", "owner": OWNER_2, "reason": f"role matrix {caller}"}
        },
        field_is("accountId", "acc-2"),
    ),
    "engageKillSwitch": Operation(
        f"mutation {SCOPE_AND_REASON} {{ engageKillSwitch(scope: $scope, reason: $reason) "
        f"{CONTROL_PAYLOAD} }}",
        caller_scope("INSTRUMENT", "KS"),
        field_is("engaged", True),
    ),
    "releaseKillSwitch": Operation(
        f"mutation {SCOPE_AND_REASON} {{ releaseKillSwitch(scope: $scope, reason: $reason) "
        f"{CONTROL_PAYLOAD} }}",
        engaged_for_release,
        field_is("engaged", False),
    ),
    "haltTrading": Operation(
        "mutation ($instrument: String!) { haltTrading(instrumentId: $instrument, "
        'reason: "role matrix") { instrumentId halted position } }',
        lambda world, caller: {"instrument": halted_for(world, caller, halt=False)},
        field_is("halted", True),
    ),
    "resumeTrading": Operation(
        "mutation ($instrument: String!) { resumeTrading(instrumentId: $instrument, "
        'reason: "role matrix") { instrumentId halted position } }',
        lambda world, caller: {"instrument": halted_for(world, caller, halt=True)},
        field_is("halted", False),
    ),
    "setRiskLimits": Operation(
        "mutation ($input: RiskLimitsInput!) { setRiskLimits(input: $input) { scope position } }",
        lambda world, caller: {
            "input": {
                "scope": {"kind": "INSTRUMENT", "value": f"LIM-{caller}"},
                "maxOrderQuantity": "10",
                "reason": "role matrix",
            }
        },
        field_is("scope", "instrument:LIM-risk"),
    ),
    "promoteModel": Operation(
        'mutation ($id: String!) { promoteModel(id: $id, note: "role matrix") '
        "{ modelId status position } }",
        lambda world, caller: {"id": candidates(world)[0]},
        recorded_by_the_person("CHAMPION"),
    ),
    "retireModel": Operation(
        'mutation ($id: String!) { retireModel(id: $id, reason: "role matrix") '
        "{ modelId status position } }",
        lambda world, caller: {"id": candidates(world)[-1]},
        recorded_by_the_person("RETIRED"),
    ),
    "requestRetrain": Operation(
        'mutation { requestRetrain(families: ["logreg"], note: "role matrix") '
        "{ requestId families position } }",
        shows=lambda world, role, value: recorded_by_the_person(None)(world, role, value),
    ),
    "markNotificationRead": Operation(
        "mutation ($id: ID!) { markNotificationRead(notificationId: $id) "
        "{ notificationId changed } }",
        own_notification,
        marked,
    ),
    "markNotificationRead(other)": Operation(
        "mutation ($id: ID!) { markNotificationRead(notificationId: $id) { notificationId } }",
        lambda world, caller: {"id": world.seeded[OWNER_2]},
        unknown=unknown_order,  # any id that names nothing
    ),
    "setNotificationPreference": Operation(
        SET_PREFERENCE,
        lambda world, caller: {"input": {"rule": "fill", "channel": "IN_APP", "enabled": True}},
        preference_of(None),
    ),
    "setNotificationPreference(other)": Operation(
        SET_PREFERENCE,
        lambda world, caller: {
            "input": {"rule": "fill", "channel": "IN_APP", "enabled": True, "userId": OWNER_2}
        },
        preference_of(OWNER_2),
    ),
    "setNotificationPreference(webhook)": Operation(
        SET_PREFERENCE,
        lambda world, caller: {
            "input": {"rule": "order_rejected", "channel": "WEBHOOK", "enabled": False}
        },
        preference_of(None),
    ),
}


def own_alert(world: World, role: str, value: Any) -> None:
    assert value["node"]["notificationId"] in world.notifications[USERS[role]]


SUBSCRIPTION_OPERATIONS: dict[str, Operation] = {
    "bars": Operation(
        'subscription ($after: String) { bars(instrumentId: "SAP", after: $after) '
        "{ instrumentId close } }",
        lambda world, caller: {"after": cursor_for(0)},
        field_is("instrumentId", "SAP"),
    ),
    "alerts": Operation(
        "subscription ($after: String) { alerts(after: $after) { node { notificationId } } }",
        lambda world, caller: {"after": cursor_for(0)},
        own_alert,
    ),
}
for _name in ("acc-1", "acc-2"):
    SUBSCRIPTION_OPERATIONS |= {
        f"orderUpdates({_name})": Operation(
            "subscription ($account: String!, $after: String) { orderUpdates(accountId: "
            "$account, after: $after) { order { accountId } } }",
            lambda world, caller, name=_name: {"account": name, "after": cursor_for(0)},
            lambda world, role, value, name=_name: of_account(name)(world, role, value["order"]),
        ),
        f"fills({_name})": Operation(
            "subscription ($account: String!, $after: String) { fills(accountId: $account, "
            "after: $after) { node { accountId } } }",
            lambda world, caller, name=_name: {"account": name, "after": cursor_for(0)},
            lambda world, role, value, name=_name: of_account(name)(world, role, value["node"]),
        ),
        f"portfolio({_name})": Operation(
            "subscription ($account: String!) { portfolio(accountId: $account) "
            "{ accountId cash } }",
            account(_name),
            of_account(_name),
        ),
    }

TABLES = {
    "query": (QUERIES, QUERY_OPERATIONS),
    "mutation": (MUTATIONS, MUTATION_OPERATIONS),
    "subscription": (SUBSCRIPTIONS, SUBSCRIPTION_OPERATIONS),
}


# ------------------------------------------------------------------------------ completeness
def guarded_fields() -> set[str]:
    """``Type.field`` of every non-root field whose resolver consults the caller (a check of
    its own beyond the one that let its parent be read)."""
    schema = build_schema()
    found = set()
    for type_name, graphql_type in schema._schema.type_map.items():
        if type_name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        if type_name in ("Query", "Mutation", "Subscription"):
            continue
        definition = schema.get_type_by_name(type_name)
        for strawberry_field in getattr(definition, "fields", ()):
            resolver = strawberry_field.base_resolver
            if resolver is not None and "caller" in inspect.getsource(resolver.wrapped_func):
                name = schema.config.name_converter.get_graphql_name(strawberry_field)
                found.add(f"{type_name}.{name}")
    return found


def test_the_matrix_names_every_root_field_and_every_guarded_field() -> None:
    assert set(ROLES) == {role.value for role in Role}, "a role the matrix does not know"
    schema = build_schema()._schema
    roots = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }
    for kind, (table, operations) in TABLES.items():
        rows = matrix(table)
        assert set(rows) == set(operations), f"{kind}: table and operations differ"
        covered = {root_field(name) for name in rows}
        in_schema = set(roots[kind].fields)  # type: ignore[union-attr]
        assert in_schema - covered == set(), f"{kind} fields missing from the matrix"
        assert covered - in_schema == set(), f"{kind} fields no longer in the schema"
        for name, operation in operations.items():
            [definition] = parse(operation.document).definitions
            assert isinstance(definition, OperationDefinitionNode)
            assert definition.operation.value == kind, name
            [selection] = definition.selection_set.selections
            assert selection.name.value == root_field(name), name  # type: ignore[attr-defined]
    nested = matrix(NESTED)
    assert set(nested) == set(NESTED_OPERATIONS)
    assert {root_field(name) for name in nested} == guarded_fields()


# ------------------------------------------------------------------------------ queries
@pytest.mark.parametrize(("name", "caller", "outcome"), cells(QUERIES))
def test_query(world: World, name: str, caller: str, outcome: str) -> None:
    operation = QUERY_OPERATIONS[name]
    field_name = root_field(name)
    response = post(world, caller, operation.document, operation.variables(world, caller))
    if outcome == UNAUTH:
        assert_unauthenticated(response)
        return
    assert response.status_code == 200, response.text
    body = response.json()
    if outcome == OK:
        assert "errors" not in body, body
        value = body["data"][field_name]
        assert value is not None
        operation.shows(world, caller, value)
    elif outcome == HIDDEN:
        assert body == {"data": {field_name: operation.hidden}}
        if operation.unknown is not None:
            unknown = post(world, caller, operation.document, operation.unknown(world, caller))
            assert unknown.json() == body, "a hidden account must look like an unknown one"
    else:
        assert codes(body) == [outcome], body
        assert body["data"] is None


@pytest.mark.parametrize(("name", "caller", "outcome"), cells(NESTED))
def test_nested_field(world: World, name: str, caller: str, outcome: str) -> None:
    """Order.lineage needs the audit permission on top of seeing the order; every such read
    is recorded in the access log, allowed or not."""
    operation = NESTED_OPERATIONS[name]
    support_head = world.support.head()
    response = post(world, caller, operation.document, operation.variables(world, caller))
    if outcome == UNAUTH:
        assert_unauthenticated(response)
        assert world.support.head() == support_head
        return
    body = response.json()
    decisions = [e.event for e in events_since(world.support, support_head)]
    if outcome == HIDDEN:  # the order is not theirs to see: null, as if unknown, no check
        assert body == {"data": {"order": None}}
        unknown = post(world, caller, operation.document, operation.unknown(world, caller))  # type: ignore[misc]
        assert unknown.json() == body
        assert decisions == []
        return
    [decision] = decisions
    assert (decision.subject, decision.operation) == (USERS[caller], "order.lineage")
    if outcome == OK:
        assert "errors" not in body, body
        lineage = body["data"]["order"]["lineage"]
        assert [step["type"] for step in lineage][:2] == ["OrderSubmitted", "OrderAccepted"]
        assert decision.outcome == "ALLOWED"
    else:
        assert codes(body) == [outcome], body
        assert body["errors"][0]["path"] == ["order", "lineage"]
        assert body["data"] == {"order": None}
        assert decision.outcome == "DENIED"


# ------------------------------------------------------------------------------ mutations
@pytest.mark.parametrize(("name", "caller", "outcome"), cells(MUTATIONS))
def test_mutation(world: World, name: str, caller: str, outcome: str) -> None:
    operation = MUTATION_OPERATIONS[name]
    field_name = root_field(name)
    variables = operation.variables(world, caller)  # may place the order to cancel
    execution_head, support_head = world.execution.head(), world.support.head()
    response = post(world, caller, operation.document, variables)
    recorded = events_since(world.execution, execution_head)
    support = events_since(world.support, support_head)
    if outcome == UNAUTH:
        assert_unauthenticated(response)
        assert (recorded, support) == ([], []), "an anonymous request recorded something"
        return
    body = response.json()
    decisions = [e.event for e in support if e.event_type == "AccessDecided"]
    assert decisions, "every decision about a mutation is recorded"
    assert {d.subject for d in decisions} == {USERS[caller]}
    assert {d.operation for d in decisions} == {field_name}
    if outcome == OK:
        assert "errors" not in body, body
        operation.shows(world, caller, body["data"][field_name])
        assert {d.outcome for d in decisions} == {"ALLOWED"}
        # what the person did is recorded as the verified subject; the venue's own reaction
        # in the same append (a resting limit order joining its book: OrderQueued) as the venue
        actors = {e.actor for e in recorded}
        assert actors - {"venue:simulated"} <= {f"person:{USERS[caller]}"}
        assert all(e.event_type == "OrderQueued" for e in recorded if e.actor == "venue:simulated")
        if field_name in (
            "placeOrder",
            "placeOcoOrders",
            "placeOtoOrder",
            "placeBracketOrder",
            "cancelOrder",
            "amendOrder",
            "cancelAllOrders",
            "engageKillSwitch",
            "openAccount",
            "configureAccount",
        ):
            assert recorded, "an allowed order or control command records its events"
        return
    assert codes(body) == [outcome], body
    assert body["data"] is None
    assert recorded == [], "a refused mutation recorded execution events"
    assert [e.event_type for e in support] == ["AccessDecided"] * len(support)
    assert {d.outcome for d in decisions} == {"DENIED"}
    if outcome == "NOT_FOUND" and operation.unknown is not None:
        unknown = operation.unknown(world, caller)
        answer = post(world, caller, operation.document, unknown).json()
        assert masked(answer, unknown["id"]) == masked(body, variables["id"]), (
            "someone else's order or notification must look like one that does not exist"
        )


def masked(body: Any, identifier: str) -> str:
    return json.dumps(body, sort_keys=True).replace(identifier, "<id>")


# ------------------------------------------------------------------------------ subscriptions
def _receive(socket: Any, timeout_s: float = 15.0) -> Any:
    """The next message, or a failure after ``timeout_s`` (TestClient's receive never times
    out: a subscription that stays silent must fail the test, not hang it; leaving the
    ``websocket_connect`` block then ends the blocked receive)."""
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        return pool.submit(socket.receive_json).result(timeout=timeout_s)
    except concurrent.futures.TimeoutError:
        pytest.fail(f"no message within {timeout_s} s")
    finally:
        pool.shutdown(wait=False)


def subscribe_once(
    client: TestClient, init: Mapping[str, str], document: str, variables: Mapping[str, Any]
) -> dict[str, Any]:
    """Open a graphql-transport-ws connection, subscribe, return the first message (or
    ``{"closed": code}`` when the server closes the connection at ``connection_init``)."""
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as socket:
        socket.send_json({"type": "connection_init", "payload": dict(init)})
        try:
            ack = _receive(socket)
        except WebSocketDisconnect as closed:
            return {"closed": closed.code}
        assert ack["type"] == "connection_ack", ack
        socket.send_json(
            {"id": "1", "type": "subscribe",
             "payload": {"query": document, "variables": dict(variables)}}
        )  # fmt: skip
        message = _receive(socket)
        socket.send_json({"id": "1", "type": "complete"})
        return message  # type: ignore[no-any-return]


@pytest.mark.parametrize(("name", "caller", "outcome"), cells(SUBSCRIPTIONS))
def test_subscription(world: World, name: str, caller: str, outcome: str) -> None:
    operation = SUBSCRIPTION_OPERATIONS[name]
    field_name = root_field(name)
    message = subscribe_once(
        world.client,
        world.headers(caller),
        operation.document,
        operation.variables(world, caller),
    )
    if outcome == REFUSED:
        assert message == {"closed": 4403}
        return
    assert message["type"] == "next", message
    payload = message["payload"]
    if outcome == OK:
        assert "errors" not in payload, payload
        operation.shows(world, caller, payload["data"][field_name])
    else:
        assert codes(payload) == [outcome], payload
        assert payload["data"] is None


@pytest.mark.parametrize(
    "init",
    [
        pytest.param({"Authorization": "Bearer not.a.token"}, id="garbage-token"),
        pytest.param({"Authorization": "Basic dHJhZGVyLTE6eA=="}, id="not-a-bearer-token"),
        pytest.param({"X-QuantVista-Principal": "trader-1"}, id="principal-header"),
    ],
)
def test_a_subscription_with_bad_credentials_is_refused_at_connection_init(
    world: World, init: dict[str, str]
) -> None:
    message = subscribe_once(
        world.client, init, 'subscription { portfolio(accountId: "acc-1") { cash } }', {}
    )
    assert message == {"closed": 4403}


# ------------------------------------------------------------------------------ anonymous
@pytest.mark.parametrize(
    ("document", "allowed"),
    [
        pytest.param("{ __schema { queryType { name } } }", True, id="__schema"),
        pytest.param('{ __type(name: "Order") { name } }', True, id="__type"),
        pytest.param("{ __typename }", True, id="__typename"),
        pytest.param(
            "{ __schema { queryType { name } } instruments { instrumentId } }",
            False,
            id="introspection-and-a-field",
        ),
        pytest.param("mutation { __typename }", False, id="mutation-typename"),
        pytest.param(
            "query { ...F } fragment F on Query { instruments { instrumentId } }",
            False,
            id="a-field-through-a-fragment",
        ),
    ],
)
def test_an_anonymous_caller_may_only_introspect(
    world: World, document: str, allowed: bool
) -> None:
    response = post(world, "anonymous", document, {})
    if allowed:
        assert response.status_code == 200, response.text
        assert "errors" not in response.json()
    else:
        assert_unauthenticated(response)
