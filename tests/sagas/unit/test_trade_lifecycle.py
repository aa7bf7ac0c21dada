"""The trade lifecycle of one decision: started, order placed, completed once; a timeout that
an older version recorded is still replayed."""

from __future__ import annotations

import uuid

from events.domain import DomainEvent
from sagas.trade_lifecycle.events import (
    TradeLifecycleCompleted,
    TradeLifecycleStarted,
    TradeLifecycleTimedOut,
    TradeOrderPlaced,
)
from sagas.trade_lifecycle.lifecycle import TradeLifecycle, lifecycle_id

DECISION = uuid.UUID("00000000-0000-4000-8000-0000000000d1")
ORDER = uuid.UUID("00000000-0000-4000-8000-0000000000e1")
DECIDED = 1_000
DEADLINE = 5_000


def started() -> TradeLifecycle:
    lifecycle = TradeLifecycle.start(DECISION, "SAP", DECIDED, DEADLINE)
    lifecycle.collect_pending()
    return lifecycle


def working() -> TradeLifecycle:
    lifecycle = started()
    lifecycle.order_placed(ORDER)
    lifecycle.collect_pending()
    return lifecycle


def recorded(lifecycle: TradeLifecycle) -> list[DomainEvent]:
    return [p.event for p in lifecycle.collect_pending()]


def test_starting_records_the_decision_its_instrument_and_deadline() -> None:
    lifecycle = TradeLifecycle.start(DECISION, "SAP", DECIDED, DEADLINE)
    assert recorded(lifecycle) == [TradeLifecycleStarted(DECISION, "SAP", DECIDED, DEADLINE)]
    assert lifecycle.id == lifecycle_id(DECISION)
    assert (lifecycle.decision_id, lifecycle.deadline_ts) == (DECISION, DEADLINE)


def test_lifecycle_ids_derive_from_the_decision() -> None:
    assert lifecycle_id(DECISION) == lifecycle_id(DECISION)
    assert lifecycle_id(DECISION) != lifecycle_id(uuid.UUID(int=1))


def test_placing_the_order_records_it_once_and_ignores_a_repeat() -> None:
    lifecycle = started()
    lifecycle.order_placed(ORDER)
    lifecycle.order_placed(uuid.UUID(int=2))
    assert recorded(lifecycle) == [TradeOrderPlaced(ORDER)]
    assert lifecycle.order_id == ORDER


def test_a_working_trade_completes_with_its_outcome_once() -> None:
    lifecycle = working()
    lifecycle.complete("FILLED")
    lifecycle.complete("CANCELLED")
    assert recorded(lifecycle) == [TradeLifecycleCompleted(ORDER, "FILLED")]
    assert lifecycle.completed


def test_nothing_completes_before_an_order_is_placed() -> None:
    lifecycle = started()
    lifecycle.complete("FILLED")
    assert recorded(lifecycle) == [] and not lifecycle.completed


def test_a_timeout_recorded_by_an_older_version_is_replayed_and_the_trade_still_completes() -> None:
    history = [
        TradeLifecycleStarted(DECISION, "SAP", DECIDED, DEADLINE),
        TradeOrderPlaced(ORDER),
        TradeLifecycleTimedOut(ORDER, DEADLINE),  # the saga's own bar-clock timeout, removed
    ]
    replayed = TradeLifecycle.replay(lifecycle_id(DECISION), history)
    assert (replayed.order_id, replayed.timed_out, replayed.completed) == (ORDER, True, False)
    replayed.complete("CANCELLED")
    assert recorded(replayed) == [TradeLifecycleCompleted(ORDER, "CANCELLED")]
    assert replayed.version == 4


def test_replaying_the_history_restores_the_live_state() -> None:
    live = TradeLifecycle.start(DECISION, "SAP", DECIDED, DEADLINE)
    live.order_placed(ORDER)
    live.complete("FILLED")
    history = [p.event for p in live.collect_pending()]
    replayed = TradeLifecycle.replay(live.id, history)
    fields = ("decision_id", "instrument_id", "deadline_ts", "order_id", "completed", "timed_out")
    assert [getattr(replayed, f) for f in fields] == [getattr(live, f) for f in fields]
    assert replayed.version == live.version == 3
    replayed.complete("CANCELLED")
    assert recorded(replayed) == []  # the outcome is not repeated after a restart
