"""The rules: pure functions from a fact to an :class:`Alert` (what to say, how loudly, and
the key that makes it once-only). Who hears it and on which channels is decided elsewhere
(recipients, preferences); these functions never do I/O and never read a clock.

- ``fill``: a fill booked to an account;
- ``order_rejected``: pre-trade controls refused an order, naming each control broken;
- ``drawdown``: an account's equity fell a threshold below its high-water mark
  (:class:`DrawdownWatch`);
- ``dead_letter``: a consumer stepped over an event it could not apply;
- ``component_failing``: a supervised component started failing (and, to close the episode,
  runs or stops again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from bounded_contexts.execution.domain.controls.events import KillSwitchEngaged
from bounded_contexts.execution.domain.events import (
    FillBooked,
    OrderRejected,
    OrderSubmitted,
    PositionsReconciled,
)
from bounded_contexts.support.domain.notifications.events import Severity


@dataclass(frozen=True)
class Alert:
    """What a rule says about one fact. ``account_id`` None: an operational alert (its
    recipients are the operators); ``key`` identifies the firing for good."""

    rule: str
    key: str
    severity: Severity
    title: str
    body: str
    account_id: str | None
    details: dict[str, str] = field(default_factory=dict)


def _n(value: Decimal) -> str:
    """A decimal as people write it: no exponent, no trailing zeros after the point."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# -- fills and rejections -----------------------------------------------------------------


def fill_booked(event: FillBooked, event_id: UUID) -> Alert:
    verb = "Bought" if event.side == "BUY" else "Sold"
    return Alert(
        rule="fill",
        key=f"fill/{event_id}",
        severity="INFO",
        title=f"{verb} {_n(event.quantity)} {event.instrument_id} at {_n(event.price)}",
        body=(
            f"Fill booked on {event.account_id}: {event.side} {_n(event.quantity)} "
            f"{event.instrument_id} at {_n(event.price)}, fee {_n(event.fee)}. Position now "
            f"{_n(event.position_after)}, cash {_n(event.cash_after)}."
        ),
        account_id=event.account_id,
        details={
            "order_id": str(event.order_id),
            "instrument_id": event.instrument_id,
            "side": event.side,
            "quantity": _n(event.quantity),
            "price": _n(event.price),
            "fee": _n(event.fee),
            "position_after": _n(event.position_after),
            "cash_after": _n(event.cash_after),
        },
    )


@dataclass(frozen=True)
class OrderSummary:
    """What a rejection notice needs of the order (``OrderRejected`` names only its id)."""

    account_id: str
    instrument_id: str
    side: str
    quantity: Decimal

    @classmethod
    def of(cls, event: OrderSubmitted) -> OrderSummary:
        return cls(event.account_id, event.instrument_id, event.side, event.quantity)


def order_rejected(event: OrderRejected, order: OrderSummary, event_id: UUID) -> Alert:
    controls = [b.control for b in event.breaches]
    broken = "; ".join(
        b.control
        + ("" if b.limit is None else f" (limit {_n(b.limit)}")
        + ("" if b.limit is None or b.value is None else f", value {_n(b.value)}")
        + ("" if b.limit is None else ")")
        for b in event.breaches
    )
    return Alert(
        rule="order_rejected",
        key=f"order-rejected/{event_id}",
        severity="WARNING",
        title=(
            f"Order rejected: {order.side} {_n(order.quantity)} {order.instrument_id}"
            + (f" ({', '.join(controls)})" if controls else "")
        ),
        body=(
            f"Pre-trade controls refused order {event.order_id} on {order.account_id}: "
            f"{event.reason}." + (f" Controls broken: {broken}." if broken else "")
        ),
        account_id=order.account_id,
        details={
            "order_id": str(event.order_id),
            "instrument_id": order.instrument_id,
            "side": order.side,
            "quantity": _n(order.quantity),
            "reason": event.reason,
            "controls": ",".join(controls),
        },
    )


# -- controls and reconciliation -----------------------------------------------------------


