"""Round-trip trades and the statistics of their realised P&L.

A round trip is one position opened and closed. ``pnl`` is the *gross* price P&L as the
ledger booked it (for a contract multiplier ``m``: ``side * quantity * m * (exit - entry)``,
which is why it is not recomputed here); ``fees`` are all costs, and every statistic uses
the net result ``pnl - fees``. Money stays ``Decimal`` end to end: sums of P&L are exact.

A trade whose net P&L is exactly zero is neither a win nor a loss, but it is a trade: it
counts in the win-rate denominator and in the expectancy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .errors import InvalidTrade


class Side(StrEnum):
    """Direction of a round trip."""

    LONG = "long"
    SHORT = "short"


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """One opened-and-closed position.

    Attributes:
        ts_entry, ts_exit: UTC nanoseconds of the opening and closing fills
            (``ts_exit >= ts_entry``).
        side: ``Side.LONG`` or ``Side.SHORT``.
        quantity: unsigned size (> 0).
        entry_price, exit_price: average fill prices (> 0).
        pnl: gross realised P&L in account currency (sign: profit > 0).
        fees: commissions, fees and other costs (>= 0).
    """

    ts_entry: int
    ts_exit: int
    side: Side
    quantity: Decimal
    entry_price: Decimal
    exit_price: Decimal
    pnl: Decimal
    fees: Decimal

    def __post_init__(self) -> None:
        for name in ("ts_entry", "ts_exit"):
            stamp = getattr(self, name)
            if isinstance(stamp, bool) or not isinstance(stamp, int):
                raise InvalidTrade(
                    f"RoundTrip.{name} must be integer UTC nanoseconds, got {stamp!r}"
                )
        if self.ts_exit < self.ts_entry:
            raise InvalidTrade(
                f"RoundTrip.ts_exit ({self.ts_exit}) is before ts_entry ({self.ts_entry})"
            )
        try:
            object.__setattr__(self, "side", Side(self.side))
        except ValueError:
            raise InvalidTrade(
                f"RoundTrip.side must be 'long' or 'short', got {self.side!r}"
            ) from None
        for name in ("quantity", "entry_price", "exit_price", "pnl", "fees"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Decimal | int):
                raise InvalidTrade(
                    f"RoundTrip.{name} must be a decimal.Decimal, got "
                    f"{type(value).__name__} {value!r}"
                )
            amount = Decimal(value)
            if not amount.is_finite():
                raise InvalidTrade(f"RoundTrip.{name} must be finite, got {amount}")
            object.__setattr__(self, name, amount)
        for name in ("quantity", "entry_price", "exit_price"):
            if getattr(self, name) <= 0:
                raise InvalidTrade(f"RoundTrip.{name} must be > 0, got {getattr(self, name)}")
        if self.fees < 0:
            raise InvalidTrade(f"RoundTrip.fees must be >= 0, got {self.fees}")

    @property
    def net_pnl(self) -> Decimal:
        """Realised P&L after costs, ``pnl - fees``."""
        return self.pnl - self.fees

    @property
    def traded_notional(self) -> Decimal:
        """Notional of both legs, ``quantity * (entry_price + exit_price)``."""
        return self.quantity * (self.entry_price + self.exit_price)


@dataclass(frozen=True, slots=True)
class TradeStatistics:
    """Win/loss statistics of net P&L over round trips.

    Attributes:
        trade_count, win_count, loss_count: trades in total, with net P&L > 0, with < 0.
        win_rate: ``win_count / trade_count`` in ``[0, 1]``; ``None`` without trades.
        gross_profit: sum of winning net P&L (>= 0). gross_loss: minus the sum of losing
            net P&L (>= 0). net_profit: sum of all net P&L.
        profit_factor: ``gross_profit / gross_loss``; ``float('inf')`` when there are wins
            and no losses (the ratio's limit, and still comparable with ``>``); ``None`` when
            there is neither profit nor loss (0/0).
        expectancy: mean net P&L per trade; ``None`` without trades.
        average_win: mean net P&L of winners (> 0); ``None`` without wins.
        average_loss: mean net P&L of losers, a NEGATIVE amount; ``None`` without losses.
        payoff_ratio: ``average_win / |average_loss|`` — the ``b`` of the Kelly formula;
            ``None`` unless there are both wins and losses.
    """

    trade_count: int
    win_count: int
    loss_count: int
    win_rate: float | None
    gross_profit: Decimal
    gross_loss: Decimal
    net_profit: Decimal
    profit_factor: float | None
    expectancy: Decimal | None
    average_win: Decimal | None
    average_loss: Decimal | None
    payoff_ratio: float | None


def trade_statistics(trades: Sequence[RoundTrip]) -> TradeStatistics:
    """Win rate, profit factor, expectancy and average win/loss of net P&L (exact Decimal)."""
    for position, trade in enumerate(trades):
        if not isinstance(trade, RoundTrip):
            raise InvalidTrade(
                f"trades[{position}] is a {type(trade).__name__}, expected a RoundTrip"
            )
    results = [trade.net_pnl for trade in trades]
    wins = [result for result in results if result > 0]
    losses = [result for result in results if result < 0]
    gross_profit = sum(wins, Decimal(0))
    gross_loss = -sum(losses, Decimal(0))
    count = len(results)
    average_win = gross_profit / len(wins) if wins else None
    average_loss = -gross_loss / len(losses) if losses else None
    return TradeStatistics(
        trade_count=count,
        win_count=len(wins),
        loss_count=len(losses),
        win_rate=len(wins) / count if count else None,
        gross_profit=gross_profit,
        gross_loss=gross_loss,
        net_profit=gross_profit - gross_loss,
        profit_factor=_profit_factor(gross_profit, gross_loss),
        expectancy=sum(results, Decimal(0)) / count if count else None,
        average_win=average_win,
        average_loss=average_loss,
        payoff_ratio=(
            float(average_win / -average_loss)
            if average_win is not None and average_loss is not None
            else None
        ),
    )


def _profit_factor(gross_profit: Decimal, gross_loss: Decimal) -> float | None:
    if gross_loss > 0:
        return float(gross_profit / gross_loss)
    return float("inf") if gross_profit > 0 else None
