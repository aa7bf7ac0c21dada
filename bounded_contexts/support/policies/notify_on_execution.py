"""Policy ``support.notifications``: execution's events -> ``NotificationRequested``.

- ``FillBooked`` -> a ``fill`` notice to everyone who may view the account;
- ``OrderRejected`` -> an ``order_rejected`` notice naming the controls broken (the account
  and instrument come from the order's ``OrderSubmitted``, remembered while it is open);
- ``KillSwitchEngaged`` -> a ``kill_switch`` notice (to the account's watchers for an account's
  switch, to the operators for any other scope);
- ``PositionsReconciled`` with breaks -> a ``reconciliation_break`` notice to the account's;
- the account's equity, marked at every bar of an instrument it holds -> a ``drawdown`` notice
  when it falls through a level below its high-water mark.

Exactly once: it runs in a ``TrackedConsumer`` whose effects are appended to the support store
with the tracking record, and notification ids derive from the firing and the recipient.

**Prices for the drawdown, and why this way.** The policy follows *only* execution, and reads
the bars it marks with from the ingestion store, up to the highest ingestion watermark the
execution events it has applied carry. Each execution event says which bar it was derived
from; so when the policy applies an event, the bars before it are exactly those execution had
seen when it recorded it, in store order. The equity curve (and so every drawdown notice) is
then a function of the two logs alone — the same on every replay, whatever the broker
delivers first — which following ingestion as a second upstream would not give (barriers
only set a floor: bars *after* a fill's watermark could be applied before the fill, and the
curve would depend on delivery order). The price paid: a bar is marked when the next
execution event after it is applied (any order or fill on any account advances the mark), not
the moment it closes; an account holding a position on a market where nothing at all is
ordered or filled is re-marked only when something is.

In-memory state (open orders, accounts, last closes) is rebuilt after a restart by running
the same handler over the execution events already applied, output discarded
(:class:`ReplayingPolicy`).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator, Sequence
from decimal import Decimal
from uuid import UUID

from bounded_contexts.execution.domain.controls.events import KillSwitchEngaged
from bounded_contexts.execution.domain.events import (
    AccountOpened,
    FillBooked,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    PositionsReconciled,
)
from bounded_contexts.ingestion.domain.events import BarClosed
from bounded_contexts.support.application.notification_log import PreferenceReader
from bounded_contexts.support.application.notification_ports import Recipients
from bounded_contexts.support.application.notifier import Notifier
from bounded_contexts.support.domain.notifications.rules import (
    DEFAULT_DRAWDOWN_LEVELS,
    Alert,
    DrawdownWatch,
    OrderSummary,
    drawdown_alert,
    fill_booked,
    kill_switch_engaged,
    order_rejected,
    reconciliation_breaks,
)
from events.codec import PoisonEvent
from events.effects import Effects, EventsToAppend
from events.envelope import Cause, EventEnvelope
from events.policy import ReplayingPolicy
from events.store import EventStore

ACTOR = "support:notifications"
log = logging.getLogger(__name__)


class NotificationPolicy(ReplayingPolicy):
    name = "support.notifications"
    upstreams = ("execution",)

    def __init__(
        self,
        stores: dict[str, EventStore],
        effects: Effects,
        recipients: Recipients,
        *,
        drawdown_levels: tuple[Decimal, ...] = DEFAULT_DRAWDOWN_LEVELS,
    ) -> None:
        super().__init__(stores, effects)
        self.drawdown_levels = drawdown_levels
        self.notifier = Notifier(recipients, PreferenceReader(stores["support"]))
        self._replaying = False
        self.clear()

    # -- ReplayingPolicy ----------------------------------------------------------------
    def clear(self) -> None:
        self._orders: dict[UUID, OrderSummary] = {}
        self._accounts: dict[str, DrawdownWatch] = {}
        self._closes: dict[str, Decimal] = {}
        self._marked_upto = 0  # ingestion position of the last bar marked

    def _rebuild(self) -> None:
        self._replaying = True  # no recipients asked, no preferences read: output discarded
        try:
            super()._rebuild()
        finally:
            self._replaying = False

    def apply(self, upstream: str, events: Sequence[EventEnvelope], uow: EventsToAppend) -> None:
        if not self._replaying:
            self.notifier.preferences.refresh()
            self.notifier.forget_recipients()
        bars = self._bars(max((e.watermarks.get("ingestion", 0) for e in events), default=0))
        for envelope in events:
            self._mark(bars, envelope.watermarks.get("ingestion", 0), uow)
            for alert in self._on_execution(envelope):
                self._notify(alert, envelope, uow)

    # -- execution ----------------------------------------------------------------------
    def _on_execution(self, envelope: EventEnvelope) -> list[Alert]:
        event = envelope.event
        match event:
            case OrderSubmitted():
                self._orders[event.order_id] = OrderSummary.of(event)
            case OrderRejected():
                order = self._orders.pop(event.order_id, None)
                if order is not None:
                    return [order_rejected(event, order, envelope.event_id)]
            case OrderCancelled():
                self._orders.pop(event.order_id, None)
            case KillSwitchEngaged():
                return [kill_switch_engaged(event, envelope.actor, envelope.event_id)]
            case PositionsReconciled():
                breaks = reconciliation_breaks(event, envelope.event_id)
                return [] if breaks is None else [breaks]
            case OrderFilled() if event.remaining_quantity == 0:
                self._orders.pop(event.order_id, None)
            case AccountOpened():
                watch = self._accounts[event.account_id] = DrawdownWatch(
                    event.account_id, self.drawdown_levels
                )
                watch.opened(event.initial_cash)
                watch.evaluate(self._closes)  # the first peak: the initial cash
            case FillBooked():
                alerts = [fill_booked(event, envelope.event_id)]
                watch = self._accounts.get(event.account_id)
                if watch is not None:
                    watch.booked(event)
                    crossed = watch.evaluate(self._closes)
                    if crossed is not None:
                        alerts.append(drawdown_alert(event.account_id, crossed, envelope.event_id))
                return alerts
        return []

    # -- marks --------------------------------------------------------------------------
    def _bars(self, upto: int) -> _BarPager:
        return _BarPager(self._stores["ingestion"], self._marked_upto, upto)

    def _mark(self, bars: _BarPager, upto: int, uow: EventsToAppend) -> None:
        """Mark every account holding an instrument at each of its bars up to ``upto``."""
        if upto <= self._marked_upto:
            return
        for bar in bars.upto(upto):
            event = bar.event
            assert isinstance(event, BarClosed)
            self._closes[event.instrument_id] = event.close
            for account_id in sorted(self._accounts):
                watch = self._accounts[account_id]
                if not watch.holds(event.instrument_id):
                    continue
                crossed = watch.evaluate(self._closes)
                if crossed is not None:
                    self._notify(drawdown_alert(account_id, crossed, bar.event_id), bar, uow)
        self._marked_upto = upto

    def _notify(self, alert: Alert, cause: EventEnvelope, uow: EventsToAppend) -> None:
        if self._replaying:
            return
        self.notifier.notify(
            alert,
            uow,
            Cause.following(cause, actor=ACTOR),
            cause_context=cause.context,
            cause_position=cause.position,
        )


class _BarPager:
    """The ingestion store's bars in ``(after, limit]``, read lazily a page at a time and
    handed out in position order up to a bound that grows event by event."""

    PAGE = 1000

    def __init__(self, store: EventStore, after: int, limit: int) -> None:
        self._store, self._after, self._limit = store, after, limit
        self._buffer: deque[EventEnvelope] = deque()

    def upto(self, bound: int) -> Iterator[EventEnvelope]:
        while True:
            if not self._buffer and not self._fill():
                return
            if self._buffer[0].position > bound:
                return
            yield self._buffer.popleft()

    def _fill(self) -> bool:
        if self._after >= self._limit:
            return False
        raws = self._store.read_raw(
            self._after, limit=self.PAGE, upto=self._limit, types=("BarClosed",)
        )
        if not raws:
            self._after = self._limit
            return False
        self._after = raws[-1].position
        for raw in raws:
            try:
                self._buffer.append(self._store.decode(raw))
            except PoisonEvent as exc:  # execution stepped over it too: no mark
                log.error("skipping undecodable bar while marking equity: %s", exc)
        return bool(self._buffer) or self._fill()
