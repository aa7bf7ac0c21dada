"""Two instances of the same consumer (a failover that overlapped, a second `serve execution`
started by mistake) racing over the same events: whatever one applied, the other recognises as
applied — even when its batch only partly overlaps what the first committed — and nothing is
dead-lettered, lost or doubled. Real PostgreSQL, the real execution policy."""

from __future__ import annotations

import pytest

from bounded_contexts.execution.application.service import ExecutionService
from bounded_contexts.execution.policies.on_market_and_decisions import ExecutionPolicy
from events.consumer import TrackedConsumer
from events.effects import StoreEffects
from tests.pipeline_helpers import feed_synthetic

pytestmark = pytest.mark.integration


def execution_instance(platform) -> TrackedConsumer:  # type: ignore[no-untyped-def]
    """One instance of the execution policy: its own service and in-memory state."""
    store = platform.stores["execution"]
    effects = StoreEffects(store)
    service = ExecutionService(store, platform.config.execution)
    return TrackedConsumer(
        ExecutionPolicy(service, platform.stores, effects),
        effects,
        platform.stores,
        platform.dead_letters,
        chunk_size=100,
    )


def test_a_second_instance_whose_batch_overlaps_the_first_s_applies_only_the_rest(
    database_url, make_platform
) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform(database_url, with_bus=False)
    platform.build(["intelligence", "prediction", "decision"])
    feed_synthetic(platform, seed=11, instruments=3)
    platform.run_until_caught_up()
    decisions = [e.position for e in platform.stores["decision"].iter_all()]
    assert len(decisions) > 200

    first, second = execution_instance(platform), execution_instance(platform)
    for instance in (first, second):  # both start: nothing applied yet
        instance.positions = {u: 0 for u in instance.handler.upstreams}
    middle = decisions[len(decisions) // 2 + 7]  # not on a chunk boundary of the second
    first.advance("decision", [], upto=middle)  # the first gets half way...
    second.catch_up()  # ...then the second, from where it started, goes to the end

    assert platform.dead_letters.count(second.name) == 0, platform.dead_letters.list()
    assert second.duplicates > 0 and not second.failed
    orders = [
        e.event.decision_id
        for e in platform.stores["execution"].iter_all()
        if type(e.event).__name__ == "OrderSubmitted"
    ]
    assert len(orders) == len(set(orders)) > 0  # one order per decision: none doubled
    assert second.positions["decision"] == decisions[-1]
    assert second.effects.tracked_position(second.name, "decision") == decisions[-1]
