"""Portfolio (cash, fees, realised P&L per account) and positions (quantity, average price,
realised P&L per instrument), from the account ledger. Unrealised P&L and equity are derived
at query time from the instruments' last prices, so they are never stale."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from psycopg import Cursor

from bounded_contexts.execution.domain.events import (
    AccountOpened,
    FillBooked,
    FillBookingCorrected,
)
from events.envelope import EventEnvelope
from projections.base import Projection

ZERO = Decimal(0)
RELEASE_SCALE = Decimal("1e-12")


def fold_position(
    quantity: Decimal, cost: Decimal, signed_fill: Decimal, price: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """Position after a fill: (quantity, signed cost basis, P&L realised by this fill).

    The cost basis is the signed sum of ``quantity x price`` of the open position. Adding to
    a position adds to it; reducing releases its share of it (all of it when the position is
    closed, so a flat-to-flat episode realises exactly sells minus buys, with no rounding
    residue); crossing through zero opens the rest at the fill price."""
    new_quantity = quantity + signed_fill
    if quantity == 0 or (quantity > 0) == (signed_fill > 0):
        return new_quantity, cost + signed_fill * price, ZERO
    closed = min(abs(quantity), abs(signed_fill))
    direction = Decimal(1) if quantity > 0 else Decimal(-1)
    if closed == abs(quantity):
        released = cost
    else:
        # A fixed scale keeps every later sum and difference within Decimal's 28 digits, so
        # nothing is rounded away between this partial release and the final close.
        released = (cost * closed / abs(quantity)).quantize(RELEASE_SCALE)
    realised = direction * closed * price - released
    if new_quantity == 0:
        return ZERO, ZERO, realised
    if (new_quantity > 0) == (quantity > 0):
        return new_quantity, cost - released, realised
    return new_quantity, new_quantity * price, realised


def average_price(quantity: Decimal, cost: Decimal) -> Decimal:
    """The displayed average entry price (the exact figure is the cost basis)."""
    return ZERO if quantity == 0 else abs(cost / quantity).quantize(Decimal("0.000001"))


class PortfolioProjection(Projection):
    name = "projection.portfolio"
    upstreams = ("execution",)
    tables = ("rm_portfolio", "rm_positions", "rm_position_fills")

    def fold(self, events: Sequence[EventEnvelope], cur: Cursor) -> None:  # type: ignore[type-arg]
        for envelope in events:
            e = envelope.event
            if isinstance(e, AccountOpened):
                cur.execute(
                    "INSERT INTO rm_portfolio (account_id, base_currency, initial_cash, cash, "
                    "fees_paid, realised_pnl, updated_seq) VALUES (%s, %s, %s, %s, 0, 0, %s) "
                    "ON CONFLICT DO NOTHING",
                    (e.account_id, e.currency, e.initial_cash, e.initial_cash, envelope.position),
                )
            elif isinstance(e, FillBooked):
                self._book(e, envelope.position, cur)
            elif isinstance(e, FillBookingCorrected):
                self._correct(e, envelope.position, cur)

    def _book(self, e: FillBooked, seq: int, cur: Cursor) -> None:  # type: ignore[type-arg]
        cur.execute(
            "SELECT quantity, cost_basis, realised_pnl FROM rm_positions "
            "WHERE account_id = %s AND instrument_id = %s",
            (e.account_id, e.instrument_id),
        )
        row = cur.fetchone()
        if row:
            quantity, cost, realised = row["quantity"], row["cost_basis"], row["realised_pnl"]
        else:
            quantity, cost, realised = ZERO, ZERO, ZERO
        signed = e.quantity if e.side == "BUY" else -e.quantity
        quantity, cost, gained = fold_position(quantity, cost, signed, e.price)
        cur.execute(
            "INSERT INTO rm_position_fills (account_id, instrument_id, order_id, fill_seq, "
            "signed_quantity, price, seq) SELECT %s, %s, %s, count(*) + 1, %s, %s, %s "
            "FROM rm_position_fills WHERE order_id = %s",
            (e.account_id, e.instrument_id, e.order_id, signed, e.price, seq, e.order_id),
        )
        cur.execute(
            "INSERT INTO rm_positions (account_id, instrument_id, quantity, average_price, "
            "cost_basis, realised_pnl, updated_seq) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (account_id, instrument_id) DO UPDATE SET "
            "quantity = EXCLUDED.quantity, average_price = EXCLUDED.average_price, "
            "cost_basis = EXCLUDED.cost_basis, realised_pnl = EXCLUDED.realised_pnl, "
            "updated_seq = EXCLUDED.updated_seq",
            (
                e.account_id,
                e.instrument_id,
                quantity,
                average_price(quantity, cost),
                cost,
                realised + gained,
                seq,
            ),
        )
        cur.execute(
            "UPDATE rm_portfolio SET cash = %s, fees_paid = fees_paid + %s, "
            "realised_pnl = realised_pnl + %s, updated_seq = %s WHERE account_id = %s",
            (e.cash_after, e.fee, gained, seq, e.account_id),
        )

    def _correct(self, e: FillBookingCorrected, seq: int, cur: Cursor) -> None:  # type: ignore[type-arg]
        """A past fill's price changed: re-fold the instrument's position from its fills (the
        cost basis and the P&L realised since depend on it), and book the cash and fee."""
        cur.execute(
            "UPDATE rm_position_fills SET price = %s WHERE order_id = %s AND fill_seq = %s",
            (e.price, e.order_id, e.fill_seq),
        )
        cur.execute(
            "SELECT signed_quantity, price FROM rm_position_fills "
            "WHERE account_id = %s AND instrument_id = %s ORDER BY seq",
            (e.account_id, e.instrument_id),
        )
        quantity, cost, realised = ZERO, ZERO, ZERO
        for fill in cur.fetchall():
            quantity, cost, gained = fold_position(
                quantity, cost, fill["signed_quantity"], fill["price"]
            )
            realised += gained
        cur.execute(
            "SELECT realised_pnl FROM rm_positions WHERE account_id = %s AND instrument_id = %s",
            (e.account_id, e.instrument_id),
        )
        before = cur.fetchone()
        realised_before = before["realised_pnl"] if before else ZERO
        cur.execute(
            "UPDATE rm_positions SET average_price = %s, cost_basis = %s, realised_pnl = %s, "
            "updated_seq = %s WHERE account_id = %s AND instrument_id = %s",
            (average_price(quantity, cost), cost, realised, seq, e.account_id, e.instrument_id),
        )
        cur.execute(
            "UPDATE rm_portfolio SET cash = %s, fees_paid = fees_paid + %s, "
            "realised_pnl = realised_pnl + %s, updated_seq = %s WHERE account_id = %s",
            (e.cash_after, e.fee - e.previous_fee, realised - realised_before, seq, e.account_id),
        )
