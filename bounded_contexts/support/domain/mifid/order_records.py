"""Order records (Reg. 2017/565 Art. 74-75 and Annex IV; RTS 24 event codes): one row per
order event, with the order's Annex IV fields and the ISO 20022 code of the event.

Event codes follow from the recorded event, never from a guess:

=================  ======================================================================
``NEWO``           ``OrderSubmitted`` (new order), or — for a one-triggers-other child, which
                   is recorded held and goes to the venue only when its parent is filled —
                   its ``OrderActivated``: an order is new when it is sent
(none)             a held child's ``OrderSubmitted``, and its ``OrderCancelled`` while still
                   held (reason ``never sent: …``): nothing was at the venue
``REMO``           ``OrderRejected`` (refused by the pre-trade controls)
``PARF`` / ``FILL`` ``OrderFilled`` with quantity still open / none left
``TRIG``           ``OrderTriggered`` (a stop, stop-limit, MIT, LIT or trailing stop went live)
``EXPI``           ``OrderCancelled`` by the venue because the order's validity ran out (actor
                   ``venue:…``, reason ``expired …``): DAY and GTD at their expiry, the rest
                   of an IOC order after its bar, an FOK order its bar could not fill whole
``CAME``           any other ``OrderCancelled`` (by a person, by the firm's lifecycle, or a
                   reduce-only order the venue cancels because its position is gone)
(none)             ``OrderAccepted``: the venue's acknowledgement has no ISO 20022 code; the
                   row is kept (its time is the RTS 25 acknowledgement) with an empty code
(none)             ``OrderFillCorrected``: a correction of a fill's price or fee has no code
                   either; its row carries the corrected price, the fill's transaction
                   reference and the reason, beside the fill's own row
(none)             ``OrderTrailingStopMoved``: the trigger of a trailing stop followed the
                   market; the order's terms did not change (no CHME), its row carries the
                   stop price where it now stands
=================  ======================================================================

``CHMO`` and ``CAMO`` never occur: there is no operator path. An OCO member the platform
cancels because another executed is CAME (its reason names that member). A post-only order
the venue refuses on arrival is REMO, like a pre-trade refusal.

Terms (RTS 24 Annex, Table 2; the codes are marked *verify* in docs/mifid.md): ``validity`` is
the validity period code — ``DAVY`` (good for day), ``GTCV``, ``GTSV`` (good till a specified
date and time: our GTD carries an instant, not a date), ``IOCV``, ``FOKV``;
``order_type_classification`` is ``LMTO`` for a limit order, ``STOP`` for any conditional
order (stop, stop-limit, MIT, LIT, trailing stop), empty for a market order;
``order_type`` keeps the platform's own name of the type (the venue-specific type).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from bounded_contexts.support.domain.mifid.firm import FirmConfig
from bounded_contexts.support.domain.mifid.formats import utc_timestamp
from bounded_contexts.support.domain.mifid.transactions import InstrumentFacts

ORDER_EVENT_TYPES = (
    "OrderSubmitted",
    "OrderAccepted",
    "OrderRejected",
    "OrderFilled",
    "OrderCancelled",
    "OrderFillCorrected",
    "OrderTriggered",
    "OrderTrailingStopMoved",
    "OrderAmended",
    "OrderAmendRejected",
    "OrderActivated",
)
VALIDITY_CODES = {"DAY": "DAVY", "GTC": "GTCV", "GTD": "GTSV", "IOC": "IOCV", "FOK": "FOKV"}
_CONDITIONAL = {"STOP", "STOP_LIMIT", "MARKET_IF_TOUCHED", "LIMIT_IF_TOUCHED", "TRAILING_STOP"}


def event_code(event_type: str, payload: dict[str, Any], actor: str) -> str | None:
    """The ISO 20022 order event code of one recorded order event (None: no code)."""
    if event_type == "OrderSubmitted":
        return None if payload.get("parent_order_id") else "NEWO"  # held: not sent yet
    if event_type == "OrderActivated":
        return "NEWO"
    if event_type == "OrderRejected":
        return "REMO"
    if event_type == "OrderTriggered":
        return "TRIG"
    if event_type == "OrderAmended":
        return "CHME"
    if event_type == "OrderFilled":
        return "FILL" if Decimal(str(payload["remaining_quantity"])) == 0 else "PARF"
    if event_type == "OrderCancelled":
        if str(payload.get("reason", "")).startswith("never sent"):
            return None  # a held child cancelled: it never reached the venue
        expired = actor.startswith("venue:") and str(payload.get("reason", "")).startswith(
            "expired"
        )
        return "EXPI" if expired else "CAME"
    return None


@dataclass(frozen=True)
class OrderEvent:
    """One order event as the log holds it, with its order's ``OrderSubmitted`` payload."""

    position: int
    event_type: str
    written_version: int
    ts_event: int
    ts_recorded: int
    actor: str
    payload: dict[str, Any]
    order: dict[str, Any]
    order_actor: str


