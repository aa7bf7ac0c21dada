"""The RTS 22 transaction reports of one day, built from the event log, and their file.

:func:`transaction_reports` returns plain data (the CLI and the gateway both call it, with the
database connection passed in): one ``New`` per execution whose trading date-time falls on the
day (UTC), one ``Cxl`` per report cancellation recorded that day for an execution of an
earlier day, and every record left out with each field at fault. An execution cancelled on
its own trading day is withdrawn: neither reported nor cancelled (nothing had been sent).

Corrections (``OrderFillCorrected``): an execution corrected on its own trading day is reported
once, with the corrected price; one corrected on a later day gets, in that day's file, a
``Cxl`` of the report sent and a ``New`` under the same reference with the corrected price (the
``Cxl`` first in the file). A day's file only ever uses what was recorded by the end of that
day, so writing an old day again gives the file that was sent.
:func:`write_transaction_file` writes the ISO 20022 file; nothing is written for a day with
nothing to report.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import psycopg

from bounded_contexts.support.adapters.mifid.auth016_xml import render_file
from bounded_contexts.support.application.mifid.clients import with_recorded_clients
from bounded_contexts.support.application.mifid.log import (
    LoggedEvent,
    events_between,
    events_of_aggregate,
    first_events,
)
from bounded_contexts.support.application.mifid.reference import instruments
from bounded_contexts.support.domain.mifid.fields import Problem
from bounded_contexts.support.domain.mifid.firm import FirmConfig
from bounded_contexts.support.domain.mifid.transactions import (
    CancellationReport,
    Decider,
    ExecutionFacts,
    InstrumentFacts,
    LeftOut,
    TransactionReport,
    cancellation_report,
    new_report,
)

DAY_NS = 86_400 * 1_000_000_000


@dataclass(frozen=True)
class Withdrawn:
    """An execution cancelled on its own trading day: not reported, not cancelled."""

    transaction_reference: str
    reason: str


@dataclass(frozen=True)
class TransactionReportSet:
    day: date
    reports: tuple[TransactionReport, ...]
    cancellations: tuple[CancellationReport, ...]
    left_out: tuple[LeftOut, ...]
    withdrawn: tuple[Withdrawn, ...]
    created_ns: int | None
    """When the latest fact in the file was recorded (``ts_recorded``): the file's ``CreDt``."""

    @property
    def empty(self) -> bool:
        return not self.reports and not self.cancellations


@dataclass(frozen=True)
class TransactionFile:
    path: Path
    message_id: str
    size: int


def day_bounds(day: date) -> tuple[int, int]:
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1_000_000_000
    return start, start + DAY_NS


def transaction_reports(
    conn: psycopg.Connection, firm: FirmConfig, day: date
) -> TransactionReportSet:
    start, end = day_bounds(day)
    firm = with_recorded_clients(conn, firm, end)  # clients as recorded by the day's end
    fills = events_between(conn, "execution", ["OrderFilled"], start, end)
    orders = first_events(conn, "execution", (f.aggregate_id for f in fills))
    listed = instruments(conn)
    cancelled = events_between(conn, "support", ["TransactionReportCancelled"], start, end)
    cancelled_today = {c.payload["transaction_reference"]: c for c in cancelled}
    corrections = events_between(conn, "execution", ["OrderFillCorrected"], start, end)
    corrected_today = {(c.aggregate_id, int(c.payload["fill_seq"])): c for c in corrections}
    reports, left_out, withdrawn, recorded = [], [], [], []
    for fill in sorted(fills, key=lambda f: (_executed(f), f.payload["transaction_reference"])):
        facts = execution_facts(fill, orders.get(fill.aggregate_id), listed)
        correction = corrected_today.pop((fill.aggregate_id, facts.fill_seq), None)
        if correction is not None:  # corrected the same day: reported once, as corrected
            facts = replace(facts, price=Decimal(correction.payload["price"]))
            recorded.append(correction.ts_recorded)
        if facts.transaction_reference in cancelled_today:
            reason = cancelled_today.pop(facts.transaction_reference).payload["reason"]
            withdrawn.append(Withdrawn(facts.transaction_reference, reason))
            continue
        report, problems = new_report(facts, firm)
        if report is None:
            left_out.append(LeftOut(facts.transaction_reference, "NEWT", tuple(problems)))
            continue
        reports.append(report)
        recorded += [fill.ts_recorded, orders[fill.aggregate_id].ts_recorded]
    cancellations = []
    for correction in sorted(corrected_today.values(), key=lambda c: c.position):
        # an execution of an earlier day corrected today: cancel the report sent, send it again
        resent = _resent(conn, correction, listed, firm, start)
        if isinstance(resent, LeftOut):
            left_out.append(resent)
            continue
        cancellations.append(resent[0])
        reports.append(resent[1])
        recorded.append(correction.ts_recorded)
    for event in sorted(cancelled_today.values(), key=lambda c: (c.ts_event, c.position)):
        reference, reason = event.payload["transaction_reference"], event.payload["reason"]
        problems = _cancellable(conn, reference, start)
        report, more = cancellation_report(reference, reason, firm)
        if report is None or problems:
            left_out.append(LeftOut(reference, "CANC", tuple(problems + more)))
            continue
        cancellations.append(report)
        recorded.append(event.ts_recorded)
    return TransactionReportSet(
        day,
        tuple(reports),
        tuple(cancellations),
        tuple(left_out),
        tuple(withdrawn),
        max(recorded) if recorded else None,
    )


