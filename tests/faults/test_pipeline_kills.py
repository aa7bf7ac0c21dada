"""SIGKILL the pipeline at its worst moments, start it again, and require exactly the result
of a run that was never interrupted: every read model row for row, every store's facts, and
cash, positions and fills that add up.

The kill points are the fault plan's (see :mod:`events.faults`): during start-up, between two
chunks of the feed, in the middle of a consumer's batch (effects written, transaction open),
between a consumer's commit and its acknowledgement, and between a relay's publish and the
record of its position. Where a point is passed many times, the pass is drawn from a seeded
generator, so the cases are random but the same on every run.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.faults.harness import (
    KILLED,
    Snapshot,
    assert_same_as,
    run,
    stop_leftover_servers,
)

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SEED = 20261204
_draw = random.Random(SEED)

KILL_PLANS = [
    "startup@1",
    f"mid_feed@{_draw.randint(2, 12)}",
    f"mid_batch:execution.orders@{_draw.randint(2, 10)}",
    f"mid_batch:projection.portfolio@{_draw.randint(2, 10)}",
    f"after_commit:intelligence.indicators@{_draw.randint(2, 10)}",
    f"before_ack:decision.strategy@{_draw.randint(1, 6)}",
    f"after_publish:relay:ingestion@{_draw.randint(1, 3)}",
]


def _demo(data_dir: Path, *, plan: str | None = None, fresh: bool = False):  # type: ignore[no-untyped-def]
    return run(data_dir, "demo", "--no-serve", *(["--fresh"] if fresh else []), plan=plan)


@pytest.mark.parametrize("plan", KILL_PLANS)
def test_a_demo_killed_at_a_bad_moment_and_started_again_equals_an_uninterrupted_run(
    plan: str, reference: Snapshot, tmp_path: Path
) -> None:
    try:
        killed = _demo(tmp_path, plan=plan)
        assert killed.returncode == KILLED, (
            f"the plan {plan} was never reached: {killed.stdout[-1500:]}{killed.stderr[-1500:]}"
        )
        again = _demo(tmp_path)
        assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
        assert "Traceback" not in again.stderr
        assert_same_as(reference, tmp_path)
    finally:
        stop_leftover_servers(tmp_path)


def test_a_demo_killed_again_and_again_still_ends_equal_to_an_uninterrupted_run(
    reference: Snapshot, tmp_path: Path
) -> None:
    plans = ["mid_feed@3", "after_commit:execution.orders@2", "mid_batch:sagas.trade-lifecycle@2"]
    try:
        for plan in plans:
            killed = _demo(tmp_path, plan=plan)
            assert killed.returncode == KILLED, f"{plan}: {killed.stdout[-1000:]}"
        again = _demo(tmp_path)
        assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
        assert_same_as(reference, tmp_path)
    finally:
        stop_leftover_servers(tmp_path)
