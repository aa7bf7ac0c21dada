"""``quantvista mifid …``: the regulator's and compliance officer's tools over the event log.

- ``mifid transactions --date D [--out FILE] [--firm FILE]``: the day's RTS 22 transaction
  reports as an ISO 20022 ``auth.016.001.01`` file; records that fail validation are left out
  and listed with each field number and reason (exit status 1 when any was left out).
- ``mifid orders --from T1 --to T2 --format csv|parquet [--out FILE] [--firm FILE]``: the
  Annex IV order records of every order event in ``[T1, T2)``.
- ``mifid clock [--json]``: the RTS 25 report (where each timestamp is taken, the clock, its
  synchronisation, the granularity).
- ``mifid cancel --trn REF --reason TEXT [--by SUBJECT]``: record the cancellation of a report
  sent earlier; the next file (of today) carries its ``Cxl``.

Registered by :func:`add_mifid_commands`; entrypoints parse, call the application, print.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

EXIT_RECORDS_LEFT_OUT = 1


def add_mifid_commands(subparsers: Any) -> None:
    """Register ``mifid transactions|orders|clock|cancel`` on the CLI's subparsers."""
    mifid = subparsers.add_parser("mifid", help="MiFID II / MiFIR records from the event log")
    sub = mifid.add_subparsers(dest="mifid_action", required=True)

    tx = sub.add_parser("transactions", help="RTS 22 transaction reports of one day (XML)")
    tx.add_argument("--date", required=True, help="the trading day, YYYY-MM-DD (UTC)")
    tx.add_argument("--out", type=Path, help="file to write (default transactions-<date>.xml)")
    tx.add_argument("--firm", type=Path, help="firm configuration (or QUANTVISTA_FIRM_CONFIG)")
    tx.set_defaults(run=_transactions)

    orders = sub.add_parser("orders", help="Annex IV order records of a time window")
    orders.add_argument("--from", dest="start", required=True, help="ISO-8601 UTC, date or ns")
    orders.add_argument("--to", dest="end", required=True, help="exclusive; same forms")
    orders.add_argument("--format", choices=("csv", "parquet"), default="csv")
    orders.add_argument("--out", type=Path, help="file to write (default order-records.<fmt>)")
    orders.add_argument("--firm", type=Path, help="firm configuration (client and person ids)")
    orders.set_defaults(run=_orders)

    clock = sub.add_parser("clock", help="RTS 25: timestamp points, clock source, sync state")
    clock.add_argument("--json", action="store_true")
    clock.set_defaults(run=_clock)

    cancel = sub.add_parser("cancel", help="cancel a transaction report sent earlier (Cxl)")
    cancel.add_argument("--trn", required=True, help="the transaction reference number")
    cancel.add_argument("--reason", required=True)
    cancel.add_argument("--by", default=None, help="who decided it (recorded as person:<by>)")
    cancel.set_defaults(run=_cancel)


@contextlib.contextmanager
def platform_started(settings: Any) -> Iterator[Any]:
    """The servers started (or reached) and every table present, as every CLI command has."""
    from quantvista.embedded import Infrastructure
    from quantvista.platform import Platform

    with Infrastructure.start(settings) as infra:
        platform = Platform.configured(infra.database_url, infra.pulsar_url, settings)
        try:
            platform.create_tables()
            yield platform
        finally:
            platform.close()


