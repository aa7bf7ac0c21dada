"""A small trading day run through the real execution context into a real event store, for the
MiFID II tests: a strategy buy filled in two parts, a manual sell, a manual sell that goes short
on its second fill, a limit buy partly filled and then cancelled, a strategy order that expires,
a rejected order, and a client (AOTC) buy by a person."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import psycopg

from bounded_contexts.execution.adapters.venues.simulated import VenueBar
from bounded_contexts.execution.application.service import (
    ExecutionConfig,
    ExecutionService,
    SubmitOrder,
)
from bounded_contexts.execution.domain.pretrade import PreTradeLimits
from bounded_contexts.ingestion.domain.events import InstrumentListed
from bounded_contexts.support.domain.mifid.firm import firm_from_mapping
from events.effects import EventsToAppend
from events.envelope import Cause
from events.store import EventStore
from projections.rebuild import rebuild_projections
from quantvista.platform import Platform
from tests.conftest import _with_database

MINUTE = 60_000_000_000
T0 = 1_795_680_000_000_000_000  # 2026-11-26T08:00:00Z
DAY = "2026-11-26"
FIRM_LEI = "984500QVDEMOFIRM0020"
SUBMITTER_LEI = "984500QVDEMOSUBM0007"
SAP_ISIN = "DE0007164600"
ALGO = "qv-directional-v1/logreg-v1-SAP-0123456789"
EXEC_ALGO = "qv-execution-market-v1"
ALICE_ID = "DE19800131ALICEDOE##"
CLIENT_ID = "FR19750704MARIECURIE"

BUY = uuid.UUID("10000000-0000-4000-8000-000000000001")
SELL = uuid.UUID("20000000-0000-4000-8000-000000000002")
SHORT = uuid.UUID("30000000-0000-4000-8000-000000000003")
LIMIT = uuid.UUID("40000000-0000-4000-8000-000000000004")
EXPIRES = uuid.UUID("50000000-0000-4000-8000-000000000005")
REJECTED = uuid.UUID("60000000-0000-4000-8000-000000000006")
CLIENT_BUY = uuid.UUID("70000000-0000-4000-8000-000000000007")

FIRM = {
    "firm": {
        "lei": FIRM_LEI,
        "submitting_lei": SUBMITTER_LEI,
        "branch_country": "DE",
        "report_to": "DE",
    },
    "accounts": {
        "DEMO-001": {"trading_capacity": "DEAL"},
        "CLIENT-7": {"trading_capacity": "AOTC", "client": "C-7"},
    },
    "clients": {
        "C-7": {
            "kind": "NATURAL",
            "national_id": CLIENT_ID,
            "scheme": "CONCAT",
            "first_names": "MARIE",
            "surnames": "CURIE",
            "birth_date": "1975-07-04",
            "country_of_branch": "FR",
        }
    },
    "persons": {"alice": {"national_id": ALICE_ID, "scheme": "CONCAT", "country_of_branch": "DE"}},
}


def firm(**changes: dict) -> object:  # type: ignore[type-arg]
    data = {key: dict(value) for key, value in FIRM.items()}
    for key, value in changes.items():
        data[key] = value
    return firm_from_mapping(data)


@dataclass
class Day:
    svc: ExecutionService
    client: ExecutionService
    store: EventStore


def bar(minute: int, open_: str, volume: str, low: str | None = None) -> VenueBar:
    o = Decimal(open_)
    return VenueBar(T0 + minute * MINUTE, o, o + 1, Decimal(low) if low else o - 1, Decimal(volume))


def run_day(platform: object) -> Day:
    """Record the day into the platform's stores and index it."""
    platform.ingestion.list_instruments(  # type: ignore[attr-defined]
        [InstrumentListed("SAP", SAP_ISIN, "XETR", "EUR", "SAP SE", Decimal(1), Decimal("0.01"))],
        actor="test",
    )
    store: EventStore = platform.stores["execution"]  # type: ignore[attr-defined]
    svc = ExecutionService(store, ExecutionConfig(limits=PreTradeLimits(allow_short=True)))
    client = ExecutionService(
        store, ExecutionConfig(account_id="CLIENT-7", trading_capacity="AOTC")
    )
    for service in (svc, client):
        service.instrument_listed("SAP", Decimal(1), Decimal("0.01"), "XETR")

    def submit(service: ExecutionService, cmd: SubmitOrder, ts: int, actor: str) -> None:
        uow = EventsToAppend()
        service.submit(cmd, uow, Cause.origin(ts_event=ts, actor=actor, key=f"o/{cmd.order_id}"))
        store.append(uow.items)

    def on_bar(service: ExecutionService, b: VenueBar) -> None:
        uow = EventsToAppend()
        service.remember_bar("SAP", b, b.open)
        service.on_bar("SAP", b, uow, Cause.origin(ts_event=b.ts_start, actor="t", key=str(b)))
        store.append(uow.items)

    def order(order_id: uuid.UUID, side: str, qty: int, **more: object) -> SubmitOrder:
        fields = {
            "order_id": order_id,
            "account_id": "DEMO-001",
            "instrument_id": "SAP",
            "side": side,
            "order_type": "MARKET",
            "quantity": Decimal(qty),
            "limit_price": None,
            "origin": "MANUAL",
            "reference_price": Decimal(100),
        }
        fields.update(more)
        return SubmitOrder(**fields)  # type: ignore[arg-type]

    strategy = {"origin": "STRATEGY", "algo_id": ALGO, "decision_id": uuid.UUID(int=99)}
    submit(svc, order(BUY, "BUY", 100, ts_decision=T0 - MINUTE, **strategy), T0, f"algo:{ALGO}")
    on_bar(svc, bar(0, "100", "200"))  # 50 of 100 at 100.02
    on_bar(svc, bar(1, "101", "400"))  # the other 50 at 101.0202
    submit(svc, order(SELL, "SELL", 30), T0 + 2 * MINUTE, "person:alice")
    on_bar(svc, bar(2, "102", "400"))  # 30 at 101.9796: position 100 before, SELL
    submit(svc, order(SHORT, "SELL", 100), T0 + 3 * MINUTE, "person:alice")
    on_bar(svc, bar(3, "100", "80"))  # 20 at 99.98: position 70 before, SELL
    on_bar(svc, bar(4, "100", "400"))  # 80 at 99.98: position 50 before, SESH
    limit = {"order_type": "LIMIT", "limit_price": Decimal("99.50")}
    submit(svc, order(LIMIT, "BUY", 200, **limit), T0 + 5 * MINUTE, "person:alice")
    on_bar(svc, bar(5, "100", "100", low="99"))  # 25 at 99.50
    uow = EventsToAppend()
    svc.cancel(
        LIMIT,
        "cancelled by alice",
        uow,
        Cause.origin(ts_event=T0 + 6 * MINUTE + 1, actor="person:alice", key="c"),
    )
    store.append(uow.items)
    gtd = {**strategy, "decision_id": uuid.UUID(int=98), "expire_at": T0 + 8 * MINUTE}
    submit(svc, order(EXPIRES, "BUY", 10, **gtd), T0 + 7 * MINUTE, f"algo:{ALGO}")
    on_bar(svc, bar(7, "100", "0"))  # no volume: nothing fills
    on_bar(svc, bar(8, "100", "0"))  # expires (EXPI)
    submit(svc, order(REJECTED, "BUY", 5000), T0 + 9 * MINUTE, "person:alice")  # notional
    client_buy = order(CLIENT_BUY, "BUY", 10, account_id="CLIENT-7")
    submit(client, client_buy, T0 + 9 * MINUTE, "person:alice")
    uow = EventsToAppend()
    client.remember_bar("SAP", bar(10, "100", "400"), Decimal(100))
    client.on_bar("SAP", bar(10, "100", "400"), uow, Cause.origin(ts_event=T0, actor="t", key="b"))
    store.append(uow.items)
    for _ in rebuild_projections(platform, "event-index"):  # type: ignore[arg-type]
        pass
    return Day(svc, client, store)


def recorded_day(server_url: str, prefix: str) -> tuple[str, Platform, Day]:
    """A new database on the session's server (named ``<prefix>_<random>``) holding the
    scenario's day: its URL, the platform on it (to close) and the day's services."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(server_url, name)
    platform = Platform(url)
    platform.create_tables()
    return url, platform, run_day(platform)
