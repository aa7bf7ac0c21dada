"""The trading account: cash and positions, booked fill by fill. Pre-trade controls read it."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

from bounded_contexts.execution.domain.errors import InvalidAccount
from bounded_contexts.execution.domain.events import (
    AccountConfigured,
    AccountOpened,
    FillBooked,
    FillBookingCorrected,
    Side,
)
from events.domain import Aggregate, DomainEvent

ACCOUNT_NAMESPACE = uuid.UUID("3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f60")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,63}$")
MAX_LISTED = 1_000


def _checked_names(field: str, names: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """A list of identifiers, sorted and without repeats (None: any)."""
    if names is None:
        return None
    if len(names) > MAX_LISTED:
        raise InvalidAccount(f"{field} lists {len(names)} names; at most {MAX_LISTED}", field=field)
    for name in names:
        if not _NAME.match(name):
            raise InvalidAccount(
                f"{field}: {name!r} is not an identifier (1-64 letters, digits or ._:@/-)",
                field=field,
            )
    return tuple(sorted(set(names)))


def _frozen(names: tuple[str, ...] | None) -> frozenset[str] | None:
    return None if names is None else frozenset(names)


def account_aggregate_id(account_id: str) -> uuid.UUID:
    return uuid.uuid5(ACCOUNT_NAMESPACE, account_id)


class Account(Aggregate):
    def _init_state(self) -> None:
        self.account_id = ""
        self.currency = ""
        self.cash = Decimal(0)
        self.positions: dict[str, Decimal] = {}
        self.owner: str | None = None
        self.allowed_instruments: frozenset[str] | None = None  # None: any
        self.allowed_strategies: frozenset[str] | None = None

    @classmethod
    def open(cls, account_id: str, currency: str, initial_cash: Decimal) -> Account:
        if initial_cash < 0:
            raise ValueError(f"initial cash must not be negative, got {initial_cash}")
        account = cls(account_aggregate_id(account_id))
        account._init_state()
        account._record(AccountOpened(account_id, currency, initial_cash))
        return account

    def configure(
        self,
        *,
        owner: str | None,
        allowed_instruments: tuple[str, ...] | None,
        allowed_strategies: tuple[str, ...] | None,
        reason: str,
    ) -> None:
        """Set who owns the account and what it may trade (replacing what was set)."""
        instruments = _checked_names("allowed_instruments", allowed_instruments)
        strategies = _checked_names("allowed_strategies", allowed_strategies)
        if owner is not None and not _NAME.match(owner):
            raise InvalidAccount(f"owner must be a subject name, got {owner!r}", field="owner")
        reason = reason.strip()
        if not reason:
            raise InvalidAccount("a reason is required (it is recorded)", field="reason")
        self._record(AccountConfigured(self.account_id, owner, instruments, strategies, reason))

    def book_fill(
        self,
        *,
        order_id: uuid.UUID,
        instrument_id: str,
        side: Side,
        quantity: Decimal,
        price: Decimal,
        fee: Decimal,
    ) -> None:
        signed = quantity if side == "BUY" else -quantity
        cash_after = self.cash - signed * price - fee
        position_after = self.positions.get(instrument_id, Decimal(0)) + signed
        self._record(
            FillBooked(
                self.account_id,
                order_id,
                instrument_id,
                side,
                quantity,
                price,
                fee,
                cash_after,
                position_after,
            )
        )

    def correct_fill_booking(
        self,
        *,
        order_id: uuid.UUID,
        fill_seq: int,
        instrument_id: str,
        side: Side,
        quantity: Decimal,
        previous_price: Decimal,
        previous_fee: Decimal,
        price: Decimal,
        fee: Decimal,
    ) -> None:
        """Re-book a corrected fill: the cash moves by the difference the correction makes
        (price times the signed quantity, and the fee); the position does not move."""
        signed = quantity if side == "BUY" else -quantity
        cash_after = self.cash - signed * (price - previous_price) - (fee - previous_fee)
        self._record(
            FillBookingCorrected(
                self.account_id,
                order_id,
                fill_seq,
                instrument_id,
                side,
                quantity,
                previous_price,
                previous_fee,
                price,
                fee,
                cash_after,
                self.position(instrument_id),
            )
        )

    def position(self, instrument_id: str) -> Decimal:
        return self.positions.get(instrument_id, Decimal(0))

    def apply(self, event: DomainEvent) -> None:
        match event:
            case AccountOpened():
                self.account_id, self.currency, self.cash = (
                    event.account_id,
                    event.currency,
                    event.initial_cash,
                )
            case AccountConfigured():
                self.owner = event.owner
                self.allowed_instruments = _frozen(event.allowed_instruments)
                self.allowed_strategies = _frozen(event.allowed_strategies)
            case FillBooked() | FillBookingCorrected():
                self.cash = event.cash_after
                self.positions[event.instrument_id] = event.position_after
            case _:
                super().apply(event)
