"""Events of the execution context (stream ``orders``): the order lifecycle and the account
ledger. Together they are the firm-side order record (Reg. 2017/565 Annex IV)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal
from uuid import UUID

from bounded_contexts.execution.domain.regulatory import (
    ShortSelling,
    TradingCapacity,
    transaction_reference,
)
from events.domain import DomainEvent, parse_uuid

Side = Literal["BUY", "SELL"]
OrderType = Literal[
    "MARKET",
    "LIMIT",
    "STOP",
    "STOP_LIMIT",
    "MARKET_IF_TOUCHED",
    "LIMIT_IF_TOUCHED",
    "TRAILING_STOP",
]
TimeInForce = Literal["DAY", "GTC", "GTD", "IOC", "FOK"]
Origin = Literal["STRATEGY", "MANUAL"]
AlgorithmRole = Literal["DECISION", "EXECUTION"]


@dataclass(frozen=True)
class _ExecutionEvent(DomainEvent):
    CONTEXT = "execution"
    STREAM = "orders"


@dataclass(frozen=True)
class Responsible:
    """Who within the firm took a decision (RTS 22 fields 57 and 59, Annex IV): an algorithm,
    by the code the algorithm registry gave it (``AlgorithmRegistered``), or a person, by the
    subject the platform authenticated (``person:<subject>`` as the actor). The person's
    national identifier is reference data, looked up when a report is made."""

    kind: Literal["ALGO", "PERSON"]
    id: str


@dataclass(frozen=True)
class OrderSubmitted(_ExecutionEvent):
    """An order was received (ISO 20022 NEWO). ``decision_id`` links a strategy order to the
    TradeDecided event behind it; ``algo_id`` is the investment-decision algorithm. A GTD order
    expires unfilled at the first bar starting at or after ``expire_at`` (UTC ns).

    Version 2 records the order's regulated facts when it is received: the account's
    ``trading_capacity``, who decided (``investment_decision``) and who executes
    (``execution_decision``), the ``venue`` it is routed to (a MIC), and the RTS 25 times of the
    decision (``ts_decision``) and of the submission to the venue (``ts_submitted``), UTC ns.
    Version-1 orders are upcast with every one of these ``null``: not recorded, unknown.

    Version 3 carries every common order type and time in force (issue 10): ``order_type`` adds
    ``STOP``, ``STOP_LIMIT``, ``MARKET_IF_TOUCHED``, ``LIMIT_IF_TOUCHED`` and ``TRAILING_STOP``,
    with their trigger (``stop_price``, or ``trail_amount`` / ``trail_percent`` for a trailing
    stop); ``time_in_force`` adds ``DAY`` (``expire_at`` is then the session close the order
    expires at, fixed when it is received so that a later change of the configured close does
    not change a recorded order), ``IOC`` and ``FOK``; and the flags ``post_only`` (a limit
    order that must add liquidity) and ``reduce_only`` (it may only reduce the position).
    Version-2 orders were MARKET/LIMIT, GTC/GTD without flags, and are upcast exactly so: no
    trigger, ``post_only`` and ``reduce_only`` false.

    Version 4 carries the order's contingency links (issue 10, contingent orders):
    ``oco_group`` (the one-cancels-other group it belongs to: the first execution of any
    member, or the end of one, cancels the others) and ``parent_order_id`` (a one-triggers-
    other child: the order is recorded *held* — not sent to the venue, not checked, not
    counted as a message — until its parent is filled, then ``OrderActivated``). The links are
    fields here rather than events of their own because they are terms the order is received
    with and never change, like its time in force: every reader that joins an order's events
    to its ``OrderSubmitted`` (the read model, the order records) sees them without a second
    event whose order in the log it would have to trust, and a group is recorded in the one
    append that records its members. A held child's ``ts_submitted`` is null: it goes to the
    venue when it is activated (``OrderActivated.ts_activated``). Version-3 orders had no
    contingency and are upcast with both links null."""

    SCHEMA_VERSION = 4

    order_id: UUID
    account_id: str
    instrument_id: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    limit_price: Decimal | None
    time_in_force: TimeInForce
    expire_at: int | None
    origin: Origin
    decision_id: UUID | None
    algo_id: str | None
    trading_capacity: TradingCapacity | None = None
    investment_decision: Responsible | None = None
    execution_decision: Responsible | None = None
    venue: str | None = None
    ts_decision: int | None = None
    ts_submitted: int | None = None
    stop_price: Decimal | None = None
    trail_amount: Decimal | None = None
    trail_percent: Decimal | None = None
    post_only: bool = False
    reduce_only: bool = False
    oco_group: UUID | None = None
    parent_order_id: UUID | None = None


def _order_submitted_v1_to_v2(payload: dict) -> dict:  # type: ignore[type-arg]
    unknown = (
        "trading_capacity",
        "investment_decision",
        "execution_decision",
        "venue",
        "ts_decision",
        "ts_submitted",
    )
    return {**payload, **dict.fromkeys(unknown)}


def _order_submitted_v2_to_v3(payload: dict) -> dict:  # type: ignore[type-arg]
    untriggered = dict.fromkeys(("stop_price", "trail_amount", "trail_percent"))
    return {**payload, **untriggered, "post_only": False, "reduce_only": False}


def _order_submitted_v3_to_v4(payload: dict) -> dict:  # type: ignore[type-arg]
    return {**payload, "oco_group": None, "parent_order_id": None}


OrderSubmitted.UPCASTERS = {
    1: _order_submitted_v1_to_v2,
    2: _order_submitted_v2_to_v3,
    3: _order_submitted_v3_to_v4,
}


@dataclass(frozen=True)
class OrderAccepted(_ExecutionEvent):
    """Pre-trade controls passed; the order rests at the venue.

    Version 2 added ``ts_acknowledged``: when the venue acknowledged the order (RTS 25), UTC
    ns; the simulated venue acknowledges as it receives. Version 1 is upcast with ``null``."""

    SCHEMA_VERSION = 2

    order_id: UUID
    ts_acknowledged: int | None = None


def _order_accepted_v1_to_v2(payload: dict) -> dict:  # type: ignore[type-arg]
    return {**payload, "ts_acknowledged": None}


OrderAccepted.UPCASTERS = {1: _order_accepted_v1_to_v2}


@dataclass(frozen=True)
class ControlBreach:
    """One pre-trade control an order broke (RTS 6 Art. 15): the control's name, its limit and
    the order's value that broke it (both null for a control without a number, e.g. no market
    price known to check against). Controls: ``max_order_quantity``, ``max_order_notional``,
    ``max_position_notional``, ``short_selling`` (limit 0: the lowest position allowed),
    ``cash`` (limit: the cash; value: this order's notional plus the open buys'),
    ``reference_price``, ``price_collar`` (limit and value in percent of the reference
    price), ``max_messages_per_second``, ``kill_switch`` (no numbers). ``scope`` is whose limit
    it was (``firm``, ``account:<id>``, ``strategy:<algo>`` …; see ``ControlScope``); null on
    breaches recorded before scopes existed, which were all the firm's."""

    control: str
    limit: Decimal | None
    value: Decimal | None
    scope: str | None = None