def kill_switch_engaged(event: KillSwitchEngaged, actor: str, event_id: UUID) -> Alert:
    """A kill switch engaged (by a person, or by the repeated-execution throttle): the
    account's watchers are told when it is an account's switch; the operators otherwise."""
    account = event.scope.removeprefix("account:") if event.scope.startswith("account:") else None
    return Alert(
        rule="kill_switch",
        key=f"kill-switch/{event_id}",
        severity="CRITICAL",
        title=f"Kill switch engaged: {event.scope}",
        body=(
            f"The kill switch of {event.scope} was engaged by {actor}: {event.reason}. "
            f"{event.orders_cancelled} working order(s) cancelled; new orders in the scope are "
            "rejected until a person releases it."
        ),
        account_id=account,
        details={
            "scope": event.scope,
            "reason": event.reason,
            "actor": actor,
            "orders_cancelled": str(event.orders_cancelled),
        },
    )


def reconciliation_breaks(event: PositionsReconciled, event_id: UUID) -> Alert | None:
    """A statement that disagrees with our books (positions, or cash when it gives it)."""
    cash_break = event.cash_theirs is not None and event.cash_theirs != event.cash_ours
    if not event.breaks and not cash_break:
        return None
    listed = ", ".join(
        f"{b.instrument_id} ours {_n(b.ours)} theirs {_n(b.theirs)}" for b in event.breaks[:10]
    )
    more = f" and {len(event.breaks) - 10} more" if len(event.breaks) > 10 else ""
    cash = (
        f" Cash: ours {_n(event.cash_ours)}, theirs {_n(event.cash_theirs)}."  # type: ignore[arg-type]
        if cash_break
        else ""
    )
    return Alert(
        rule="reconciliation_break",
        key=f"reconciliation/{event_id}",
        severity="CRITICAL",
        title=f"Reconciliation breaks on {event.account_id}: {len(event.breaks)} position(s)"
        + (", cash" if cash_break else ""),
        body=(
            f"{event.source} disagrees with the books of {event.account_id}"
            + (f": {listed}{more}." if listed else ".")
            + cash
        ),
        account_id=event.account_id,
        details={
            "source": event.source,
            "as_of": str(event.as_of),
            "breaks": str(len(event.breaks)),
            "instruments": ",".join(b.instrument_id for b in event.breaks),
        },
    )


# -- drawdown -----------------------------------------------------------------------------

DEFAULT_DRAWDOWN_LEVELS = (Decimal("0.05"), Decimal("0.10"), Decimal("0.20"))


@dataclass(frozen=True)
class DrawdownCrossed:
    level: Decimal
    drawdown: Decimal
    equity: Decimal
    peak: Decimal


class DrawdownWatch:
    """One account's equity and its running peak, one mark at a time.

    Drawdown is the support domain's definition (``performance.drawdown_series``):
    ``1 - E_t / max_{s<=t} E_s``, computed here incrementally and exactly (``Decimal``), so a
    live run and a replay agree to the digit. Equity is cash plus each position at its last
    mark (a bar's close, or the last fill's price before any bar of the instrument).

    An *episode* runs from a peak until equity is back at or above it (the definition of
    recovery in ``performance.max_drawdown``). Within an episode, each level is reported
    once, the deepest crossed first: falling through 5 % and then 10 % gives two alerts,
    bouncing around 5 % gives one.
    """

    def __init__(self, account_id: str, levels: tuple[Decimal, ...] = DEFAULT_DRAWDOWN_LEVELS):
        if not levels or any(not Decimal(0) < level < Decimal(1) for level in levels):
            raise ValueError(f"drawdown levels must lie strictly between 0 and 1, got {levels}")
        self.account_id = account_id
        self.levels = tuple(sorted(levels))
        self.cash = Decimal(0)
        self.positions: dict[str, Decimal] = {}
        self.fill_prices: dict[str, Decimal] = {}
        self.peak: Decimal | None = None
        self.reported: Decimal | None = None  # deepest level reported in this episode

    def opened(self, initial_cash: Decimal) -> None:
        self.cash = initial_cash

    def booked(self, event: FillBooked) -> None:
        self.cash = event.cash_after
        self.fill_prices[event.instrument_id] = event.price
        if event.position_after == 0:
            self.positions.pop(event.instrument_id, None)
        else:
            self.positions[event.instrument_id] = event.position_after

    def holds(self, instrument_id: str) -> bool:
        return instrument_id in self.positions

    def equity(self, closes: dict[str, Decimal]) -> Decimal:
        value = self.cash
        for instrument, quantity in self.positions.items():
            mark = closes.get(instrument, self.fill_prices.get(instrument, Decimal(0)))
            value += quantity * mark
        return value

    def evaluate(self, closes: dict[str, Decimal]) -> DrawdownCrossed | None:
        """Mark the account; the level newly crossed in this episode, if any."""
        equity = self.equity(closes)
        if self.peak is None or equity >= self.peak:
            self.peak, self.reported = equity, None
            return None
        if self.peak <= 0:
            return None
        drawdown = 1 - equity / self.peak
        crossed = [level for level in self.levels if drawdown >= level]
        if not crossed or (self.reported is not None and crossed[-1] <= self.reported):
            return None
        self.reported = crossed[-1]
        return DrawdownCrossed(crossed[-1], drawdown, equity, self.peak)


