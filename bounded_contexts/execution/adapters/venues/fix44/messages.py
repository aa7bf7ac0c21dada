"""The FIX 4.4 application messages we send and receive, as typed values.

Outbound (``NewOrderSingle``, ``OrderCancelRequest``, ``OrderCancelReplaceRequest``) are
validated when built — a bad order raises :class:`InvalidFixOrder` before any byte is sent —
and turned into body fields by ``to_fields``. Inbound (``ExecutionReport``,
``OrderCancelReject``, ``BusinessMessageReject``, and the session-level ``SessionReject``)
are parsed from a :class:`FixMessage` by ``from_message``, raising :class:`FixDecodeError` for
a field that is missing or not of its type. Prices and quantities are ``Decimal``; times are
UTC nanoseconds.

Our vocabulary maps to FIX as follows: side BUY/SELL -> Side(54) 1/2; order type
MARKET/LIMIT -> OrdType(40) 1/2 with Price(44) for a limit; time in force DAY/GTC/IOC/FOK/GTD
-> TimeInForce(59) 0/1/3/4/6 with ExpireTime(126) for GTD. An order's ClOrdID(11) is our
order id (a UUID's hex, or any string of printable ASCII up to 64 characters); a cancel or
replace gets its own ClOrdID and names the one it acts on in OrigClOrdID(41).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Literal

from bounded_contexts.execution.adapters.venues.fix44.codec import FixDecodeError, FixMessage

Side = Literal["BUY", "SELL"]
OrderType = Literal["MARKET", "LIMIT"]
TimeInForce = Literal["DAY", "GTC", "IOC", "FOK", "GTD"]

SIDE_TO_FIX = {"BUY": "1", "SELL": "2"}
SIDE_FROM_FIX = {v: k for k, v in SIDE_TO_FIX.items()}
ORDER_TYPE_TO_FIX = {"MARKET": "1", "LIMIT": "2"}
TIME_IN_FORCE_TO_FIX = {"DAY": "0", "GTC": "1", "IOC": "3", "FOK": "4", "GTD": "6"}


class InvalidFixOrder(ValueError):
    """An outbound order message that must not be sent, and why."""


class ExecType(StrEnum):
    """ExecType(150) in FIX 4.4: partial and full fills are both ``TRADE`` (OrdStatus tells)."""

    NEW = "0"
    DONE_FOR_DAY = "3"
    CANCELED = "4"
    REPLACED = "5"
    PENDING_CANCEL = "6"
    STOPPED = "7"
    REJECTED = "8"
    SUSPENDED = "9"
    PENDING_NEW = "A"
    CALCULATED = "B"
    EXPIRED = "C"
    RESTATED = "D"
    PENDING_REPLACE = "E"
    TRADE = "F"
    TRADE_CORRECT = "G"
    TRADE_CANCEL = "H"
    ORDER_STATUS = "I"


class OrdStatus(StrEnum):
    """OrdStatus(39)."""

    NEW = "0"
    PARTIALLY_FILLED = "1"
    FILLED = "2"
    DONE_FOR_DAY = "3"
    CANCELED = "4"
    PENDING_CANCEL = "6"
    STOPPED = "7"
    REJECTED = "8"
    SUSPENDED = "9"
    PENDING_NEW = "A"
    CALCULATED = "B"
    EXPIRED = "C"
    ACCEPTED_FOR_BIDDING = "D"
    PENDING_REPLACE = "E"


# --- time and number formats ----------------------------------------------------------------


def format_utc_timestamp(ts_ns: int) -> str:
    """UTCTimestamp with milliseconds: ``YYYYMMDD-HH:MM:SS.sss``."""
    seconds, ns = divmod(ts_ns, 1_000_000_000)
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return f"{moment:%Y%m%d-%H:%M:%S}.{ns // 1_000_000:03d}"


def parse_utc_timestamp(text: str) -> int:
    """UTCTimestamp with 0, 3, 6 or 9 fractional digits -> UTC nanoseconds."""
    whole, _, fraction = text.partition(".")
    try:
        moment = dt.datetime.strptime(whole, "%Y%m%d-%H:%M:%S").replace(tzinfo=dt.UTC)
    except ValueError:
        raise FixDecodeError(f"not a UTCTimestamp: {text!r}") from None
    if fraction and (not fraction.isdigit() or len(fraction) > 9):
        raise FixDecodeError(f"not a UTCTimestamp: {text!r}")
    nanos = int(fraction.ljust(9, "0")) if fraction else 0
    return int(moment.timestamp()) * 1_000_000_000 + nanos


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def _check_id(name: str, value: str) -> None:
    if not (0 < len(value) <= 64) or not value.isascii() or not value.isprintable():
        raise InvalidFixOrder(f"{name} must be 1 to 64 printable ASCII characters: {value!r}")


def _check_positive(name: str, value: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise InvalidFixOrder(f"{name} must be a positive finite Decimal, got {value!r}")


def _order_terms(
    order_type: str,
    limit_price: Decimal | None,
    time_in_force: str,
    expire_at: int | None,
) -> None:
    if order_type not in ORDER_TYPE_TO_FIX:
        raise InvalidFixOrder(f"order type must be MARKET or LIMIT, got {order_type!r}")
    if order_type == "LIMIT":
        if limit_price is None:
            raise InvalidFixOrder("a LIMIT order needs a limit price")
        _check_positive("limit price", limit_price)
    elif limit_price is not None:
        raise InvalidFixOrder("a MARKET order has no limit price")
    if time_in_force not in TIME_IN_FORCE_TO_FIX:
        raise InvalidFixOrder(f"time in force must be one of {sorted(TIME_IN_FORCE_TO_FIX)}")
    if (time_in_force == "GTD") != (expire_at is not None):
        raise InvalidFixOrder("expire_at is given exactly when the time in force is GTD")


def _price_fields(
    order_type: str, limit_price: Decimal | None, time_in_force: str, expire_at: int | None
) -> list[tuple[int, str]]:
    fields = [(40, ORDER_TYPE_TO_FIX[order_type])]
    if limit_price is not None:
        fields.append((44, _decimal_text(limit_price)))
    fields.append((59, TIME_IN_FORCE_TO_FIX[time_in_force]))
    if expire_at is not None:
        fields.append((126, format_utc_timestamp(expire_at)))
    return fields


# --- outbound -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewOrderSingle:
    """35=D. ``cl_ord_id`` is our order id; ``account`` goes in Account(1) when given."""

    cl_ord_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    transact_time: int
    limit_price: Decimal | None = None
    time_in_force: TimeInForce = "DAY"
    expire_at: int | None = None
    account: str | None = None

    MSG_TYPE = "D"

    def __post_init__(self) -> None:
        _check_id("ClOrdID", self.cl_ord_id)
        _check_id("Symbol", self.symbol)
        if self.side not in SIDE_TO_FIX:
            raise InvalidFixOrder(f"side must be BUY or SELL, got {self.side!r}")
        _check_positive("quantity", self.quantity)
        _order_terms(self.order_type, self.limit_price, self.time_in_force, self.expire_at)
        if self.account is not None:
            _check_id("Account", self.account)

    def to_fields(self) -> list[tuple[int, str]]:
        fields = [(11, self.cl_ord_id)]
        if self.account is not None:
            fields.append((1, self.account))
        fields += [
            (55, self.symbol),
            (54, SIDE_TO_FIX[self.side]),
            (60, format_utc_timestamp(self.transact_time)),
            (38, _decimal_text(self.quantity)),
        ]
        return fields + _price_fields(
            self.order_type, self.limit_price, self.time_in_force, self.expire_at
        )


@dataclass(frozen=True)
class OrderCancelRequest:
    """35=F: cancel what is left of ``orig_cl_ord_id``; ``quantity`` is the order's quantity."""

    cl_ord_id: str
    orig_cl_ord_id: str
    symbol: str
    side: Side
    quantity: Decimal
    transact_time: int

    MSG_TYPE = "F"

    def __post_init__(self) -> None:
        _check_id("ClOrdID", self.cl_ord_id)
        _check_id("OrigClOrdID", self.orig_cl_ord_id)
        _check_id("Symbol", self.symbol)
        if self.side not in SIDE_TO_FIX:
            raise InvalidFixOrder(f"side must be BUY or SELL, got {self.side!r}")
        _check_positive("quantity", self.quantity)
        if self.cl_ord_id == self.orig_cl_ord_id:
            raise InvalidFixOrder("a cancel needs a ClOrdID of its own")

    def to_fields(self) -> list[tuple[int, str]]:
        return [
            (41, self.orig_cl_ord_id),
            (11, self.cl_ord_id),
            (55, self.symbol),
            (54, SIDE_TO_FIX[self.side]),
            (60, format_utc_timestamp(self.transact_time)),
            (38, _decimal_text(self.quantity)),
        ]