@dataclass(frozen=True)
class OrderRejected(_ExecutionEvent):
    """Pre-trade controls refused the order (ISO 20022 REMO); the reason says which.

    Version 2 added ``breaches``: every control broken, with its limit and the value that broke
    it, so that a regulator's trail and a client's error name them without parsing ``reason``.
    Version-1 rejections are upcast with no breaches (their ``reason`` still names them).
    Version 3 added each breach's ``scope`` (whose limit, or which kill switch); version-2
    breaches are upcast with ``scope`` null."""

    SCHEMA_VERSION = 3

    order_id: UUID
    reason: str
    breaches: tuple[ControlBreach, ...] = ()


def _order_rejected_v1_to_v2(payload: dict) -> dict:  # type: ignore[type-arg]
    return {**payload, "breaches": []}


def _order_rejected_v2_to_v3(payload: dict) -> dict:  # type: ignore[type-arg]
    return {**payload, "breaches": [{**b, "scope": None} for b in payload["breaches"]]}


OrderRejected.UPCASTERS = {1: _order_rejected_v1_to_v2, 2: _order_rejected_v2_to_v3}


@dataclass(frozen=True)
class OrderFilled(_ExecutionEvent):
    """A fill (PARF or FILL): this fill's quantity and price, and the order's totals after it.

    Version 2 records the execution's regulated facts when it happens (MiFIR Art. 26): its
    ``transaction_reference`` (RTS 22 field 2), the order's ``trading_capacity``, the
    ``short_selling`` indicator of a sell (from the account's position before the fill; null
    for a buy), the ``venue`` (MIC, ``XOFF`` or ``XXXX``) and the venue's own id of the trade
    (``venue_transaction_id``), who decided and who executed, and the RTS 25 times of the
    execution at the venue (``ts_executed``) and of the firm's receipt of the fill
    (``ts_received``), UTC ns. Version-1 fills are upcast with the transaction reference
    derived exactly as it is for a new fill (from the order id and fill number) and every other
    new field ``null``: not recorded, unknown."""

    SCHEMA_VERSION = 2

    order_id: UUID
    fill_seq: int
    quantity: Decimal
    price: Decimal
    fee: Decimal
    filled_quantity: Decimal
    remaining_quantity: Decimal
    average_price: Decimal
    transaction_reference: str | None = None
    trading_capacity: TradingCapacity | None = None
    short_selling: ShortSelling | None = None
    venue: str | None = None
    venue_transaction_id: str | None = None
    investment_decision: Responsible | None = None
    execution_decision: Responsible | None = None
    ts_executed: int | None = None
    ts_received: int | None = None


