"""``quantvista orders``: operations on recorded orders that no client may do over GraphQL.

- ``orders correct-fill --order ID --fill N --price P [--fee F] --reason TEXT --by SUBJECT``:
  record a correction of one fill's price (and fee) — the venue corrected the trade, or a
  booking error was found. The fill stays in the log as recorded; the correction is a new
  event that names it (``OrderFillCorrected``, and ``FillBookingCorrected`` on the account),
  and the read models show the corrected terms (docs/audit.md, "Corrections").

Registered by :func:`add_order_commands`; entrypoints parse, call the application, print.
"""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from rich.console import Console

from quantvista.config import ConfigurationError


def add_order_commands(subparsers: Any) -> None:
    orders = subparsers.add_parser("orders", help="operations on recorded orders")
    sub = orders.add_subparsers(dest="orders_action", required=True)
    correct = sub.add_parser("correct-fill", help="correct a fill's price and fee (recorded)")
    correct.add_argument("--order", required=True, help="the order's UUID")
    correct.add_argument("--fill", required=True, type=int, help="the fill number (1, 2, …)")
    correct.add_argument("--price", required=True, help="the corrected price")
    correct.add_argument("--fee", help="the corrected fee (default: the fee stands)")
    correct.add_argument("--reason", required=True, help="why (recorded with the correction)")
    correct.add_argument("--by", required=True, help="who decided it (recorded as person:<by>)")
    correct.set_defaults(run=_correct_fill)


def decimal_option(option: str, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ConfigurationError(f"{option} must be a decimal number, got {text!r}") from None
    if not value.is_finite():
        raise ConfigurationError(f"{option} must be a finite number, got {text!r}")
    return value


def _correct_fill(args: argparse.Namespace, settings: Any, console: Console) -> int:
    from gateway.ports import Principal
    from quantvista.mifid_cli import platform_started

    try:
        order_id = UUID(args.order)
    except ValueError:
        raise ConfigurationError(f"--order must be a UUID, got {args.order!r}") from None
    price = decimal_option("--price", args.price)
    fee = None if args.fee is None else decimal_option("--fee", args.fee)
    if not args.by.strip():
        raise ConfigurationError("--by must name who decided the correction")
    with platform_started(settings) as platform:
        service = platform.execution
        service.reload_own_state()
        order = service.orders.get(order_id)
        terms = None if order is None else order.fill_terms.get(args.fill)
        outcome = platform.execution_commands.correct_fill(
            Principal(args.by.strip()),
            order_id=order_id,
            fill_seq=args.fill,
            price=price,
            fee=(terms.fee if terms is not None else Decimal(0)) if fee is None else fee,
            reason=args.reason,
        )
    assert terms is not None  # an unknown order or fill was refused above
    console.print(
        f"recorded the correction of fill {args.fill} of order {order_id} (execution "
        f"#{outcome.position}): price {terms.price} -> {price}, fee {terms.fee} -> "
        f"{terms.fee if fee is None else fee}; the order's average price is now "
        f"{outcome.order.average_fill_price}"
    )
    return 0
