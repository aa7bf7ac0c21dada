"""Dead letters and failing components are rows, not events: the watcher notifies the
operators once per dead letter and once per failing episode, across restarts."""

from __future__ import annotations

from typing import Any

import pytest

from bounded_contexts.support.application.operations_watch import (
    OperationsWatchConfig,
    OperationsWatcher,
)
from events.component import Component
from events.health import HealthBook
from tests.support.notification_helpers import FakeClock, FakeRecipients, requested


def watcher(platform: Any, clock: FakeClock, **config: float) -> OperationsWatcher:
    settings = {"dead_letter_settle_s": 0.0, "failing_grace_s": 0.0, **config}
    made = OperationsWatcher(
        platform.stores["support"],
        platform.read_store,
        FakeRecipients(operators=["ops-2", "ops-1"]),
        config=OperationsWatchConfig(**settings),  # type: ignore[arg-type]
        clock_ns=clock,
    )
    made.load()  # what start() does first
    return made


def told(platform: Any, rule: str) -> list[tuple[str, str]]:
    return [
        (e.event.recipient, e.event.title)
        for e in requested(platform.stores["support"])
        if e.event.rule == rule
    ]


def dead_letter(platform: Any, position: int) -> None:
    platform.dead_letters.put(
        consumer="projection.orders",
        upstream="execution",
        position=position,
        reason=f"OrderFilled v9 at execution#{position} is newer than this code (v1)",
        body=b"{}",
    )


@pytest.mark.integration
def test_each_dead_letter_notifies_every_operator_once_across_restarts(
    database_url, make_platform
) -> None:
    platform = make_platform(database_url, with_bus=False)
    clock = FakeClock()
    dead_letter(platform, 7)
    dead_letter(platform, 9)
    first = watcher(platform, clock)
    first.step()
    assert told(platform, "dead_letter") == [
        ("ops-1", "projection.orders dead-lettered execution#7"),
        ("ops-2", "projection.orders dead-lettered execution#7"),
        ("ops-1", "projection.orders dead-lettered execution#9"),
        ("ops-2", "projection.orders dead-lettered execution#9"),
    ]
    first.step()
    watcher(platform, clock).step()  # a restart, and a second instance: nothing twice
    assert len(told(platform, "dead_letter")) == 4
    dead_letter(platform, 11)
    watcher(platform, clock).step()
    first.step()  # the older instance loses the race harmlessly
    assert len(told(platform, "dead_letter")) == 6
    notice = requested(platform.stores["support"])[-1].event
    assert notice.cause_context == "dead_letters" and notice.account_id is None
    assert "newer than this code" in notice.body and notice.severity == "WARNING"


@pytest.mark.integration
def test_a_dead_letter_just_written_waits_until_it_has_settled(database_url, make_platform) -> None:
    platform = make_platform(database_url, with_bus=False)
    dead_letter(platform, 1)
    watcher(platform, FakeClock(), dead_letter_settle_s=3600).step()
    assert told(platform, "dead_letter") == []


class _Failing(Component):
    """A component as the health table sees it."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


@pytest.mark.integration
def test_a_failing_component_notifies_once_per_episode_across_restarts(
    database_url, make_platform
) -> None:
    platform = make_platform(database_url, with_bus=False)
    health = HealthBook(platform.read_store, process="host-a:41")
    relay = _Failing("relay:execution")
    clock = FakeClock()
    watch = watcher(platform, clock, failing_grace_s=5.0)

    def fail(reason: str) -> None:
        relay.failures += 1
        relay.last_error = reason
        health.record(relay, "failing")

    fail("OperationalError: connection refused")
    watch.step()
    assert told(platform, "component_failing") == []  # not for 5 s yet
    clock.advance(5)
    fail("OperationalError: connection refused")  # still failing, retried
    watch.step()
    watch.step()
    watcher(platform, clock).step()  # restarted watcher: the episode is already told
    assert told(platform, "component_failing") == [
        ("ops-1", "relay:execution is failing on host-a:41"),
        ("ops-2", "relay:execution is failing on host-a:41"),
    ]
    health.record(relay, "running")
    restarted = watcher(platform, clock)
    restarted.step()
    restarted.step()
    assert told(platform, "component_failing")[2:] == [
        ("ops-1", "relay:execution recovered on host-a:41"),
        ("ops-2", "relay:execution recovered on host-a:41"),
    ]
    fail("TimeoutError: broker")
    clock.advance(5)
    restarted.step()
    restarted.step()  # seen failing for 5 s: the second episode
    episodes = [
        e.event.details["episode"]
        for e in requested(platform.stores["support"])
        if e.event.details.get("phase") == "failing"
    ]
    assert episodes == ["1", "1", "2", "2"]
    assert "TimeoutError: broker" in requested(platform.stores["support"])[-1].event.body
