"""Supervised components: a failing component is restarted with backoff, its failures are
counted with the reason, and it reports recovery — it never dies silently."""

from __future__ import annotations

import time

from events.component import Backoff, Component
from events.failures import is_infrastructure_failure


class _Flaky(Component):
    """Fails its first ``failures`` steps (or opens), then works."""

    backoff = Backoff(initial_s=0.001, max_s=0.004)

    def __init__(self, failures: int, *, in_open: bool = False) -> None:
        super().__init__()
        self.name = "flaky"
        self.left, self.in_open = failures, in_open
        self.opened = self.closed = self.steps = 0
        self.states: list[str] = []
        self.health_listener = lambda component, state: self.states.append(state)

    def _open(self) -> None:
        self.opened += 1
        if self.in_open and self.left:
            self.left -= 1
            raise ConnectionError("broker refused")

    def _close(self) -> None:
        self.closed += 1

    def step(self) -> bool:
        if not self.in_open and self.left:
            self.left -= 1
            raise RuntimeError(f"boom {self.left}")
        self.steps += 1
        return False


def _wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.005)
    raise AssertionError("condition not reached in time")


def test_a_component_that_fails_is_restarted_until_it_works_and_every_failure_is_counted() -> None:
    component = _Flaky(3)
    component.start()
    _wait_for(lambda: component.steps >= 5)
    component.stop()
    assert component.failures == 3
    assert component.restarts == 3
    assert component.opened == 4  # opened again after each failure
    assert component.closed >= 4  # closed after each failure, and on stop
    assert component.last_error == "RuntimeError: boom 0"
    assert not component.failed  # recovered
    assert component.states == ["running", "failing", "failing", "failing", "running", "stopped"]


def test_a_component_that_cannot_open_keeps_trying_and_reports_that_it_is_failing() -> None:
    component = _Flaky(10**9, in_open=True)
    component.start()
    _wait_for(lambda: component.failures >= 5)
    assert component.failed
    assert component.failing_for() > 0
    assert component.status()["state"] == "failing"
    assert component.status()["last_error"] == "ConnectionError: broker refused"
    component.stop()
    assert not component.running


def test_backoff_doubles_per_consecutive_failure_up_to_its_cap() -> None:
    backoff = Backoff(initial_s=0.1, max_s=1.0)
    assert [backoff.delay(n) for n in range(1, 7)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_unreachable_databases_and_brokers_are_infrastructure_failures_and_bad_values_are_not() -> (
    None
):
    import eventsourcing.persistence as es
    import psycopg

    from events.store import StoreUnavailable

    assert is_infrastructure_failure(psycopg.OperationalError("connection refused"))
    assert is_infrastructure_failure(es.OperationalError("pool timeout"))
    assert is_infrastructure_failure(StoreUnavailable("down"))
    assert is_infrastructure_failure(psycopg.errors.UndefinedTable("no rm_bars"))
    assert is_infrastructure_failure(TimeoutError())
    assert not is_infrastructure_failure(psycopg.errors.NumericValueOutOfRange("bigint"))
    assert not is_infrastructure_failure(psycopg.errors.UntranslatableCharacter("\\u0000"))
    assert not is_infrastructure_failure(ValueError("open is inf"))
