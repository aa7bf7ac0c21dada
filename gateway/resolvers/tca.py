"""``transactionCosts``: transaction cost analysis of an account's orders, from the read
models (the same query as the session report's), on a worker thread. An account the caller may
not see answers as an unknown one: an empty report."""

from __future__ import annotations

import dataclasses
from typing import Any

import anyio.to_thread
import psycopg
import strawberry

from bounded_contexts.support.application.tca import CostReport, transaction_costs
from gateway.context import GatewayContext
from gateway.errors import BadUserInput, Unavailable
from gateway.tca_types import OrderCost, StrategyCost, TransactionCostReport

MAX_FIRST = 10_000
EMPTY = TransactionCostReport(orders=[], by_strategy=[], truncated=False)


def _connect(context: GatewayContext) -> psycopg.Connection[Any]:
    schema = context.config.read_schema
    options = f"-c search_path={schema},public" if schema else ""
    try:
        return psycopg.connect(context.database_url, connect_timeout=3, options=options)
    except psycopg.OperationalError:
        raise Unavailable("the read models cannot be reached just now; retry") from None


async def transaction_cost_report(
    context: GatewayContext,
    account_id: str,
    *,
    ts_from: int | None,
    ts_to: int | None,
    first: int,
) -> TransactionCostReport:
    if not 1 <= first <= MAX_FIRST:
        raise BadUserInput(f"first must be between 1 and {MAX_FIRST}, got {first}", field="first")
    if not await context.caller.can_view(account_id):
        return EMPTY

    def read() -> CostReport:
        with _connect(context) as conn:
            return transaction_costs(
                conn,
                account_id,
                ts_from=0 if ts_from is None else ts_from,
                ts_to=2**63 - 1 if ts_to is None else ts_to,
                limit=first,
            )

    report = await anyio.to_thread.run_sync(read)
    return TransactionCostReport(
        orders=[
            OrderCost(
                **{
                    **dataclasses.asdict(cost),
                    "order_id": strawberry.ID(cost.order_id),
                }
            )
            for cost in report.orders
        ],
        by_strategy=[StrategyCost(**dataclasses.asdict(s)) for s in report.by_strategy],
        truncated=report.truncated,
    )