def _order_filled_v1_to_v2(payload: dict) -> dict:  # type: ignore[type-arg]
    unknown = (
        "trading_capacity",
        "short_selling",
        "venue",
        "venue_transaction_id",
        "investment_decision",
        "execution_decision",
        "ts_executed",
        "ts_received",
    )
    reference = transaction_reference(parse_uuid(payload["order_id"]), int(payload["fill_seq"]))
    return {**payload, "transaction_reference": reference, **dict.fromkeys(unknown)}


OrderFilled.UPCASTERS = {1: _order_filled_v1_to_v2}


@dataclass(frozen=True)
class OrderFillCorrected(_ExecutionEvent):
    """A fill's price or fee corrected after the fact — the venue corrected the trade, or a
    booking error was found. A correction is a new event naming the fill it corrects (by
    ``fill_seq``, its ``transaction_reference`` and the store position of its ``OrderFilled``,
    ``corrected_position``); the fill itself stays in the log as it was recorded (Reg. 2017/565
    Art. 72: records are corrected, never overwritten). ``price`` and ``fee`` are the fill's
    values from now on, ``previous_price``/``previous_fee`` what they were until now (the fill's,
    or an earlier correction's), ``average_price`` the order's average after it. Who corrected
    is the event's actor; ``reason`` says why. The quantity is not corrected here: a wrong
    quantity is a busted trade and a new fill."""

    order_id: UUID
    fill_seq: int
    transaction_reference: str
    corrected_position: int
    previous_price: Decimal
    previous_fee: Decimal
    price: Decimal
    fee: Decimal
    average_price: Decimal
    reason: str


@dataclass(frozen=True)
class OrderCancelled(_ExecutionEvent):
    """The order's remaining quantity was cancelled (CAME); the reason says by whom/why."""

    order_id: UUID
    reason: str
    remaining_quantity: Decimal


@dataclass(frozen=True)
class AccountOpened(_ExecutionEvent):
    """A trading account with its starting cash in its base currency."""

    account_id: str
    currency: str
    initial_cash: Decimal


@dataclass(frozen=True)
class AccountConfigured(_ExecutionEvent):
    """Who owns an account and what it may trade, set by a person (its actor) when the account
    is opened by command and whenever it is reconfigured; each replaces the last.
    ``allowed_instruments`` / ``allowed_strategies``: null is "any"; a list, only those
    (an order for another instrument, or from another strategy, is rejected naming it)."""

    account_id: str
    owner: str | None
    allowed_instruments: tuple[str, ...] | None
    allowed_strategies: tuple[str, ...] | None
    reason: str


@dataclass(frozen=True)
class FillBooked(_ExecutionEvent):
    """A fill booked to the account: cash and position after it (signed quantity)."""

    account_id: str
    order_id: UUID
    instrument_id: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    cash_after: Decimal
    position_after: Decimal


@dataclass(frozen=True)
class FillBookingCorrected(_ExecutionEvent):
    """The account's side of an ``OrderFillCorrected``: the booked fill of ``order_id`` number
    ``fill_seq`` now at ``price`` and ``fee`` instead of ``previous_price`` and
    ``previous_fee``; the cash after the correction (the position does not change)."""

    account_id: str
    order_id: UUID
    fill_seq: int
    instrument_id: str
    side: Side
    quantity: Decimal
    previous_price: Decimal
    previous_fee: Decimal
    price: Decimal
    fee: Decimal
    cash_after: Decimal
    position_after: Decimal


@dataclass(frozen=True)
class AlgorithmRegistered(_ExecutionEvent):
    """An algorithm acted for the first time and was given its identifier (RTS 22 Art. 8(3)):
    ``algo_code`` (up to 50 of ``[A-Z0-9]``, reported in fields 57 and 59) now belongs to the
    algorithm ``name`` (strategy and model version, or execution code version) for good. Each
    code is its own aggregate, so the store itself refuses to give a code twice; ``role`` is
    what the algorithm first did and ``first_order_id`` the order it did it for."""

    algo_code: str
    name: str
    role: AlgorithmRole
    first_order_id: UUID | None


