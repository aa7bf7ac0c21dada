"""Benchmark: the demo pipeline end to end — bars/s through all six contexts, and peak RSS.

What ``quantvista demo --no-serve --seed 7 --days 3`` does, timed: the platform on the embedded
PostgreSQL and pulsar-lite (a relay per store, every policy, the saga and every projection on
their own threads, in this one process), the sample's eight instruments listed, then 12,240
synthetic one-minute bars (seed 7, three sessions) fed through the ingestion service in chunks
of 250 as fast as it accepts them. Timed from the first bar fed until every consumer has applied
everything every store holds (the moment the platform went idle). The bars are generated before
the clock starts.

Reference, measured in the same run on the same bars through the same code: store-following
mode without the broker (``Platform(url, None)``: no relays, consumers read the stores) — feed
everything, then ``run_until_caught_up()``. Both runs get a fresh database, and both follow a
warm-up (one session in store-following mode in a throwaway database) so that neither pays
the process's one-time costs (JAX compilation, schema validators); the warm-up's own rate is
printed as the cold figure. The two runs must leave the same number of events in every store;
the bench says whether they did.

Peak RSS is ``ru_maxrss`` of this process (KiB on Linux) after the broker run; the PostgreSQL
and pulsar-lite server processes are not included. Targets: >= 500 bars/s, RSS < 2 GiB.
Timings move with machine load; nothing is asserted.

Run: ``.venv/bin/python bench/bench_demo.py [--days N]``
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from _servers import embedded_servers, fresh_database

from bounded_contexts.ingestion.adapters.csv_replay import read_instruments, sample_path
from bounded_contexts.ingestion.adapters.synthetic_feed import (
    SyntheticFeedConfig,
    synthetic_bars,
    trading_days,
)
from bounded_contexts.ingestion.domain.bars import RawBar
from quantvista.demo import FEED_CHUNK, FIRST_SYNTHETIC_SESSION
from quantvista.platform import Platform

SEED = 7
DEFAULT_DAYS = 3
WARMUP_DAYS = 1
DRAIN_TIMEOUT_S = 300.0
SETTLE_S = 0.3
TARGET_BARS_PER_S = 500.0
TARGET_RSS_KIB = 2 * 1024 * 1024


# -- servers and databases --------------------------------------------------------------


# -- the session --------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    bars: int
    seconds: float
    heads: dict[str, int]
    dead_letters: int

    @property
    def rate(self) -> float:
        return self.bars / self.seconds


def instrument_listings():  # type: ignore[no-untyped-def]
    return read_instruments(sample_path("instruments.csv"))


def session_bars(days: int) -> list[RawBar]:
    """The demo's synthetic market (``--seed 7``) for ``days`` sessions, from a fresh start."""
    instruments = sorted(listing.instrument_id for listing in instrument_listings())
    sessions = trading_days(FIRST_SYNTHETIC_SESSION, days)
    return list(synthetic_bars(instruments, sessions, SyntheticFeedConfig(seed=SEED)))


def chunks(rows: list[RawBar]) -> Iterator[list[RawBar]]:
    it = iter(rows)
    return iter(lambda: list(islice(it, FEED_CHUNK)), [])


def idle_since(platform: Platform) -> float:
    """The ``perf_counter`` at which the pipeline drained (``Platform.wait_until_idle``)."""
    quiet_since = platform.wait_until_idle(timeout_s=DRAIN_TIMEOUT_S, settle_s=SETTLE_S)
    if quiet_since is None:
        raise TimeoutError(f"pipeline not idle after {DRAIN_TIMEOUT_S:.0f} s")
    return quiet_since


def with_broker(url: str, pulsar_url: str, tenant: str, rows: list[RawBar]) -> Run:
    """``quantvista demo``'s way: relays, Pulsar, consumers on threads, fed as fast as it
    goes."""
    platform = Platform(url, pulsar_url, tenant=tenant)
    try:
        platform.create_tables()
        platform.build()
        platform.start()
        platform.ingestion.list_instruments(instrument_listings(), actor="feed:reference-data")
        idle_since(platform)
        started = time.perf_counter()
        for chunk in chunks(rows):
            platform.ingestion.ingest(chunk, actor="feed:bench")
        finished = idle_since(platform)
        heads = {name: store.head() for name, store in platform.stores.items()}
        return Run(len(rows), finished - started, heads, platform.dead_letters.count())
    finally:
        platform.close()


def store_following(url: str, rows: list[RawBar]) -> Run:
    """No broker: feed everything, then every consumer catches up from the stores."""
    platform = Platform(url, None)
    try:
        platform.create_tables()
        platform.build()
        platform.ingestion.list_instruments(instrument_listings(), actor="feed:reference-data")
        platform.run_until_caught_up()
        started = time.perf_counter()
        for chunk in chunks(rows):
            platform.ingestion.ingest(chunk, actor="feed:bench")
        platform.run_until_caught_up()
        finished = time.perf_counter()
        heads = {name: store.head() for name, store in platform.stores.items()}
        return Run(len(rows), finished - started, heads, platform.dead_letters.count())
    finally:
        platform.close()


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="synthetic sessions")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    rows = session_bars(args.days)
    warmup_rows = session_bars(WARMUP_DAYS)
    print(
        f"demo pipeline, all six contexts: {len(rows):,} synthetic bars "
        f"(seed {SEED}, {args.days} sessions, {len(instrument_listings())} instruments)"
    )
    with embedded_servers() as infra:
        server = infra.database_url
        cold = store_following(fresh_database(server, "bench_warmup"), warmup_rows)
        broker = with_broker(
            fresh_database(server, "bench_broker"), infra.pulsar_url, "bench-demo", rows
        )
        rss_broker = peak_rss_kib()
        reference = store_following(fresh_database(server, "bench_following"), rows)
        rss_all = peak_rss_kib()

    same = broker.heads == reference.heads
    print(
        f"  with relays + pulsar-lite + consumers on threads: {broker.rate:>6,.0f} bars/s "
        f"({broker.seconds:.1f} s)"
    )
    print(
        f"  reference, store-following (no broker), same bars: {reference.rate:>6,.0f} bars/s "
        f"({reference.seconds:.1f} s) -> ratio broker/store-following "
        f"{broker.rate / reference.rate:.2f}"
    )
    print(f"  cold process (warm-up, store-following, {cold.bars:,} bars): {cold.rate:,.0f} bars/s")
    verdict = "same in both runs" if same else f"DIFFERENT from the reference: {reference.heads}"
    print(
        f"  events per store: {broker.heads} — {verdict}; "
        f"dead letters {broker.dead_letters} / {reference.dead_letters}"
    )
    print(
        f"  peak RSS of this process: {rss_broker / 1024:,.0f} MiB after the broker run, "
        f"{rss_all / 1024:,.0f} MiB at the end (servers not included)"
    )
    rate_met = "met" if broker.rate >= TARGET_BARS_PER_S else "NOT met"
    rss_met = "met" if rss_broker < TARGET_RSS_KIB else "NOT met"
    print(
        f"  targets: >= {TARGET_BARS_PER_S:,.0f} bars/s -> {rate_met} ({broker.rate:,.0f}); "
        f"RSS < 2 GiB -> {rss_met} ({rss_broker / 1024:,.0f} MiB)"
    )


if __name__ == "__main__":
    main()
