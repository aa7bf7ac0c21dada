"""The RTS 6 controls over GraphQL: engage and release kill switches, cancel every working
order of a scope, set pre-trade limits (mutations, each through the execution context's port
as the request's principal), and read the controls in force (from their read models).

Who may: the kill switch and cancelling everything of a scope need the ``kill_switch``
permission (the risk role) — a trader may also cancel every order of an account they trade;
limits need ``risk_limits``. Reading the controls needs one of ``kill_switch``,
``risk_limits`` or ``audit``. Every decision is in the access log.
"""

from __future__ import annotations

import functools

import strawberry

from bounded_contexts.execution.domain.controls.events import Limits
from bounded_contexts.support.domain.access_model import PlatformPermission
from gateway.context import GatewayContext
from gateway.control_types import (
    CancelAllOrdersPayload,
    ControlScopeInput,
    ControlScopeKind,
    KillSwitch,
    KillSwitchPayload,
    RiskLimits,
    RiskLimitsInput,
    SetRiskLimitsPayload,
    TradingHaltPayload,
)
from gateway.ports import ControlOutcome
from gateway.resolvers.commands import call_port
from gateway.scalars import Nanoseconds, StorePosition
from gateway.security import Forbidden

READERS = (
    PlatformPermission.KILL_SWITCH,
    PlatformPermission.RISK_LIMITS,
    PlatformPermission.AUDIT,
)


def scope_text(scope: ControlScopeInput) -> str:
    """The scope as the execution context parses it (it refuses a malformed one)."""
    if scope.kind is ControlScopeKind.FIRM and not scope.value:
        return "firm"
    return f"{scope.kind.value}:{scope.value or ''}"


def _ids(outcome: ControlOutcome) -> list[strawberry.ID]:
    return [strawberry.ID(str(order_id)) for order_id in outcome.cancelled_orders]


async def change_kill_switch(
    context: GatewayContext, scope: ControlScopeInput, reason: str, *, engage: bool
) -> KillSwitchPayload:
    """Engage or release a scope's switch (the kill_switch permission, logged)."""
    text = scope_text(scope)
    operation = "engageKillSwitch" if engage else "releaseKillSwitch"
    await context.caller.require(PlatformPermission.KILL_SWITCH, operation, text)
    change = context.commands.engage_kill_switch if engage else context.commands.release_kill_switch
    outcome: ControlOutcome = await call_port(
        functools.partial(change, context.principal, scope=text, reason=reason),
        fields={"scope": "scope", "reason": "reason"},
    )
    return KillSwitchPayload(
        scope=outcome.scope,
        engaged=engage,
        cancelled_order_ids=_ids(outcome),
        position=StorePosition(outcome.position),
    )


async def cancel_all_orders(
    context: GatewayContext, scope: ControlScopeInput, reason: str
) -> CancelAllOrdersPayload:
    text = scope_text(scope)
    caller = context.caller
    if await caller.has(PlatformPermission.KILL_SWITCH):
        await caller.record("cancelAllOrders", text, True, "platform:quantvista#kill_switch")
    elif scope.kind is ControlScopeKind.ACCOUNT and scope.value:
        await caller.require_trade(scope.value, "cancelAllOrders")  # their own account
    else:
        await caller.require(PlatformPermission.KILL_SWITCH, "cancelAllOrders", text)
    outcome: ControlOutcome = await call_port(
        functools.partial(
            context.commands.cancel_all_orders, context.principal, scope=text, reason=reason
        ),
        fields={"scope": "scope", "reason": "reason"},
    )
    return CancelAllOrdersPayload(
        scope=outcome.scope,
        cancelled_order_ids=_ids(outcome),
        position=StorePosition(outcome.position),
    )


async def change_trading(
    context: GatewayContext, instrument_id: str, reason: str, *, halt: bool
) -> TradingHaltPayload:
    operation = "haltTrading" if halt else "resumeTrading"
    await context.caller.require(
        PlatformPermission.KILL_SWITCH, operation, f"instrument:{instrument_id}"
    )
    change = context.commands.halt_trading if halt else context.commands.resume_trading
    outcome: ControlOutcome = await call_port(
        functools.partial(change, context.principal, instrument_id=instrument_id, reason=reason),
        instrument_field="instrumentId",
        fields={"reason": "reason"},
    )
    return TradingHaltPayload(
        instrument_id=instrument_id, halted=halt, position=StorePosition(outcome.position)
    )


