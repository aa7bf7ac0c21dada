"""The seeded feed's plans: complete or not, how much of one is stored, what comes next, and
that a recorded plan regenerates exactly the bars the generator made for it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import islice

import pytest

from bounded_contexts.ingestion.adapters.synthetic_feed import (
    SeededMarket,
    SyntheticFeedConfig,
    synthetic_bars,
)
from bounded_contexts.ingestion.domain.bars import parse_timestamp
from bounded_contexts.ingestion.domain.synthetic_schedule import (
    MINUTE_NS,
    SCHEDULE_ID,
    SeedMismatch,
    SyntheticSchedule,
    bars_stored,
    check_resumable,
    final_bar_start,
    first_new_session,
    is_complete,
    plan_label,
)
from events.catalogue import default_catalogue, schema_path
from events.codec import upcast

MARKET = SeededMarket(SyntheticFeedConfig(seed=7))
PRICES = {"AAA": Decimal("100"), "BBB": Decimal("52.37")}
PLAN = MARKET.schedule([date(2026, 11, 16), date(2026, 11, 17)], PRICES)


def ns(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp()) * 1_000_000_000


def test_a_plan_records_every_term_the_generator_uses() -> None:
    assert PLAN.seed == 7
    assert PLAN.sessions == ("2026-11-16", "2026-11-17")
    assert PLAN.instruments == ("AAA", "BBB")
    assert PLAN.start_prices == PRICES
    assert (PLAN.bars_per_session, PLAN.session_open_utc) == (510, "08:00")
    assert PLAN.annual_volatility == Decimal("0.25")
    assert PLAN.return_autocorrelation == Decimal("-0.3")
    assert plan_label(PLAN) == "synthetic-seed-7 (2026-11-16 +1d)"


def test_a_recorded_plan_regenerates_the_very_bars_of_the_generator() -> None:
    direct = synthetic_bars(
        ["AAA", "BBB"],
        [date(2026, 11, 16), date(2026, 11, 17)],
        SyntheticFeedConfig(seed=7),
        start_prices={"AAA": 100.0, "BBB": 52.37},
    )
    assert list(MARKET.bars(PLAN)) == list(direct)


def test_a_version_one_plan_is_read_as_the_pure_random_walk_it_generated() -> None:
    payload = PLAN.to_payload()
    del payload["return_autocorrelation"]  # what a plan recorded before the term existed holds
    old = type(PLAN).from_payload(upcast(type(PLAN), 1, payload, where="test"))
    assert old.return_autocorrelation == 0
    walk = synthetic_bars(
        ["AAA", "BBB"],
        [date(2026, 11, 16), date(2026, 11, 17)],
        SyntheticFeedConfig(seed=7, return_autocorrelation=0.0),
        start_prices={"AAA": 100.0, "BBB": 52.37},
    )
    regenerated = list(MARKET.bars(old))
    assert regenerated == list(walk)
    assert regenerated != list(MARKET.bars(PLAN))


def test_a_plan_round_trips_through_its_schema() -> None:
    payload = PLAN.to_payload()
    validate = default_catalogue().validator(type(PLAN))
    validate(payload)
    assert type(PLAN).from_payload(payload) == PLAN
    assert schema_path(type(PLAN), 2).is_file()


def test_the_final_bar_starts_at_the_last_minute_of_the_last_session() -> None:
    assert final_bar_start(PLAN) == ns("2026-11-17T16:29")
    last = list(MARKET.bars(PLAN))[-1]
    assert parse_timestamp(last.timestamp) == final_bar_start(PLAN)


def test_a_plan_is_complete_only_when_every_instrument_has_its_last_bar() -> None:
    end = final_bar_start(PLAN)
    assert is_complete(PLAN, {"AAA": end, "BBB": end})
    assert is_complete(PLAN, {"AAA": end + MINUTE_NS, "BBB": end})
    assert not is_complete(PLAN, {"AAA": end, "BBB": end - MINUTE_NS})
    assert not is_complete(PLAN, {"AAA": end})
    assert not is_complete(PLAN, {})


def test_stored_bars_are_counted_per_instrument_across_sessions() -> None:
    assert bars_stored(PLAN, {}) == 0
    before = ns("2026-11-13T16:29")  # the previous plan's last bar
    assert bars_stored(PLAN, {"AAA": before, "BBB": before}) == 0
    mid_first = ns("2026-11-16T08:09")  # ten bars of the first session
    assert bars_stored(PLAN, {"AAA": mid_first, "BBB": before}) == 10
    mid_second = ns("2026-11-17T08:00")  # the whole first session and one bar
    assert bars_stored(PLAN, {"AAA": mid_second, "BBB": mid_first}) == 511 + 10
    end = final_bar_start(PLAN)
    assert bars_stored(PLAN, {"AAA": end, "BBB": end}) == 2 * 2 * 510


def test_stored_bars_agree_with_what_the_resume_filter_skips() -> None:
    rows = list(islice(MARKET.bars(PLAN), 1234))
    last = {r.instrument_id: parse_timestamp(r.timestamp) for r in rows}
    assert bars_stored(PLAN, last) == len(rows)


def test_an_unfinished_plan_is_refused_with_another_seed_saying_how_to_proceed() -> None:
    check_resumable(PLAN, 7)
    with pytest.raises(SeedMismatch) as refused:
        check_resumable(PLAN, 8)
    message = str(refused.value)
    assert "--seed 7" in message and "--fresh" in message and "2026-11-16 +1d" in message


def test_the_next_plan_starts_the_day_after_the_latest_stored_bar() -> None:
    default = date(2026, 11, 16)
    assert first_new_session({}, default) == default
    later = {"AAA": ns("2026-11-17T16:29"), "BBB": ns("2026-11-16T16:29")}
    assert first_new_session(later, default) == date(2026, 11, 18)


def test_the_schedule_keeps_the_latest_plan_and_replays_to_it() -> None:
    schedule = SyntheticSchedule()
    assert schedule.latest is None
    schedule.schedule(PLAN)
    following = MARKET.schedule([date(2026, 11, 18)], PRICES)
    schedule.schedule(following)
    pending = schedule.collect_pending()
    assert [(p.aggregate_id, p.aggregate_version) for p in pending] == [
        (SCHEDULE_ID, 1),
        (SCHEDULE_ID, 2),
    ]
    replayed = SyntheticSchedule.replay(SCHEDULE_ID, [p.event for p in pending])
    assert (replayed.latest, replayed.version) == (following, 2)


def test_an_empty_plan_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one session"):
        SyntheticSchedule().schedule(MARKET.schedule([], PRICES))
