"""The trading account: cash and positions, booked fill by fill. Pre-trade controls read it."""

from __future__ import annotations

import uuid
from decimal import Decimal

from bounded_contexts.execution.domain.events import (
    AccountOpened,
    FillBooked,
    FillBookingCorrected,
    Side,
)
from events.domain import Aggregate, DomainEvent

ACCOUNT_NAMESPACE = uuid.UUID("3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f60")


def account_aggregate_id(account_id: str) -> uuid.UUID:
    return uuid.uuid5(ACCOUNT_NAMESPACE, account_id)


class Account(Aggregate):
    def _init_state(self) -> None:
        self.account_id = ""
        self.currency = ""
        self.cash = Decimal(0)
        self.positions: dict[str, Decimal] = {}

    @classmethod
    def open(cls, account_id: str, currency: str, initial_cash: Decimal) -> Account:
        if initial_cash < 0:
            raise ValueError(f"initial cash must not be negative, got {initial_cash}")
        account = cls(account_aggregate_id(account_id))
        account._init_state()
        account._record(AccountOpened(account_id, currency, initial_cash))
        return account

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
            case FillBooked() | FillBookingCorrected():
                self.cash = event.cash_after
                self.positions[event.instrument_id] = event.position_after
            case _:
                super().apply(event)
