"""The GraphQL schema: root fields wired to :mod:`gateway.resolvers`, nothing more.

Resolvers here parse arguments (see :mod:`gateway.arguments`) and delegate; the SQL lives in
the topic modules. ``schema.as_str()`` is the public contract, snapshotted in
``tests/contract/schema.graphql``.
"""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway import arguments
from gateway.context import GatewayContext
from gateway.cursors import OrderCursor
from gateway.error_codes import ErrorCodes
from gateway.errors import BadUserInput, GatewayError
from gateway.resolvers import commands, market, orders, portfolio
from gateway.scalars import SCALAR_MAP
from gateway.types import (
    CancelOrderPayload,
    Instrument,
    Order,
    OrderConnection,
    OrderStatus,
    PlaceOrderInput,
    PlaceOrderPayload,
    Portfolio,
    Position,
    Prediction,
)

log = logging.getLogger("gateway.errors")


def _context(info: strawberry.Info) -> GatewayContext:
    return info.context


def _order_cursor(after: str) -> OrderCursor:
    """A cursor we could have written: bounded text whose timestamp fits the read model's
    ``bigint`` (a forged one with a 30-digit timestamp would otherwise fail in the query)."""
    if len(after) > arguments.MAX_IDENTIFIER_LENGTH:
        raise BadUserInput(
            f"invalid cursor of {len(after)} characters: pass an endCursor or edge cursor "
            "returned by orders",
            field="after",
        )
    cursor = OrderCursor.decode(after, field="after")
    if not -(2**63) <= cursor.ts_submitted < 2**63:
        raise BadUserInput(
            f"invalid cursor {after!r}: pass an endCursor or edge cursor returned by orders",
            field="after",
        )
    return cursor


@strawberry.type
class Query:
    @strawberry.field(description="Cash, P&L and positions of an account; null if unknown.")
    async def portfolio(self, info: strawberry.Info, account_id: str) -> Portfolio | None:
        account = arguments.identifier(account_id, field="accountId")
        return await portfolio.fetch_portfolio(_context(info).pool, account)

    @strawberry.field(description="Positions of an account by instrument id (flat ones too).")
    async def positions(self, info: strawberry.Info, account_id: str) -> list[Position]:
        account = arguments.identifier(account_id, field="accountId")
        return await portfolio.fetch_positions(_context(info).pool, account)

    @strawberry.field(
        description=(
            "Orders of an account, oldest submission first, `first` (1..500) at a time after "
            "the cursor `after`. `status` (non-empty) and `instrumentId` filter."
        )
    )
    async def orders(
        self,
        info: strawberry.Info,
        account_id: str,
        status: list[OrderStatus] | None = None,
        instrument_id: str | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> OrderConnection:
        account = arguments.identifier(account_id, field="accountId")
        size = arguments.page_size(first, field="first")
        if status is not None and not status:
            raise BadUserInput(
                "status must name at least one status; omit it for all", field="status"
            )
        instrument = arguments.optional_identifier(instrument_id, field="instrumentId")
        cursor = None if after is None else _order_cursor(after)
        return await orders.fetch_order_page(
            _context(info).pool,
            account_id=account,
            statuses=status,
            instrument_id=instrument,
            first=size,
            after=cursor,
        )

    @strawberry.field(description="One order with its event history and fills; null if unknown.")
    async def order(self, info: strawberry.Info, id: strawberry.ID) -> Order | None:
        order_id = arguments.uuid(id, field="id")
        return await orders.fetch_order(_context(info).pool, order_id)

    @strawberry.field(description="Every instrument, by instrument id.")
    async def instruments(self, info: strawberry.Info) -> list[Instrument]:
        return await market.fetch_instruments(_context(info).pool)

    @strawberry.field(
        description="The `last` (1..500) most recent predictions, of one instrument or of all, "
        "returned oldest first."
    )
    async def predictions(
        self, info: strawberry.Info, instrument_id: str | None = None, last: int = 100
    ) -> list[Prediction]:
        size = arguments.page_size(last, field="last")
        instrument = arguments.optional_identifier(instrument_id, field="instrumentId")
        return await market.fetch_predictions(
            _context(info).pool, instrument_id=instrument, last=size
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Submit a manual order through the execution context.")
    async def place_order(self, info: strawberry.Info, input: PlaceOrderInput) -> PlaceOrderPayload:
        return await commands.place_order(_context(info), input)

    @strawberry.mutation(description="Ask the execution context to cancel an open order.")
    async def cancel_order(
        self, info: strawberry.Info, order_id: strawberry.ID
    ) -> CancelOrderPayload:
        return await commands.cancel_order(_context(info), order_id)


class GatewaySchema(strawberry.Schema):
    """Logs only what is worth an operator's attention: clients' mistakes are not."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            original: Any = error.original_error
            if original is None or isinstance(original, GatewayError | GraphQLError):
                log.debug("refused request: %s", error.message)
            else:
                log.error("resolver failed at %s", error.path, exc_info=original)


def build_schema() -> GatewaySchema:
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        extensions=[ErrorCodes],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )


schema = build_schema()
