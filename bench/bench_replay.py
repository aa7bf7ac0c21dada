"""Benchmark: point-in-time replay (``quantvista replay --as-of T --into SCHEMA``) of the demo's
one-day log.

Workload: ``quantvista demo --fresh --no-serve`` records its trading day into a temporary data
directory (its own embedded PostgreSQL). Timed on that log:

* **replay as of** the middle and the end of the recording (every read model folded into a new
  schema by ``projections.as_of.replay_as_of``, the live projections' own code on each store's
  cut), in events folded per second;
* reference 1, the floor: reading and decoding the same events alone (every projection's
  upstreams, ``EventStore.iter_all``), no fold, no write;
* reference 2: ``quantvista rebuild``'s path (``rebuild_projections``: the tracked consumer
  draining into the live tables, with its tracking rows).

Printed: events/s of each and the ratios. Timings move with machine load; nothing is asserted.

Run: ``.venv/bin/python bench/bench_replay.py``
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from projections.as_of import replay_as_of
from projections.rebuild import rebuild_projections
from projections.registry import all_projections
from quantvista.config import Settings
from quantvista.embedded import Infrastructure
from quantvista.platform import Platform


def record_demo_day(data_dir: Path) -> float:
    script = Path(sys.executable).with_name("quantvista")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "quantvista.cli"]
    started = time.perf_counter()
    subprocess.run(
        [*head, "--data-dir", str(data_dir), "demo", "--fresh", "--no-serve"],
        check=True,
        capture_output=True,
        env={**os.environ, "QUANTVISTA_LOG_LEVEL": "WARNING"},
    )
    return time.perf_counter() - started


def recording_span(url: str) -> tuple[int, int, dict[str, int]]:
    """First and last recording time over every store, and each store's event count."""
    first, last, counts = None, None, {}
    with psycopg.connect(url) as conn:
        for context in ("ingestion", "intelligence", "prediction", "decision", "execution"):
            row = conn.execute(
                f"SELECT count(*), min((convert_from(state, 'UTF8')::jsonb ->> 'ts_recorded')"
                f"::bigint), max((convert_from(state, 'UTF8')::jsonb ->> 'ts_recorded')::bigint) "
                f"FROM {context}_events"
            ).fetchone()
            counts[context] = int(row[0])
            if row[1] is not None:
                first = row[1] if first is None else min(first, row[1])
                last = row[2] if last is None else max(last, row[2])
    assert first is not None and last is not None, "the demo recorded nothing"
    return first, last, counts


def timed_replay(platform: Platform, url: str, as_of: int, schema: str) -> tuple[int, float]:
    started = time.perf_counter()
    folded = sum(count for _, count, _ in replay_as_of(url, platform.stores, as_of, schema))
    return folded, time.perf_counter() - started


def timed_read(platform: Platform) -> tuple[int, float]:
    started, read = time.perf_counter(), 0
    for projection in all_projections():
        for upstream in projection.upstreams:
            read += sum(1 for _ in platform.stores[upstream].iter_all(0))
    return read, time.perf_counter() - started


def timed_rebuild(platform: Platform) -> tuple[int, float]:
    started = time.perf_counter()
    applied = sum(count for _, count, _ in rebuild_projections(platform))
    return applied, time.perf_counter() - started


def rate(events: int, seconds: float) -> str:
    return f"{events:>9,} events {seconds:7.2f} s {events / seconds:>10,.0f} events/s"


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="qv-bench-replay-"))
    infra = None
    try:
        print(f"recording the demo's day: {record_demo_day(data_dir):.1f} s")
        infra = Infrastructure.start(Settings(data_dir=data_dir))
        url = infra.database_url
        first, last, counts = recording_span(url)
        print("log: " + ", ".join(f"{c} {n:,}" for c, n in counts.items()))
        platform = Platform(url, None)
        try:
            read, read_s = timed_read(platform)
            middle, middle_s = timed_replay(platform, url, (first + last) // 2, "bench_as_of_mid")
            full, full_s = timed_replay(platform, url, last, "bench_as_of_end")
            rebuilt, rebuilt_s = timed_rebuild(platform)
        finally:
            platform.close()
        print()
        print("replay as of (every read model into a new schema)")
        print(f"  middle of the day  {rate(middle, middle_s)}")
        print(f"  end of the day     {rate(full, full_s)}")
        print(f"reference: read and decode alone  {rate(read, read_s)}")
        print(f"reference: quantvista rebuild     {rate(rebuilt, rebuilt_s)}")
        print()
        full_rate, read_rate = full / full_s, read / read_s
        print(f"replay as of (end) / read alone: x{full_rate / read_rate:.2f} events/s")
        print(f"replay as of (end) / rebuild:    x{full_rate / (rebuilt / rebuilt_s):.2f} events/s")
    finally:
        if infra is not None:
            with contextlib.redirect_stdout(io.StringIO()):
                infra.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
