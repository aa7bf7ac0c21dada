"""A control recorded by one process governs the next order of every other: the CLI (or a
second gateway) engages a kill switch or sets limits in the execution store, and the running
process — whose in-memory view did not make that change — rejects its very next order, on
real PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bounded_contexts.execution.domain.controls.events import Limits
from bounded_contexts.execution.domain.order import OrderStatus
from gateway.ports import Principal
from tests.pipeline_helpers import feed_synthetic

pytestmark = pytest.mark.integration

TRADER, RISK = Principal("trader-1"), Principal("risk-1")


def place(platform, price: str = "1"):  # type: ignore[no-untyped-def]
    return platform.execution_commands.place_order(
        TRADER,
        account_id="DEMO-001",
        instrument_id="SAP",
        side="BUY",
        quantity=Decimal(1),
        order_type="LIMIT",
        limit_price=Decimal(price),
    )


def test_a_kill_switch_engaged_elsewhere_cancels_and_blocks_in_the_running_process(
    database_url, make_platform
) -> None:  # type: ignore[no-untyped-def]
    running = make_platform(database_url, with_bus=False)
    running.build()
    feed_synthetic(running, seed=3, instruments=2)
    running.run_until_caught_up()
    resting = place(running).order.order_id  # far below the market: it rests

    elsewhere = make_platform(database_url, with_bus=False)
    elsewhere.build()
    engaged = elsewhere.execution_commands.engage_kill_switch(
        RISK, scope="instrument:SAP", reason="bad prints"
    )
    assert engaged.cancelled_orders == (resting,)

    blocked = place(running)
    assert blocked.order.status == "REJECTED"
    assert [(b.control, b.scope) for b in blocked.order.breaches] == [
        ("kill_switch", "instrument:SAP")
    ]
    assert running.execution.orders[resting].status is OrderStatus.CANCELLED
    assert resting not in running.execution.working

    elsewhere.execution_commands.release_kill_switch(
        RISK, scope="instrument:SAP", reason="prints fixed"
    )
    assert place(running).order.status == "ACCEPTED"
    elsewhere.close()
    running.close()


def test_limits_set_elsewhere_govern_the_running_process_s_next_order(
    database_url, make_platform
) -> None:  # type: ignore[no-untyped-def]
    running = make_platform(database_url, with_bus=False)
    running.build()
    feed_synthetic(running, seed=4, instruments=2)
    running.run_until_caught_up()
    accepted = place(running).order
    assert accepted.status == "ACCEPTED"
    held = running.execution.orders[accepted.order_id]

    elsewhere = make_platform(database_url, with_bus=False)
    elsewhere.build()
    recorded = elsewhere.execution_commands.set_risk_limits(
        RISK,
        scope="account:DEMO-001",
        limits=Limits(max_order_notional=Decimal("0.5")),
        reason="account under review",
    )
    refused = place(running)
    assert refused.order.status == "REJECTED"
    assert [(b.control, b.scope) for b in refused.order.breaches] == [
        ("max_order_notional", "account:DEMO-001")
    ]
    # The running process took the change in without reloading from scratch: it holds the
    # very order object it held before.
    assert running.execution.seen_position >= recorded.position
    assert running.execution.orders[accepted.order_id] is held
    elsewhere.close()
    running.close()