@dataclass(frozen=True)
class OrderTriggered(_ExecutionEvent):
    """A conditional order's trigger was reached (ISO 20022 TRIG): a stop, stop-limit,
    market-if-touched, limit-if-touched or trailing-stop order becomes live — from now on a
    market order (stop, MIT, trailing stop) or a limit order at its limit (stop-limit, LIT).
    Recorded before the fill it leads to, so the order record shows the trigger first.
    ``trigger_price`` is the price that was crossed (the stop price, or the trailing stop where
    it stood); ``ts_triggered`` is when (RTS 25, UTC ns): the start of the bar whose range
    crossed it, the only clock the simulated venue has, so a replay triggers identically."""

    order_id: UUID
    trigger_price: Decimal
    ts_triggered: int


@dataclass(frozen=True)
class OrderTrailingStopMoved(_ExecutionEvent):
    """A trailing stop's trigger followed the market: ``best_price`` is the best price seen
    since the order arrived (the highest high for a sell, the lowest low for a buy) and
    ``trigger_price`` the stop it implies (best minus/plus the trail). Recorded each bar the
    best price improves — and on the order's first bar, where the trail starts from the open —
    because the stop depends on bars the order stream does not hold: a restarted service must
    rebuild it from the order's own events, not from bars it may no longer have. No ISO 20022
    code: the order's terms (its trail) do not change, only where they put the trigger."""

    order_id: UUID
    best_price: Decimal
    trigger_price: Decimal
    ts_moved: int


@dataclass(frozen=True)
class OrderAmended(_ExecutionEvent):
    """The order's terms were changed at its owner's request and the venue acknowledged the
    change (ISO 20022 CHME, changed by the member): from now on it works ``quantity`` (in
    total, fills included) at ``limit_price`` and ``stop_price``; ``previous_*`` are the terms
    until now. The pre-trade controls passed on the new terms. ``remaining_quantity`` is what
    is left to fill; ``ts_acknowledged`` when the venue acknowledged (RTS 25, UTC ns). The
    order keeps its id, its place in the log and its fills; its ``OrderSubmitted`` stays as
    it was received."""

    order_id: UUID
    quantity: Decimal
    limit_price: Decimal | None
    stop_price: Decimal | None
    previous_quantity: Decimal
    previous_limit_price: Decimal | None
    previous_stop_price: Decimal | None
    remaining_quantity: Decimal
    ts_acknowledged: int | None


@dataclass(frozen=True)
class OrderAmendRejected(_ExecutionEvent):
    """A request to change the order's terms was refused — by a pre-trade control on the new
    terms (``breaches`` name each, as for ``OrderRejected``) or by a kill switch — and the
    order works on as it was. ``requested_*`` are the terms asked for (null: unchanged). No
    ISO 20022 event code of its own: the order's status does not change."""

    order_id: UUID
    reason: str
    breaches: tuple[ControlBreach, ...]
    requested_quantity: Decimal | None
    requested_limit_price: Decimal | None
    requested_stop_price: Decimal | None


@dataclass(frozen=True)
class PositionBreak:
    """One instrument whose position differs between our ledger and the statement:
    ``difference`` is theirs less ours."""

    instrument_id: str
    ours: Decimal
    theirs: Decimal
    difference: Decimal


@dataclass(frozen=True)
class PositionsReconciled(_ExecutionEvent):
    """The account's positions (and cash, when the statement gives it) as of ``as_of`` (UTC
    ns) were compared with a broker's or venue's statement (``source``: its name, e.g. the
    file's); ``breaks`` lists every instrument that differs (none: the books agree).
    ``instruments`` is how many were compared (in either); ``cash_theirs`` null: the
    statement gave no cash. Who ran it is the actor. One statement is reconciled once."""

    account_id: str
    source: str
    as_of: int
    instruments: int
    breaks: tuple[PositionBreak, ...]
    cash_ours: Decimal
    cash_theirs: Decimal | None


@dataclass(frozen=True)
class RouteCandidate:
    """A venue an order could have gone to, as routing saw it: the expected execution price
    (the reference moved by the venue's expected slippage), the fee per unit, and the all-in
    price (the expected price plus the fee for a buy, less it for a sell)."""

    venue: str
    expected_price: Decimal
    fee_per_unit: Decimal
    all_in_price: Decimal