_LIMIT_FIELDS = {
    "scope": "input.scope",
    "reason": "input.reason",
    "max_order_quantity": "input.maxOrderQuantity",
    "max_order_notional": "input.maxOrderNotional",
    "max_position_notional": "input.maxPositionNotional",
    "price_collar_pct": "input.priceCollarPct",
    "max_messages_per_second": "input.maxMessagesPerSecond",
    "max_executions_per_minute": "input.maxExecutionsPerMinute",
    "rolling_collar_pct": "input.rollingCollarPct",
    "rolling_collar_window_s": "input.rollingCollarWindowS",
}


async def set_risk_limits(context: GatewayContext, limits: RiskLimitsInput) -> SetRiskLimitsPayload:
    text = scope_text(limits.scope)
    await context.caller.require(PlatformPermission.RISK_LIMITS, "setRiskLimits", text)
    outcome: ControlOutcome = await call_port(
        functools.partial(
            context.commands.set_risk_limits,
            context.principal,
            scope=text,
            limits=Limits(
                max_order_quantity=limits.max_order_quantity,
                max_order_notional=limits.max_order_notional,
                max_position_notional=limits.max_position_notional,
                price_collar_pct=limits.price_collar_pct,
                max_messages_per_second=limits.max_messages_per_second,
                max_executions_per_minute=limits.max_executions_per_minute,
                rolling_collar_pct=limits.rolling_collar_pct,
                rolling_collar_window_s=limits.rolling_collar_window_s,
            ),
            reason=limits.reason,
        ),
        fields=_LIMIT_FIELDS,
    )
    return SetRiskLimitsPayload(scope=outcome.scope, position=StorePosition(outcome.position))


async def require_reader(context: GatewayContext, operation: str) -> None:
    """One of the readers' permissions; the decision is recorded either way."""
    caller = context.caller
    for permission in READERS:
        if await caller.has(permission):
            await caller.record(operation, "controls", True, f"platform:quantvista#{permission}")
            return
    await caller.record(operation, "controls", False, "platform:quantvista#kill_switch")
    raise Forbidden(f"{operation} needs the kill_switch, risk_limits or audit permission")


async def kill_switches(
    context: GatewayContext, *, engaged_only: bool, min_position: int | None
) -> list[KillSwitch]:
    await require_reader(context, "killSwitches")
    await context.read_after(min_position, "controls")
    rows = await context.pool.fetch(
        "SELECT scope, engaged, reason, actor, ts_updated, updated_seq FROM rm_kill_switches "
        "WHERE engaged OR NOT $1 ORDER BY scope",
        engaged_only,
    )
    return [
        KillSwitch(
            scope=row["scope"],
            engaged=row["engaged"],
            reason=row["reason"],
            actor=row["actor"],
            ts_updated=Nanoseconds(row["ts_updated"]),
            position=StorePosition(row["updated_seq"]),
        )
        for row in rows
    ]


async def risk_limits(context: GatewayContext, *, min_position: int | None) -> list[RiskLimits]:
    await require_reader(context, "riskLimits")
    await context.read_after(min_position, "controls")
    rows = await context.pool.fetch(
        "SELECT scope, max_order_quantity, max_order_notional, max_position_notional, "
        "price_collar_pct, max_messages_per_second, max_executions_per_minute, "
        "rolling_collar_pct, rolling_collar_window_s, reason, actor, ts_updated, updated_seq "
        "FROM rm_risk_limits ORDER BY scope"
    )
    return [
        RiskLimits(
            scope=row["scope"],
            max_order_quantity=row["max_order_quantity"],
            max_order_notional=row["max_order_notional"],
            max_position_notional=row["max_position_notional"],
            price_collar_pct=row["price_collar_pct"],
            max_messages_per_second=row["max_messages_per_second"],
            max_executions_per_minute=row["max_executions_per_minute"],
            rolling_collar_pct=row["rolling_collar_pct"],
            rolling_collar_window_s=row["rolling_collar_window_s"],
            reason=row["reason"],
            actor=row["actor"],
            ts_updated=Nanoseconds(row["ts_updated"]),
            position=StorePosition(row["updated_seq"]),
        )
        for row in rows
    ]
