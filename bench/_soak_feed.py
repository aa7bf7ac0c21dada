"""The soak's market feed, as its own process: the seeded synthetic market (what ``quantvista
demo --seed N`` feeds) recorded through the ingestion service at a steady rate, until stopped.

It is a component like the others, so the soak can SIGKILL it and start it again: a restart
finishes the plan a killed run left unfinished (the same bars; those already stored are
skipped) exactly as ``demo --seed`` does, and when a plan is done the next trading days are
planned. The ingestion store has one writer: run one feeder at a time.

Pacing: every ``TICK_S`` the bars due by then (``rate`` x elapsed time) are fed in one
``ingest`` call; a feeder that fell behind (a slow database) catches up by at most one second
of bars per tick, and gives up the rest of a backlog older than ``MAX_BACKLOG_S``. A line per
``REPORT_EVERY_S`` says how many bars it fed.

Run by ``bench/soak.py``; on its own: ``DATABASE_URL=... .venv/bin/python bench/_soak_feed.py
--seed 7 --rate 50 --days 25`` (the tables must exist: any ``quantvista`` command creates them).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Iterator
from itertools import islice

from bounded_contexts.ingestion.adapters.csv_replay import read_instruments, sample_path
from bounded_contexts.ingestion.adapters.synthetic_feed import SeededMarket, SyntheticFeedConfig
from bounded_contexts.ingestion.application.service import IngestionService
from bounded_contexts.ingestion.application.synthetic_schedule import seeded_feed
from bounded_contexts.ingestion.domain.bars import RawBar
from events.store import EventStore, datastore_from_url
from quantvista.demo import FIRST_SYNTHETIC_SESSION

TICK_S = 0.2
MAX_BACKLOG_S = 5.0
REPORT_EVERY_S = 30.0
READY_LINE = "feeding"  # the soak waits for a line starting with this


def endless_rows(ingestion: IngestionService, seed: int, days: int) -> Iterator[RawBar]:
    """The seeded market, plan after plan: an unfinished plan first, then ``days`` more at a
    time (each plan is recorded before its first bar, as ``demo --seed`` does)."""
    market = SeededMarket(SyntheticFeedConfig(seed=seed))
    while True:
        feed = seeded_feed(ingestion, market, days=days, first_session=FIRST_SYNTHETIC_SESSION)
        resumed = "" if feed.resumed_with is None else f", {feed.resumed_with:,} already stored"
        print(f"{READY_LINE} {feed.label}{resumed}", flush=True)
        yield from feed.rows


def feed(ingestion: IngestionService, rows: Iterator[RawBar], rate: float) -> None:
    """Feed ``rows`` at ``rate`` bars/s until interrupted."""
    started = last_report = time.monotonic()
    fed = 0
    given_up = 0.0  # bars of a backlog older than MAX_BACKLOG_S: the schedule moves on
    while True:
        now = time.monotonic()
        due = rate * (now - started) - given_up
        if due - fed > rate * MAX_BACKLOG_S:
            given_up += due - fed - rate * MAX_BACKLOG_S
            due = fed + rate * MAX_BACKLOG_S
        count = int(min(due - fed, rate))
        if count > 0:
            chunk = list(islice(rows, count))
            ingestion.ingest(chunk, actor="feed:soak")
            fed += len(chunk)
        if now - last_report >= REPORT_EVERY_S:
            elapsed = now - started
            print(
                f"fed {fed:,} bars in {elapsed:,.0f} s ({fed / elapsed:,.1f}/s; "
                f"{given_up:,.0f} bars behind schedule given up)",
                flush=True,
            )
            last_report = now
        time.sleep(max(0.0, TICK_S - (time.monotonic() - now)))


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rate", type=float, default=50.0, help="bars per second")
    parser.add_argument("--days", type=int, default=5, help="trading days per plan")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop)
    datastore = datastore_from_url(os.environ["DATABASE_URL"], pool_size=1, max_overflow=2)
    try:
        ingestion = IngestionService(EventStore("ingestion", datastore))
        ingestion.list_instruments(
            read_instruments(sample_path("instruments.csv")), actor="feed:reference-data"
        )
        feed(ingestion, endless_rows(ingestion, args.seed, args.days), args.rate)
    except KeyboardInterrupt:
        pass
    finally:
        datastore.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
