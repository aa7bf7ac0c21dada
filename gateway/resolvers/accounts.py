"""``openAccount`` and ``configureAccount``: account administration, for administrators (the
``administer`` permission, logged), through the execution context's port. Access to the new
account (who may trade or view it) is granted separately, with ``quantvista users``."""

from __future__ import annotations

import functools

from bounded_contexts.execution.application.service import OpenAccount
from bounded_contexts.support.domain.access_model import PlatformPermission
from gateway.account_types import AccountPayload, ConfigureAccountInput, OpenAccountInput
from gateway.context import GatewayContext
from gateway.ports import AccountOutcome
from gateway.resolvers.commands import call_port
from gateway.scalars import StorePosition

_FIELDS = {
    "account_id": "input.accountId",
    "currency": "input.currency",
    "initial_cash": "input.initialCash",
    "owner": "input.owner",
    "allowed_instruments": "input.allowedInstruments",
    "allowed_strategies": "input.allowedStrategies",
    "reason": "input.reason",
}


def _listed(names: list[str] | None) -> tuple[str, ...] | None:
    return None if names is None else tuple(names)


async def open_account(context: GatewayContext, spec: OpenAccountInput) -> AccountPayload:
    await context.caller.require(
        PlatformPermission.ADMINISTER, "openAccount", f"account:{spec.account_id}"
    )
    outcome: AccountOutcome = await call_port(
        functools.partial(
            context.commands.open_account,
            context.principal,
            OpenAccount(
                account_id=spec.account_id,
                currency=spec.currency,
                initial_cash=spec.initial_cash,
                reason=spec.reason,
                owner=spec.owner,
                allowed_instruments=_listed(spec.allowed_instruments),
                allowed_strategies=_listed(spec.allowed_strategies),
            ),
        ),
        fields=_FIELDS,
    )
    return AccountPayload(account_id=outcome.account_id, position=StorePosition(outcome.position))


async def configure_account(context: GatewayContext, spec: ConfigureAccountInput) -> AccountPayload:
    await context.caller.require(
        PlatformPermission.ADMINISTER, "configureAccount", f"account:{spec.account_id}"
    )
    outcome: AccountOutcome = await call_port(
        functools.partial(
            context.commands.configure_account,
            context.principal,
            account_id=spec.account_id,
            owner=spec.owner,
            allowed_instruments=_listed(spec.allowed_instruments),
            allowed_strategies=_listed(spec.allowed_strategies),
            reason=spec.reason,
        ),
        fields=_FIELDS,
    )
    return AccountPayload(account_id=outcome.account_id, position=StorePosition(outcome.position))
