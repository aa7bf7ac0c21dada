"""The GraphQL schema: root fields wired to :mod:`gateway.resolvers`, nothing more.

Resolvers here parse arguments (see :mod:`gateway.arguments`) and delegate; the SQL lives in
the topic modules. ``build_schema().as_str()`` is the public contract, snapshotted in
``tests/contract/schema.graphql``.

Queries that read what the execution context writes (orders, fills, portfolios) take
``minPosition``: the execution store position a mutation answered with; the query first waits
(at most the configured consistency timeout) until the read model has applied it, so a client
reads its own writes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncGenerator
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from bounded_contexts.support.application.access_queries import AccessQuery
from bounded_contexts.support.domain.access_model import PlatformPermission
from gateway import arguments
from gateway.account_types import AccountPayload, ConfigureAccountInput, OpenAccountInput
from gateway.context import GatewayContext
from gateway.control_types import (
    CancelAllOrdersPayload,
    ControlScopeInput,
    KillSwitch,
    KillSwitchPayload,
    RiskLimits,
    RiskLimitsInput,
    SetRiskLimitsPayload,
    TradingHaltPayload,
)
from gateway.documents import DocumentCache
from gateway.error_codes import ErrorCodes
from gateway.errors import BadUserInput, GatewayError
from gateway.ids import parse_cursor, parse_global_id
from gateway.limits import Limits, OperationLimits
from gateway.market_structure_types import Clustering, Regime
from gateway.model_types import (
    FeatureVector,
    Model,
    ModelChange,
    ModelPayload,
    ModelStatus,
    RetrainPayload,
)
from gateway.regulatory_types import (
    AccessDecisionRecord,
    ChainVerification,
    OrderRecordPage,
    TransactionReportFile,
)
from gateway.resolvers import (
    accounts,
    commands,
    contingent,
    controls,
    live,
    market,
    market_structure,
    models,
    notifications,
    operations,
    orders,
    portfolio,
    regulatory,
    tca,
)
from gateway.resolvers.pages import PageRequest
from gateway.scalars import SCALAR_MAP, StorePosition, UtcTimestamp
from gateway.security import ALL, Forbidden
from gateway.tca_types import TransactionCostReport
from gateway.types import (
    AmendOrderInput,
    AmendOrderPayload,
    BarUpdate,
    CancelOrderPayload,
    Candle,
    ContingentOrdersPayload,
    DeadLetterConnection,
    EquityPoint,
    FillConnection,
    FillEdge,
    Instrument,
    Interval,
    MarkNotificationReadPayload,
    Node,
    NotificationConnection,
    NotificationEdge,
    NotificationPreference,
    NotificationPreferenceInput,
    Order,
    OrderConnection,
    OrderOrigin,
    OrderSide,
    OrderStatus,
    OrderUpdate,
    Performance,
    PlaceOrderInput,
    PlaceOrderPayload,
    Portfolio,
    Position,
    Prediction,
    QuarantineConnection,
    SetNotificationPreferencePayload,
    SortOrder,
)

log = logging.getLogger("gateway.errors")
WEBSOCKET_OPERATIONS = (OperationType.SUBSCRIPTION,)

PAGE_ARGUMENTS = (
    "`first`/`after` walk forward, `last`/`before` back from the end (1..500, 50 by default); "
    "cursors are the store positions of the rows, so rows added while a client pages never "
    "shift the pages it has not read."
)


def _context(info: strawberry.Info) -> GatewayContext:
    return info.context


def _range(ts_from: int | None, ts_to: int | None) -> tuple[int | None, int | None]:
    if ts_from is not None and ts_to is not None and ts_to <= ts_from:
        raise BadUserInput("`to` must be after `from`", field="to")
    return ts_from, ts_to


def _after(value: str | None, field: str = "after") -> int | None:
    return None if value is None else parse_cursor(value, field=field)


def _signed_in(info: strawberry.Info) -> None:
    """Market data and model outputs: any caller who proved who they are."""
    _context(info).caller.principal  # noqa: B018 - raises UNAUTHENTICATED for an anonymous one


async def _require_operator(info: strawberry.Info) -> None:
    """Quarantine and dead letters: for those who run the platform (risk, auditors, admins)."""
    caller = _context(info).caller
    if not (
        await caller.has(PlatformPermission.READ_ALL_ACCOUNTS)
        or await caller.has(PlatformPermission.ADMINISTER)
    ):
        raise Forbidden("operators' lists need the read_all_accounts or administer permission")


async def _require_follow(info: strawberry.Info, account: str) -> None:
    """A subscription to an account the caller may not see is refused (whether it exists or
    not: the message is the same)."""
    if not await _context(info).caller.can_view(account):
        raise Forbidden(f"you may not follow account {account!r}")


@strawberry.type
class Query:
    @strawberry.field(
        description="Any object with a global id (Order, Fill, Instrument, "
        "Portfolio); null if unknown."
    )
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> Node | None:
        type_name, key = parse_global_id(id)
        context = _context(info)
        pool, caller = context.pool, context.caller
        found: Node | None = None
        if type_name == "Order" and len(key) == 1:
            found = await orders.fetch_order(pool, arguments.uuid(key[0], field="id"))
        elif type_name == "Fill" and len(key) == 2 and key[1].isdigit() and len(key[1]) < 10:
            found = await orders.fetch_fill(pool, arguments.uuid(key[0], field="id"), int(key[1]))
        elif type_name == "Instrument" and len(key) == 1:
            return await market.fetch_instrument(pool, key[0])
        elif type_name == "Portfolio" and len(key) == 1:
            found = await portfolio.fetch_portfolio(pool, key[0])
        else:
            raise BadUserInput(
                f"invalid id {id[:60]!r}: pass an id returned by this API", field="id"
            )
        account = getattr(found, "account_id", None)
        if found is None or account is None or not await caller.can_view(account):
            return None  # as unknown: no existence leak
        return found

    @strawberry.field(description="Cash, P&L and positions of an account; null if unknown.")
    async def portfolio(
        self,
        info: strawberry.Info,
        account_id: str,
        min_position: StorePosition | None = None,
    ) -> Portfolio | None:
        account = arguments.identifier(account_id, field="accountId")
        if not await _context(info).caller.can_view(account):
            return None  # as unknown: no existence leak
        await _context(info).read_after(min_position, "portfolio")
        return await portfolio.fetch_portfolio(_context(info).pool, account)

    @strawberry.field(description="Every account's portfolio, by account id.")
    async def accounts(
        self, info: strawberry.Info, min_position: StorePosition | None = None
    ) -> list[Portfolio]:
        visible = await _context(info).caller.visible_accounts()
        await _context(info).read_after(min_position, "portfolio")
        if visible is ALL:
            return await portfolio.fetch_portfolios(_context(info).pool, None)
        if not visible:
            return []
        return await portfolio.fetch_portfolios(_context(info).pool, sorted(visible))

    @strawberry.field(description="Positions of an account by instrument id (flat ones too).")
    async def positions(
        self,
        info: strawberry.Info,
        account_id: str,
        min_position: StorePosition | None = None,
    ) -> list[Position]:
        account = arguments.identifier(account_id, field="accountId")
        if not await _context(info).caller.can_view(account):
            return []
        await _context(info).read_after(min_position, "portfolio")
        return await portfolio.fetch_positions(_context(info).pool, account)

    @strawberry.field(
        description="Orders of an account, newest first unless `sort` says otherwise. "
        "Filters: `status` (non-empty), `side`, `instrumentId`, `origin`, `algoId`, and "
        "`from`/`to` on the submission time. " + PAGE_ARGUMENTS
    )
    async def orders(
        self,
        info: strawberry.Info,
        account_id: str,
        status: list[OrderStatus] | None = None,
        side: OrderSide | None = None,
        instrument_id: str | None = None,
        origin: OrderOrigin | None = None,
        algo_id: str | None = None,
        from_: Annotated[UtcTimestamp | None, strawberry.argument(name="from")] = None,
        to: UtcTimestamp | None = None,
        sort: SortOrder = SortOrder.NEWEST_FIRST,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        min_position: StorePosition | None = None,
    ) -> OrderConnection:
        if status is not None and not status:
            raise BadUserInput(
                "status must name at least one status; omit it for all", field="status"
            )
        filters = orders.OrderFilters(
            account_id=arguments.identifier(account_id, field="accountId"),
            statuses=status,
            side=side,
            instrument_id=arguments.optional_identifier(instrument_id, field="instrumentId"),
            origin=origin,
            algo_id=arguments.optional_identifier(algo_id, field="algoId"),
            submitted_from=_range(from_, to)[0],
            submitted_to=to,
        )
        request = PageRequest.of(first=first, after=after, last=last, before=before, sort=sort)
        if not await _context(info).caller.can_view(filters.account_id):
            return orders.empty_order_page()
        await _context(info).read_after(min_position, "orders")
        return await orders.fetch_order_page(_context(info).pool, filters, request)

    @strawberry.field(
        description="One order with its event history and fills; null if unknown. `id` is "
        "the order's UUID or its global id."
    )
    async def order(
        self, info: strawberry.Info, id: strawberry.ID, min_position: StorePosition | None = None
    ) -> Order | None:
        if len(id) > 36 and "-" not in id:
            type_name, key = parse_global_id(id)
            if type_name != "Order":
                raise BadUserInput(f"{id[:60]!r} is not an order's id", field="id")
            id = strawberry.ID(key[0])
        order_id = arguments.uuid(id, field="id")
        await _context(info).read_after(min_position, "orders")
        found = await orders.fetch_order(_context(info).pool, order_id)
        if found is None or not await _context(info).caller.can_view(found.account_id):
            return None  # as unknown: no existence leak
        return found

    @strawberry.field(
        description="Executions of an account, newest first unless `sort` says otherwise. "
        "Filters: `side`, `instrumentId`, `orderId`, `from`/`to` on the execution time. "
        + PAGE_ARGUMENTS
    )
    async def fills(
        self,
        info: strawberry.Info,
        account_id: str,
        side: OrderSide | None = None,
        instrument_id: str | None = None,
        order_id: strawberry.ID | None = None,
        from_: Annotated[UtcTimestamp | None, strawberry.argument(name="from")] = None,
        to: UtcTimestamp | None = None,
        sort: SortOrder = SortOrder.NEWEST_FIRST,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        min_position: StorePosition | None = None,
    ) -> FillConnection:
        filters = orders.FillFilters(
            account_id=arguments.identifier(account_id, field="accountId"),
            side=side,
            instrument_id=arguments.optional_identifier(instrument_id, field="instrumentId"),
            order_id=None if order_id is None else arguments.uuid(order_id, field="orderId"),
            executed_from=_range(from_, to)[0],
            executed_to=to,
        )
        request = PageRequest.of(first=first, after=after, last=last, before=before, sort=sort)
        if not await _context(info).caller.can_view(filters.account_id):
            return orders.empty_fill_page()
        await _context(info).read_after(min_position, "orders")
        return await orders.fetch_fill_page(_context(info).pool, filters, request)

    @strawberry.field(description="Every instrument, by instrument id.")
    async def instruments(self, info: strawberry.Info) -> list[Instrument]:
        _signed_in(info)
        return await market.fetch_instruments(_context(info).pool)

    @strawberry.field(
        description="Candles of an instrument: its one-minute bars grouped by `interval`, "
        "oldest first, for bars starting in [`from`, `to`); at most 5,000 (the latest)."
    )
    async def bars(
        self,
        info: strawberry.Info,
        instrument_id: str,
        interval: Interval = Interval.ONE_MINUTE,
        from_: Annotated[UtcTimestamp | None, strawberry.argument(name="from")] = None,
        to: UtcTimestamp | None = None,
    ) -> list[Candle]:
        instrument = arguments.identifier(instrument_id, field="instrumentId")
        ts_from, ts_to = _range(from_, to)
        _signed_in(info)
        return await market.fetch_candles(
            _context(info).pool, instrument, interval=interval, ts_from=ts_from, ts_to=ts_to
        )

    @strawberry.field(
        description="Equity of an account at the last bar close of each `interval` in "
        "[`from`, `to`), oldest first."
    )
    async def equity_curve(
        self,
        info: strawberry.Info,
        account_id: str,
        interval: Interval = Interval.FIVE_MINUTES,
        from_: Annotated[UtcTimestamp | None, strawberry.argument(name="from")] = None,
        to: UtcTimestamp | None = None,
    ) -> list[EquityPoint]:
        account = arguments.identifier(account_id, field="accountId")
        ts_from, ts_to = _range(from_, to)
        if not await _context(info).caller.can_view(account):
            return []
        return await portfolio.fetch_equity_curve(
            _context(info).pool, account, ts_from=ts_from, ts_to=ts_to, interval=interval
        )

    @strawberry.field(
        description="The KPIs the session report computes, for an account over [`from`, `to`)."
    )
    async def performance(
        self,
        info: strawberry.Info,
        account_id: str,
        from_: Annotated[UtcTimestamp | None, strawberry.argument(name="from")] = None,
        to: UtcTimestamp | None = None,
    ) -> Performance | None:
        account = arguments.identifier(account_id, field="accountId")
        ts_from, ts_to = _range(from_, to)
        if not await _context(info).caller.can_view(account):
            return None
        return await portfolio.fetch_performance(
            _context(info).pool, account, ts_from=ts_from, ts_to=ts_to
        )

    @strawberry.field(
        description="The `last` (1..500) most recent predictions, of one instrument or of all, "
        "returned oldest first."
    )
    async def predictions(
        self, info: strawberry.Info, instrument_id: str | None = None, last: int = 100
    ) -> list[Prediction]:
        size = arguments.page_size(last, field="last")
        instrument = arguments.optional_identifier(instrument_id, field="instrumentId")
        _signed_in(info)
        return await market.fetch_predictions(
            _context(info).pool, instrument_id=instrument, last=size
        )

    @strawberry.field(
        description="Bars ingestion refused (with the reason and the raw row), newest first; "
        "`source` filters by file or feed. " + PAGE_ARGUMENTS
    )
    async def quarantine(
        self,
        info: strawberry.Info,
        source: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> QuarantineConnection:
        request = PageRequest.of(
            first=first, after=after, last=last, before=before, sort=SortOrder.NEWEST_FIRST
        )
        await _require_operator(info)
        return await operations.fetch_quarantine(
            _context(info).pool,
            source=arguments.optional_identifier(source, field="source"),
            request=request,
        )

    @strawberry.field(
        description="Events consumers could not apply (stepped over, kept for replay), newest "
        "first; `consumer` filters. " + PAGE_ARGUMENTS
    )
    async def dead_letters(
        self,
        info: strawberry.Info,
        consumer: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> DeadLetterConnection:
        request = PageRequest.of(
            first=first, after=after, last=last, before=before, sort=SortOrder.NEWEST_FIRST
        )
        await _require_operator(info)
        return await operations.fetch_dead_letters(
            _context(info).pool,
            consumer=arguments.optional_identifier(consumer, field="consumer"),
            request=request,
        )

    @strawberry.field(
        description="Your notifications (fills, rejections, drawdowns; operators also dead "
        "letters and failing components), newest first; `unreadOnly` filters. " + PAGE_ARGUMENTS
    )
    async def notifications(
        self,
        info: strawberry.Info,
        unread_only: bool = False,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> NotificationConnection:
        request = PageRequest.of(
            first=first, after=after, last=last, before=before, sort=SortOrder.NEWEST_FIRST
        )
        return await notifications.fetch_notifications(
            _context(info), unread_only=unread_only, request=request
        )

    @strawberry.field(
        description="Your notification preferences in force (defaults: in-app on, the rest "
        "off); administrators may name another user."
    )
    async def notification_preferences(
        self, info: strawberry.Info, user_id: str | None = None
    ) -> list[NotificationPreference]:
        return await notifications.preferences(_context(info), user_id)

    # -- regulators and auditors: records from the event log, every request recorded ----------
    @strawberry.field(
        description="One trading day's RTS 22 transaction reports as the ISO 20022 file an ARM "
        "receives, with what was left out and why. Regulators (the regulatory_reports "
        "permission); every request, allowed or not, is in the access log."
    )
    async def transaction_reports(self, info: strawberry.Info, date: str) -> TransactionReportFile:
        day = regulatory.parse_trading_day(date)
        context = _context(info)
        await context.caller.require(
            PlatformPermission.REGULATORY_REPORTS, "transactionReports", f"day:{day.isoformat()}"
        )
        return await regulatory.transaction_report_file(context, day)

    @strawberry.field(
        description="Order records (Annex IV) of every order event in [`from`, `to`), at most "
        "31 days, the first `first` (1..10,000; 1,000 by default) in store order. Regulators "
        "(the order_records permission); every request is in the access log."
    )
    async def order_records(
        self,
        info: strawberry.Info,
        from_: Annotated[UtcTimestamp, strawberry.argument(name="from")],
        to: UtcTimestamp,
        first: int = 1000,
    ) -> OrderRecordPage:
        regulatory.check_window(from_, to, first)
        context = _context(info)
        await context.caller.require(
            PlatformPermission.ORDER_RECORDS, "orderRecords", f"window:{from_}..{to}"
        )
        return await regulatory.order_records(context, from_, to, first)

    @strawberry.field(
        description="The access log: authorisation decisions of the gateway and of the CLI's "
        "administration, newest first, narrowed by each argument given (`since` inclusive, "
        "`until` exclusive; `first` 1..10,000, 100 by default). Auditors (the audit "
        "permission); reading it is itself recorded."
    )
    async def access_log(
        self,
        info: strawberry.Info,
        subject: str | None = None,
        resource: str | None = None,
        operation: str | None = None,
        denied_only: bool = False,
        since: UtcTimestamp | None = None,
        until: UtcTimestamp | None = None,
        first: int = 100,
    ) -> list[AccessDecisionRecord]:
        try:
            query = AccessQuery(
                subject=subject,
                resource=resource,
                operation=operation,
                denied_only=denied_only,
                ts_from=since,
                ts_to=until,
                limit=first,
            )
        except ValueError as error:
            raise BadUserInput(str(error)) from None
        context = _context(info)
        await context.caller.require(PlatformPermission.AUDIT, "accessLog", "access-log")
        return await regulatory.access_log(context, query)

    @strawberry.field(
        description="Recompute the hash chain of one store (`context`) or of every store, from "
        "its first event, now: intact, or where a stored event was changed, removed or "
        "inserted. Auditors (the audit permission); every request is in the access log. A "
        "store takes about 0.5 s per 100,000 events; one recomputation runs at a time."
    )
    async def chain_verification(
        self, info: strawberry.Info, context: str | None = None
    ) -> list[ChainVerification]:
        contexts = regulatory.chain_contexts(context)
        gateway_context = _context(info)
        await gateway_context.caller.require(
            PlatformPermission.AUDIT, "chainVerification", f"chain:{context or 'all'}"
        )
        return await regulatory.chain_verification(gateway_context, contexts)

    @strawberry.field(
        description="Transaction cost analysis of an account's orders submitted in "
        "[`from`, `to`): per order arrival-price slippage, VWAP comparison, fees and "
        "implementation shortfall, and per strategy; `first` orders at most (1..10,000)."
    )
    async def transaction_costs(
        self,
        info: strawberry.Info,
        account_id: str,
        from_: Annotated[UtcTimestamp | None, strawberry.argument(name="from")] = None,
        to: UtcTimestamp | None = None,
        first: int = 1000,
    ) -> TransactionCostReport:
        ts_from, ts_to = _range(from_, to)
        return await tca.transaction_cost_report(
            _context(info),
            arguments.identifier(account_id, field="accountId"),
            ts_from=ts_from,
            ts_to=ts_to,
            first=first,
        )

    @strawberry.field(
        description="Kill switches as last changed, by scope (all, or `engagedOnly`). For "
        "the risk desk and auditors (kill_switch, risk_limits or audit permission)."
    )
    async def kill_switches(
        self,
        info: strawberry.Info,
        engaged_only: bool = False,
        min_position: StorePosition | None = None,
    ) -> list[KillSwitch]:
        return await controls.kill_switches(
            _context(info), engaged_only=engaged_only, min_position=min_position
        )

    @strawberry.field(
        description="Pre-trade limits set at run time, by scope. The firm's configured limits "
        "apply until the `firm` scope is first set. Same readers as killSwitches."
    )
    async def risk_limits(
        self, info: strawberry.Info, min_position: StorePosition | None = None
    ) -> list[RiskLimits]:
        return await controls.risk_limits(_context(info), min_position=min_position)

    @strawberry.field(
        description="The model registry: every model (or those of a `status` and/or "
        "`family`), the champion first, then by family, newest first. Anyone signed in. "
        "`minPosition`: a prediction store position a registry mutation answered with."
    )
    async def models(
        self,
        info: strawberry.Info,
        status: ModelStatus | None = None,
        family: str | None = None,
        min_position: StorePosition | None = None,
    ) -> list[Model]:
        wanted = arguments.optional_identifier(family, field="family")
        _signed_in(info)
        await _context(info).read_after(min_position, "models")
        return await models.fetch_models(_context(info).pool, status=status, family=wanted)

    @strawberry.field(
        description="One model of the registry with its figures and history; null if the "
        "registry holds no model of that id."
    )
    async def model(
        self, info: strawberry.Info, id: str, min_position: StorePosition | None = None
    ) -> Model | None:
        model_id = arguments.identifier(id, field="id")
        _signed_in(info)
        await _context(info).read_after(min_position, "models")
        return await models.fetch_model(_context(info).pool, model_id)

    @strawberry.field(
        description="The `last` (1..500) changes of the registry — training requests, "
        "trainings, failures, promotions, retirements, drift readings — oldest first; "
        "`requestId`: those of one training request (how it was answered)."
    )
    async def model_changes(
        self,
        info: strawberry.Info,
        request_id: str | None = None,
        last: int = 100,
        min_position: StorePosition | None = None,
    ) -> list[ModelChange]:
        size = arguments.page_size(last, field="last")
        request = arguments.optional_identifier(request_id, field="requestId")
        _signed_in(info)
        await _context(info).read_after(min_position, "models")
        return await models.fetch_changes(_context(info).pool, request_id=request, last=size)

    @strawberry.field(
        description="The clusters of instruments in force at `asOf` (now when null): the "
        "latest clustering stamped at or before it; null before the first one."
    )
    async def clusters(
        self, info: strawberry.Info, as_of: UtcTimestamp | None = None
    ) -> Clustering | None:
        _signed_in(info)
        found = await market_structure.fetch_clusterings(_context(info).pool, as_of=as_of, last=1)
        return found[-1] if found else None

    @strawberry.field(
        description="The `last` (1..500) clusterings stamped at or before `asOf` (now when "
        "null), oldest first: how the groups moved."
    )
    async def clusterings(
        self, info: strawberry.Info, as_of: UtcTimestamp | None = None, last: int = 20
    ) -> list[Clustering]:
        size = arguments.page_size(last, field="last")
        _signed_in(info)
        return await market_structure.fetch_clusterings(_context(info).pool, as_of=as_of, last=size)

    @strawberry.field(
        description="The market regime in force at `asOf` (now when null): the latest regime "
        "change stamped at or before it; null before the first reading."
    )
    async def regime(
        self, info: strawberry.Info, as_of: UtcTimestamp | None = None
    ) -> Regime | None:
        _signed_in(info)
        found = await market_structure.fetch_regimes(_context(info).pool, as_of=as_of, last=1)
        return found[-1] if found else None

    @strawberry.field(
        description="The `last` (1..500) regime changes stamped at or before `asOf` (now when "
        "null), oldest first."
    )
    async def regime_history(
        self, info: strawberry.Info, as_of: UtcTimestamp | None = None, last: int = 100
    ) -> list[Regime]:
        size = arguments.page_size(last, field="last")
        _signed_in(info)
        return await market_structure.fetch_regimes(_context(info).pool, as_of=as_of, last=size)

    @strawberry.field(
        description="The `last` (1..500) feature vectors of an instrument, oldest first: what "
        "the models read at each bar (a prediction's `featureHash` is a vector's `hash`)."
    )
    async def features(
        self, info: strawberry.Info, instrument_id: str, last: int = 100
    ) -> list[FeatureVector]:
        size = arguments.page_size(last, field="last")
        instrument = arguments.identifier(instrument_id, field="instrumentId")
        _signed_in(info)
        return await models.fetch_features(_context(info).pool, instrument, last=size)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Submit a manual order through the execution context; answers with the "
        "order as recorded (a rejection is recorded too, and also reported as a REJECTED "
        "error naming the control, its limit and the value)."
    )
    async def place_order(self, info: strawberry.Info, input: PlaceOrderInput) -> PlaceOrderPayload:
        return await commands.place_order(info, _context(info), input)

    @strawberry.mutation(
        description="Place a bracket: an entry, and a take-profit (LIMIT) and a stop-loss "
        "(STOP, STOP_LIMIT or TRAILING_STOP) on the other side, for its quantity, held as a "
        "one-cancels-other pair until the entry is filled. All or nothing, in one append."
    )
    async def place_bracket_order(
        self,
        info: strawberry.Info,
        entry: PlaceOrderInput,
        take_profit: PlaceOrderInput,
        stop_loss: PlaceOrderInput,
    ) -> ContingentOrdersPayload:
        return await contingent.place_bracket_order(
            info, _context(info), entry, take_profit, stop_loss
        )

    @strawberry.mutation(
        description="Place a one-cancels-other group (2 to 10 orders, one account and "
        "instrument): the first execution, cancellation or expiry of any member cancels the "
        "others. Every member is sent, or every member is recorded rejected."
    )
    async def place_oco_orders(
        self, info: strawberry.Info, orders: list[PlaceOrderInput]
    ) -> ContingentOrdersPayload:
        return await contingent.place_oco_orders(info, _context(info), orders)

    @strawberry.mutation(
        description="Place a one-triggers-other order: the parent is sent now, the children "
        "(1 to 10, on its account) are recorded HELD and sent when it is filled — for their "
        "share of what it filled if it ends partly filled, cancelled if it ends unfilled."
    )
    async def place_oto_order(
        self, info: strawberry.Info, parent: PlaceOrderInput, children: list[PlaceOrderInput]
    ) -> ContingentOrdersPayload:
        return await contingent.place_oto_order(info, _context(info), parent, children)

    @strawberry.mutation(
        description="Change a working order's quantity, limit or stop price. The new terms go "
        "through the pre-trade controls: acknowledged (`amended`), or refused — recorded, the "
        "order working on unchanged, and reported as a REJECTED error naming the control."
    )
    async def amend_order(self, info: strawberry.Info, input: AmendOrderInput) -> AmendOrderPayload:
        return await commands.amend_order(info, _context(info), input)

    @strawberry.mutation(description="Ask the execution context to cancel an open order.")
    async def cancel_order(
        self, info: strawberry.Info, order_id: strawberry.ID
    ) -> CancelOrderPayload:
        return await commands.cancel_order(_context(info), order_id)

    @strawberry.mutation(
        description="Open a trading account with its starting cash, owner and what it may "
        "trade (administer permission). Who may trade it is granted with `quantvista users`."
    )
    async def open_account(self, info: strawberry.Info, input: OpenAccountInput) -> AccountPayload:
        return await accounts.open_account(_context(info), input)

    @strawberry.mutation(
        description="Replace an account's owner and what it may trade (administer permission)."
    )
    async def configure_account(
        self, info: strawberry.Info, input: ConfigureAccountInput
    ) -> AccountPayload:
        return await accounts.configure_account(_context(info), input)

    @strawberry.mutation(
        description="Cancel every working order in a scope (new orders are still accepted: "
        "that is the kill switch). The kill_switch permission, or trading the account named."
    )
    async def cancel_all_orders(
        self, info: strawberry.Info, scope: ControlScopeInput, reason: str
    ) -> CancelAllOrdersPayload:
        return await controls.cancel_all_orders(_context(info), scope, reason)

    @strawberry.mutation(
        description="Engage a scope's kill switch (RTS 6 Art. 12): every working order in it "
        "is cancelled at once, and every new one rejected until released. kill_switch permission."
    )
    async def engage_kill_switch(
        self, info: strawberry.Info, scope: ControlScopeInput, reason: str
    ) -> KillSwitchPayload:
        return await controls.change_kill_switch(_context(info), scope, reason, engage=True)

    @strawberry.mutation(
        description="Halt trading in an instrument at the simulated venue: working orders rest "
        "untouched, new orders and amendments are rejected (trading_halted). kill_switch "
        "permission."
    )
    async def halt_trading(
        self, info: strawberry.Info, instrument_id: str, reason: str
    ) -> TradingHaltPayload:
        identifier = arguments.identifier(instrument_id, field="instrumentId")
        return await controls.change_trading(_context(info), identifier, reason, halt=True)

    @strawberry.mutation(description="Resume trading in a halted instrument.")
    async def resume_trading(
        self, info: strawberry.Info, instrument_id: str, reason: str
    ) -> TradingHaltPayload:
        identifier = arguments.identifier(instrument_id, field="instrumentId")
        return await controls.change_trading(_context(info), identifier, reason, halt=False)

    @strawberry.mutation(description="Release an engaged kill switch. kill_switch permission.")
    async def release_kill_switch(
        self, info: strawberry.Info, scope: ControlScopeInput, reason: str
    ) -> KillSwitchPayload:
        return await controls.change_kill_switch(_context(info), scope, reason, engage=False)

    @strawberry.mutation(
        description="Set a scope's pre-trade limits (RTS 6 Art. 15), replacing what it had. "
        "risk_limits permission."
    )
    async def set_risk_limits(
        self, info: strawberry.Info, input: RiskLimitsInput
    ) -> SetRiskLimitsPayload:
        return await controls.set_risk_limits(_context(info), input)

    @strawberry.mutation(
        description="Make a model the champion (rule `manual`, your `note` recorded, you as "
        "the actor): every new prediction comes from it. models permission. NOT_FOUND for an "
        "unknown model, ILLEGAL_STATE for a retired one or the champion."
    )
    async def promote_model(self, info: strawberry.Info, id: str, note: str) -> ModelPayload:
        model_id = arguments.identifier(id, field="id")
        return await models.promote_model(_context(info), model_id, note)

    @strawberry.mutation(
        description="Retire a model: it may no longer be promoted or serve. models "
        "permission. ILLEGAL_STATE for the champion (promote another first) or a retired one."
    )
    async def retire_model(self, info: strawberry.Info, id: str, reason: str) -> ModelPayload:
        model_id = arguments.identifier(id, field="id")
        return await models.retire_model(_context(info), model_id, reason)

    @strawberry.mutation(
        description="Ask for new models of `families` (all configured ones if omitted) on "
        "every bar stored now; the training component answers (see `modelChanges(requestId)`) "
        "and promotes one only if it beats the champion out of sample. models permission."
    )
    async def request_retrain(
        self, info: strawberry.Info, families: list[str] | None = None, note: str = ""
    ) -> RetrainPayload:
        return await models.request_retrain(_context(info), families, note)

    @strawberry.mutation(description="Mark one of your notifications read.")
    async def mark_notification_read(
        self, info: strawberry.Info, notification_id: strawberry.ID
    ) -> MarkNotificationReadPayload:
        return await notifications.mark_read(_context(info), notification_id)

    @strawberry.mutation(
        description="Turn a notification channel on or off for a rule (or `*`). Webhooks, and "
        "other users' preferences, are for administrators."
    )
    async def set_notification_preference(
        self, info: strawberry.Info, input: NotificationPreferenceInput
    ) -> SetNotificationPreferencePayload:
        return await notifications.set_preference(_context(info), input)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Orders of an account as they change (each update carries the order's "
        "state at that time). Pass the last `cursor` as `after` to resume; without it, only "
        "changes from now on."
    )
    async def order_updates(
        self, info: strawberry.Info, account_id: str, after: str | None = None
    ) -> AsyncGenerator[OrderUpdate, None]:
        account = arguments.identifier(account_id, field="accountId")
        await _require_follow(info, account)
        async for update in live.order_updates(
            _context(info), account, _after(after), lambda: _require_follow(info, account)
        ):
            yield update

    @strawberry.subscription(description="Fills of an account as they are booked; resumable.")
    async def fills(
        self, info: strawberry.Info, account_id: str, after: str | None = None
    ) -> AsyncGenerator[FillEdge, None]:
        account = arguments.identifier(account_id, field="accountId")
        await _require_follow(info, account)
        async for fill in live.fills(
            _context(info), account, _after(after), lambda: _require_follow(info, account)
        ):
            yield fill

    @strawberry.subscription(
        description="The account's portfolio now, then whenever it changes (fills or prices)."
    )
    async def portfolio(
        self, info: strawberry.Info, account_id: str
    ) -> AsyncGenerator[Portfolio | None, None]:
        account = arguments.identifier(account_id, field="accountId")
        await _require_follow(info, account)
        async for current in live.portfolio(
            _context(info), account, lambda: _require_follow(info, account)
        ):
            yield current

    @strawberry.subscription(description="One-minute bars of an instrument as they close.")
    async def bars(
        self, info: strawberry.Info, instrument_id: str, after: str | None = None
    ) -> AsyncGenerator[BarUpdate, None]:
        instrument = arguments.identifier(instrument_id, field="instrumentId")
        _signed_in(info)
        async for bar in live.bars(_context(info), instrument, _after(after)):
            yield bar

    @strawberry.subscription(
        description="Your notifications as they are recorded. Pass the last `cursor` as "
        "`after` to resume; without it, only new ones."
    )
    async def alerts(
        self, info: strawberry.Info, after: str | None = None
    ) -> AsyncGenerator[NotificationEdge, None]:
        _signed_in(info)
        async for alert in notifications.alerts(_context(info), _after(after)):
            yield alert


class GatewaySchema(strawberry.Schema):
    """Logs only what is worth an operator's attention: clients' mistakes are not."""

    async def stream(  # type: ignore[override]
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Any = None,
    ) -> Any:
        """The WebSocket transport's entry: subscriptions only. Queries and mutations go over
        HTTP, where the rate limits, the allow-list, the in-flight limit and the timeout
        apply; over a socket they would bypass every one of them."""
        return await super().stream(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            operation_extensions=operation_extensions,
            allowed_operation_types=allowed_operation_types or WEBSOCKET_OPERATIONS,
        )

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            original: Any = error.original_error
            if original is None or isinstance(original, GatewayError | GraphQLError):
                log.debug("refused request: %s", error.message)
            else:
                # The client gets only this id (gateway.error_codes); the log has the rest.
                error_id = uuid.uuid4().hex[:16]
                error.quantvista_error_id = error_id  # type: ignore[attr-defined]
                log.error(
                    "resolver failed at %s (error id %s)", error.path, error_id, exc_info=original
                )


def build_schema(limits: Limits | None = None, *, introspection: bool = True) -> GatewaySchema:
    """The schema with its extensions; ``introspection=False`` refuses ``__schema``/``__type``
    (production: clients are built against the checked-in SDL, not by exploring)."""
    chosen = limits or Limits()
    extensions: list[Any] = [ErrorCodes, lambda: OperationLimits(chosen), DocumentCache]
    if not introspection:
        extensions.insert(1, DisableIntrospection)
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Order, Instrument, Portfolio],
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )


schema = build_schema()
