"""Token buckets per principal and kind of operation: a burst is allowed, then the refill rate;
a refusal says when a token is back; other callers and the other kind are unaffected."""

from __future__ import annotations

import pytest

from gateway.ratelimit import MAX_KEYS, Rate, RateLimited, RateLimiter, RateLimits


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: Clock) -> RateLimiter:
    return RateLimiter(
        RateLimits(queries=Rate(2, 4), mutations=Rate(1, 1), anonymous=Rate(1, 2)), clock=clock
    )


def test_a_burst_passes_then_the_refill_rate_with_the_wait_said() -> None:
    clock = Clock()
    limits = limiter(clock)
    for _ in range(4):
        limits.admit("alice", "query", anonymous=False)
    with pytest.raises(RateLimited) as refused:
        limits.admit("alice", "query", anonymous=False)
    assert refused.value.retry_after_s == pytest.approx(0.5)
    clock.now += 0.5
    limits.admit("alice", "query", anonymous=False)
    with pytest.raises(RateLimited):
        limits.admit("alice", "query", anonymous=False)


def test_other_principals_and_mutations_have_their_own_buckets() -> None:
    clock = Clock()
    limits = limiter(clock)
    for _ in range(4):
        limits.admit("alice", "query", anonymous=False)
    limits.admit("bob", "query", anonymous=False)
    limits.admit("alice", "mutation", anonymous=False)
    with pytest.raises(RateLimited) as refused:
        limits.admit("alice", "mutation", anonymous=False)
    assert refused.value.retry_after_s == pytest.approx(1.0)


def test_callers_without_credentials_share_one_lower_limit_per_address() -> None:
    clock = Clock()
    limits = limiter(clock)
    limits.admit("ip:10.0.0.1", "query", anonymous=True)
    limits.admit("ip:10.0.0.1", "mutation", anonymous=True)
    with pytest.raises(RateLimited):
        limits.admit("ip:10.0.0.1", "query", anonymous=True)
    limits.admit("ip:10.0.0.2", "query", anonymous=True)


def test_a_refilled_bucket_never_holds_more_than_its_burst() -> None:
    clock = Clock()
    limits = limiter(clock)
    limits.admit("alice", "query", anonymous=False)
    clock.now += 3600
    for _ in range(4):
        limits.admit("alice", "query", anonymous=False)
    with pytest.raises(RateLimited):
        limits.admit("alice", "query", anonymous=False)


def test_memory_is_bounded_by_forgetting_the_least_recent_callers() -> None:
    limits = limiter(Clock())
    for n in range(MAX_KEYS + 50):
        limits.admit(f"caller-{n}", "query", anonymous=False)
    assert len(limits._buckets) == MAX_KEYS


@pytest.mark.parametrize("text", ["fast", "0/1", "5/0", "-1/3"])
def test_a_malformed_rate_is_refused_naming_its_setting(text: str) -> None:
    with pytest.raises(ValueError, match="QUANTVISTA_RATE_LIMIT_QUERIES"):
        Rate.parse(text, name="QUANTVISTA_RATE_LIMIT_QUERIES")


def test_a_rate_is_read_as_per_second_and_burst() -> None:
    assert Rate.parse("50/100", name="x") == Rate(50, 100)
    assert Rate.parse("2.5", name="x") == Rate(2.5, 3)
