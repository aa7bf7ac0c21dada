"""Benchmark: MiFID II exports from the event log — RTS 22 transaction reports (read, validate,
ISO 20022 XML) and Annex IV order records (CSV and Parquet).

Workload: one trading day of ``FILLS`` executions (alternating buys and sells of one listed
instrument, each order filled at once) recorded by the real ``ExecutionService`` into an event
store on the embedded PostgreSQL, the event index rebuilt. Timed (best of ``REPEATS``):

* **RTS 22**: ``transaction_reports`` (the day's fills and their orders read through the event
  index, decoded and upcast, every record built and validated) + ``render_file`` (the XML);
  references measured in the same run: reading and decoding the same events alone (the floor
  of any report built from the log), and the same report records serialised by a bare lxml
  loop (no validation, no log) and by ``csv`` — the cost of the format itself.
* **Order records**: ``order_records`` (every order event of the day with its order and
  instrument) + CSV and Parquet bytes; reference: reading and decoding the same events alone.

Printed: records/s for each and the ratios to the references, and peak RSS. Timings move with
machine load; nothing is asserted.

Run: ``.venv/bin/python bench/bench_mifid.py [FILLS]``
"""

from __future__ import annotations

import csv
import io
import resource
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import astuple
from datetime import date
from decimal import Decimal

import psycopg
from _servers import embedded_servers, fresh_database
from lxml import etree

from bounded_contexts.execution.adapters.venues.simulated import VenueBar
from bounded_contexts.execution.application.service import (
    ExecutionConfig,
    ExecutionService,
    SubmitOrder,
)
from bounded_contexts.execution.domain.pretrade import PreTradeLimits
from bounded_contexts.ingestion.domain.events import InstrumentListed
from bounded_contexts.support.adapters.mifid.auth016_xml import render_file
from bounded_contexts.support.application.mifid.log import events_between, first_events
from bounded_contexts.support.application.mifid.order_records import (
    order_records,
    order_records_bytes,
)
from bounded_contexts.support.application.mifid.transactions import (
    day_bounds,
    transaction_reports,
)
from bounded_contexts.support.domain.mifid.firm import firm_from_mapping
from bounded_contexts.support.domain.mifid.order_records import ORDER_EVENT_TYPES
from events.effects import EventsToAppend
from events.envelope import Cause
from projections.rebuild import rebuild_projections
from quantvista.platform import Platform

FILLS = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
REPEATS = 3
ORDERS_PER_APPEND = 100  # four events each: under the store's 500 per append
T0 = 1_795_680_000_000_000_000  # 2026-11-26T08:00:00Z
STEP = 5_000_000_000  # an order every 5 s: 5,000 fit in a day
DAY = date(2026, 11, 26)
NS = "urn:iso:std:iso:20022:tech:xsd:auth.016.001.01"
FIRM = firm_from_mapping(
    {
        "firm": {
            "lei": "984500QVDEMOFIRM0020",
            "branch_country": "DE",
            "report_to": "DE",
        },
        "accounts": {"DEMO-001": {"trading_capacity": "DEAL"}},
        "persons": {
            "trader": {
                "national_id": "DE19800131JOHN#DOE##",
                "scheme": "CONCAT",
                "country_of_branch": "DE",
            }
        },
    }
)


def record_day(platform: Platform) -> None:
    platform.ingestion.list_instruments(
        [InstrumentListed("SAP", "DE0007164600", "XETR", "EUR", "SAP SE")], actor="bench"
    )
    limits = PreTradeLimits(
        max_order_notional=Decimal(10**12), max_position_notional=Decimal(10**12), allow_short=True
    )
    store = platform.stores["execution"]
    svc = ExecutionService(store, ExecutionConfig(limits=limits))
    svc.instrument_listed("SAP", mic="XETR")
    uow = EventsToAppend()
    for n in range(FILLS):
        ts = T0 + n * STEP
        strategy = n % 2 == 0
        cmd = SubmitOrder(
            order_id=uuid.UUID(int=n + 1),
            account_id="DEMO-001",
            instrument_id="SAP",
            side="BUY" if n % 4 < 2 else "SELL",
            order_type="MARKET",
            quantity=Decimal(10 + n % 7),
            limit_price=None,
            origin="STRATEGY" if strategy else "MANUAL",
            algo_id="qv-directional-v1/logreg-v1-SAP-bench" if strategy else None,
            reference_price=Decimal(100),
        )
        actor = "algo:bench" if strategy else "person:trader"
        svc.submit(cmd, uow, Cause.origin(ts_event=ts, actor=actor, key=f"o/{n}"))
        bar = VenueBar(ts, Decimal(100) + n % 13, Decimal(120), Decimal(90), Decimal(10_000))
        svc.on_bar("SAP", bar, uow, Cause.origin(ts_event=ts, actor="feed", key=f"b/{n}"))
        if (n + 1) % ORDERS_PER_APPEND == 0:
            store.append(uow.items)
            uow = EventsToAppend()
    if uow.items:
        store.append(uow.items)
    for _ in rebuild_projections(platform, "event-index"):
        pass


