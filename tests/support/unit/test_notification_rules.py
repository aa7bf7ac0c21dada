"""The notification rules are pure: a fact in, an alert out (what to say, how loudly, and
the key that makes it once-only)."""

from __future__ import annotations

import random
import uuid
from decimal import Decimal

import numpy as np
import pytest

from bounded_contexts.execution.domain.events import (
    ControlBreach,
    FillBooked,
    OrderRejected,
    OrderSubmitted,
)
from bounded_contexts.support.domain.notifications.rules import (
    ComponentState,
    DeadLetter,
    DrawdownWatch,
    OrderSummary,
    component_back,
    component_failing,
    dead_lettered,
    drawdown_alert,
    fill_booked,
    order_rejected,
)
from bounded_contexts.support.domain.performance import drawdown_series

EVENT_ID = uuid.UUID("11111111-2222-4333-8444-555555555555")
ORDER_ID = uuid.UUID("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee")


def fill(**changes: object) -> FillBooked:
    values: dict[str, object] = dict(
        account_id="ACC-1", order_id=ORDER_ID, instrument_id="SAP", side="BUY",
        quantity=Decimal("10"), price=Decimal("200.5000"), fee=Decimal("1.00"),
        cash_after=Decimal("97994.00"), position_after=Decimal("10"),
    )  # fmt: skip
    values.update(changes)
    return FillBooked(**values)  # type: ignore[arg-type]


def test_a_fill_says_what_was_traded_at_what_price_for_the_account() -> None:
    alert = fill_booked(fill(), EVENT_ID)
    assert alert.rule == "fill" and alert.severity == "INFO" and alert.account_id == "ACC-1"
    assert alert.key == f"fill/{EVENT_ID}"
    assert alert.title == "Bought 10 SAP at 200.5"
    assert "fee 1" in alert.body and "Position now 10" in alert.body
    assert alert.details["order_id"] == str(ORDER_ID) and alert.details["price"] == "200.5"
    assert fill_booked(fill(side="SELL"), EVENT_ID).title.startswith("Sold")


def test_a_rejection_names_every_control_broken_with_its_limit_and_value() -> None:
    submitted = OrderSubmitted(
        ORDER_ID, "ACC-1", "SAP", "BUY", "MARKET", Decimal(800), None, "GTC", None, "MANUAL",
        None, None,
    )  # fmt: skip
    rejected = OrderRejected(
        ORDER_ID,
        "notional 160000 exceeds 100000; no market price",
        (
            ControlBreach("max_order_notional", Decimal(100000), Decimal(160000)),
            ControlBreach("reference_price", None, None),
        ),
    )
    alert = order_rejected(rejected, OrderSummary.of(submitted), EVENT_ID)
    assert alert.rule == "order_rejected" and alert.severity == "WARNING"
    assert alert.title == "Order rejected: BUY 800 SAP (max_order_notional, reference_price)"
    assert "max_order_notional (limit 100000, value 160000); reference_price" in alert.body
    assert alert.details["controls"] == "max_order_notional,reference_price"
    assert alert.key == f"order-rejected/{EVENT_ID}"


def test_drawdown_is_the_support_domains_drawdown_computed_one_mark_at_a_time() -> None:
    rng = random.Random(7)
    watch = DrawdownWatch("ACC-1", (Decimal("0.5"),))
    watch.opened(Decimal(1000))
    watch.booked(fill(cash_after=Decimal(0), position_after=Decimal(10), price=Decimal(100)))
    closes = [Decimal(100)]
    for _ in range(300):
        closes.append(
            (closes[-1] * Decimal(1 + rng.uniform(-0.03, 0.03))).quantize(Decimal("0.01"))
        )
    equities, streamed = [], []
    for close in closes:
        watch.evaluate({"SAP": close})
        equity = watch.equity({"SAP": close})
        assert watch.peak is not None
        equities.append(float(equity))
        streamed.append(float(1 - equity / watch.peak))
    np.testing.assert_allclose(streamed, drawdown_series(equities), atol=1e-12)