def write_transaction_file(
    report_set: TransactionReportSet, firm: FirmConfig, out: Path
) -> TransactionFile | None:
    """Write the day's file (``None``, nothing written, when there is nothing to report)."""
    rendered = render_transaction_file(report_set, firm)
    if rendered is None:
        return None
    content, message_id = rendered
    out.write_bytes(content)
    return TransactionFile(out, message_id, len(content))


def render_transaction_file(
    report_set: TransactionReportSet, firm: FirmConfig
) -> tuple[bytes, str] | None:
    """The day's file and its message id (``None`` when there is nothing to report): the
    same bytes whoever asks, the CLI or the regulator's GraphQL query."""
    if report_set.empty or report_set.created_ns is None:
        return None
    return render_file(
        report_set.reports,
        report_set.cancellations,
        namespace=firm.document_namespace,
        sender=firm.submitting_lei,
        receiver=firm.report_to,
        day=report_set.day,
        created_ns=report_set.created_ns,
    )


def execution_facts(
    fill: LoggedEvent, order: LoggedEvent | None, listed: dict[str, InstrumentFacts]
) -> ExecutionFacts:
    """One execution's facts: the fill as recorded, and its order for what the fill does not
    carry (account, instrument, side)."""
    p = fill.payload
    o = order.payload if order is not None else {}
    instrument_id = o.get("instrument_id", "")
    return ExecutionFacts(
        transaction_reference=p["transaction_reference"],
        order_id=fill.aggregate_id,
        fill_seq=int(p["fill_seq"]),
        account_id=o.get("account_id", ""),
        instrument_id=instrument_id,
        side=o.get("side", ""),
        quantity=Decimal(p["quantity"]),
        price=Decimal(p["price"]),
        ts_executed=_executed(fill),
        trading_capacity=p.get("trading_capacity"),
        short_selling=p.get("short_selling"),
        venue=p.get("venue"),
        venue_transaction_id=p.get("venue_transaction_id"),
        investment_decision=_decider(p.get("investment_decision")),
        execution_decision=_decider(p.get("execution_decision")),
        instrument=listed.get(instrument_id),
        written_version=fill.written_version,
    )


def _executed(fill: LoggedEvent) -> int:
    """The execution time: recorded as ``ts_executed`` since v2; a v1 fill's ``ts_event`` was
    recorded as the same instant (the start of the bar the venue executed on)."""
    recorded = fill.payload.get("ts_executed")
    return int(recorded) if recorded is not None else fill.ts_event


def _decider(value: dict[str, str] | None) -> Decider | None:
    return None if value is None else Decider(value["kind"], value["id"])


def _resent(
    conn: psycopg.Connection,
    correction: LoggedEvent,
    listed: dict[str, InstrumentFacts],
    firm: FirmConfig,
    day_start: int,
) -> tuple[CancellationReport, TransactionReport] | LeftOut:
    """The ``Cxl`` and the corrected ``New`` of an earlier day's execution corrected today;
    both are left out together (with every problem) when either fails validation, so that a
    report is never cancelled without its replacement."""
    p = correction.payload
    reference = p["transaction_reference"]
    history = events_of_aggregate(conn, "execution", correction.aggregate_id)
    fill = next(
        (
            e
            for e in history
            if e.event_type == "OrderFilled" and int(e.payload["fill_seq"]) == int(p["fill_seq"])
        ),
        None,
    )
    if fill is None or _executed(fill) >= day_start:
        problem = Problem(2, "the corrected execution is not an earlier day's in the log")
        return LeftOut(reference, "CANC", (problem,))
    facts = execution_facts(fill, history[0], listed)
    cancellation, problems = cancellation_report(reference, f"corrected: {p['reason']}", firm)
    report, more = new_report(replace(facts, price=Decimal(p["price"])), firm)
    if cancellation is None or report is None:
        status = "CANC" if cancellation is None else "NEWT"
        return LeftOut(reference, status, tuple(problems + more))
    return cancellation, report


def _cancellable(conn: psycopg.Connection, reference: str, day_start: int) -> list[Problem]:
    """A cancellation must name an execution of an earlier day that the log holds."""
    order_id = _order_of(reference)
    fills = [] if order_id is None else events_of_aggregate(conn, "execution", order_id)
    fill = next(
        (
            f
            for f in fills
            if f.event_type == "OrderFilled" and f.payload["transaction_reference"] == reference
        ),
        None,
    )
    if fill is None:
        return [Problem(2, f"no execution with the reference {reference!r} in the log")]
    if _executed(fill) >= day_start:
        return [Problem(2, "the cancellation was recorded before the execution's trading day")]
    return []


def _order_of(reference: str) -> UUID | None:
    """The order of a transaction reference (the execution context's format: the order id in
    32 hex digits, ``F``, the fill number)."""
    try:
        return UUID(hex=reference[:32]) if reference[32:33] == "F" else None
    except ValueError:
        return None


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--date must be YYYY-MM-DD, got {text!r}") from None


__all__ = [
    "TransactionFile",
    "TransactionReportSet",
    "Withdrawn",
    "day_bounds",
    "parse_day",
    "render_transaction_file",
    "transaction_reports",
    "write_transaction_file",
]