@dataclass(frozen=True)
class OrderCancelReplaceRequest:
    """35=G: replace ``orig_cl_ord_id`` with new terms (quantity is the new total)."""

    cl_ord_id: str
    orig_cl_ord_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    transact_time: int
    limit_price: Decimal | None = None
    time_in_force: TimeInForce = "DAY"
    expire_at: int | None = None

    MSG_TYPE = "G"

    def __post_init__(self) -> None:
        _check_id("ClOrdID", self.cl_ord_id)
        _check_id("OrigClOrdID", self.orig_cl_ord_id)
        _check_id("Symbol", self.symbol)
        if self.side not in SIDE_TO_FIX:
            raise InvalidFixOrder(f"side must be BUY or SELL, got {self.side!r}")
        _check_positive("quantity", self.quantity)
        _order_terms(self.order_type, self.limit_price, self.time_in_force, self.expire_at)
        if self.cl_ord_id == self.orig_cl_ord_id:
            raise InvalidFixOrder("a replace needs a ClOrdID of its own")

    def to_fields(self) -> list[tuple[int, str]]:
        fields = [
            (41, self.orig_cl_ord_id),
            (11, self.cl_ord_id),
            (55, self.symbol),
            (54, SIDE_TO_FIX[self.side]),
            (60, format_utc_timestamp(self.transact_time)),
            (38, _decimal_text(self.quantity)),
        ]
        return fields + _price_fields(
            self.order_type, self.limit_price, self.time_in_force, self.expire_at
        )