@dataclass(frozen=True)
class OrderRecord:
    """One row of the order record. Decimals and times are text in their exact form; an
    empty value (``None``) is a field that does not apply or was not recorded."""

    record_position: int
    event_code: str | None
    event_type: str
    written_version: int
    event_time: str
    recorded_time: str
    order_id: str
    venue_order_id: str
    account_id: str
    client_id: str | None
    trading_capacity: str | None
    decision_maker_kind: str | None
    decision_maker_id: str | None
    decision_maker_code: str | None
    executor_kind: str | None
    executor_id: str | None
    executor_code: str | None
    trader_id: str
    algo_name: str | None
    side: str
    instrument_id: str
    isin: str | None
    segment_mic: str | None
    price_currency: str | None
    price_notation: str
    price_multiplier: str
    order_type: str
    order_type_classification: str | None
    limit_price: str | None
    stop_price: str | None
    passive_only: str
    """RTS 24 passive-only indicator, ``true``/``false``: a post-only order."""
    reduce_only: str
    """``true``/``false``; no RTS 24 field of its own (an "other instruction")."""
    initial_quantity: str
    traded_quantity: str | None
    traded_price: str | None
    cumulative_quantity: str | None
    remaining_quantity: str | None
    displayed_quantity: str | None
    validity: str
    validity_expiry: str | None
    transaction_reference: str | None
    venue_transaction_id: str | None
    short_selling: str | None
    reason: str | None
    decision_time: str | None
    submission_time: str | None
    acknowledgement_time: str | None
    execution_time: str | None
    receipt_time: str | None


ORDER_RECORD_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(OrderRecord))


def order_record(
    event: OrderEvent,
    instrument: InstrumentFacts | None,
    firm: FirmConfig | None,
    algorithms: dict[str, str],
) -> OrderRecord:
    """The row of one order event. ``algorithms``: registered code -> algorithm name."""
    p, o = event.payload, event.order
    remaining = _remaining(event)
    decision, executor = o.get("investment_decision"), o.get("execution_decision")
    filled = event.event_type == "OrderFilled"
    priced = filled or event.event_type == "OrderFillCorrected"
    return OrderRecord(
        record_position=event.position,
        event_code=event_code(event.event_type, p, event.actor),
        event_type=event.event_type,
        written_version=event.written_version,
        event_time=utc_timestamp(event.ts_event),
        recorded_time=utc_timestamp(event.ts_recorded),
        order_id=str(o["order_id"]),
        venue_order_id=str(o["order_id"]),  # the simulated venue keeps the firm's order id
        account_id=o["account_id"],
        client_id=_client_id(o["account_id"], o.get("trading_capacity"), firm),
        trading_capacity=o.get("trading_capacity"),
        decision_maker_kind=decision and decision["kind"],
        decision_maker_id=decision and decision["id"],
        decision_maker_code=_code(decision, firm),
        executor_kind=executor and executor["kind"],
        executor_id=executor and executor["id"],
        executor_code=_code(executor, firm),
        trader_id=event.order_actor,
        algo_name=o.get("algo_id") or (executor and algorithms.get(executor["id"])),
        side=o["side"],
        instrument_id=o["instrument_id"],
        isin=instrument.isin if instrument else None,
        segment_mic=o.get("venue") or (instrument.mic if instrument else None),
        price_currency=instrument.currency if instrument else None,
        price_notation="MONE",
        price_multiplier="1",
        order_type=o["order_type"],
        order_type_classification=_classification(o["order_type"]),
        limit_price=o.get("limit_price"),
        stop_price=p.get("trigger_price") or o.get("stop_price"),
        passive_only=_indicator(o.get("post_only")),
        reduce_only=_indicator(o.get("reduce_only")),
        initial_quantity=o["quantity"],
        traded_quantity=p["quantity"] if filled else None,
        traded_price=p["price"] if priced else None,
        cumulative_quantity=p.get("filled_quantity") if filled else None,
        remaining_quantity=remaining,
        displayed_quantity=remaining,  # no iceberg orders: everything open is displayed
        validity=VALIDITY_CODES.get(o["time_in_force"], o["time_in_force"]),
        validity_expiry=utc_timestamp(o["expire_at"]) if o.get("expire_at") else None,
        transaction_reference=p.get("transaction_reference") if priced else None,
        venue_transaction_id=p.get("venue_transaction_id") if filled else None,
        short_selling=p.get("short_selling") if filled else None,
        reason=p.get("reason"),
        decision_time=_time(o.get("ts_decision")),
        submission_time=_time(o.get("ts_submitted")),
        acknowledgement_time=_time(p.get("ts_acknowledged")),
        execution_time=_time(p.get("ts_executed")),
        receipt_time=_time(p.get("ts_received")),
    )


def _indicator(flag: object) -> str:
    return "true" if flag else "false"


def _classification(order_type: str) -> str | None:
    if order_type in _CONDITIONAL:
        return "STOP"
    return "LMTO" if order_type == "LIMIT" else None


def _remaining(event: OrderEvent) -> str | None:
    p = event.payload
    if "remaining_quantity" in p:
        return str(p["remaining_quantity"])
    if event.event_type == "OrderActivated":
        return str(p["quantity"])  # what the child was sent for
    if event.event_type in ("OrderSubmitted", "OrderAccepted"):
        return str(event.order["quantity"])  # nothing traded before the first fill
    if event.event_type == "OrderRejected":
        return "0"
    return None


def _client_id(account_id: str, capacity: str | None, firm: FirmConfig | None) -> str | None:
    """The client's LEI or national identifier; the firm's LEI when it deals on own account."""
    if firm is None:
        return None
    account = firm.accounts.get(account_id)
    if (account is not None and account.trading_capacity == "DEAL") or capacity == "DEAL":
        return firm.lei
    client = firm.client_of(account_id)
    if client is None:
        return None
    return client.lei if client.kind == "LEGAL" else client.national_id


def _code(decider: dict[str, Any] | None, firm: FirmConfig | None) -> str | None:
    """The regulatory code of a decider: an algorithm's own code, a person's national id."""
    if decider is None:
        return None
    if decider["kind"] == "ALGO":
        return str(decider["id"])
    person = firm.persons.get(decider["id"]) if firm is not None else None
    return person.national_id if person is not None else None


def _time(ts_ns: int | None) -> str | None:
    return None if ts_ns is None else utc_timestamp(ts_ns)
