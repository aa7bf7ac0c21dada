"""``quantvista accounts``: open and configure trading accounts from a terminal.

- ``accounts open ID --currency EUR --cash 1000000 [--owner SUBJECT] [--instrument X ...]
  [--strategy S ...] --reason TEXT --by SUBJECT``: a new account with its own ledger, its owner
  and what it may trade (no ``--instrument``: any; no ``--strategy``: any);
- ``accounts configure ID [--owner SUBJECT] [--instrument X ...] [--strategy S ...]
  --reason TEXT --by SUBJECT``: replace the owner and the lists;
- ``accounts list``: every account with its cash, owner and lists.

Who may trade or view an account is granted separately (``quantvista users add NAME --role
trader --account ID``). Its limits are set with ``quantvista limits set --scope account:ID``.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from quantvista.config import ConfigurationError
from quantvista.orders_cli import decimal_option


def add_account_commands(subparsers: Any) -> None:
    accounts = subparsers.add_parser("accounts", help="open, configure and list accounts")
    sub = accounts.add_subparsers(dest="accounts_action", required=True)
    opened = sub.add_parser("open", help="open an account with its starting cash")
    opened.add_argument("account_id", help="the new account's id")
    opened.add_argument("--currency", required=True, help="ISO 4217 base currency, e.g. EUR")
    opened.add_argument("--cash", required=True, help="the starting cash")
    _configuration_options(opened)
    opened.set_defaults(run=_open)
    configured = sub.add_parser("configure", help="replace an account's owner and lists")
    configured.add_argument("account_id")
    _configuration_options(configured)
    configured.set_defaults(run=_configure)
    sub.add_parser("list", help="every account").set_defaults(run=_list)


def _configuration_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--owner", help="the subject who owns the account")
    command.add_argument(
        "--instrument", action="append", help="an instrument it may trade (repeat; none: any)"
    )
    command.add_argument(
        "--strategy", action="append", help="a strategy that may trade it (repeat; none: any)"
    )
    command.add_argument("--reason", required=True, help="why (recorded)")
    command.add_argument("--by", required=True, help="who decided it (recorded as person:<by>)")


def _principal(args: argparse.Namespace) -> Any:
    from gateway.ports import Principal

    if not args.by.strip():
        raise ConfigurationError("--by must name who decided it")
    return Principal(args.by.strip())


def _listed(names: list[str] | None) -> tuple[str, ...] | None:
    return None if names is None else tuple(names)


def _open(args: argparse.Namespace, settings: Any, console: Console) -> int:
    from bounded_contexts.execution.application.service import OpenAccount
    from quantvista.mifid_cli import platform_started

    spec = OpenAccount(
        account_id=args.account_id,
        currency=args.currency,
        initial_cash=decimal_option("--cash", args.cash),
        reason=args.reason,
        owner=args.owner,
        allowed_instruments=_listed(args.instrument),
        allowed_strategies=_listed(args.strategy),
    )
    principal = _principal(args)
    with platform_started(settings) as platform:
        outcome = platform.execution_commands.open_account(principal, spec)
    console.print(
        f"account {outcome.account_id} opened with {spec.initial_cash} {spec.currency} "
        f"(execution #{outcome.position})"
    )
    return 0


def _configure(args: argparse.Namespace, settings: Any, console: Console) -> int:
    from quantvista.mifid_cli import platform_started

    principal = _principal(args)
    with platform_started(settings) as platform:
        outcome = platform.execution_commands.configure_account(
            principal,
            account_id=args.account_id,
            owner=args.owner,
            allowed_instruments=_listed(args.instrument),
            allowed_strategies=_listed(args.strategy),
            reason=args.reason,
        )
    console.print(f"account {outcome.account_id} configured (execution #{outcome.position})")
    return 0


def _list(args: argparse.Namespace, settings: Any, console: Console) -> int:
    from quantvista.mifid_cli import platform_started

    with platform_started(settings) as platform:
        service = platform.execution
        service.reload_own_state()
        accounts = sorted(service.accounts.values(), key=lambda a: a.account_id)
    if not accounts:
        console.print("no account is open yet")
    for a in accounts:
        instruments = (
            "any" if a.allowed_instruments is None else ",".join(sorted(a.allowed_instruments))
        )
        strategies = (
            "any" if a.allowed_strategies is None else ",".join(sorted(a.allowed_strategies))
        )
        console.print(
            f"{a.account_id}\t{a.cash} {a.currency}\towner {a.owner or '-'}\t"
            f"instruments {instruments}\tstrategies {strategies}"
        )
    return 0
