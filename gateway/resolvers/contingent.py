"""``placeOcoOrders``, ``placeOtoOrder`` and ``placeBracketOrder``: contingent orders, each
member given as a ``PlaceOrderInput``. Every member is parsed and authorised before the port
is called; the execution context checks them all before it records any (one append, all or
nothing), and a refusal names the member's input path (``takeProfit.limitPrice``,
``orders[1].instrumentId``). A recorded rejection of a member is reported as a ``REJECTED``
error beside the data, as for ``placeOrder``."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import strawberry

from gateway import arguments
from gateway.context import GatewayContext
from gateway.errors import BadUserInput
from gateway.ports import ContingentOutcome, OrderOutcome, OrderTerms
from gateway.resolvers.commands import _INPUT_FIELDS, call_port, checked_limit_price, rejection
from gateway.scalars import StorePosition
from gateway.types import ContingentOrdersPayload, PlaceOrderInput, order_from_record

_COMMAND_FIELDS = {
    **{name: path.removeprefix("input.") for name, path in _INPUT_FIELDS.items()},
    "account_id": "accountId",
    "instrument_id": "instrumentId",
    "order_id": "orderId",
}


def _member_paths(members: list[str]) -> dict[str, str]:
    """The execution context's member field names (``take_profit.limit_price``) as this
    mutation's argument paths (``takeProfit.limitPrice``)."""

    def camel(name: str) -> str:
        return re.sub(r"_([a-z])", lambda m: m[1].upper(), name)

    paths = {}
    for member in members:
        path = camel(member)
        paths[member] = path
        paths[member.split("[")[0]] = path.split("[")[0]  # the list itself (its length)
        for name, field in _COMMAND_FIELDS.items():
            paths[f"{member}.{name}"] = f"{path}.{field}"
    return paths


def _terms(order_input: PlaceOrderInput, path: str) -> OrderTerms:
    """One member's terms, their form checked here so that a message names its path."""
    if order_input.quantity <= 0:
        raise BadUserInput(
            f"quantity must be greater than 0, got {order_input.quantity}",
            field=f"{path}.quantity",
        )
    return OrderTerms(
        account_id=arguments.identifier(order_input.account_id, field=f"{path}.accountId"),
        instrument_id=arguments.identifier(order_input.instrument_id, field=f"{path}.instrumentId"),
        side=order_input.side.value,
        quantity=order_input.quantity,
        order_type=order_input.order_type.value,
        limit_price=checked_limit_price(order_input, path=path),
        time_in_force=order_input.time_in_force.value,
        expire_at=order_input.expire_at,
        stop_price=order_input.stop_price,
        trail_amount=order_input.trail_amount,
        trail_percent=order_input.trail_percent,
        post_only=order_input.post_only,
        reduce_only=order_input.reduce_only,
    )


async def _place(
    info: strawberry.Info,
    context: GatewayContext,
    operation: str,
    members: dict[str, OrderTerms],
    call: Callable[[], ContingentOutcome],
) -> ContingentOrdersPayload:
    """Authorise every member's account, run the placement, report each recorded rejection."""
    for account in dict.fromkeys(terms.account_id for terms in members.values()):
        await context.caller.require_trade(account, operation)
    outcome: ContingentOutcome = await call_port(call, fields=_member_paths(list(members)))
    for order in outcome.orders:
        if order.status == "REJECTED":
            context.report(rejection(OrderOutcome(order, outcome.position), info.path.as_list()))
    return ContingentOrdersPayload(
        order_ids=[strawberry.ID(str(order.order_id)) for order in outcome.orders],
        orders=[order_from_record(order, position=outcome.position) for order in outcome.orders],
        position=StorePosition(outcome.position),
    )


async def place_oco_orders(
    info: strawberry.Info, context: GatewayContext, orders: list[PlaceOrderInput]
) -> ContingentOrdersPayload:
    members = {f"orders[{i}]": _terms(o, f"orders[{i}]") for i, o in enumerate(orders)}
    call = functools.partial(
        context.commands.place_oco_orders, context.principal, list(members.values())
    )
    return await _place(info, context, "placeOcoOrders", members, call)


async def place_oto_order(
    info: strawberry.Info,
    context: GatewayContext,
    parent: PlaceOrderInput,
    children: list[PlaceOrderInput],
) -> ContingentOrdersPayload:
    members = {"parent": _terms(parent, "parent")}
    members |= {f"children[{i}]": _terms(c, f"children[{i}]") for i, c in enumerate(children)}
    call = functools.partial(
        context.commands.place_oto_order,
        context.principal,
        members["parent"],
        [terms for name, terms in members.items() if name != "parent"],
    )
    return await _place(info, context, "placeOtoOrder", members, call)


async def place_bracket_order(
    info: strawberry.Info,
    context: GatewayContext,
    entry: PlaceOrderInput,
    take_profit: PlaceOrderInput,
    stop_loss: PlaceOrderInput,
) -> ContingentOrdersPayload:
    members = {
        "entry": _terms(entry, "entry"),
        "take_profit": _terms(take_profit, "takeProfit"),
        "stop_loss": _terms(stop_loss, "stopLoss"),
    }
    call = functools.partial(
        context.commands.place_bracket_order, context.principal, *members.values()
    )
    return await _place(info, context, "placeBracketOrder", members, call)
