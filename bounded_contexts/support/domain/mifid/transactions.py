"""RTS 22 transaction reports, built from what the execution context recorded when each
execution happened, and checked field by field before anything is written.

:func:`new_report` turns one execution (:class:`ExecutionFacts`, read from the log) and the
firm's reference data into a :class:`TransactionReport` holding every reported field already in
its reporting format, or into the list of :class:`~.fields.Problem` that keep it out of the
file — never both: a record with any problem is left out whole and reported with each field
number and reason. Nothing is reconstructed: a fact the execution did not record (an execution
written before ``OrderFilled`` v2) is a problem of its field, not a default.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from bounded_contexts.support.domain.mifid.fields import Problem
from bounded_contexts.support.domain.mifid.firm import ClientRecord, FirmConfig
from bounded_contexts.support.domain.mifid.formats import (
    TRANSACTION_REFERENCE_PATTERN,
    VENUE_TRANSACTION_ID_PATTERN,
    FormatError,
    check_algo_code,
    check_country,
    check_currency,
    check_date,
    check_isin,
    check_lei,
    check_mic,
    check_name,
    check_person_code,
    check_timestamp,
    decimal_text,
    utc_timestamp,
)

OFF_VENUE = ("XOFF", "XXXX")
QUANTITY_FORMAT = (18, 17)  # DECIMAL-18/17 (field 30, units)
PRICE_FORMAT = (18, 13)  # DECIMAL-18/13 (field 33, monetary value)
NOT_RECORDED = "not recorded when the execution happened (written before OrderFilled v2)"


@dataclass(frozen=True)
class InstrumentFacts:
    """An instrument's reference data as its latest ``InstrumentListed`` recorded it."""

    instrument_id: str
    isin: str
    mic: str
    currency: str
    name: str


@dataclass(frozen=True)
class Decider:
    """``ALGO`` with its registered code, or ``PERSON`` with the authenticated subject."""

    kind: str
    id: str


@dataclass(frozen=True)
class ExecutionFacts:
    """One execution as the log holds it: the fill, its order, and its instrument."""

    transaction_reference: str
    order_id: UUID
    fill_seq: int
    account_id: str
    instrument_id: str
    side: str
    quantity: Decimal
    price: Decimal
    ts_executed: int
    trading_capacity: str | None
    short_selling: str | None
    venue: str | None
    venue_transaction_id: str | None
    investment_decision: Decider | None
    execution_decision: Decider | None
    instrument: InstrumentFacts | None
    written_version: int = 2


@dataclass(frozen=True)
class PartyId:
    """A buyer, a seller or a decision maker: ``LEI``, ``MIC`` or ``PERSON`` (with names,
    birth date, national identifier and its scheme)."""

    kind: str
    id: str
    scheme: str | None = None
    first_names: str | None = None
    surnames: str | None = None
    birth_date: str | None = None


@dataclass(frozen=True)
class Side:
    """Buyer (fields 7-15) or seller (16-24): the account owner, the country of the branch
    that received a client's order, and the decision maker acting for the owner, if any."""

    owner: PartyId
    country_of_branch: str | None = None
    decision_maker: PartyId | None = None


@dataclass(frozen=True)
class WithinFirm:
    """Fields 57/58 or 59/60: an algorithm code, or a person with the country of the branch
    responsible for them (``CLIENT``: ``NORE``, the client executed)."""

    kind: str
    id: str
    scheme: str | None = None
    country_of_branch: str | None = None


@dataclass(frozen=True)
class TransactionReport:
    """A ``New`` report: every field QuantVista reports, in its reporting format."""

    transaction_reference: str  # 2
    venue_transaction_id: str | None  # 3
    executing_entity: str  # 4
    investment_firm: bool  # 5
    submitting_entity: str  # 6
    buyer: Side  # 7-15
    seller: Side  # 16-24
    transmission: bool  # 25
    trading_datetime: str  # 28
    trading_capacity: str  # 29
    quantity: str  # 30 (units)
    price: str  # 33
    price_currency: str  # 34
    venue: str  # 36
    branch_membership_country: str | None  # 37
    isin: str  # 41
    investment_decision: WithinFirm | None  # 57, 58
    execution: WithinFirm  # 59, 60
    short_selling: str | None  # 62
    securities_financing: bool  # 65
    order_id: UUID
    fill_seq: int


