"""From fills and bars to what the KPIs need: the equity curve and the round trips.

Pure functions over plain records, so the live report, a backtest and an auditor's replay
compute the same figures from the same facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bounded_contexts.support.domain.performance import RoundTrip, Side

ZERO = Decimal(0)


@dataclass(frozen=True)
class Fill:
    ts: int
    instrument_id: str
    side: str  # BUY | SELL
    quantity: Decimal
    price: Decimal
    fee: Decimal


@dataclass(frozen=True)
class Mark:
    ts: int  # bar close time
    instrument_id: str
    close: Decimal


def equity_curve(
    initial_cash: Decimal, marks: Sequence[Mark], fills: Sequence[Fill]
) -> tuple[list[int], list[Decimal], list[Decimal]]:
    """Equity and gross exposure at every bar close: cash after the fills executed before
    that close, plus positions marked at each instrument's latest close.

    Returns (timestamps, equity, gross exposure)."""
    ordered_fills = sorted(fills, key=lambda f: f.ts)
    by_time: dict[int, list[Mark]] = {}
    for mark in marks:
        by_time.setdefault(mark.ts, []).append(mark)
    cash, positions, closes = initial_cash, dict[str, Decimal](), dict[str, Decimal]()
    stamps, equity, exposure = [], [], []
    i = 0
    for ts in sorted(by_time):
        while i < len(ordered_fills) and ordered_fills[i].ts < ts:
            f = ordered_fills[i]
            signed = f.quantity if f.side == "BUY" else -f.quantity
            cash -= signed * f.price + f.fee
            positions[f.instrument_id] = positions.get(f.instrument_id, ZERO) + signed
            closes.setdefault(f.instrument_id, f.price)
            i += 1
        for mark in by_time[ts]:
            closes[mark.instrument_id] = mark.close
        values = [q * closes.get(instrument, ZERO) for instrument, q in positions.items()]
        stamps.append(ts)
        equity.append(cash + sum(values, ZERO))
        exposure.append(sum((abs(v) for v in values), ZERO))
    return stamps, equity, exposure


def round_trips(fills: Iterable[Fill]) -> list[RoundTrip]:
    """Flat-to-flat episodes per instrument; a fill through zero closes one episode and opens
    the next with the rest of its quantity (fees split pro rata)."""
    trips: list[RoundTrip] = []
    open_: dict[str, dict] = {}  # type: ignore[type-arg]
    for f in sorted(fills, key=lambda f: (f.ts, f.instrument_id)):
        signed = f.quantity if f.side == "BUY" else -f.quantity
        remaining, fee_per_unit = signed, f.fee / f.quantity
        while remaining != 0:
            ep = open_.get(f.instrument_id)
            if ep is None or ep["position"] == 0:
                open_[f.instrument_id] = ep = {
                    "ts": f.ts,
                    "position": ZERO,
                    "entry_qty": ZERO,
                    "entry_value": ZERO,
                    "exit_qty": ZERO,
                    "exit_value": ZERO,
                    "fees": ZERO,
                    "long": remaining > 0,
                }
            if ep["position"] == 0 or (ep["position"] > 0) == (remaining > 0):
                qty = abs(remaining)
                ep["entry_qty"] += qty
                ep["entry_value"] += qty * f.price
                ep["fees"] += qty * fee_per_unit
                ep["position"] += remaining
                remaining = ZERO
            else:
                qty = min(abs(remaining), abs(ep["position"]))
                ep["exit_qty"] += qty
                ep["exit_value"] += qty * f.price
                ep["fees"] += qty * fee_per_unit
                step = qty if remaining > 0 else -qty
                ep["position"] += step
                remaining -= step
                if ep["position"] == 0:
                    trips.append(_trip(ep, f.ts))
    return trips


def _trip(ep: dict, ts_exit: int) -> RoundTrip:  # type: ignore[type-arg]
    entry = ep["entry_value"] / ep["entry_qty"]
    exit_ = ep["exit_value"] / ep["exit_qty"]
    direction = Decimal(1) if ep["long"] else Decimal(-1)
    return RoundTrip(
        ts_entry=ep["ts"],
        ts_exit=ts_exit,
        side=Side.LONG if ep["long"] else Side.SHORT,
        quantity=ep["exit_qty"],
        entry_price=entry,
        exit_price=exit_,
        # Flat to flat: entry and exit quantities are equal, so this difference is exact.
        pnl=(ep["exit_value"] - ep["entry_value"]) * direction,
        fees=ep["fees"].quantize(Decimal("0.000001")),
    )
