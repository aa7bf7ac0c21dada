"""``quantvista kill-switch`` and ``quantvista limits``: the RTS 6 controls from a terminal —
for the risk desk when the gateway is not where they are, and for scripts.

- ``kill-switch engage --scope S --reason TEXT --by SUBJECT``: cancel every working order in
  the scope and reject new ones until released (``firm``, ``account:ID``, ``strategy:ALGO``,
  ``trader:SUBJECT``, ``instrument:ID``, ``venue:MIC``);
- ``kill-switch release --scope S --reason TEXT --by SUBJECT``;
- ``kill-switch cancel-all --scope S --reason TEXT --by SUBJECT``: cancel every working order
  in the scope without blocking new ones;
- ``kill-switch list``: every switch ever engaged, and whether it is now;
- ``limits set --scope S [--max-order-quantity Q] [--max-order-notional N]
  [--max-position-notional N] [--price-collar-pct P] [--max-messages-per-second R]
  [--max-executions-per-minute E] --reason TEXT --by SUBJECT``: replace the scope's limits
  (an option left out: no limit at this scope);
- ``limits show``: the limits in force, by scope, the firm's defaults included;
- ``venue halt|resume --instrument ID --reason TEXT --by SUBJECT``: halt trading in an
  instrument at the simulated venue (working orders rest untouched, new ones are rejected)
  and resume it.

Each change is recorded in the execution store with ``person:<by>`` as its actor; a running
platform takes it in before its next order (``ExecutionService.catch_up``). Entrypoints parse,
call the application, print.
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import Any

from rich.console import Console

from quantvista.config import ConfigurationError
from quantvista.orders_cli import decimal_option

_SCOPE_HELP = "firm, account:ID, strategy:ALGO, trader:SUBJECT, instrument:ID or venue:MIC"
_LIMIT_OPTIONS = (
    ("--max-order-quantity", "max_order_quantity", "the maximum order volume, in units"),
    ("--max-order-notional", "max_order_notional", "the maximum order value"),
    ("--max-position-notional", "max_position_notional", "per instrument, after the order"),
    ("--price-collar-pct", "price_collar_pct", "how far a limit price may be from the last"),
    (
        "--rolling-collar-pct",
        "rolling_collar_pct",
        "how far an order's price may be from the price --rolling-collar-window-s ago",
    ),
)


def add_control_commands(subparsers: Any) -> None:
    switch = subparsers.add_parser("kill-switch", help="RTS 6 kill switch: engage, release, list")
    switch_sub = switch.add_subparsers(dest="kill_switch_action", required=True)
    for action, run, text in (
        ("engage", _engage, "cancel every working order in a scope and block new ones"),
        ("release", _release, "lift an engaged kill switch"),
        ("cancel-all", _cancel_all, "cancel every working order in a scope (no block)"),
    ):
        command = switch_sub.add_parser(action, help=text)
        _change_options(command)
        command.set_defaults(run=run)
    switch_sub.add_parser("list", help="every kill switch and its state").set_defaults(
        run=_list_switches
    )

    limits = subparsers.add_parser("limits", help="RTS 6 pre-trade limits: set, show")
    limits_sub = limits.add_subparsers(dest="limits_action", required=True)
    set_limits = limits_sub.add_parser("set", help="replace a scope's pre-trade limits")
    _change_options(set_limits)
    for option, _, text in _LIMIT_OPTIONS:
        set_limits.add_argument(option, help=text)
    set_limits.add_argument("--max-messages-per-second", type=int, help="submits and cancels")
    set_limits.add_argument(
        "--max-executions-per-minute",
        type=int,
        help="repeated-execution throttle: beyond it, the scope's kill switch engages",
    )
    set_limits.add_argument(
        "--rolling-collar-window-s", type=int, help="the rolling collar's period, in seconds"
    )
    set_limits.set_defaults(run=_set_limits)
    limits_sub.add_parser("show", help="the limits in force, by scope").set_defaults(
        run=_show_limits
    )

    venue = subparsers.add_parser("venue", help="the simulated venue's trading halts")
    venue_sub = venue.add_subparsers(dest="venue_action", required=True)
    for action, text in (("halt", "halt trading in an instrument"), ("resume", "resume it")):
        command = venue_sub.add_parser(action, help=text)
        command.add_argument("--instrument", required=True, help="the instrument id")
        command.add_argument("--reason", required=True, help="why (recorded)")
        command.add_argument("--by", required=True, help="who decided it")
        command.set_defaults(run=_halt if action == "halt" else _resume)


def _change_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--scope", required=True, help=_SCOPE_HELP)
    command.add_argument("--reason", required=True, help="why (recorded with the change)")
    command.add_argument("--by", required=True, help="who decided it (recorded as person:<by>)")


def _principal(args: argparse.Namespace) -> Any:
    from gateway.ports import Principal

    if not args.by.strip():
        raise ConfigurationError("--by must name who decided the change")
    return Principal(args.by.strip())


def _scope(args: argparse.Namespace) -> str:
    from bounded_contexts.execution.domain.controls.scope import ControlScope

    return str(ControlScope.parse(args.scope))  # a malformed scope fails before any server


def _recorded(args: argparse.Namespace, settings: Any, command: str) -> Any:
    """Run one of the execution commands' control changes (by name) for ``--scope``,
    ``--reason`` and ``--by``; its outcome."""
    from quantvista.mifid_cli import platform_started

    principal, scope = _principal(args), _scope(args)
    with platform_started(settings) as platform:
        change = getattr(platform.execution_commands, command)
        return change(principal, scope=scope, reason=args.reason)


def _print_cancelled(console: Console, outcome: Any) -> None:
    for order_id in outcome.cancelled_orders:
        console.print(f"  cancelled {order_id}")


def _engage(args: argparse.Namespace, settings: Any, console: Console) -> int:
    outcome = _recorded(args, settings, "engage_kill_switch")
    console.print(
        f"kill switch of {outcome.scope} engaged (execution #{outcome.position}); "
        f"{len(outcome.cancelled_orders)} working order(s) cancelled"
    )
    _print_cancelled(console, outcome)
    return 0


def _release(args: argparse.Namespace, settings: Any, console: Console) -> int:
    outcome = _recorded(args, settings, "release_kill_switch")
    console.print(f"kill switch of {outcome.scope} released (execution #{outcome.position})")
    return 0


def _cancel_all(args: argparse.Namespace, settings: Any, console: Console) -> int:
    outcome = _recorded(args, settings, "cancel_all_orders")
    console.print(f"{len(outcome.cancelled_orders)} working order(s) of {outcome.scope} cancelled")
    _print_cancelled(console, outcome)
    return 0


def _list_switches(args: argparse.Namespace, settings: Any, console: Console) -> int:
    from quantvista.mifid_cli import platform_started

    with platform_started(settings) as platform:
        service = platform.execution
        service.reload_own_state()
        switches = sorted(service.controls.switches.items())
    if not switches:
        console.print("no kill switch was ever engaged")
    for scope, switch in switches:
        state = "ENGAGED" if switch.engaged else "released"
        console.print(f"{scope}\t{state}\t{switch.reason}")
    return 0


def _set_limits(args: argparse.Namespace, settings: Any, console: Console) -> int:
    from bounded_contexts.execution.domain.controls.events import Limits
    from quantvista.mifid_cli import platform_started

    principal, scope = _principal(args), _scope(args)
    given: dict[str, Decimal | None] = {
        name: None if getattr(args, name) is None else decimal_option(option, getattr(args, name))
        for option, name, _ in _LIMIT_OPTIONS
    }
    limits = Limits(
        **given,
        max_messages_per_second=args.max_messages_per_second,
        max_executions_per_minute=args.max_executions_per_minute,
        rolling_collar_window_s=args.rolling_collar_window_s,
    )
    with platform_started(settings) as platform:
        outcome = platform.execution_commands.set_risk_limits(
            principal, scope=scope, limits=limits, reason=args.reason
        )
    console.print(
        f"limits of {outcome.scope} set (execution #{outcome.position}): {_described(limits)}"
    )
    return 0


def _show_limits(args: argparse.Namespace, settings: Any, console: Console) -> int:
    from bounded_contexts.execution.domain.controls.scope import FIRM
    from quantvista.mifid_cli import platform_started

    with platform_started(settings) as platform:
        service = platform.execution
        service.reload_own_state()
        book = service.controls
        scopes = sorted({FIRM, *book.limits})
        rows = [(scope, book.effective(scope), scope in book.limits) for scope in scopes]
    for scope, limits, recorded in rows:
        where = "set" if recorded else "default"
        console.print(f"{scope}\t{where}\t{_described(limits)}")
    return 0


def _described(limits: Any) -> str:
    """``max_order_notional=5000, price_collar_pct=2.5``; ``no limit`` when none is set."""
    given = [f"{name}={value}" for name, value in vars(limits).items() if value is not None]
    return ", ".join(given) or "no limit"


def _halt(args: argparse.Namespace, settings: Any, console: Console) -> int:
    return _venue_change(args, settings, console, halt=True)


def _resume(args: argparse.Namespace, settings: Any, console: Console) -> int:
    return _venue_change(args, settings, console, halt=False)


def _venue_change(args: argparse.Namespace, settings: Any, console: Console, *, halt: bool) -> int:
    from bounded_contexts.ingestion.domain.events import InstrumentListed
    from quantvista.mifid_cli import platform_started

    principal = _principal(args)
    with platform_started(settings) as platform:
        platform.execution.reload_own_state()
        ingestion, after = platform.stores["ingestion"], 0  # what is listed: a typo is
        while raws := ingestion.read_raw(after, types=("InstrumentListed",)):  # refused
            for raw in raws:
                listed = ingestion.decode(raw).event
                assert isinstance(listed, InstrumentListed)
                platform.execution.instrument_listed(listed.instrument_id)
            after = raws[-1].position
        commands = platform.execution_commands
        change = commands.halt_trading if halt else commands.resume_trading
        outcome = change(principal, instrument_id=args.instrument, reason=args.reason)
    verb = "halted" if halt else "resumed"
    console.print(f"trading in {args.instrument} {verb} (execution #{outcome.position})")
    return 0
