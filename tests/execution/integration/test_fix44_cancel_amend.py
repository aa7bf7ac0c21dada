"""Cancels and amendments of an order at a FIX 4.4 broker, in the cases the happy path does
not reach — QuickFIX as the broker, its FIX44.xml validating what we send, on a real event
store: the connection drops between our cancel and the broker's answer, with a fill the broker
sent before it took the cancel (and a PossDup copy of it on the resend): one fill, then the
cancel of the rest; and the broker refuses a replace (OrderCancelReject to a
OrderCancelReplaceRequest): recorded with its reason, the order works on its old terms under
its old ClOrdID."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest

from bounded_contexts.execution.adapters.venues.fix44.link import FixVenueLink
from bounded_contexts.execution.domain.events import OrderCancelled, OrderRequestRefused
from bounded_contexts.execution.domain.order import OrderStatus
from quantvista.platform import Platform
from tests.execution.integration.fix44_kit import FixWorld, is_type, wait_until
from tests.execution.integration.test_fix44_execution import (
    BROKER,
    TRADER,
    fills_of,
    place,
    platform_on,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def world(tmp_path: Path) -> Iterator[FixWorld]:
    made = FixWorld(tmp_path)
    yield made
    made.close()


@pytest.fixture
def trading(world: FixWorld, database_url: str) -> Iterator[Platform]:
    platform = platform_on(database_url)
    link = FixVenueLink(platform.execution_commands, world.config, BROKER, poll_s=0.05)
    link.start()
    assert link.broker.wait_logged_on(10)
    yield platform
    link.stop()
    platform.close()


def resting(platform: Platform) -> UUID:
    """A limit buy of 10 at 101.5, acknowledged by the broker."""
    order_id = place(platform, "LIMIT", limit_price=Decimal("101.5")).order_id
    service = platform.execution
    assert wait_until(lambda: service.orders[order_id].status is OrderStatus.ACCEPTED, 15)
    return order_id


def stored(platform: Platform, order_id: UUID, kind: type) -> list[object]:
    """What the store holds (the in-memory order changes under the lock before the append
    commits: the store is what was recorded)."""
    events = platform.stores["execution"].aggregate_events(order_id)  # type: ignore[arg-type]
    return [e.event for e in events if isinstance(e.event, kind)]


def test_a_disconnect_between_the_cancel_and_its_answer_loses_and_doubles_no_fill(
    world: FixWorld, trading: Platform
) -> None:
    platform = trading
    order_id = resting(platform)
    world.proxy.hold()  # from here the broker's messages do not reach us
    world.broker.fill(order_id.hex, Decimal(4), Decimal("101.5"))  # before it takes the cancel
    platform.execution_commands.cancel_order(TRADER, order_id=order_id)
    assert wait_until(lambda: world.broker.count("F") == 1, 15)  # it answered: held back
    world.proxy.cut()  # the connection drops with the fill and the answer undelivered
    assert platform.execution.orders[order_id].status is OrderStatus.ACCEPTED
    world.proxy.release()
    # on the way back the resent fill comes twice (a PossDup copy as well)
    world.proxy.duplicate_next = is_type("8", exec_type="F")
    world.proxy.restore()
    assert wait_until(lambda: bool(stored(platform, order_id, OrderCancelled)), 20)
    fills = fills_of(platform, order_id)
    assert [(f.quantity, f.remaining_quantity) for f in fills] == [(Decimal(4), Decimal(6))]
    [cancelled] = stored(platform, order_id, OrderCancelled)
    assert cancelled.remaining_quantity == Decimal(6)  # type: ignore[attr-defined]
    instrument = next(iter(platform.execution.instruments))
    assert platform.execution.accounts["DEMO-001"].position(instrument) == Decimal(4)
    assert world.broker.count("F") == 1  # the cancel itself was not sent again
    assert world.proxy.connections >= 2 and len(world.proxy.tampered) == 1  # as staged
    assert world.broker.validation_complaints() == []


def test_a_replace_the_broker_refuses_is_recorded_and_the_order_works_on_unchanged(
    world: FixWorld, trading: Platform
) -> None:
    platform = trading
    order_id = resting(platform)
    world.broker.refuse_next("G", "price outside the band")
    platform.execution_commands.amend_order(
        TRADER, order_id=order_id, quantity=None, limit_price=Decimal(90), stop_price=None
    )
    assert wait_until(lambda: bool(stored(platform, order_id, OrderRequestRefused)), 15)
    [refused] = stored(platform, order_id, OrderRequestRefused)
    assert (refused.request_id, refused.request, refused.reason) == (  # type: ignore[attr-defined]
        f"{order_id.hex}.1", "REPLACE", "price outside the band"
    )  # fmt: skip
    order = platform.execution.orders[order_id]
    assert order.pending_request is None and order.submitted.limit_price == Decimal("101.5")  # type: ignore[union-attr]
    assert order.cl_ord_id == order_id.hex  # a refused replace leaves the ClOrdID as it was
    # a cancel now names the order's first ClOrdID, and the broker finds it by that
    platform.execution_commands.cancel_order(TRADER, order_id=order_id)
    assert wait_until(lambda: bool(stored(platform, order_id, OrderCancelled)), 15)
    assert world.broker.record.received["F"] == [f"{order_id.hex}.2"]
    assert world.broker.validation_complaints() == []