@dataclass(frozen=True)
class CancellationReport:
    """A ``Cxl`` report: the reference of a report sent earlier and the two entities."""

    transaction_reference: str
    executing_entity: str
    submitting_entity: str
    reason: str


@dataclass(frozen=True)
class LeftOut:
    """A record that failed validation and was not written, with every problem found."""

    transaction_reference: str
    status: str  # NEWT | CANC
    problems: tuple[Problem, ...]


def new_report(
    facts: ExecutionFacts, firm: FirmConfig
) -> tuple[TransactionReport | None, list[Problem]]:
    """The ``New`` report of one execution, or ``None`` and every problem found."""
    check = _Checker()
    check.pattern(2, facts.transaction_reference, TRANSACTION_REFERENCE_PATTERN, "[A-Z0-9]{1,52}")
    check.reason(4, check_lei(firm.lei))
    check.reason(6, check_lei(firm.submitting_lei))
    if facts.side not in ("BUY", "SELL"):
        check.problem(7, f"the order {facts.order_id} of this execution is not in the log")
        return None, check.problems
    capacity = facts.trading_capacity
    if capacity is None:
        check.problem(29, NOT_RECORDED)
    venue = facts.venue
    if venue is None:
        check.problem(36, NOT_RECORDED)
    elif venue not in OFF_VENUE:
        check.reason(36, check_mic(venue))
    venue_trade = facts.venue_transaction_id
    if venue is not None and venue not in OFF_VENUE:
        if venue_trade is None:
            check.problem(3, "a trade on a venue needs the venue's transaction id: " + NOT_RECORDED)
        else:
            check.pattern(3, venue_trade, VENUE_TRANSACTION_ID_PATTERN, "[A-Za-z0-9]{1,52}")
    trading_datetime = utc_timestamp(facts.ts_executed)
    check.reason(28, check_timestamp(trading_datetime))
    quantity = check.decimal(30, facts.quantity, QUANTITY_FORMAT)
    price = check.decimal(33, facts.price, PRICE_FORMAT)
    instrument = facts.instrument
    if instrument is None:
        check.problem(41, f"instrument {facts.instrument_id!r} has no listing in the log")
    else:
        check.reason(41, check_isin(instrument.isin))
        check.reason(34, check_currency(instrument.currency))
    client = firm.client_of(facts.account_id)
    ours = _our_side(check, facts, firm, client, capacity)
    theirs = _counterparty(check, facts, firm, venue)
    if ours is None and capacity is not None:
        check.problem(
            7 if facts.side == "BUY" else 16, f"no client record for account {facts.account_id!r}"
        )
    decided_in_firm = capacity == "DEAL" or (client is not None and client.discretionary)
    decision = (
        _within_firm(check, 57, 58, facts.investment_decision, firm) if decided_in_firm else None
    )
    execution = _within_firm(check, 59, 60, facts.execution_decision, firm)
    short = None
    if facts.side == "SELL":
        short = facts.short_selling or "UNDI"  # UNDI: the information is not available
        if short not in ("SESH", "SSEX", "SELL", "UNDI"):
            check.problem(62, f"{short!r} is not SESH, SSEX, SELL or UNDI")
    membership = None
    if venue is not None and venue not in OFF_VENUE and firm.branch_membership_country:
        membership = firm.branch_membership_country
        check.reason(37, check_country(membership))
    if check.problems:
        return None, check.problems
    assert ours is not None and theirs is not None and instrument is not None
    assert capacity is not None and venue is not None and execution is not None
    assert quantity is not None and price is not None
    buyer, seller = (ours, theirs) if facts.side == "BUY" else (theirs, ours)
    return (
        TransactionReport(
            transaction_reference=facts.transaction_reference,
            venue_transaction_id=venue_trade if venue not in OFF_VENUE else None,
            executing_entity=firm.lei,
            investment_firm=firm.investment_firm,
            submitting_entity=firm.submitting_lei,
            buyer=buyer,
            seller=seller,
            transmission=False,
            trading_datetime=trading_datetime,
            trading_capacity=capacity,
            quantity=quantity,
            price=price,
            price_currency=instrument.currency,
            venue=venue,
            branch_membership_country=membership,
            isin=instrument.isin,
            investment_decision=decision,
            execution=execution,
            short_selling=short,
            securities_financing=False,
            order_id=facts.order_id,
            fill_seq=facts.fill_seq,
        ),
        [],
    )


