"""Portfolio (cash, fees, realised P&L per account) and positions (quantity, average price,
realised P&L per instrument), from the account ledger. Unrealised P&L and equity are derived
at query time from the instruments' last prices, so they are never stale."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from psycopg import Cursor

from bounded_contexts.execution.domain.events import AccountOpened, FillBooked
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
    tables = ("rm_portfolio", "rm_positions")

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
