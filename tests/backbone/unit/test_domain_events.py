"""Domain events survive the trip to JSON and back, type for type; an aggregate replayed from
its events equals the live one."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.domain import Aggregate, DomainEvent, PendingEvent


@dataclass(frozen=True)
class EverythingHappened(DomainEvent):
    """A test event with one field of every payload type the platform uses."""

    CONTEXT = "testing"
    STREAM = "everything"

    name: str
    count: int
    ratio: float
    flag: bool
    amount: Decimal
    ref: UUID
    side: Literal["BUY", "SELL"]
    labels: tuple[str, ...]
    amounts: tuple[Decimal, ...]
    refs: tuple[UUID, ...]
    values: dict[str, float | None]
    prices: dict[str, Decimal]
    maybe_amount: Decimal | None
    maybe_ref: UUID | None
    maybe_count: int | None


def full(**changes: object) -> EverythingHappened:
    fields: dict[str, object] = {
        "name": "é – ünïcode",
        "count": 2**62,
        "ratio": 0.1,
        "flag": True,
        "amount": Decimal("-1234.567890123456789"),
        "ref": uuid.UUID("12345678-1234-4234-8234-123456789abc"),
        "side": "SELL",
        "labels": ("a", "b"),
        "amounts": (Decimal("0.01"), Decimal("100")),
        "refs": (uuid.UUID(int=1), uuid.UUID(int=2)),
        "values": {"rsi": 55.5, "macd": None},
        "prices": {"SAP": Decimal("210.00")},
        "maybe_amount": Decimal("0.000001"),
        "maybe_ref": uuid.UUID(int=3),
        "maybe_count": 0,
    }
    fields.update(changes)
    return EverythingHappened(**fields)  # type: ignore[arg-type]


def through_json(event: DomainEvent) -> DomainEvent:
    wire = json.loads(json.dumps(event.to_payload()))
    return type(event).from_payload(wire)


def test_an_event_round_trips_through_json_with_every_type_restored() -> None:
    event = full()
    back = through_json(event)
    assert back == event
    assert isinstance(back, EverythingHappened)
    assert isinstance(back.amount, Decimal) and isinstance(back.ref, UUID)
    assert isinstance(back.labels, tuple) and isinstance(back.amounts, tuple)
    assert all(isinstance(a, Decimal) for a in back.amounts)
    assert all(isinstance(r, UUID) for r in back.refs)
    assert isinstance(back.prices["SAP"], Decimal)
    assert back.values == {"rsi": 55.5, "macd": None}


def test_optional_fields_round_trip_as_none() -> None:
    event = full(maybe_amount=None, maybe_ref=None, maybe_count=None)
    assert through_json(event) == event


def test_the_payload_carries_decimals_and_uuids_as_strings_and_tuples_as_lists() -> None:
    payload = full().to_payload()
    assert payload["amount"] == "-1234.567890123456789"
    assert payload["ref"] == "12345678-1234-4234-8234-123456789abc"
    assert payload["amounts"] == ["0.01", "100"]
    assert payload["refs"] == [str(uuid.UUID(int=1)), str(uuid.UUID(int=2))]
    assert payload["prices"] == {"SAP": "210.00"}
    assert payload["maybe_amount"] == "0.000001"


def test_decimals_are_written_in_fixed_point_never_in_exponent_notation() -> None:
    payload = full(amount=Decimal("1E+3"), maybe_amount=Decimal("1E-9")).to_payload()
    assert (payload["amount"], payload["maybe_amount"]) == ("1000", "0.000000001")


def test_empty_tuples_and_dicts_round_trip() -> None:
    event = full(labels=(), amounts=(), refs=(), values={}, prices={})
    assert through_json(event) == event


@settings(max_examples=150, deadline=None)
@given(
    amount=st.decimals(allow_nan=False, allow_infinity=False),
    ratio=st.floats(allow_nan=False, allow_infinity=False),
    values=st.dictionaries(
        st.text(max_size=5), st.none() | st.floats(allow_nan=False, allow_infinity=False)
    ),
    maybe=st.none() | st.decimals(allow_nan=False, allow_infinity=False),
)
def test_any_finite_values_round_trip_exactly(
    amount: Decimal, ratio: float, values: dict[str, float | None], maybe: Decimal | None
) -> None:
    event = full(amount=amount, ratio=ratio, values=values, maybe_amount=maybe)
    back = through_json(event)
    assert back == event
    assert back.amount == amount and back.ratio == ratio


def test_the_event_type_is_the_class_name() -> None:
    assert EverythingHappened.event_type() == "EverythingHappened"


@dataclass(frozen=True)
class Deposited(DomainEvent):
    CONTEXT = "testing"
    STREAM = "wallets"

    amount: Decimal


@dataclass(frozen=True)
class Withdrawn(DomainEvent):
    CONTEXT = "testing"
    STREAM = "wallets"

    amount: Decimal


class Wallet(Aggregate):
    """A minimal aggregate: guards raise before anything is recorded."""

    def _init_state(self) -> None:
        self.balance = Decimal(0)
        self.movements = 0

    @classmethod
    def create(cls, wallet_id: UUID) -> Wallet:
        wallet = cls(wallet_id)
        wallet._init_state()
        return wallet

    def deposit(self, amount: Decimal) -> None:
        self._record(Deposited(amount))

    def withdraw(self, amount: Decimal) -> None:
        if amount > self.balance:
            raise ValueError(f"cannot withdraw {amount} from {self.balance}")
        self._record(Withdrawn(amount))

    def apply(self, event: DomainEvent) -> None:
        match event:
            case Deposited(amount=amount):
                self.balance += amount
            case Withdrawn(amount=amount):
                self.balance -= amount
            case _:
                super().apply(event)
        self.movements += 1


WALLET = uuid.UUID(int=42)


def test_recorded_events_are_pending_with_consecutive_versions_until_collected() -> None:
    wallet = Wallet.create(WALLET)
    wallet.deposit(Decimal(10))
    wallet.withdraw(Decimal(3))
    assert wallet.collect_pending() == [
        PendingEvent(WALLET, 1, Deposited(Decimal(10))),
        PendingEvent(WALLET, 2, Withdrawn(Decimal(3))),
    ]
    assert wallet.collect_pending() == []
    assert wallet.version == 2


def test_a_refused_command_records_nothing_and_changes_nothing() -> None:
    wallet = Wallet.create(WALLET)
    wallet.deposit(Decimal(1))
    with pytest.raises(ValueError, match="cannot withdraw 2 from 1"):
        wallet.withdraw(Decimal(2))
    assert [p.event for p in wallet.collect_pending()] == [Deposited(Decimal(1))]
    assert (wallet.balance, wallet.version) == (Decimal(1), 1)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=-50, max_value=100), max_size=20))
def test_replaying_the_history_equals_the_live_state(moves: list[int]) -> None:
    live = Wallet.create(WALLET)
    for move in moves:
        if move >= 0:
            live.deposit(Decimal(move))
        elif -move <= live.balance:
            live.withdraw(Decimal(-move))
    history = [through_json(p.event) for p in live.collect_pending()]
    replayed = Wallet.replay(WALLET, history)
    assert (replayed.id, replayed.version, replayed.balance, replayed.movements) == (
        live.id,
        live.version,
        live.balance,
        live.movements,
    )
    assert replayed.collect_pending() == []


def test_an_aggregate_refuses_an_event_it_does_not_know() -> None:
    with pytest.raises(TypeError, match="Wallet cannot apply EverythingHappened"):
        Wallet.replay(WALLET, [full()])