# --- inbound --------------------------------------------------------------------------------


def _required(message: FixMessage, tag: int) -> str:
    value = message.get(tag)
    if value is None:
        raise FixDecodeError(f"{message.msg_type!r} message lacks required tag {tag}")
    return value


def _decimal(message: FixMessage, tag: int, *, required: bool = True) -> Decimal | None:
    text = _required(message, tag) if required else message.get(tag)
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise FixDecodeError(f"tag {tag} is not a number: {text!r}") from None
    if not value.is_finite():
        raise FixDecodeError(f"tag {tag} is not a finite number: {text!r}")
    return value


def _int(message: FixMessage, tag: int) -> int | None:
    text = message.get(tag)
    if text is None:
        return None
    if not text.isdigit():
        raise FixDecodeError(f"tag {tag} is not an integer: {text!r}")
    return int(text)


def _time(message: FixMessage, tag: int) -> int | None:
    text = message.get(tag)
    return None if text is None else parse_utc_timestamp(text)


@dataclass(frozen=True)
class ExecutionReport:
    """35=8, with what ``OrderAccepted``/``OrderFilled``/``OrderCancelled`` need: ExecID(17)
    identifies a fill (a replayed or duplicated report has the same one), LastQty(32) and
    LastPx(31) are this fill, CumQty(14)/LeavesQty(151)/AvgPx(6) the order's totals after it,
    Commission(12) when the broker sends one, TransactTime(60) as UTC ns."""

    order_id: str
    cl_ord_id: str | None
    orig_cl_ord_id: str | None
    exec_id: str
    exec_type: ExecType
    ord_status: OrdStatus
    symbol: str
    side: Side | None
    leaves_qty: Decimal
    cum_qty: Decimal
    avg_px: Decimal
    last_qty: Decimal | None
    last_px: Decimal | None
    order_qty: Decimal | None
    price: Decimal | None
    commission: Decimal | None
    transact_time: int | None
    ord_rej_reason: int | None
    text: str | None
    poss_dup: bool
    poss_resend: bool

    @property
    def is_fill(self) -> bool:
        """A trade: ExecType F with a positive LastQty (a partial fill or the last one)."""
        return self.exec_type is ExecType.TRADE and bool(self.last_qty)

    @classmethod
    def from_message(cls, message: FixMessage) -> ExecutionReport:
        try:
            exec_type = ExecType(_required(message, 150))
            ord_status = OrdStatus(_required(message, 39))
        except ValueError as error:
            raise FixDecodeError(f"ExecutionReport: {error}") from None
        side = message.get(54)
        return cls(
            order_id=_required(message, 37),
            cl_ord_id=message.get(11),
            orig_cl_ord_id=message.get(41),
            exec_id=_required(message, 17),
            exec_type=exec_type,
            ord_status=ord_status,
            symbol=message.get(55, "") or "",
            side=SIDE_FROM_FIX.get(side) if side else None,  # type: ignore[arg-type]
            leaves_qty=_decimal(message, 151),  # type: ignore[arg-type]
            cum_qty=_decimal(message, 14),  # type: ignore[arg-type]
            avg_px=_decimal(message, 6),  # type: ignore[arg-type]
            last_qty=_decimal(message, 32, required=False),
            last_px=_decimal(message, 31, required=False),
            order_qty=_decimal(message, 38, required=False),
            price=_decimal(message, 44, required=False),
            commission=_decimal(message, 12, required=False),
            transact_time=_time(message, 60),
            ord_rej_reason=_int(message, 103),
            text=message.get(58),
            poss_dup=message.get(43) == "Y",
            poss_resend=message.get(97) == "Y",
        )


