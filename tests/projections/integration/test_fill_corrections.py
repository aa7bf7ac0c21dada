"""A corrected fill, as the read models show it (real PostgreSQL): positions, P&L, cash, fees,
fills and the order's average equal those of a log where the fill had the corrected terms
from the start — while the order's history shows the fill and its correction, both."""

from __future__ import annotations

import uuid
from decimal import Decimal

import psycopg
import pytest

from bounded_contexts.execution.application.service import ExecutionConfig, ExecutionService
from bounded_contexts.execution.domain.account import Account
from bounded_contexts.execution.domain.events import OrderSubmitted
from bounded_contexts.execution.domain.order import Order
from events.consumer import TrackedConsumer
from events.effects import EventsToAppend
from events.envelope import Cause
from projections.orders import OrdersProjection
from projections.portfolio import PortfolioProjection

pytestmark = pytest.mark.integration

D = Decimal
T0 = 1_795_165_800_000_000_000
TRADES = [  # order, side, quantity, price, fee
    (1, "BUY", D(10), D(100), D(1)),
    (2, "BUY", D(10), D(110), D(1)),
    (3, "SELL", D(15), D(120), D(1)),
    (4, "BUY", D(5), D(115), D(1)),
]
CORRECTED = (2, D(105), D("0.5"))  # order 2's fill: 110 -> 105, fee 1 -> 0.5


def order_id(number: int) -> uuid.UUID:
    return uuid.UUID(int=number)


def record(platform, trades) -> None:  # type: ignore[no-untyped-def]
    """The trades as the execution context records them: submitted, accepted, filled, booked."""
    account = Account.open("ACC-1", "EUR", D(1_000_000))
    uow = EventsToAppend()
    uow.save(account, Cause.origin(ts_event=T0, actor="test", key="open"))
    for number, side, quantity, price, fee in trades:
        order = Order.submit(
            OrderSubmitted(order_id(number), "ACC-1", "SAP", side, "MARKET", quantity, None,
                           "GTC", None, "MANUAL", None, None)
        )  # fmt: skip
        order.accept()
        order.fill(quantity, price, fee)
        account.book_fill(order_id=order.id, instrument_id="SAP", side=side,
                          quantity=quantity, price=price, fee=fee)  # fmt: skip
        cause = Cause.origin(ts_event=T0 + number, actor="test", key=f"trade/{number}")
        uow.save(order, cause)
        uow.save(account, cause)
    platform.stores["execution"].append(uow.items)


def fold(platform) -> None:  # type: ignore[no-untyped-def]
    for projection in (OrdersProjection(), PortfolioProjection()):
        TrackedConsumer(
            projection, platform.read_effects, platform.stores, platform.dead_letters
        ).drain()


def read_models(url: str) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    queries = {
        "positions": "SELECT account_id, instrument_id, quantity, average_price, cost_basis, "
        "realised_pnl FROM rm_positions ORDER BY 1, 2",
        "portfolio": "SELECT account_id, cash, fees_paid, realised_pnl FROM rm_portfolio",
        "fills": "SELECT order_id, fill_seq, quantity, price, fee FROM rm_fills ORDER BY 1, 2",
        "orders": "SELECT order_id, status, filled_quantity, average_fill_price FROM rm_orders "
        "ORDER BY 1",
    }
    with psycopg.connect(url) as conn:
        return {name: conn.execute(sql).fetchall() for name, sql in queries.items()}


@pytest.fixture
def corrected(new_database, make_platform):  # type: ignore[no-untyped-def]
    url = new_database()
    platform = make_platform(url, with_bus=False)
    record(platform, TRADES)
    fold(platform)  # the fill was projected as it was first recorded...
    service = ExecutionService(platform.stores["execution"], ExecutionConfig(account_id="ACC-1"))
    service.reload_own_state()
    uow = EventsToAppend()
    number, price, fee = CORRECTED
    service.correct_fill(
        order_id(number),
        1,
        price=price,
        fee=fee,
        reason="venue corrected the trade",
        uow=uow,
        cause=Cause.origin(ts_event=T0 + 100, actor="person:olga", key="correction"),
    )
    positions = platform.stores["execution"].append(uow.items)
    fold(platform)  # ...and then corrected
    return url, positions


def test_the_read_models_equal_a_log_where_the_fill_had_the_corrected_terms_all_along(
    corrected, new_database, make_platform
) -> None:  # type: ignore[no-untyped-def]
    url, _ = corrected
    reference_url = new_database()
    reference = make_platform(reference_url, with_bus=False)
    number, price, fee = CORRECTED
    record(reference, [(n, s, q, price, fee) if n == number else (n, s, q, p, f)
                       for n, s, q, p, f in TRADES])  # fmt: skip
    fold(reference)
    assert read_models(url) == read_models(reference_url)
    # and what that is: 10 @ 100 + 10 @ 105, 15 sold at 120, 5 bought at 115
    (portfolio,) = read_models(url)["portfolio"]
    assert portfolio[2] == D("3.5") and portfolio[3] == D("262.5")  # 15 x (120 - 102.5)


def test_the_history_keeps_the_fill_and_its_correction_and_the_fill_names_it(corrected) -> None:  # type: ignore[no-untyped-def]
    url, positions = corrected
    number = CORRECTED[0]
    with psycopg.connect(url) as conn:
        history = conn.execute(
            "SELECT event_type, payload->>'price', payload->>'actor' FROM rm_order_events "
            "WHERE order_id = %s ORDER BY version",
            (order_id(number),),
        ).fetchall()
        corrected_seq, filled_seq = conn.execute(
            "SELECT corrected_seq, seq FROM rm_fills WHERE order_id = %s", (order_id(number),)
        ).fetchone()
        names = conn.execute(
            "SELECT (convert_from(state, 'UTF8')::jsonb->'payload'->>'corrected_position')::bigint "
            "FROM execution_events WHERE topic LIKE '%%OrderFillCorrected'"
        ).fetchone()
    assert [h[0] for h in history] == [
        "OrderSubmitted",
        "OrderAccepted",
        "OrderFilled",
        "OrderFillCorrected",
    ]
    assert history[2][1] == "110" and history[3][1] == "105"  # the fill as recorded, then fixed
    assert history[3][2] == "person:olga"
    assert corrected_seq in positions
    assert names == (filled_seq,)  # the correction names the fill's own store position
