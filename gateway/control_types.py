"""GraphQL types of the RTS 6 controls: kill switches and pre-trade limits, as the risk desk
sets and reads them."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import strawberry

from gateway.scalars import Nanoseconds, StorePosition


@strawberry.enum(description="What a control applies to.")
class ControlScopeKind(Enum):
    FIRM = "firm"
    ACCOUNT = "account"
    STRATEGY = "strategy"
    TRADER = "trader"
    INSTRUMENT = "instrument"
    VENUE = "venue"


@strawberry.input(
    description="A control's scope: the whole firm (no value), or one account, strategy "
    "(the deciding algorithm's id), trader (a person's subject), instrument or venue (MIC)."
)
class ControlScopeInput:
    kind: ControlScopeKind
    value: str | None = None


@strawberry.type(description="A scope's kill switch as last changed (RTS 6 Art. 12).")
class KillSwitch:
    scope: str = strawberry.field(description="`firm` or `<kind>:<value>`.")
    engaged: bool
    reason: str = strawberry.field(description="Of the last engage or release.")
    actor: str = strawberry.field(description="Who last changed it: `person:<subject>`.")
    ts_updated: Nanoseconds
    position: StorePosition = strawberry.field(description="Execution position of the change.")


@strawberry.type(description="What an engage or release recorded.")
class KillSwitchPayload:
    scope: str
    engaged: bool
    cancelled_order_ids: list[strawberry.ID] = strawberry.field(
        description="The working orders the engaged switch cancelled (none on release)."
    )
    position: StorePosition = strawberry.field(
        description="Execution position of the last event written: pass it as `minPosition`."
    )


@strawberry.type(description="What a haltTrading or resumeTrading recorded.")
class TradingHaltPayload:
    instrument_id: str
    halted: bool
    position: StorePosition


@strawberry.type(description="What a cancelAllOrders recorded.")
class CancelAllOrdersPayload:
    scope: str
    cancelled_order_ids: list[strawberry.ID]
    position: StorePosition = strawberry.field(
        description="Execution position of the last cancellation (0: nothing was working)."
    )


@strawberry.input(
    description="A scope's pre-trade limits (RTS 6 Art. 15), replacing what it had; an "
    "absent limit is no limit at this scope. Every order must pass the limits of each scope "
    "it falls under."
)
class RiskLimitsInput:
    scope: ControlScopeInput
    reason: str
    max_order_quantity: Decimal | None = None
    max_order_notional: Decimal | None = None
    max_position_notional: Decimal | None = None
    price_collar_pct: Decimal | None = strawberry.field(
        default=None, description="Percent of the reference price a limit price may stray."
    )
    max_messages_per_second: int | None = None
    max_executions_per_minute: int | None = strawberry.field(
        default=None,
        description="The repeated-execution throttle: the fill beyond it in any 60 s engages "
        "the scope's kill switch, which a person must release.",
    )
    rolling_collar_pct: Decimal | None = strawberry.field(
        default=None,
        description="The collar over a period: percent an order's price may stray from the "
        "market price rollingCollarWindowS seconds ago. Set both or neither.",
    )
    rolling_collar_window_s: int | None = strawberry.field(
        default=None, description="The rolling collar's period, in seconds (at most a day)."
    )


@strawberry.type(description="A scope's pre-trade limits as last set.")
class RiskLimits:
    scope: str
    max_order_quantity: Decimal | None
    max_order_notional: Decimal | None
    max_position_notional: Decimal | None
    price_collar_pct: Decimal | None
    max_messages_per_second: int | None
    max_executions_per_minute: int | None
    rolling_collar_pct: Decimal | None
    rolling_collar_window_s: int | None
    reason: str
    actor: str
    ts_updated: Nanoseconds
    position: StorePosition


@strawberry.type(description="What setRiskLimits recorded.")
class SetRiskLimitsPayload:
    scope: str
    position: StorePosition = strawberry.field(
        description="Execution position of the change: pass it as `minPosition` to read it."
    )
