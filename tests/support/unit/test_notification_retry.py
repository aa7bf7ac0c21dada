"""The retry schedule: exponential backoff, capped, a bounded number of attempts, and a
jitter that is the same for the same delivery and attempt (no global random source)."""

from __future__ import annotations

import pytest

from bounded_contexts.support.domain.notifications.retry import NS_PER_S, RetrySchedule


def test_delays_double_from_the_initial_one_up_to_the_cap() -> None:
    schedule = RetrySchedule(max_attempts=10, initial_s=1, multiplier=2, max_delay_s=20, jitter=0)
    delays = [schedule.delay_ns(n) for n in range(1, 10)]
    assert delays == [s * NS_PER_S for s in (1, 2, 4, 8, 16, 20, 20, 20, 20)]


def test_the_last_attempt_allowed_has_no_next_one() -> None:
    schedule = RetrySchedule(max_attempts=3, jitter=0)
    assert schedule.delay_ns(2) is not None
    assert schedule.delay_ns(3) is None and schedule.delay_ns(4) is None
    assert RetrySchedule(max_attempts=1).next_attempt_at(100, 1) is None


def test_the_next_attempt_is_the_failure_time_plus_the_delay() -> None:
    schedule = RetrySchedule(initial_s=2, jitter=0)
    assert schedule.next_attempt_at(1_000, 1) == 1_000 + 2 * NS_PER_S
    assert schedule.next_attempt_at(1_000, 2) == 1_000 + 4 * NS_PER_S


def test_jitter_spreads_deliveries_but_is_the_same_for_the_same_delivery() -> None:
    schedule = RetrySchedule(max_attempts=5, initial_s=10, max_delay_s=100, jitter=0.2)
    firsts = {schedule.delay_ns(1, f"delivery-{i}") for i in range(50)}
    assert len(firsts) > 40  # spread
    assert all(8 * NS_PER_S <= d <= 12 * NS_PER_S for d in firsts if d is not None)
    assert schedule.delay_ns(3, "x") == schedule.delay_ns(3, "x")  # repeatable
    assert schedule.delay_ns(1, "x") != schedule.delay_ns(2, "x") / 2  # per attempt


def test_jitter_never_goes_beyond_the_cap() -> None:
    schedule = RetrySchedule(max_attempts=20, initial_s=1, max_delay_s=5, jitter=0.5)
    assert all(
        (schedule.delay_ns(n, f"k{k}") or 0) <= 5 * NS_PER_S
        for n in range(1, 19)
        for k in range(20)
    )


@pytest.mark.parametrize(
    "settings",
    [
        {"max_attempts": 0},
        {"initial_s": 0},
        {"initial_s": 10, "max_delay_s": 5},
        {"multiplier": 0.5},
        {"jitter": 1.0},
        {"jitter": -0.1},
    ],
)
def test_a_schedule_that_makes_no_sense_is_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetrySchedule(**settings)  # type: ignore[arg-type]


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        RetrySchedule().delay_ns(0)
