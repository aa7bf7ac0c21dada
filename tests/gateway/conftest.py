"""Gateway test fixtures: real read-model tables on the embedded PostgreSQL, the real app
through FastAPI's TestClient (which runs the lifespan), and a hand-written fake of the
:class:`~gateway.ports.OrderCommands` port, the boundary the gateway commands through.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql
from psycopg.types.json import Jsonb

from bounded_contexts.execution.domain.errors import (
    ExecutionError,
    IllegalOrderTransition,
    OrderNotFound,
    UnknownInstrument,
)
from bounded_contexts.execution.domain.events import ControlBreach
from events.effects import PROJECTION_TRACKING_DDL
from gateway import GatewayConfig, create_app
from gateway.ports import OrderOutcome, Principal, RecordedOrder
from quantvista.embedded import Infrastructure
from tests.access_helpers import TESTER, TestAccess, access_for_tester

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "projections" / "schema.sql"
PLACED_ORDER_ID = UUID("00000000-0000-4000-8000-0000000000aa")

GraphQL = Callable[..., dict[str, Any]]
Insert = Callable[[str, Sequence[Mapping[str, Any]]], None]


@dataclass
class FakeOrderCommands:
    """Records every call; refuses like the execution context would.

    Knows the instruments in ``instruments`` and the open/closed orders in ``order_status``;
    ``refusal`` (if set) is raised by every ``place_order`` after the instrument check;
    ``breaches`` (if set) make every order recorded as REJECTED by those controls. Each
    command answers with the order as recorded at the next position (``position``).
    """

    instruments: set[str] = field(default_factory=lambda: {"AAPL", "MSFT"})
    order_status: dict[UUID, str] = field(default_factory=dict)
    refusal: ExecutionError | None = None
    breaches: tuple[ControlBreach, ...] = ()
    placed: list[tuple[Principal, dict[str, Any]]] = field(default_factory=list)
    cancelled: list[tuple[Principal, UUID]] = field(default_factory=list)
    position: int = 100

    def place_order(
        self,
        principal: Principal,
        *,
        account_id: str,
        instrument_id: str,
        side: str,
        quantity: Decimal,
        order_type: str,
        limit_price: Decimal | None,
        **terms: Any,
    ) -> OrderOutcome:
        if instrument_id not in self.instruments:
            raise UnknownInstrument(instrument_id)
        if self.refusal is not None:
            raise self.refusal
        fields = {
            "account_id": account_id,
            "instrument_id": instrument_id,
            "side": side,
            "quantity": quantity,
            "order_type": order_type,
            "limit_price": limit_price,
            **terms,
        }
        self.placed.append((principal, fields))
        rejected = bool(self.breaches)
        self.position += 2
        return OrderOutcome(
            recorded(
                PLACED_ORDER_ID,
                principal,
                status="REJECTED" if rejected else "ACCEPTED",
                reason="; ".join(f"{b.control} breached" for b in self.breaches) or None,
                breaches=self.breaches,
                submitted_position=self.position - 1,
                **fields,
            ),
            self.position,
        )

    def cancel_order(
        self,
        principal: Principal,
        *,
        order_id: UUID,
        may_act_on: Callable[[str], bool] = lambda account: True,
    ) -> OrderOutcome:
        status = self.order_status.get(order_id)
        if status is None or not may_act_on("acc-1"):  # every known order is acc-1's here
            raise OrderNotFound(order_id)
        if status in ("FILLED", "CANCELLED", "REJECTED"):
            raise IllegalOrderTransition(order_id, status, "cancel")
        self.cancelled.append((principal, order_id))
        self.position += 1
        return OrderOutcome(
            recorded(
                order_id,
                Principal("someone-else"),
                status="CANCELLED",
                reason=f"cancelled by {principal.subject}",
                submitted_position=7,
                account_id="acc-1",
                instrument_id="AAPL",
                side="BUY",
                quantity=Decimal(10),
                order_type="MARKET",
                limit_price=None,
            ),
            self.position,
        )


def recorded(
    order_id: UUID,
    principal: Principal,
    *,
    status: str,
    reason: str | None,
    submitted_position: int,
    breaches: tuple[ControlBreach, ...] = (),
    **fields: Any,
) -> RecordedOrder:
    """What the execution context would have recorded for a manual order."""
    fields = {"time_in_force": "GTC", "expire_at": None, **fields}
    return RecordedOrder(
        order_id=order_id,
        status=status,
        filled_quantity=Decimal(0),
        average_fill_price=None,
        reject_reason=reason,
        breaches=breaches,
        origin="MANUAL",
        decision_id=None,
        algo_id=None,
        actor=f"person:{principal.subject}",
        ts_submitted=1_704_205_800_000_000_000,
        ts_updated=1_704_205_800_000_000_000,
        version=2,
        submitted_position=submitted_position,
        **fields,
    )


READ_MODEL_TABLES = re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", SCHEMA_SQL.read_text())


@pytest.fixture(scope="module")
def module_read_model_url(infrastructure: Infrastructure) -> str:
    """One database per test module on the session's embedded PostgreSQL, holding the
    read-model tables.

    Made like the ``database_url`` fixture, but once per module rather than per test:
    ``CREATE DATABASE`` costs about 0.2 s on a loaded machine, and the gateway has some
    eighty database tests. :func:`read_model_url` empties the tables before every test, so
    tests still start from nothing and never see each other's rows.
    """
    name = "gw_" + uuid.uuid4().hex[:16]
    with psycopg.connect(infrastructure.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, query = infrastructure.database_url.partition("?")
    url = f"{head.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SCHEMA_SQL.read_text())
        conn.execute(PROJECTION_TRACKING_DDL)  # what minPosition waits on
    return url


@pytest.fixture
def read_model_url(module_read_model_url: str) -> str:
    """The module's read-model database with every table empty."""
    with psycopg.connect(module_read_model_url, autocommit=True) as conn, conn.transaction():
        for table in (*READ_MODEL_TABLES, "projection_tracking"):
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
    return module_read_model_url