def best(run: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return min(times), result


def bare_lxml(reports: tuple) -> bytes:  # type: ignore[type-arg]
    """The same records as flat XML elements, with no validation and no envelope."""
    root = etree.Element(f"{{{NS}}}FinInstrmRptgTxRpt", nsmap={None: NS})
    for r in reports:
        new = etree.SubElement(etree.SubElement(root, f"{{{NS}}}Tx"), f"{{{NS}}}New")
        for tag, value in (
            ("TxId", r.transaction_reference),
            ("ExctgPty", r.executing_entity),
            ("TradDt", r.trading_datetime),
            ("TradgCpcty", r.trading_capacity),
            ("Unit", r.quantity),
            ("Amt", r.price),
            ("TradVn", r.venue),
            ("Id", r.isin),
            ("Algo", r.execution.id),
        ):
            etree.SubElement(new, f"{{{NS}}}{tag}").text = value
    return etree.tostring(root, encoding="UTF-8")


def plain_csv(reports: tuple) -> bytes:  # type: ignore[type-arg]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for r in reports:
        writer.writerow([str(v) for v in astuple(r)])
    return buffer.getvalue().encode()


def main() -> None:
    with embedded_servers() as infra:
        url = fresh_database(infra.database_url, "bench_mifid")
        platform = Platform(url)
        platform.create_tables()
        started = time.perf_counter()
        record_day(platform)
        print(f"recorded {FILLS:,} executions in {time.perf_counter() - started:.1f} s")
        start, end = day_bounds(DAY)
        with psycopg.connect(url) as conn:

            def read_fills() -> int:
                fills = events_between(conn, "execution", ["OrderFilled"], start, end)
                first_events(conn, "execution", (f.aggregate_id for f in fills))
                return len(fills)

            def rts22() -> bytes:
                reports = transaction_reports(conn, FIRM, DAY)
                content, _ = render_file(
                    reports.reports,
                    reports.cancellations,
                    namespace=NS,
                    sender=FIRM.submitting_lei,
                    receiver=FIRM.report_to,
                    day=DAY,
                    created_ns=reports.created_ns or 0,
                )
                return content

            read_s, count = best(read_fills)
            rts22_s, content = best(rts22)
            reports = transaction_reports(conn, FIRM, DAY).reports
            assert len(reports) == FILLS, (len(reports), FILLS)
            lxml_s, _ = best(lambda: bare_lxml(reports))
            csv_s, _ = best(lambda: plain_csv(reports))

            def read_orders() -> int:
                events = events_between(conn, "execution", ORDER_EVENT_TYPES, start, end)
                first_events(conn, "execution", (e.aggregate_id for e in events))
                return len(events)

            order_read_s, order_count = best(read_orders)
            orders_s, records = best(lambda: order_records(conn, FIRM, start, end))
            csv_out_s, _ = best(lambda: order_records_bytes(records, "csv"))  # type: ignore[arg-type]
            parquet_s, _ = best(lambda: order_records_bytes(records, "parquet"))  # type: ignore[arg-type]
        platform.close()
    rate = FILLS / rts22_s
    print(f"\nRTS 22: {FILLS:,} New reports, {len(content):,} bytes of XML")  # type: ignore[arg-type]
    print(f"  export (read + validate + XML)      {rts22_s:7.3f} s  {rate:10,.0f} records/s")
    print(
        f"  reference: read the log alone       {read_s:7.3f} s  {count / read_s:10,.0f} "
        f"records/s  (export/read {rts22_s / read_s:.2f}x the time)"
    )
    print(
        f"  reference: bare lxml, same records  {lxml_s:7.3f} s  {FILLS / lxml_s:10,.0f} "
        f"records/s  (format alone: {lxml_s / rts22_s:.0%} of the export)"
    )
    print(f"  reference: csv, same records        {csv_s:7.3f} s  {FILLS / csv_s:10,.0f} records/s")
    n = len(records)  # type: ignore[arg-type]
    print(f"\nOrder records: {n:,} order events")
    print(f"  order_records (read + join)         {orders_s:7.3f} s  {n / orders_s:10,.0f} rows/s")
    print(
        f"  reference: read the log alone       {order_read_s:7.3f} s  "
        f"{order_count / order_read_s:10,.0f} rows/s  ({orders_s / order_read_s:.2f}x the time)"
    )
    print(
        f"  CSV bytes                           {csv_out_s:7.3f} s  {n / csv_out_s:10,.0f} rows/s"
    )
    print(
        f"  Parquet bytes                       {parquet_s:7.3f} s  {n / parquet_s:10,.0f} rows/s"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
