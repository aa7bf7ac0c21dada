"""Order events get their ISO 20022 codes from what was recorded; the RTS 25 report says where
each timestamp is taken and judges the host clock only on what the host reports."""

from __future__ import annotations

import pytest

from bounded_contexts.support.application.mifid.clock import rts25_clock_report
from bounded_contexts.support.domain.mifid.clock import ClockSync, verdict
from bounded_contexts.support.domain.mifid.order_records import event_code


@pytest.mark.parametrize(
    ("event_type", "payload", "actor", "code"),
    [
        ("OrderSubmitted", {}, "person:alice", "NEWO"),
        ("OrderAccepted", {}, "venue:simulated", None),
        ("OrderRejected", {"reason": "limits"}, "algo:x", "REMO"),
        ("OrderFilled", {"remaining_quantity": "5"}, "venue:simulated", "PARF"),
        ("OrderFilled", {"remaining_quantity": "0.000"}, "venue:simulated", "FILL"),
        ("OrderCancelled", {"reason": "expired unfilled at 1 (GTD)"}, "venue:simulated", "EXPI"),
        ("OrderCancelled", {"reason": "cancelled by alice"}, "person:alice", "CAME"),
        ("OrderCancelled", {"reason": "no fill before the deadline"}, "saga:t-v1", "CAME"),
        ("OrderCancelled", {"reason": "expired unfilled at 1 (DAY)"}, "venue:simulated", "EXPI"),
        ("OrderCancelled", {"reason": "expired IOC: 5 left after"}, "venue:simulated", "EXPI"),
        ("OrderCancelled", {"reason": "expired FOK: 5 not fillable"}, "venue:simulated", "EXPI"),
        (
            "OrderCancelled",
            {"reason": "reduce-only: no position left to reduce"},
            "venue:simulated",
            "CAME",
        ),
        ("OrderTriggered", {"trigger_price": "101"}, "venue:simulated", "TRIG"),
        ("OrderTrailingStopMoved", {"trigger_price": "101"}, "venue:simulated", None),
        # a one-triggers-other child: new when it goes to the venue, not when it is held
        ("OrderSubmitted", {"parent_order_id": "0e1f"}, "person:alice", None),
        ("OrderActivated", {"quantity": "4"}, "system:contingent-orders", "NEWO"),
        (
            "OrderCancelled",
            {"reason": "never sent: parent 0e1f cancelled with nothing filled"},
            "system:contingent-orders",
            None,
        ),
        ("OrderCancelled", {"reason": "OCO: order 0e1f executed"}, "venue:simulated", "CAME"),
    ],
)
def test_each_order_event_gets_its_iso_20022_code(
    event_type: str,
    payload: dict,
    actor: str,
    code: str | None,  # type: ignore[type-arg]
) -> None:
    assert event_code(event_type, payload, actor) == code


def sync(synchronised: bool | None, max_error: int | None = None) -> ClockSync:
    return ClockSync("tsc", synchronised, max_error, None, "test")


def test_the_clock_verdict_is_unknown_unless_the_host_says_how_close_it_is() -> None:
    assert verdict(sync(None)).startswith("unknown")
    assert verdict(sync(True)).startswith("unknown")
    assert verdict(sync(False)).startswith("NOT MET")
    assert verdict(sync(True, 400)).startswith("met")
    assert verdict(sync(True, 5_000)).startswith("NOT MET")


def test_the_clock_report_covers_every_regulated_step() -> None:
    report = rts25_clock_report(lambda: sync(True, 10))
    steps = [p.step for p in report.points]
    for step in (
        "investment decision",
        "submission to the venue",
        "venue acknowledgement",
        "trigger of a conditional order",
        "submission of a held one-triggers-other child",
    ):
        assert step in steps
    assert "fill receipt" in steps and "microsecond" in report.granularity
    assert rts25_clock_report().sync.method  # the real host answers, whatever it knows
