"""SIGKILL the seeded demo mid-feed and run it again: it must finish the interrupted plan
(regenerated from its record, the stored bars skipped, no new day added) and end exactly like
a run never interrupted. A finished plan is followed by the next days; an unfinished one is
refused with another seed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.faults.harness import (
    KILLED,
    Snapshot,
    database_of,
    invariant_breaches,
    run,
    snapshot,
    stop_leftover_servers,
)

pytestmark = [pytest.mark.slow, pytest.mark.integration]

INSTRUMENTS, BARS_PER_DAY, FEED_CHUNK = 8, 510, 250
DAY_ROWS = INSTRUMENTS * BARS_PER_DAY  # 4,080


def _seeded(data_dir: Path, *extra: str, plan: str | None = None, seed: int = 7, days: int = 2):  # type: ignore[no-untyped-def]
    return run(
        data_dir, "demo", "--no-serve", *extra, "--seed", str(seed), "--days", str(days), plan=plan
    )


def _sessions(database_url: str) -> dict[str, int]:
    """Bars stored per UTC date."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT (to_timestamp(ts_event / 1e9) AT TIME ZONE 'UTC')::date::text, count(*) "
            "FROM rm_bars GROUP BY 1 ORDER BY 1"
        ).fetchall()
    return dict(rows)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Snapshot]]:
    data_dir = tmp_path_factory.mktemp("seeded-uninterrupted")
    try:
        done = _seeded(data_dir, "--fresh")
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        with database_of(data_dir) as url:
            assert invariant_breaches(url) == []
            assert list(_sessions(url).values()) == [DAY_ROWS, DAY_ROWS]
            yield data_dir, snapshot(url)
    finally:
        stop_leftover_servers(data_dir)


def _assert_equal(reference: Snapshot, data_dir: Path) -> None:
    with database_of(data_dir) as url:
        got = snapshot(url)
        assert invariant_breaches(url) == []
        assert list(_sessions(url).values()) == [DAY_ROWS, DAY_ROWS]
    for table, rows in reference.read_models.items():
        assert got.read_models[table] == rows, f"read model {table} differs"
    for context, facts in reference.stores.items():
        assert got.stores[context] == facts, f"{context} store differs"


def _killed_at(data_dir: Path, chunk: int) -> None:
    killed = _seeded(data_dir, "--fresh", plan=f"mid_feed@{chunk}")
    assert killed.returncode == KILLED, killed.stdout[-1500:] + killed.stderr[-1500:]


def test_a_seeded_demo_killed_in_its_first_day_finishes_that_day_and_equals_an_uninterrupted_run(
    uninterrupted: tuple[Path, Snapshot], tmp_path: Path
) -> None:
    try:
        _killed_at(tmp_path, 6)  # 1,500 of the first day's 4,080 rows stored
        again = _seeded(tmp_path)
        assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
        assert "Traceback" not in again.stderr
        assert (
            "resuming the interrupted seeded feed: seed 7, 2026-11-16 +1d, "
            f"{6 * FEED_CHUNK:,} bars already stored"
        ) in again.stdout
        _assert_equal(uninterrupted[1], tmp_path)
    finally:
        stop_leftover_servers(tmp_path)


def test_a_seeded_demo_killed_in_its_second_day_refuses_another_seed_and_finishes_with_its_own(
    uninterrupted: tuple[Path, Snapshot], tmp_path: Path
) -> None:
    chunk = DAY_ROWS // FEED_CHUNK + 6  # 22 chunks: 1,420 rows into the second day
    try:
        _killed_at(tmp_path, chunk)
        other = _seeded(tmp_path, seed=8)
        assert other.returncode == 2, other.stdout[-2000:] + other.stderr[-2000:]
        assert "rerun with --seed 7" in other.stdout and "--fresh" in other.stdout
        assert "Traceback" not in other.stderr
        again = _seeded(tmp_path)
        assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
        assert f"{chunk * FEED_CHUNK:,} bars already stored" in again.stdout
        _assert_equal(uninterrupted[1], tmp_path)
    finally:
        stop_leftover_servers(tmp_path)


def test_rerunning_a_finished_seeded_plan_appends_the_next_trading_days(
    uninterrupted: tuple[Path, Snapshot],
) -> None:
    data_dir, _ = uninterrupted
    try:
        more = _seeded(data_dir, days=1)
        assert more.returncode == 0, more.stdout[-2000:] + more.stderr[-2000:]
        assert "resuming" not in more.stdout
        assert "synthetic-seed-7 (2026-11-18 +0d)" in more.stdout
        with database_of(data_dir) as url:
            assert _sessions(url) == {
                "2026-11-16": DAY_ROWS,
                "2026-11-17": DAY_ROWS,
                "2026-11-18": DAY_ROWS,
            }
            assert invariant_breaches(url) == []
    finally:
        stop_leftover_servers(data_dir)
