"""The regulator's and the auditor's reads: RTS 22 transaction reports, Annex IV order records,
the access log and the stores' hash chains, built from the event stores on a worker thread by
the same functions as ``quantvista mifid``, ``quantvista audit access`` and ``quantvista audit
verify`` — so a regulator pulling a day over GraphQL gets the bytes the CLI writes. The caller's
permission is checked, and the decision recorded, by the schema before any of these runs."""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

import anyio
import psycopg

from bounded_contexts.support.application.access_queries import AccessQuery, access_decisions
from bounded_contexts.support.application.mifid.firm_config import load_firm_config
from bounded_contexts.support.application.mifid.order_records import (
    order_records as build_order_records,
)
from bounded_contexts.support.application.mifid.transactions import (
    render_transaction_file,
    transaction_reports,
)
from bounded_contexts.support.domain.mifid.firm import FirmConfig, FirmConfigError
from bounded_contexts.support.domain.mifid.order_records import ORDER_RECORD_COLUMNS
from events.chain import verify
from events.store import STORE_CONTEXTS
from gateway.context import GatewayContext
from gateway.errors import BadUserInput, Unavailable
from gateway.regulatory_types import (
    AccessDecisionRecord,
    ChainBreak,
    ChainVerification,
    LeftOutTransaction,
    OrderRecordPage,
    TransactionReportFile,
)
from gateway.scalars import Nanoseconds, StorePosition, UtcTimestamp

MAX_ORDER_RECORDS = 10_000
MAX_WINDOW_NS = 31 * 86_400 * 1_000_000_000  # one month of order records per request
_ONE_VERIFICATION = threading.Lock()  # a recomputation reads a whole store: one at a time


def parse_trading_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadUserInput(f"date must be YYYY-MM-DD, got {text!r}") from None


def _firm(context: GatewayContext) -> FirmConfig:
    try:
        return load_firm_config(context.config.firm_config)
    except FirmConfigError as error:
        raise Unavailable(f"transaction reports cannot be built here: {error}") from None


def _connect(context: GatewayContext) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(context.database_url, connect_timeout=3)
    except psycopg.OperationalError:
        raise Unavailable("the event store cannot be reached just now; retry") from None


async def transaction_report_file(context: GatewayContext, day: date) -> TransactionReportFile:
    firm = _firm(context)  # before the log is read: a server without one says so at once

    def build() -> TransactionReportFile:
        with _connect(context) as conn:
            report_set = transaction_reports(conn, firm, day)
        rendered = render_transaction_file(report_set, firm)
        return TransactionReportFile(
            day=day.isoformat(),
            message_id=None if rendered is None else rendered[1],
            reported=len(report_set.reports) if rendered is not None else 0,
            cancelled=len(report_set.cancellations) if rendered is not None else 0,
            withdrawn=[w.transaction_reference for w in report_set.withdrawn],
            left_out=[
                LeftOutTransaction(
                    transaction_reference=item.transaction_reference,
                    status=item.status,
                    problems=[str(problem) for problem in item.problems],
                )
                for item in report_set.left_out
            ],
            xml=None if rendered is None else rendered[0].decode("utf-8"),
        )

    return await anyio.to_thread.run_sync(build)


def check_window(start: int, end: int, first: int) -> None:
    if end <= start:
        raise BadUserInput("`to` must be after `from`")
    if end - start > MAX_WINDOW_NS:
        raise BadUserInput("a window of order records spans at most 31 days")
    if not 1 <= first <= MAX_ORDER_RECORDS:
        raise BadUserInput(f"first must be between 1 and {MAX_ORDER_RECORDS}, got {first}")


async def order_records(
    context: GatewayContext, start: int, end: int, first: int
) -> OrderRecordPage:
    check_window(start, end, first)
    firm: FirmConfig | None
    try:
        firm = load_firm_config(context.config.firm_config)
    except FirmConfigError:
        firm = None  # as the CLI: client and person ids are left empty without one

    def build() -> OrderRecordPage:
        with _connect(context) as conn:
            records = build_order_records(conn, firm, start, end)
        return OrderRecordPage(
            columns=list(ORDER_RECORD_COLUMNS),
            rows=[
                {column: getattr(record, column) for column in ORDER_RECORD_COLUMNS}
                for record in records[:first]
            ],
            total_count=len(records),
            truncated=len(records) > first,
        )

    return await anyio.to_thread.run_sync(build)


async def access_log(context: GatewayContext, query: AccessQuery) -> list[AccessDecisionRecord]:
    def read() -> list[AccessDecisionRecord]:
        with _connect(context) as conn:
            found = access_decisions(conn, query)
        return [
            AccessDecisionRecord(
                position=StorePosition(r.position),
                ts_event=Nanoseconds(r.ts_event),
                subject=r.subject,
                roles=list(r.roles),
                operation=r.operation,
                resource=r.resource,
                outcome=r.outcome,
                reason=r.reason,
                request_id=r.request_id,
                recorded_by=r.recorded_by,
            )
            for r in found
        ]

    return await anyio.to_thread.run_sync(read)


def chain_contexts(context: str | None) -> list[str]:
    if context is None:
        return list(STORE_CONTEXTS)
    if context not in STORE_CONTEXTS:
        raise BadUserInput(f"context must be one of {', '.join(STORE_CONTEXTS)}, got {context!r}")
    return [context]


async def chain_verification(
    context: GatewayContext, contexts: list[str]
) -> list[ChainVerification]:
    """Recompute the chains now (never a cached answer: tampering with an old row does not move
    a chain's head). Streams each store (~200,000 events/s); one recomputation at a time per
    gateway, so that auditors asking at once queue rather than read every store in parallel."""

    def run() -> list[ChainVerification]:
        found = []
        with _ONE_VERIFICATION, _connect(context) as conn:
            for name in contexts:
                started = time.perf_counter()
                checked = verify(conn, name)
                found.append(
                    ChainVerification(
                        context=name,
                        intact=checked.intact,
                        events=checked.events,
                        head_position=StorePosition(checked.head_position),
                        head_hash=checked.head_hash.hex(),
                        breaks=[
                            ChainBreak(position=StorePosition(b.position), problem=b.problem)
                            for b in checked.breaks
                        ],
                        verified_at=UtcTimestamp(time.time_ns()),
                        seconds=round(time.perf_counter() - started, 3),
                    )
                )
        return found

    return await anyio.to_thread.run_sync(run)
