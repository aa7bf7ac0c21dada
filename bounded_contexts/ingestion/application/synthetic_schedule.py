"""Use case of the seeded synthetic feed: what a seeded run feeds.

A seeded run either finishes the latest recorded plan (when a killed run left it unfinished:
the same bars are regenerated from the plan and those already stored are skipped, so the
result equals an uninterrupted run) or records the next plan, the ``days`` trading days after
the latest stored bar, before its first bar is fed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from bounded_contexts.ingestion.application.service import IngestionService
from bounded_contexts.ingestion.domain.bars import RawBar
from bounded_contexts.ingestion.domain.events import SyntheticSessionsScheduled
from bounded_contexts.ingestion.domain.synthetic_schedule import (
    SCHEDULE_ID,
    SyntheticSchedule,
    bars_stored,
    check_resumable,
    first_new_session,
    is_complete,
    plan_label,
    session_open_ns,
    trading_days,
)
from events.envelope import Cause

SCHEDULE_TYPES = (SyntheticSessionsScheduled.event_type(),)
SCHEDULE_PAGE = 1000


class SeededMarketPort(Protocol):
    """The seeded generator (``adapters.synthetic_feed.SeededMarket``)."""

    @property
    def seed(self) -> int: ...

    @property
    def default_start_price(self) -> Decimal: ...

    def schedule(
        self, sessions: Sequence[date], start_prices: Mapping[str, Decimal]
    ) -> SyntheticSessionsScheduled: ...

    def bars(self, plan: SyntheticSessionsScheduled) -> Iterator[RawBar]: ...


@dataclass(frozen=True)
class SeededFeed:
    """What a seeded run feeds: the plan, its rows, and ``resumed_with`` (the plan's bars
    already stored when this run finishes an interrupted plan; None for a new plan)."""

    plan: SyntheticSessionsScheduled
    rows: Iterator[RawBar]
    resumed_with: int | None

    @property
    def label(self) -> str:
        return plan_label(self.plan)


def load_schedule(ingestion: IngestionService) -> SyntheticSchedule:
    """Every recorded plan, read by type so the (large) bar history is never scanned."""
    store = ingestion.store
    history = []
    after = 0
    while True:
        raws = store.read_raw(after, limit=SCHEDULE_PAGE, types=SCHEDULE_TYPES)
        if not raws:
            break
        history += [store.decode(raw).event for raw in raws if raw.aggregate_id == SCHEDULE_ID]
        after = raws[-1].position
    return SyntheticSchedule.replay(SCHEDULE_ID, history)


def seeded_feed(
    ingestion: IngestionService,
    market: SeededMarketPort,
    *,
    days: int,
    first_session: date,
    skipped: list[int] | None = None,
) -> SeededFeed:
    """Finish the latest plan if a killed run left it unfinished, else record the next one.

    Raises :class:`SeedMismatch` when the latest plan is unfinished and ``market`` has another
    seed. Rows of a finished plan that are skipped are counted in ``skipped[0]``.
    """
    schedule = load_schedule(ingestion)
    stored = ingestion.resume_point()
    latest = schedule.latest
    if latest is not None and not is_complete(latest, stored.last_bar_start):
        rows = stored.filter(market.bars(latest), skipped)
        # Timestamps say unfinished; the rows say for sure (a tail the feed quarantined is
        # recorded too, and a plan with nothing left to feed is complete).
        first = next(rows, None)
        if first is not None:
            check_resumable(latest, market.seed)
            return SeededFeed(
                latest,
                itertools.chain([first], rows),
                bars_stored(latest, stored.last_bar_start),
            )
    sessions = trading_days(first_new_session(stored.last_bar_start, first_session), days)
    start_prices = {
        i: ingestion.feeds[i].last_close or market.default_start_price
        for i in ingestion.instruments
    }
    plan = market.schedule(sessions, start_prices)
    schedule.schedule(plan)
    cause = Cause.origin(
        ts_event=session_open_ns(plan, plan.sessions[0]),
        actor=f"feed:synthetic-seed-{plan.seed}",
        key=f"synthetic-schedule/{schedule.version}",
    )
    ingestion.store.append([(p, cause) for p in schedule.collect_pending()])
    return SeededFeed(plan, market.bars(plan), None)
