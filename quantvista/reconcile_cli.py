"""``quantvista reconcile``: compare an account's positions with a broker's or venue's
statement and record the result.

``reconcile --account ID --statement FILE.csv [--as-of WHEN] --by SUBJECT``: the statement is
``instrument_id,quantity`` rows (and optionally ``CASH,<balance>``); ``--as-of`` is when it was
drawn up (ISO 8601 with a zone, or UTC ns; default: now) and our ledger is folded up to then.
The result — every instrument that differs, or none — is recorded in the execution store
(``PositionsReconciled``) and breaks are notified to whoever watches the account. Exit status
0 when the books agree, 1 when they do not, 2 for bad input.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from quantvista.config import ConfigurationError


def add_reconcile_command(subparsers: Any) -> None:
    command = subparsers.add_parser(
        "reconcile", help="compare an account's positions with a broker's statement (recorded)"
    )
    command.add_argument("--account", required=True, help="the account id")
    command.add_argument("--statement", required=True, type=Path, help="the statement CSV")
    command.add_argument("--as-of", help="when the statement was drawn up (default: now)")
    command.add_argument("--by", required=True, help="who ran it (recorded as person:<by>)")
    command.set_defaults(run=_reconcile)


def as_of_ns(text: str | None) -> int:
    if text is None:
        return time.time_ns()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(
            f"--as-of must be ISO 8601 with a zone (2026-12-04T17:30:00Z) or UTC ns, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        raise ConfigurationError(f"--as-of needs a time zone (e.g. Z), got {text!r}")
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1_000


def _reconcile(args: argparse.Namespace, settings: Any, console: Console) -> int:
    from bounded_contexts.execution.adapters.statements import read_statement
    from gateway.ports import Principal
    from quantvista.mifid_cli import platform_started

    if not args.by.strip():
        raise ConfigurationError("--by must name who ran the reconciliation")
    statement = read_statement(args.statement, as_of_ns(args.as_of))  # before any server
    with platform_started(settings) as platform:
        platform.execution.reload_own_state()
        recorded, position = platform.execution_commands.reconcile(
            Principal(args.by.strip()), account_id=args.account, statement=statement
        )
    cash = (
        ""
        if recorded.cash_theirs is None
        else f"; cash ours {recorded.cash_ours}, theirs {recorded.cash_theirs}"
    )
    console.print(
        f"{recorded.account_id} against {recorded.source}: {recorded.instruments} instrument(s) "
        f"compared, {len(recorded.breaks)} break(s){cash} (execution #{position})"
    )
    for b in recorded.breaks:
        console.print(
            f"  BREAK {b.instrument_id}: ours {b.ours}, theirs {b.theirs} "
            f"(difference {b.difference})"
        )
    cash_breaks = recorded.cash_theirs is not None and recorded.cash_theirs != recorded.cash_ours
    return 1 if recorded.breaks or cash_breaks else 0
