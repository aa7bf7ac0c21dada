"""The FIX link's reader side: a report that cannot be recorded is kept and logged, and the
next one is still recorded — a bad report must not stop the session that carries the rest;
a report that is not an ExecutionReport is not the execution service's."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from bounded_contexts.execution.adapters.venues.fix44 import (
    ExecType,
    ExecutionReport,
    FixSessionConfig,
    OrdStatus,
)
from bounded_contexts.execution.adapters.venues.fix44.link import FixVenueLink


class Commands:
    """The execution commands' port as the link uses it; the first report fails."""

    def __init__(self) -> None:
        self.recorded: list[Any] = []

    def record_broker_report(self, report: Any, *, venue: str) -> int:
        if not self.recorded and report.exec_id == "E1":
            self.recorded.append(None)
            raise ValueError("fill of 60 on an order with 6 open")
        self.recorded.append(report)
        return 1


def report(exec_id: str) -> ExecutionReport:
    return ExecutionReport(
        order_id="B1", cl_ord_id="0" * 32, orig_cl_ord_id=None, exec_id=exec_id,
        exec_type=ExecType.TRADE, ord_status=OrdStatus.PARTIALLY_FILLED, symbol="SAP",
        side="BUY", leaves_qty=Decimal(6), cum_qty=Decimal(4), avg_px=Decimal(100),
        last_qty=Decimal(4), last_px=Decimal(100), order_qty=Decimal(10), price=None,
        commission=None, transact_time=None, ord_rej_reason=None, text=None, poss_dup=False,
        poss_resend=False,
    )  # fmt: skip


def test_a_report_that_cannot_be_recorded_is_kept_and_the_next_is_recorded(
    tmp_path: Path,
) -> None:
    config = FixSessionConfig("127.0.0.1", 9, "US", "THEM", tmp_path / "s.sqlite")
    commands = Commands()
    link = FixVenueLink(commands, config, "XBRK")  # type: ignore[arg-type]
    try:
        link._on_report(report("E1"))
        link._on_report(report("E2"))
        assert [(r.exec_id, why) for r, why in link.unrecorded] == [
            ("E1", "fill of 60 on an order with 6 open")
        ]
        assert commands.recorded[-1].exec_id == "E2"
        assert commands.recorded[-1].kind == "TRADE"
    finally:
        link.broker.store.close()