def test_each_level_notifies_once_per_episode_and_again_after_a_new_high() -> None:
    watch = DrawdownWatch("ACC-1", (Decimal("0.05"), Decimal("0.10")))
    watch.opened(Decimal(0))
    watch.booked(fill(cash_after=Decimal(0), position_after=Decimal(1), price=Decimal(100)))

    def level(close: str) -> Decimal | None:
        crossed = watch.evaluate({"SAP": Decimal(close)})
        return None if crossed is None else crossed.level

    assert level("100") is None  # the peak
    assert level("96") is None  # 4 %
    assert level("95") == Decimal("0.05")
    assert level("97") is None and level("94") is None  # bouncing around 5 %: told once
    assert level("80") == Decimal("0.10")  # through 10 % (and beyond 20 % would be once)
    assert level("70") is None
    assert level("100") is None  # back at the peak: the episode is over
    assert level("94.9") == Decimal("0.05")  # a new episode is told again


def test_a_fall_through_several_levels_at_once_reports_the_deepest() -> None:
    watch = DrawdownWatch("ACC-1")
    watch.opened(Decimal(0))
    watch.booked(fill(cash_after=Decimal(0), position_after=Decimal(1), price=Decimal(100)))
    watch.evaluate({"SAP": Decimal(100)})
    crossed = watch.evaluate({"SAP": Decimal(75)})
    assert crossed is not None and crossed.level == Decimal("0.20")
    alert = drawdown_alert("ACC-1", crossed, EVENT_ID)
    assert alert.severity == "CRITICAL"
    assert alert.title == "Drawdown on ACC-1 beyond 20 %: 25.00 %"
    assert alert.details["equity"] == "75" and alert.details["peak"] == "100"
    assert alert.key == f"drawdown/ACC-1/0.2/{EVENT_ID}"


def test_a_position_without_a_bar_is_marked_at_its_last_fill_price() -> None:
    watch = DrawdownWatch("ACC-1")
    watch.opened(Decimal(10_000))
    watch.booked(fill(cash_after=Decimal(8_000), position_after=Decimal(10), price=Decimal(200)))
    assert watch.equity({}) == Decimal(10_000)
    assert watch.equity({"SAP": Decimal(150)}) == Decimal(9_500)
    watch.booked(fill(cash_after=Decimal(9_500), position_after=Decimal(0), price=Decimal(150)))
    assert not watch.holds("SAP") and watch.equity({"SAP": Decimal(1)}) == Decimal(9_500)


@pytest.mark.parametrize("levels", [(), (Decimal(0),), (Decimal(1),), (Decimal("-0.1"),)])
def test_drawdown_levels_must_lie_between_zero_and_one(levels: tuple[Decimal, ...]) -> None:
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        DrawdownWatch("ACC-1", levels)


def test_a_dead_letter_is_an_operational_warning_keyed_by_its_row() -> None:
    alert = dead_lettered(DeadLetter(17, "execution.orders", "ingestion", 42, "BarClosed v9"))
    assert (
        alert.account_id is None and alert.rule == "dead_letter" and alert.key == "dead-letter/17"
    )
    assert alert.title == "execution.orders dead-lettered ingestion#42"
    assert "BarClosed v9" in alert.body and alert.details["dead_letter_id"] == "17"


def test_a_failing_component_is_critical_and_its_end_is_told_per_episode() -> None:
    failing = ComponentState("relay:execution", "host:12", "failing", 3, "OperationalError: gone")
    alert = component_failing(failing, 2)
    assert (
        alert.severity == "CRITICAL" and alert.key == "component/relay:execution@host:12/2/failing"
    )
    assert "OperationalError: gone" in alert.body and alert.details["episode"] == "2"
    back = component_back(ComponentState("relay:execution", "host:12", "running", 4, None), 2)
    assert back.severity == "INFO" and back.title == "relay:execution recovered on host:12"
    assert back.key == "component/relay:execution@host:12/2/running"
    assert back.details["phase"] == "running"