def drawdown_alert(account_id: str, crossed: DrawdownCrossed, cause_event_id: UUID) -> Alert:
    percent = (crossed.drawdown * 100).quantize(Decimal("0.01"))
    level = _n(crossed.level * 100)
    equity, peak = crossed.equity.quantize(Decimal("0.01")), crossed.peak.quantize(Decimal("0.01"))
    return Alert(
        rule="drawdown",
        key=f"drawdown/{account_id}/{_n(crossed.level)}/{cause_event_id}",
        severity="CRITICAL" if crossed.level >= Decimal("0.2") else "WARNING",
        title=f"Drawdown on {account_id} beyond {level} %: {percent} %",
        body=(
            f"Equity of {account_id} is {_n(equity)}, {percent} % below its high-water mark "
            f"of {_n(peak)} (threshold {level} %)."
        ),
        account_id=account_id,
        details={
            "level": _n(crossed.level),
            "drawdown": format(crossed.drawdown.quantize(Decimal("0.000001")), "f"),
            "equity": _n(equity),
            "peak": _n(peak),
        },
    )


# -- operations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadLetter:
    """A row of the ``dead_letters`` table."""

    id: int
    consumer: str
    upstream: str
    position: int | None
    reason: str


def dead_lettered(row: DeadLetter) -> Alert:
    where = f"{row.upstream}#{row.position}" if row.position is not None else row.upstream
    return Alert(
        rule="dead_letter",
        key=f"dead-letter/{row.id}",
        severity="WARNING",
        title=f"{row.consumer} dead-lettered {where}",
        body=(
            f"Consumer {row.consumer} stepped over {where} and went on: {row.reason}. "
            f"The event is kept in dead_letters (id {row.id}) for inspection and replay."
        ),
        account_id=None,
        details={
            "dead_letter_id": str(row.id),
            "consumer": row.consumer,
            "upstream": row.upstream,
            "position": "" if row.position is None else str(row.position),
            "reason": row.reason,
        },
    )


@dataclass(frozen=True)
class ComponentState:
    """A row of the ``component_health`` table."""

    component: str
    process: str
    state: str  # running | failing | stopped
    failures: int
    last_error: str | None


def component_failing(row: ComponentState, episode: int) -> Alert:
    return Alert(
        rule="component_failing",
        key=f"component/{row.component}@{row.process}/{episode}/failing",
        severity="CRITICAL",
        title=f"{row.component} is failing on {row.process}",
        body=(
            f"Component {row.component} on {row.process} failed ({row.failures} failure(s) "
            f"so far) and is being restarted with backoff: {row.last_error or 'no reason kept'}."
        ),
        account_id=None,
        details={
            "component": row.component,
            "process": row.process,
            "episode": str(episode),
            "phase": "failing",
            "failures": str(row.failures),
            "last_error": row.last_error or "",
        },
    )


def component_back(row: ComponentState, episode: int) -> Alert:
    """The failing episode ended: the component runs again (or its process stopped it)."""
    recovered = row.state == "running"
    return Alert(
        rule="component_failing",
        key=f"component/{row.component}@{row.process}/{episode}/{row.state}",
        severity="INFO",
        title=f"{row.component} {'recovered' if recovered else 'stopped'} on {row.process}",
        body=(
            f"Component {row.component} on {row.process} "
            + ("runs again" if recovered else "was stopped while failing")
            + f" after {row.failures} failure(s)."
        ),
        account_id=None,
        details={
            "component": row.component,
            "process": row.process,
            "episode": str(episode),
            "phase": row.state,
            "failures": str(row.failures),
        },
    )
