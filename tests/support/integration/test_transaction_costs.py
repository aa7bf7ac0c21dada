"""The transaction-cost query on real read models, after a trading day through every
context: each order's arrival price, VWAP, last price and fees are what the bars and fills
say (recomputed here from the rows by hand), rejected orders are left out, and the strategy
totals cover every order costed."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from bounded_contexts.support.application.tca import BAR_NS, transaction_costs
from tests.pipeline_helpers import feed_synthetic

pytestmark = pytest.mark.integration


def test_every_order_is_costed_against_the_bars_and_fills_it_met(
    database_url, make_platform
) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform(database_url, with_bus=False)
    platform.build()
    feed_synthetic(platform, seed=5, instruments=3)
    platform.run_until_caught_up()
    platform.close()
    with psycopg.connect(database_url) as conn:
        report = transaction_costs(conn, "DEMO-001")
        orders = {
            str(r[0]): r[1:]
            for r in conn.execute(
                "SELECT order_id, instrument_id, ts_submitted, ts_updated, status, quantity, "
                "filled_quantity FROM rm_orders WHERE account_id = 'DEMO-001'"
            )
        }
        bars: dict[str, list[tuple[int, Decimal, Decimal, Decimal, Decimal]]] = {}
        for instrument, ts, high, low, close, volume in conn.execute(
            "SELECT instrument_id, ts_event, high, low, close, volume FROM rm_bars "
            "ORDER BY ts_event"
        ):
            bars.setdefault(instrument, []).append((ts, high, low, close, volume))
        fills: dict[str, list[tuple[int, Decimal]]] = {}
        for order_id, ts, fee in conn.execute("SELECT order_id, ts_event, fee FROM rm_fills"):
            fills.setdefault(str(order_id), []).append((ts, fee))

    costed = {c.order_id: c for c in report.orders}
    assert costed, "the day's strategy produced orders"
    assert {o for o, row in orders.items() if row[3] != "REJECTED"} == set(costed)
    filled = [c for c in report.orders if c.filled > 0]
    assert filled, "and some of them filled"
    assert any(c.vwap is not None and c.slippage_bps is not None for c in filled)
    for cost in report.orders:
        instrument, submitted, updated, _, quantity, filled_quantity = orders[cost.order_id]
        series = bars[instrument]
        before = [close for ts, _, _, close, _ in series if ts <= submitted]
        assert cost.arrival_price == (before[-1] if before else None)
        own = fills.get(cost.order_id, [])
        assert cost.fees == sum((fee for _, fee in own), Decimal(0))
        # the order's life: from its submission to the end of the bar of its last fill (or of
        # its last change, unfilled)
        ends = max(max([ts for ts, _ in own] or [updated]), submitted) + BAR_NS
        window = [b for b in series if submitted < b[0] <= ends]
        volume = sum(b[4] for b in window)
        if volume:
            typical = sum((h + low + c) / 3 * v for _, h, low, c, v in window)
            assert cost.vwap == (typical / volume).quantize(Decimal("0.000001"))
        else:
            assert cost.vwap is None
        assert (cost.quantity, cost.filled) == (quantity, filled_quantity)
    assert sum(s.orders for s in report.by_strategy) == len(report.orders)
    assert not report.truncated
