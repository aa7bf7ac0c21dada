"""``placeOrder`` and ``cancelOrder``: parse the input, call the :class:`OrderCommands` port as
the request's principal, answer with what the write side recorded.

The answer is the write side's, in the same request: the order as the execution context
recorded it (accepted, or rejected by a pre-trade control — a rejection is recorded, so it is
data) and the store position of the last event written, which a client passes as
``minPosition`` to read its write from the read models. A rejection is also reported as a
``REJECTED`` error beside the data, naming the control, its limit and the value that broke
it, so that a client checking only ``errors`` cannot take a refused order for a placed one.

The port is synchronous (the execution context appends to its event store with a blocking
driver), so it runs on a worker thread: one slow append must not stall every other request
on the event loop.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import anyio.to_thread
import strawberry
from graphql import GraphQLError

from bounded_contexts.execution.domain.errors import (
    AccountAlreadyOpen,
    ControlStateConflict,
    ExecutionError,
    IllegalOrderTransition,
    InvalidAccount,
    InvalidControl,
    InvalidOrder,
    OrderNotFound,
    UnknownAccount,
    UnknownInstrument,
)
from events.store import StoreUnavailable
from gateway import arguments
from gateway.context import GatewayContext
from gateway.errors import (
    REJECTED,
    BadUserInput,
    GatewayError,
    IllegalState,
    NotFound,
    Rejected,
    Unavailable,
)
from gateway.ports import OrderOutcome
from gateway.scalars import StorePosition, serialize_decimal
from gateway.types import (
    AmendOrderInput,
    AmendOrderPayload,
    CancelOrderPayload,
    OrderType,
    PlaceOrderInput,
    PlaceOrderPayload,
    order_from_record,
)

_T = TypeVar("_T")

_INPUT_FIELDS = {
    "quantity": "input.quantity",
    "limit_price": "input.limitPrice",
    "side": "input.side",
    "order_type": "input.orderType",
    "time_in_force": "input.timeInForce",
    "expire_at": "input.expireAt",
    "stop_price": "input.stopPrice",
    "trail_amount": "input.trailAmount",
    "trail_percent": "input.trailPercent",
    "post_only": "input.postOnly",
    "reduce_only": "input.reduceOnly",
}
"""The execution command's field names as this mutation's input paths."""
UNAVAILABLE_MESSAGE = (
    "the write side is unreachable (its event store cannot be reached); nothing was recorded, "
    "try again when it is back"
)


def _translate(
    error: ExecutionError, *, instrument_field: str | None, fields: dict[str, str]
) -> GatewayError:
    """The execution context's refusal as the gateway's coded error, message kept;
    ``fields`` maps the command's field names to the mutation's argument paths."""
    message = str(error)
    if isinstance(error, UnknownInstrument):
        return BadUserInput(message, field=instrument_field)
    if isinstance(error, UnknownAccount) and "account_id" in fields:
        return NotFound(message, field=fields["account_id"])
    if isinstance(error, InvalidOrder | InvalidControl | InvalidAccount):
        return BadUserInput(message, field=fields.get(error.field or ""))
    if isinstance(error, OrderNotFound):
        return NotFound(message, field="orderId")
    if isinstance(error, IllegalOrderTransition | ControlStateConflict | AccountAlreadyOpen):
        return IllegalState(message)
    return Rejected(message)


async def call_port(
    call: Callable[[], _T],
    *,
    instrument_field: str | None = None,
    fields: dict[str, str] = _INPUT_FIELDS,
) -> _T:
    """Run a call of the execution port on a worker thread, its refusals translated."""
    try:
        return await anyio.to_thread.run_sync(call)
    except ExecutionError as error:
        raise _translate(error, instrument_field=instrument_field, fields=fields) from error
    except StoreUnavailable as error:
        raise Unavailable(UNAVAILABLE_MESSAGE) from error


_LIMIT_PRICED = (OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.LIMIT_IF_TOUCHED)


def checked_limit_price(order_input: PlaceOrderInput, *, path: str = "input") -> Decimal | None:
    """The limit price's presence and sign, checked here so that the message names the
    GraphQL field (under ``path``: the argument the order was given as); every other
    combination of terms is judged by the execution context (``InvalidOrder.field``, mapped
    back to the input's path by :data:`_INPUT_FIELDS`)."""
    price = order_input.limit_price
    kind = order_input.order_type.value
    field = f"{path}.limitPrice"
    if order_input.order_type in _LIMIT_PRICED:
        if price is None:
            raise BadUserInput(f"a {kind} order needs a limitPrice", field=field)
        if price <= 0:
            raise BadUserInput(f"limitPrice must be greater than 0, got {price}", field=field)
    elif price is not None:
        raise BadUserInput(f"a {kind} order takes no limitPrice, got {price}", field=field)
    return price


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else serialize_decimal(value)


def rejection(outcome: OrderOutcome, path: list[Any]) -> GraphQLError:
    """The ``REJECTED`` error reported beside a recorded rejection: the reason, every control
    broken (the first also flat, for clients that show one), the order id and position."""
    order = outcome.order
    return _rejected_error(
        f"order rejected: {order.reject_reason}",
        order.reject_reason,
        order.breaches,
        outcome,
        path,
    )


def _rejected_error(
    message: str,
    reason: str | None,
    recorded: tuple[Any, ...],
    outcome: OrderOutcome,
    path: list[Any],
) -> GraphQLError:
    order = outcome.order
    breaches = [
        {
            "control": b.control,
            "limit": _decimal_text(b.limit),
            "value": _decimal_text(b.value),
            "scope": b.scope,
        }
        for b in recorded
    ]
    first = breaches[0] if breaches else dict.fromkeys(("control", "limit", "value", "scope"))
    return GraphQLError(
        message,
        path=path,
        extensions={
            "code": REJECTED,
            "reason": reason,
            **first,
            "breaches": breaches,
            "orderId": str(order.order_id),
            "position": str(outcome.position),
        },
    )


async def place_order(
    info: strawberry.Info, context: GatewayContext, order_input: PlaceOrderInput
) -> PlaceOrderPayload:
    account_id = arguments.identifier(order_input.account_id, field="input.accountId")
    instrument_id = arguments.identifier(order_input.instrument_id, field="input.instrumentId")
    if order_input.quantity <= 0:
        raise BadUserInput(
            f"quantity must be greater than 0, got {order_input.quantity}", field="input.quantity"
        )
    limit_price = checked_limit_price(order_input)
    await context.caller.require_trade(account_id, "placeOrder")
    outcome: OrderOutcome = await call_port(
        functools.partial(
            context.commands.place_order,
            context.principal,
            account_id=account_id,
            instrument_id=instrument_id,
            side=order_input.side.value,
            quantity=order_input.quantity,
            order_type=order_input.order_type.value,
            limit_price=limit_price,
            time_in_force=order_input.time_in_force.value,
            expire_at=order_input.expire_at,
            stop_price=order_input.stop_price,
            trail_amount=order_input.trail_amount,
            trail_percent=order_input.trail_percent,
            post_only=order_input.post_only,
            reduce_only=order_input.reduce_only,
        ),
        instrument_field="input.instrumentId",
    )
    if outcome.order.status == "REJECTED":
        context.report(rejection(outcome, info.path.as_list()))
    return PlaceOrderPayload(
        order_id=strawberry.ID(str(outcome.order.order_id)),
        order=order_from_record(outcome.order, position=outcome.position),
        position=StorePosition(outcome.position),
    )


async def amend_order(
    info: strawberry.Info, context: GatewayContext, amend_input: AmendOrderInput
) -> AmendOrderPayload:
    order_id = arguments.uuid(amend_input.order_id, field="input.orderId")
    for name, value in (
        ("quantity", amend_input.quantity),
        ("limitPrice", amend_input.limit_price),
        ("stopPrice", amend_input.stop_price),
    ):
        if value is not None and (not value.is_finite() or value <= 0):
            raise BadUserInput(f"{name} must be greater than 0, got {value}", field=f"input.{name}")
    outcome: OrderOutcome = await call_port(
        functools.partial(
            context.commands.amend_order,
            context.principal,
            order_id=order_id,
            quantity=amend_input.quantity,
            limit_price=amend_input.limit_price,
            stop_price=amend_input.stop_price,
            may_act_on=context.caller.may_trade_now("amendOrder"),
        ),
    )
    refused = outcome.order.amendment_refused
    if refused is not None:
        context.report(
            _rejected_error(
                f"amendment refused: {refused}",
                refused,
                outcome.order.amendment_breaches,
                outcome,
                info.path.as_list(),
            )
        )
    return AmendOrderPayload(
        order_id=strawberry.ID(str(order_id)),
        amended=refused is None,
        order=order_from_record(outcome.order, position=outcome.position),
        position=StorePosition(outcome.position),
    )


async def cancel_order(context: GatewayContext, order_id_text: str) -> CancelOrderPayload:
    order_id = arguments.uuid(order_id_text, field="orderId")
    outcome: OrderOutcome = await call_port(
        functools.partial(
            context.commands.cancel_order,
            context.principal,
            order_id=order_id,
            may_act_on=context.caller.may_trade_now("cancelOrder"),
        )
    )
    return CancelOrderPayload(
        order_id=strawberry.ID(str(order_id)),
        order=order_from_record(outcome.order, position=outcome.position),
        position=StorePosition(outcome.position),
    )