@dataclass(frozen=True)
class OrderCancelReject:
    """35=9: the broker refused a cancel (CxlRejResponseTo(434)=1) or replace (=2)."""

    order_id: str
    cl_ord_id: str
    orig_cl_ord_id: str
    ord_status: str
    response_to: Literal["CANCEL", "REPLACE"]
    reason: int | None
    text: str | None

    @classmethod
    def from_message(cls, message: FixMessage) -> OrderCancelReject:
        response = _required(message, 434)
        if response not in ("1", "2"):
            raise FixDecodeError(f"CxlRejResponseTo(434) must be 1 or 2, got {response!r}")
        return cls(
            order_id=_required(message, 37),
            cl_ord_id=_required(message, 11),
            orig_cl_ord_id=_required(message, 41),
            ord_status=_required(message, 39),
            response_to="CANCEL" if response == "1" else "REPLACE",
            reason=_int(message, 102),
            text=message.get(58),
        )


@dataclass(frozen=True)
class BusinessMessageReject:
    """35=j: an application message the broker could not process (RefSeqNum(45) names it)."""

    ref_seq_num: int | None
    ref_msg_type: str
    business_reject_ref_id: str | None
    reason: int
    text: str | None

    @classmethod
    def from_message(cls, message: FixMessage) -> BusinessMessageReject:
        reason = _int(message, 380)
        if reason is None:
            raise FixDecodeError("BusinessMessageReject lacks BusinessRejectReason(380)")
        return cls(
            ref_seq_num=_int(message, 45),
            ref_msg_type=_required(message, 372),
            business_reject_ref_id=message.get(379),
            reason=reason,
            text=message.get(58),
        )


@dataclass(frozen=True)
class SessionReject:
    """35=3: the peer's session layer refused one of our messages (e.g. failed validation)."""

    ref_seq_num: int | None
    ref_tag: int | None
    ref_msg_type: str | None
    reason: int | None
    text: str | None

    @classmethod
    def from_message(cls, message: FixMessage) -> SessionReject:
        return cls(
            ref_seq_num=_int(message, 45),
            ref_tag=_int(message, 371),
            ref_msg_type=message.get(372),
            reason=_int(message, 373),
            text=message.get(58),
        )


InboundApplicationMessage = ExecutionReport | OrderCancelReject | BusinessMessageReject

PARSERS: dict[str, type[ExecutionReport] | type[OrderCancelReject] | type[BusinessMessageReject]]
PARSERS = {"8": ExecutionReport, "9": OrderCancelReject, "j": BusinessMessageReject}