COLUMN_DEFAULTS: dict[str, dict[str, Any]] = {
    "rm_instruments": {"lot_size": Decimal(1), "tick_size": Decimal("0.0001")},
    "rm_orders": {"actor": "algo:test", "time_in_force": "GTC"},
    "rm_portfolio": {"updated_seq": 1},
    "rm_positions": {"updated_seq": 1},
}
"""Columns tests need not spell out; ``seq`` (and ``updated_seq``) follow insertion order."""
SEQUENCED = ("rm_orders", "rm_fills", "rm_order_events", "rm_bars", "rm_quarantine")


@pytest.fixture
def insert(read_model_url: str) -> Insert:
    """``insert(table, rows)``: rows as dicts; dict/list values are stored as JSONB. Columns
    a row leaves out get :data:`COLUMN_DEFAULTS`, and ``seq`` counts up per test in insertion
    order (the store position a projection would have written)."""
    sequence = iter(range(1, 1_000_000))

    def insert_rows(table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        with psycopg.connect(read_model_url, autocommit=True) as conn:
            for given in rows:
                row = {**COLUMN_DEFAULTS.get(table, {}), **given}
                if table in SEQUENCED and "seq" not in row:
                    row["seq"] = next(sequence)
                if table == "rm_orders" and "updated_seq" not in row:
                    row["updated_seq"] = row["seq"]
                statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                    sql.Identifier(table),
                    sql.SQL(", ").join(map(sql.Identifier, row)),
                    sql.SQL(", ").join(sql.Placeholder() * len(row)),
                )
                values = [Jsonb(v) if isinstance(v, dict | list) else v for v in row.values()]
                conn.execute(statement, values)

    return insert_rows


@pytest.fixture
def commands() -> FakeOrderCommands:
    return FakeOrderCommands()


@pytest.fixture(scope="session")
def _keys_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("identity")


@pytest.fixture
def access(_keys_directory: Path) -> TestAccess:
    """The users of a gateway test: ``tester`` (see tests/access_helpers.py) and whoever a
    test grants more; ``access.headers(name)`` authenticates as one of them."""
    return access_for_tester(_keys_directory)


@pytest.fixture
def client(
    read_model_url: str, commands: FakeOrderCommands, access: TestAccess
) -> Iterator[TestClient]:
    """The real app, its requests signed in as ``tester`` unless a test sends other headers."""
    app = create_app(
        read_model_url,
        commands,
        security=access.security(),
        config=GatewayConfig(pool_min_size=1, pool_max_size=4),
    )
    with TestClient(app, headers=access.headers(TESTER)) as test_client:
        yield test_client


@pytest.fixture
def graphql(client: TestClient) -> GraphQL:
    """``graphql(query, variables=None, headers=None)`` -> the JSON response body."""

    def run(
        query: str,
        variables: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        response = client.post(
            "/graphql", json={"query": query, "variables": dict(variables or {})}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    return run


def error_codes(body: Mapping[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def order_row(number: int, **overrides: Any) -> dict[str, Any]:
    """An ``rm_orders`` row: order ``number`` of account ``acc-1``, a filled 10 AAPL buy."""
    row: dict[str, Any] = {
        "order_id": UUID(int=number),
        "account_id": "acc-1",
        "instrument_id": "AAPL",
        "side": "BUY",
        "order_type": "MARKET",
        "quantity": Decimal("10"),
        "limit_price": None,
        "status": "FILLED",
        "filled_quantity": Decimal("10"),
        "average_fill_price": Decimal("150.25"),
        "reject_reason": None,
        "origin": "STRATEGY",
        "decision_id": UUID(int=10_000 + number),
        "ts_submitted": 1_704_205_800_000_000_000 + number * 1_000,
        "ts_updated": 1_704_205_800_000_000_000 + number * 1_000 + 500,
        "version": 3,
    }
    row.update(overrides)
    return row


@pytest.fixture
def make_order_row() -> Callable[..., dict[str, Any]]:
    """Factory of ``rm_orders`` rows (see :func:`order_row`)."""
    return order_row


@pytest.fixture
def codes() -> Callable[[Mapping[str, Any]], list[str]]:
    """``codes(body)``: the ``extensions.code`` of each error in a GraphQL response."""
    return error_codes
