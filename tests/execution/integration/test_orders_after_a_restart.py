"""After a restart with nothing new upstream, a GraphQL order is still served: the command
path loads the execution state itself instead of waiting for the consumer's first event."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.ports import Principal
from tests.pipeline_helpers import feed_synthetic

pytestmark = pytest.mark.integration


def test_a_manual_order_is_accepted_right_after_a_restart(database_url, make_platform) -> None:  # type: ignore[no-untyped-def]
    first = make_platform(database_url, with_bus=False)
    first.build()
    feed_synthetic(first, seed=3, instruments=2)
    first.run_until_caught_up()
    first.close()

    restarted = make_platform(database_url, with_bus=False)
    restarted.build()  # no consumer has run: nothing upstream is new
    outcome = restarted.execution_commands.place_order(
        Principal("trader-1"),
        account_id="DEMO-001",
        instrument_id="SAP",
        side="BUY",
        quantity=Decimal(1),
        order_type="LIMIT",
        limit_price=Decimal(1),
    )
    order = restarted.execution.orders[outcome.order.order_id]
    assert order.status.value == outcome.order.status == "ACCEPTED"
    assert outcome.position == restarted.stores["execution"].head()