def _transactions(args: argparse.Namespace, settings: Any, console: Console) -> int:
    import psycopg

    from bounded_contexts.support.application.mifid.firm_config import load_firm_config
    from bounded_contexts.support.application.mifid.transactions import (
        parse_day,
        transaction_reports,
        write_transaction_file,
    )

    day = parse_day(args.date)
    firm = load_firm_config(args.firm)  # before any server starts: a bad file fails at once
    out = args.out or Path(f"transactions-{day.isoformat()}.xml")
    with platform_started(settings) as platform, psycopg.connect(platform.database_url) as conn:
        reports = transaction_reports(conn, firm, day)
    written = write_transaction_file(reports, firm, out)
    for item in reports.left_out:
        console.print(f"[red]left out[/] {item.status} {item.transaction_reference}:")
        for problem in item.problems:
            console.print(f"  {problem}")
    for item in reports.withdrawn:
        console.print(f"withdrawn {item.transaction_reference}: cancelled the same day")
    if written is None:
        console.print(f"nothing to report for {day}: no file written")
    else:
        console.print(
            f"wrote {written.path}: {len(reports.reports)} New, {len(reports.cancellations)} "
            f"Cxl, {len(reports.left_out)} left out (message {written.message_id})"
        )
    return EXIT_RECORDS_LEFT_OUT if reports.left_out else 0


def _orders(args: argparse.Namespace, settings: Any, console: Console) -> int:
    import psycopg

    from bounded_contexts.support.application.mifid.firm_config import (
        FIRM_CONFIG_VARIABLE,
        load_firm_config,
    )
    from bounded_contexts.support.application.mifid.order_records import (
        order_records,
        write_order_records,
    )

    start, end = parse_instant(args.start, "--from"), parse_instant(args.end, "--to")
    if end <= start:
        raise ValueError("--to must be after --from")
    firm = None
    if args.firm or os.environ.get(FIRM_CONFIG_VARIABLE):
        firm = load_firm_config(args.firm)
    else:
        console.print("no firm configuration: client ids and persons' national ids are left empty")
    out = args.out or Path(f"order-records.{args.format}")
    with platform_started(settings) as platform, psycopg.connect(platform.database_url) as conn:
        records = order_records(conn, firm, start, end)
    size = write_order_records(records, args.format, out)
    console.print(f"wrote {out}: {len(records)} order events, {size:,} bytes")
    return 0


def _clock(args: argparse.Namespace, settings: Any, console: Console) -> int:
    from bounded_contexts.support.application.mifid.clock import rts25_clock_report

    report = rts25_clock_report()
    if args.json:
        print(json.dumps(asdict(report), indent=2))
        return 0
    console.print("[bold]RTS 25: where each regulated timestamp is taken[/]")
    for point in report.points:
        console.print(f"- {point.step}: {point.recorded_as}")
        console.print(f"    taken in {point.taken_where}")
        console.print(f"    clock: {point.clock}")
    console.print(f"granularity: {report.granularity}")
    sync = report.sync
    console.print(f"clock source: {sync.clock_source or 'unknown'} (read with {sync.method})")
    state = {True: "synchronised", False: "NOT synchronised", None: "unknown"}[sync.synchronised]
    console.print(f"synchronisation: {state}")
    if sync.max_error_us is not None:
        console.print(f"maximum error: {sync.max_error_us} µs")
    for detail in sync.details:
        console.print(f"  {detail}")
    console.print(f"RTS 25 (algorithmic trading, 1 ms): {report.verdict}")
    return 0


def _cancel(args: argparse.Namespace, settings: Any, console: Console) -> int:
    from bounded_contexts.support.application.mifid.cancellations import (
        cancel_transaction_report,
    )

    actor = f"person:{args.by}" if args.by else "cli"
    with platform_started(settings) as platform:
        position = cancel_transaction_report(
            platform.stores["support"],
            args.trn,
            args.reason,
            actor=actor,
            ts_event=time.time_ns(),  # an entrypoint's clock: the day whose file carries it
        )
    console.print(f"recorded the cancellation of {args.trn} (support #{position})")
    return 0


def parse_instant(text: str, option: str) -> int:
    """UTC nanoseconds of ``2026-11-20T10:00:00Z`` (any ISO-8601 with an offset), of a date
    (its midnight UTC) or of an integer of nanoseconds."""
    value = text.strip()
    if value.lstrip("-").isdigit():
        return int(value)
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{option}: {text!r} is not an ISO-8601 instant, a date or ns") from None
    if moment.tzinfo is None:
        raise ValueError(f"{option}: {text!r} needs a UTC offset (e.g. Z)")
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000