@dataclass(frozen=True)
class RouteSlice:
    """The part of a split order one venue works: ``quantity`` of it, and the ``liquidity``
    routing expected that venue to offer the order in one bar (its participation cap on a
    typical recent bar) — why it got that much."""

    venue: str
    quantity: Decimal
    liquidity: Decimal


@dataclass(frozen=True)
class OrderRouted(_ExecutionEvent):
    """Smart order routing chose the order's venue (``OrderSubmitted.venue`` names the same
    MIC): every candidate with its expected and all-in price, and the reason — the best
    expected price after fees. Recorded right after ``OrderSubmitted`` when more than one
    venue is configured; no ISO 20022 code (the order's status does not change).

    Version 2 adds ``slices``: a market order larger than the best venue is expected to fill
    in one bar is split by the venues' liquidity, best all-in price first, each venue working
    its slice (the rest stays with the best venue); empty when the whole order goes to
    ``venue``. Version-1 routings are upcast with no slices, which is what they were."""

    SCHEMA_VERSION = 2

    order_id: UUID
    venue: str
    candidates: tuple[RouteCandidate, ...]
    reason: str
    slices: tuple[RouteSlice, ...] = ()


def _order_routed_v1_to_v2(payload: dict) -> dict:  # type: ignore[type-arg]
    return {**payload, "slices": []}


OrderRouted.UPCASTERS = {1: _order_routed_v1_to_v2}


@dataclass(frozen=True)
class OrderQueued(_ExecutionEvent):
    """A limit order that did not trade on arrival rests in the venue's book: it joined the
    queue at ``price`` at ``ts_queued`` (UTC ns, the start of the bar it joined on) behind
    ``queue_ahead`` already resting there — the venue's estimate from the L1 quote and the
    bar's volume (see ``adapters.venues.book``). Recorded once per place in the queue: again
    only when an amendment of its price, or a raise of its quantity, sends it to the back.
    How the queue ahead then shrinks follows from the bars, so it is not recorded bar by bar.
    No ISO 20022 code: the order's status and terms do not change."""

    order_id: UUID
    price: Decimal
    queue_ahead: Decimal
    ts_queued: int


@dataclass(frozen=True)
class OrderActivated(_ExecutionEvent):
    """A held one-triggers-other child went to the venue (ISO 20022 NEWO: an order is new
    when it is sent): its parent was filled, or ended partly filled. ``quantity`` is what it
    works from now on — its own, or, after a parent that ended partly filled, its share of
    what the parent filled rounded down to the lot (``previous_quantity``: as submitted).
    ``ts_activated`` is when it was sent (RTS 25, UTC ns): when the firm received the parent's
    last fill. ``reason`` names the parent and what it did. The pre-trade controls run now, on
    these terms: the order is then accepted or rejected as any new order is."""

    order_id: UUID
    parent_order_id: UUID
    quantity: Decimal
    previous_quantity: Decimal
    reason: str
    ts_activated: int


@dataclass(frozen=True)
class OrderCancelRequested(_ExecutionEvent):
    """A cancel of an order working at a FIX broker was sent (OrderCancelRequest, ClOrdID
    ``request_id``): the order is *pending cancel* — it works on, and may still fill, until the
    broker confirms (``OrderCancelled``, CAME) or refuses (``OrderRequestRefused``). ``reason``
    is why it was asked (a person's, or the kill switch's). No ISO 20022 code: the order's
    status does not change until the broker answers."""

    order_id: UUID
    request_id: str
    reason: str


@dataclass(frozen=True)
class OrderReplaceRequested(_ExecutionEvent):
    """An amendment of an order working at a FIX broker passed the controls and was sent
    (OrderCancelReplaceRequest, ClOrdID ``request_id``) for ``quantity`` (in total, fills
    included), ``limit_price`` and ``stop_price``: the order is *pending replace* and works on
    its old terms until the broker confirms (``OrderAmended``, CHME) or refuses
    (``OrderRequestRefused``). No ISO 20022 code until then."""

    order_id: UUID
    request_id: str
    quantity: Decimal
    limit_price: Decimal | None
    stop_price: Decimal | None


@dataclass(frozen=True)
class OrderRequestRefused(_ExecutionEvent):
    """The FIX broker refused the pending cancel or replace ``request_id`` (OrderCancelReject,
    its ``reason``): the order works on as it was — or has already ended, when the refusal is
    "too late" because it filled meanwhile. No ISO 20022 code: nothing changed."""

    order_id: UUID
    request_id: str
    request: Literal["CANCEL", "REPLACE"]
    reason: str
