"""Reactions of execution to other contexts:

- ingestion.InstrumentListed -> the instrument becomes tradable on its lot and tick size;
- ingestion.BarClosed -> the simulated venue fills resting orders against the bar;
- decision.TradeDecided (not HOLD) -> submit a market order (the strategy path);
- sagas.TradeLifecycleTimedOut -> cancel what remains of the order, if it is still open.

State is the execution store's own history (orders, accounts) plus the recent bars, reloaded
after a restart or a conflict; a decision is applied only after the bars it was made on
(causal barrier), so fills and cash checks never depend on delivery order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from bounded_contexts.decision.domain.events import TradeDecided
from bounded_contexts.execution.adapters.venues.simulated import VenueBar
from bounded_contexts.execution.application.service import (
    ExecutionService,
    SubmitOrder,
    strategy_order_id,
)
from bounded_contexts.execution.domain.errors import IllegalOrderTransition
from bounded_contexts.ingestion.domain.events import BarClosed, InstrumentListed
from events.effects import Effects, EventsToAppend
from events.envelope import Cause, EventEnvelope
from events.store import EventStore
from sagas.trade_lifecycle.events import TradeLifecycleTimedOut

VENUE_ACTOR = "venue:simulated"


class ExecutionPolicy:
    name = "execution.orders"
    upstreams = ("ingestion", "decision", "sagas")

    def __init__(self, service: ExecutionService, stores: dict[str, EventStore], effects: Effects):
        self.service, self.stores, self.effects = service, stores, effects
        self.lock = service.lock  # held across handle + commit (see TrackedConsumer)
        self._ready = False

    def reset(self) -> None:
        self._ready = False

    def ensure_ready(self) -> None:
        """Load orders, accounts, instruments and recent bars if not loaded yet — also for the
        GraphQL path, which may come before this consumer has handled any event."""
        if not self._ready:
            self._reload()

    def _reload(self) -> None:
        self.service.reload_own_state()
        applied = self.effects.tracked_position(self.name, "ingestion")
        for envelope in self.stores["ingestion"].iter_all(upto=applied):
            self._market_data(envelope, None)
        self.service.recall_arrivals()
        self._ready = True

    def handle(self, upstream: str, events: Sequence[EventEnvelope], uow: EventsToAppend) -> None:
        self.ensure_ready()
        caught_up = False
        for envelope in events:
            event = envelope.event
            if upstream == "ingestion":
                self._market_data(envelope, uow)
            elif isinstance(event, TradeDecided) and event.action != "HOLD":
                assert event.side is not None
                # Whole lots only (see ExecutionService.strategy_quantity); under one lot, the
                # decision stands in the decision log but no order is submitted.
                quantity = self.service.strategy_quantity(event.instrument_id, event.quantity)
                if quantity == 0:
                    continue
                if not caught_up:
                    # A kill switch engaged or limits set by another process (the CLI, another
                    # gateway) govern the very next order: take in what the store got since
                    # this view last looked (bars need not: a fill on an order changed
                    # elsewhere conflicts on append, and the view is reloaded).
                    self.service.catch_up()
                    caught_up = True
                self.service.submit(
                    SubmitOrder(
                        order_id=strategy_order_id(envelope.event_id),
                        account_id=self.service.config.account_id,
                        instrument_id=event.instrument_id,
                        side=event.side,
                        order_type="MARKET",
                        quantity=quantity,
                        limit_price=None,
                        origin="STRATEGY",
                        decision_id=envelope.event_id,
                        algo_id=event.algo_id,
                        reference_price=event.reference_price,
                        expire_at=event.ts_end + self.service.config.strategy_order_ttl_ns,
                        ts_decision=envelope.ts_event,
                    ),
                    uow,
                    Cause.following(envelope, actor=f"algo:{event.algo_id}"),
                )
            elif isinstance(event, TradeLifecycleTimedOut):
                order = self.service.orders.get(event.order_id)
                if order is not None and order.is_open:
                    # Filled or expired meanwhile: nothing left to cancel.
                    with contextlib.suppress(IllegalOrderTransition):
                        self.service.cancel(
                            event.order_id,
                            "no fill before the trade-lifecycle deadline",
                            uow,
                            Cause.following(envelope, actor="saga:trade-lifecycle-v1"),
                        )

    def _market_data(self, envelope: EventEnvelope, uow: EventsToAppend | None) -> None:
        event = envelope.event
        if isinstance(event, InstrumentListed):
            self.service.instrument_listed(
                event.instrument_id, event.lot_size, event.tick_size, event.mic
            )
        elif isinstance(event, BarClosed):
            bar = VenueBar(
                event.ts_start,
                event.open,
                event.high,
                event.low,
                event.volume,
                envelope.event_id,
                envelope.position,
            )
            self.service.remember_bar(event.instrument_id, bar, event.close)
            if uow is not None:
                self.service.on_bar(
                    event.instrument_id, bar, uow, Cause.following(envelope, actor=VENUE_ACTOR)
                )