def cancellation_report(
    transaction_reference: str, reason: str, firm: FirmConfig
) -> tuple[CancellationReport | None, list[Problem]]:
    check = _Checker()
    check.pattern(2, transaction_reference, TRANSACTION_REFERENCE_PATTERN, "[A-Z0-9]{1,52}")
    check.reason(4, check_lei(firm.lei))
    check.reason(6, check_lei(firm.submitting_lei))
    if check.problems:
        return None, check.problems
    report = CancellationReport(transaction_reference, firm.lei, firm.submitting_lei, reason)
    return report, []


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, field: int, reason: str) -> None:
        self.problems.append(Problem(field, reason))

    def reason(self, field: int, reason: str | None) -> bool:
        if reason is not None:
            self.problem(field, reason)
        return reason is None

    def pattern(self, field: int, value: str, pattern: object, shown: str) -> None:
        if not pattern.match(value):  # type: ignore[attr-defined]
            self.problem(field, f"{value!r} does not match {shown}")

    def decimal(self, field: int, value: Decimal, fmt: tuple[int, int]) -> str | None:
        try:
            return decimal_text(value, *fmt)
        except FormatError as error:
            self.problem(field, f"{error} (DECIMAL-{fmt[0]}/{fmt[1]})")
            return None


def _our_side(
    check: _Checker,
    facts: ExecutionFacts,
    firm: FirmConfig,
    client: ClientRecord | None,
    capacity: str | None,
) -> Side | None:
    """The firm itself when it deals on own account; otherwise the client it traded for."""
    owner_field = 7 if facts.side == "BUY" else 16
    if capacity is None or capacity == "DEAL":
        return Side(PartyId("LEI", firm.lei))
    if client is None:
        return None
    branch = client.country_of_branch or firm.branch_country
    check.reason(owner_field + 1, check_country(branch))
    maker = PartyId("LEI", firm.lei) if client.discretionary else None
    if client.kind == "LEGAL":
        check.reason(owner_field, check_lei(client.lei))
        return Side(PartyId("LEI", client.lei or ""), branch, maker)
    check.reason(owner_field, check_person_code(client.national_id, client.scheme))
    check.reason(owner_field + 2, check_name(client.first_names))
    check.reason(owner_field + 3, check_name(client.surnames))
    check.reason(owner_field + 4, check_date(client.birth_date))
    person = PartyId(
        "PERSON",
        client.national_id or "",
        client.scheme,
        client.first_names,
        client.surnames,
        client.birth_date,
    )
    return Side(person, branch, maker)


def _counterparty(
    check: _Checker, facts: ExecutionFacts, firm: FirmConfig, venue: str | None
) -> Side | None:
    """The other side of a venue trade: the venue's CCP by LEI, else the venue by MIC."""
    field = 16 if facts.side == "BUY" else 7
    if venue is None:
        return None
    if venue in OFF_VENUE:
        check.problem(field, f"the counterparty of an execution off venue ({venue}) is unknown")
        return None
    record = firm.venues.get(venue)
    if record is not None and record.ccp_lei:
        check.reason(field, check_lei(record.ccp_lei))
        return Side(PartyId("LEI", record.ccp_lei))
    return Side(PartyId("MIC", venue))


def _within_firm(
    check: _Checker,
    field: int,
    country_field: int,
    decider: Decider | None,
    firm: FirmConfig,
) -> WithinFirm | None:
    if decider is None:
        check.problem(field, NOT_RECORDED)
        return None
    if decider.kind == "ALGO":
        check.reason(field, check_algo_code(decider.id))
        return WithinFirm("ALGO", decider.id)
    person = firm.persons.get(decider.id)
    if person is None:
        check.problem(field, f"no national identifier configured for person {decider.id!r}")
        return None
    check.reason(field, check_person_code(person.national_id, person.scheme))
    check.reason(country_field, check_country(person.country_of_branch))
    return WithinFirm("PERSON", person.national_id, person.scheme, person.country_of_branch)
