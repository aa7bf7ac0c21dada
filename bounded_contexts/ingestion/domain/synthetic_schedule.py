"""The seeded synthetic feed's plans: which sessions a seeded run generates, and whether the
latest plan was fed to the end.

A seeded demo records its plan (:class:`SyntheticSessionsScheduled`) before its first bar. The
generator is deterministic, so a run killed mid-feed can be finished exactly: regenerate the
recorded plan and skip the bars already stored. Pure: the application module reads the store
and the feeds and hands their facts in.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from bounded_contexts.ingestion.domain.bars import FEED_NAMESPACE
from bounded_contexts.ingestion.domain.events import SyntheticSessionsScheduled
from events.domain import Aggregate, DomainEvent

MINUTE_NS = 60_000_000_000

SCHEDULE_ID = uuid.uuid5(FEED_NAMESPACE, "synthetic-schedule")
"""One aggregate holds every plan of a data directory, in order: the latest is the one a
rerun may have to finish, and appending to one stream makes two racing plans a conflict."""


class SeedMismatch(ValueError):
    """A seeded run was asked for another seed while the latest plan is unfinished."""


class SyntheticSchedule(Aggregate):
    """Every plan of the seeded feed; only the latest matters for what comes next."""

    def __init__(self) -> None:
        super().__init__(SCHEDULE_ID)
        self._init_state()

    def _init_state(self) -> None:
        self.latest: SyntheticSessionsScheduled | None = None

    def schedule(self, plan: SyntheticSessionsScheduled) -> None:
        """Record the next plan (the caller has checked that the latest one is complete)."""
        if not plan.sessions or not plan.instruments:
            raise ValueError("a synthetic plan needs at least one session and one instrument")
        self._record(plan)

    def apply(self, event: DomainEvent) -> None:
        match event:
            case SyntheticSessionsScheduled():
                self.latest = event
            case _:
                raise TypeError(f"SyntheticSchedule cannot apply {type(event).__name__}")


def session_open_ns(plan: SyntheticSessionsScheduled, session: str) -> int:
    """UTC nanoseconds of a session's first bar start."""
    hour, minute = (int(part) for part in plan.session_open_utc.split(":"))
    day = date.fromisoformat(session)
    opened = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    return int(opened.timestamp()) * 1_000_000_000


def final_bar_start(plan: SyntheticSessionsScheduled) -> int:
    """Start of the plan's last bar (every instrument gets one at the same minute)."""
    return session_open_ns(plan, plan.sessions[-1]) + (plan.bars_per_session - 1) * MINUTE_NS


def is_complete(plan: SyntheticSessionsScheduled, last_bar_start: Mapping[str, int]) -> bool:
    """Whether every instrument of the plan has its last bar stored (or a later one)."""
    end = final_bar_start(plan)
    return all(last_bar_start.get(i, -1) >= end for i in plan.instruments)


def bars_stored(plan: SyntheticSessionsScheduled, last_bar_start: Mapping[str, int]) -> int:
    """How many of the plan's bars are stored: per instrument, those at or before its last
    stored bar (the feed appends in time order, so nothing before it is missing)."""
    total = 0
    for instrument in plan.instruments:
        last = last_bar_start.get(instrument)
        if last is None:
            continue
        for session in plan.sessions:
            opened = session_open_ns(plan, session)
            if last >= opened:
                total += min(plan.bars_per_session, (last - opened) // MINUTE_NS + 1)
    return total


def check_resumable(plan: SyntheticSessionsScheduled, seed: int) -> None:
    """Refuse to finish an interrupted plan with another seed: its bars would not be the
    ones the stored part began, and a new plan would leave the interrupted day truncated."""
    if plan.seed != seed:
        raise SeedMismatch(
            f"the seeded feed of seed {plan.seed} was interrupted in its sessions "
            f"{plan.sessions[0]} +{len(plan.sessions) - 1}d; rerun with --seed {plan.seed} to "
            f"finish them, or start over with --fresh to use seed {seed}"
        )


def first_new_session(last_bar_start: Mapping[str, int], default: date) -> date:
    """The day after the latest stored bar of any instrument (``default`` if none is)."""
    if not last_bar_start:
        return default
    latest = max(last_bar_start.values())
    return datetime.fromtimestamp(latest / 1e9, tz=UTC).date() + timedelta(days=1)


def trading_days(start: date, count: int) -> list[date]:
    """``count`` weekdays from ``start`` on (the synthetic market has no holidays)."""
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def plan_label(plan: SyntheticSessionsScheduled) -> str:
    """How a run names the plan's feed, e.g. ``synthetic-seed-7 (2026-11-16 +1d)``; it is also
    the bars' actor, so a resumed run must name it exactly as the interrupted one did."""
    return f"synthetic-seed-{plan.seed} ({plan.sessions[0]} +{len(plan.sessions) - 1}d)"


def sessions_of(plan: SyntheticSessionsScheduled) -> Sequence[date]:
    return [date.fromisoformat(s) for s in plan.sessions]
