"""Soak: the platform run as an operator runs it — every context its own process — for
``--minutes`` under a steady feed, GraphQL load and random SIGKILLs; memory over time, lag,
dead letters, and whether the books still add up at the end.

What it measures. Every ``--sample-every`` seconds (default 10): the RSS, CPU and PostgreSQL
connections of each component process (connections by ``application_name``: each process gets
``PGAPPNAME=<component>``), PostgreSQL's memory (PSS summed over the postmaster and its
backends) and backend count, the pulsar-lite broker's RSS; the pipeline lag (events some
consumer or relay has not applied yet, summed over every consumer and upstream store, from the
stores' heads and the tracking tables); the dead letters; the components whose process reports
them failing (the health table); bars, orders and fills recorded. At the end the feed stops,
the pipeline drains (lag 0 and heads unchanged for a few seconds), ``quantvista status
--json`` is taken as the official view (lag, dead letters, components that failed and were
restarted inside their process), and the invariants are checked on the read models: cash =
initial + flows − fees of ``rm_fills``, fees paid = their sum, every position = the signed sum
of its fills, every order's filled quantity = the sum of its fills and no more than its
quantity, every fill belongs to a known order, no order filled twice on one bar, and as many
fills as ``OrderFilled`` and ``FillBooked`` events in the execution store.

How. One embedded PostgreSQL (its ``max_connections`` raised to ``--max-connections``, default
300: the ten processes hold ~100 connections) and one pulsar-lite (``Infrastructure``) under a
temporary data directory; the pipeline as separate OS processes, ``quantvista serve
<component>`` for ingestion (its relay), intelligence, prediction, decision, sagas,
support, projections and gateway, all with the same ``DATABASE_URL`` and ``PULSAR_URL`` (README,
"Pointing it at real servers"), started one after the other. Tables are created first, once,
by ``quantvista status --json`` (which also names every consumer and its upstreams); then the
GraphQL caller is set up as an operator does: ``quantvista users add soak-trader --role trader
--account DEMO-001`` and ``quantvista token soak-trader`` (or ``--token``). A feeder process
(``_soak_feed.py``) records the seeded synthetic market of ``quantvista demo --seed`` through
the ingestion service at ``--rate`` bars/s. Meanwhile this process sends GraphQL to the
gateway over HTTP with that token — ``portfolio`` and ``orders(first: 50)`` of ``DEMO-001`` at a
low steady rate, a one-share ``placeOrder`` now and then — and counts the answers by kind: an
error while the gateway (with its execution path) or projections was down (from its kill or
crash until it served again, plus a few seconds) is expected and counted apart. At every multiple of
``--kill-every`` seconds a component drawn with a seeded RNG (the feeder included) is SIGKILLed
and started again ``--restart-after`` seconds later; each kill is logged with how long the
component took to serve again. A process that exits by itself is logged as a crash and
restarted with backoff (a supervisor's job).

Memory growth. A restart resets a process's memory, so growth is measured per process
instance: from its first sample after the warm-up mark (``--warmup-minutes``, default 5, at
most half the run, and at least a minute after the instance started) to its last, on the
instance that lived longest after the mark. A component whose growth exceeds ``--rss-bound``
(default 20 %) is flagged; the servers' growth is shown for information. Nothing is asserted:
the figures move with machine load.

Outputs, under ``--out`` (default ``bench/results/soak-<UTC time>/``): ``samples.csv`` (one
row per sample), ``samples.json`` (the same with per-consumer lag, heads, connections and
pids), ``kills.csv``, ``crashes.csv``, ``requests.csv`` (every GraphQL request),
``report.json`` and ``report.txt`` (what is printed at the end) and ``logs/<component>.log``
(each process's output, all its instances). The data directory is removed at the end unless
``--keep``. Ctrl-C (or SIGTERM) stops everything cleanly and prints what was sampled so far (no
drain, no invariants). The processes run the working tree as it is when each one starts.

Run: ``.venv/bin/python bench/soak.py [--minutes 30] [--rate 50] [--kill-every 120]`` — it
takes ``--minutes`` plus about three minutes (start, drain, checks). Not part of ``make bench``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg

from quantvista.config import Settings
from quantvista.embedded import Infrastructure

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
QUANTVISTA = str(Path(sys.executable).with_name("quantvista"))
FEEDER_SCRIPT = str(BENCH_DIR / "_soak_feed.py")

SERVED = (
    "ingestion",
    "intelligence",
    "prediction",
    "decision",
    "sagas",
    "support",
    "projections",
    "gateway",
)
"""``quantvista serve``'s components (``quantvista.platform.CONTEXT_COMPONENTS`` + gateway), but
not ``execution``: ``serve gateway`` runs the execution context's relay and consumer itself,
and is run *instead of* ``serve execution`` (docs/operations.md). Run beside it, both apply
each decision; the loser's append is refused and dead-lettered ("order … already exists"; a
3-minute soak so configured recorded 49 such dead letters, the books still exact)."""
FEEDER = "feeder"
COMPONENTS = (*SERVED, FEEDER)
ACCOUNT = "DEMO-001"
SOAK_USER = "soak-trader"
INSTRUMENTS = ("SAP", "SIE", "ALV", "ASML", "AIR", "MC", "TTE", "BNP")  # the sample's
BARS_PER_DAY = 8 * 510  # instruments x one-minute bars per synthetic session
HOST = "127.0.0.1"
ISOLATED_ENV = (
    "DATABASE_URL",
    "PULSAR_URL",
    "QUANTVISTA_DATA_DIR",
    "QUANTVISTA_HTTP_PORT",
    "QUANTVISTA_HTTP_HOST",
    "QUANTVISTA_FAULT_PLAN",
    "QUANTVISTA_GATEWAY_WORKERS",
)

READY_TIMEOUT_S = 180.0  # a (re)started process must serve within this
STOP_GRACE_S = 20.0  # SIGTERM, then SIGKILL
DISRUPTION_GRACE_S = 3.0  # after a restarted component serves, errors still count as its
REQUEST_CAP_S = 5.0
INSTANCE_SETTLE_S = 60.0  # an instance's memory is judged from a minute after its start
DRAIN_SETTLE_S = 5.0
CRASH_BACKOFF_MAX_S = 60.0  # a crash-looping process is restarted at most this often
CRASH_BACKOFF_RESET_S = 60.0  # ... until one of its instances has run this long
MAX_CONNECTIONS = 300
"""The ten processes hold ~95 connections when idle and more under load (each pool grows to
its maximum and keeps idle connections for minutes); the embedded server's default of 100 is
not enough for the fleet, so the soak sizes it as an operator would."""
MIB = 1024 * 1024
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

ANSWERED = ("ok", "rejected", "null")
SERVING_PATH = frozenset({"gateway", "projections"})
"""Components a request goes through (the gateway; its execution path; the read models a
mutation reads back): an error while one of them is down is expected."""


PORTFOLIO = (
    f'query Portfolio {{ portfolio(accountId: "{ACCOUNT}") {{ cash equity realisedPnl '
    "unrealisedPnl positions { instrumentId quantity averagePrice lastPrice marketValue } } }"
)
ORDERS = (
    f'query Orders {{ orders(accountId: "{ACCOUNT}", first: 50) {{ edges {{ cursor node {{ id '
    "instrumentId side quantity status filledQuantity averageFillPrice } } "
    "pageInfo { hasNextPage endCursor } } }"
)
PLACE_ORDER = (
    "mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { orderId position "
    "order { status } } }"
)


# -- options ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    minutes: float
    rate: float
    seed: int
    kill_every: float
    restart_after: float
    kill: tuple[str, ...]
    portfolio_rate: float
    orders_rate: float
    mutation_every: float
    sample_every: float
    warmup_minutes: float
    rss_bound: float
    drain_timeout: float
    out: Path
    keep: bool
    port: int | None
    max_connections: int
    token: str | None


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--minutes", type=float, default=30.0, help="how long to feed (default 30)")
    add("--rate", type=float, default=50.0, help="bars per second fed (default 50)")
    add("--seed", type=int, default=7, help="synthetic market and kill draws (default 7)")
    add("--kill-every", type=float, default=120.0, help="seconds between kills; 0: none")
    add("--restart-after", type=float, default=2.0, help="pause before a restart (s)")
    add(
        "--kill",
        default=",".join(COMPONENTS),
        help=f"comma-separated components to draw kills from (default: all, {FEEDER} included)",
    )
    add("--portfolio-rate", type=float, default=2.0, help="portfolio queries per second")
    add("--orders-rate", type=float, default=1.0, help="orders queries per second")
    add("--mutation-every", type=float, default=15.0, help="seconds between placeOrder; 0: none")
    add("--sample-every", type=float, default=10.0, help="seconds between samples")
    add("--warmup-minutes", type=float, default=5.0, help="memory growth is judged from here")
    add("--rss-bound", type=float, default=20.0, help="flag growth above this %% (default 20)")
    add("--drain-timeout", type=float, default=600.0, help="seconds to wait for lag 0 at the end")
    add("--out", type=Path, default=None, help="results folder (default bench/results/soak-…)")
    add("--keep", action="store_true", help="keep the data directory (servers' data)")
    add("--port", type=int, default=None, help="gateway port (default: a free one)")
    add(
        "--max-connections",
        type=int,
        default=MAX_CONNECTIONS,
        help=f"PostgreSQL max_connections (default {MAX_CONNECTIONS}; 0 keeps the server's 100)",
    )
    add(
        "--token",
        default=None,
        help=f"bearer token for the GraphQL load (default: user {SOAK_USER!r}, a trader of "
        f"{ACCOUNT}, is added and given a token)",
    )
    args = parser.parse_args(argv)
    kill = tuple(name.strip() for name in args.kill.split(",") if name.strip())
    unknown = sorted(set(kill) - set(COMPONENTS))
    if unknown:
        parser.error(f"--kill: unknown component(s) {', '.join(unknown)}; known: {COMPONENTS}")
    if args.minutes <= 0 or args.rate <= 0 or args.sample_every <= 0:
        parser.error("--minutes, --rate and --sample-every must be positive")
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    return Options(
        minutes=args.minutes,
        rate=args.rate,
        seed=args.seed,
        kill_every=args.kill_every,
        restart_after=args.restart_after,
        kill=kill,
        portfolio_rate=args.portfolio_rate,
        orders_rate=args.orders_rate,
        mutation_every=args.mutation_every,
        sample_every=args.sample_every,
        warmup_minutes=args.warmup_minutes,
        rss_bound=args.rss_bound,
        drain_timeout=args.drain_timeout,
        out=args.out or BENCH_DIR / "results" / f"soak-{stamp}",
        keep=args.keep,
        port=args.port,
        max_connections=args.max_connections,
        token=args.token,
    )


# -- the clock and the log ------------------------------------------------------------------
class Clock:
    """Seconds since the feed started (negative during start-up)."""

    def __init__(self) -> None:
        self.origin = time.monotonic()

    def reset(self) -> None:
        self.origin = time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() - self.origin


def say(clock: Clock, text: str) -> None:
    print(f"[{clock():7.1f} s] {text}", flush=True)


# -- processes --------------------------------------------------------------------------------
@dataclass
class Member:
    """One component process, started again after each kill or crash (its log is appended)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    ready_marker: str
    health_url: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    instance: int = 0
    started_at: float = 0.0  # time.monotonic()
    log_offset: int = 0
    expected_exit: bool = True  # set while this process is stopped or being killed by us
    recovering: bool = False
    crash_streak: int = 0  # crashes since it last served for a while: the restart backoff
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def start(self, clock: Clock) -> None:
        self.instance += 1
        with self.log.open("ab") as out:
            out.write(f"\n--- soak: start #{self.instance} at t={clock():.1f} s\n".encode())
            self.log_offset = out.tell()
            self.proc = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=REPO_ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the soak only; it stops them in order
            )
        self.started_at = time.monotonic()
        self.expected_exit = False

    def output(self) -> str:
        with self.log.open("rb") as log:
            log.seek(self.log_offset)
            return log.read().decode(errors="replace")

    def tail(self, lines: int = 8) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def serving(self) -> bool:
        if self.ready_marker not in self.output():
            return False
        if self.health_url is None:
            return True
        try:
            return httpx.get(self.health_url, timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_serving(self, timeout: float, stop: threading.Event) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not stop.is_set():
            if self.proc is None or self.proc.poll() is not None:
                return False
            if self.serving():
                return True
            time.sleep(0.2)
        return False

    def kill(self) -> None:
        self.expected_exit = True
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            self.proc.wait()

    def terminate(self) -> None:
        self.expected_exit = True
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass
class Outage:
    component: str
    start: float
    end: float | None  # when it served again
    cause: str  # kill | crash


@dataclass
class Kill:
    t: float
    component: str
    pid: int | None
    lived_s: float
    serving_after_s: float | None  # from the kill until it served again; None: never
    note: str = ""


@dataclass
class Crash:
    t: float
    component: str
    pid: int | None
    returncode: int | None
    tail: str
    serving_after_s: float | None


class Fleet:
    """The component processes: start, kill and restart, restart what crashed, stop."""

    def __init__(self, members: dict[str, Member], clock: Clock, restart_after: float) -> None:
        self.members = members
        self.clock = clock
        self.restart_after = restart_after
        self.outages: list[Outage] = []
        self.kills: list[Kill] = []
        self.crashes: list[Crash] = []
        self.stopping = threading.Event()  # set on Ctrl-C: restarts in progress give up
        self._lock = threading.Lock()

    def start_all(self) -> None:
        """One at a time, each serving before the next starts (a gentle start on few cores)."""
        for member in self.members.values():
            started = time.monotonic()
            member.start(self.clock)
            if not member.wait_serving(READY_TIMEOUT_S, self.stopping):
                raise RuntimeError(f"{member.name} did not start:\n{member.tail(30)}")
            say(
                self.clock,
                f"{member.name} serving (pid {member.pid}, {time.monotonic() - started:.1f} s)",
            )

    def pids(self) -> dict[str, int | None]:
        return {name: member.pid for name, member in self.members.items()}

    def disrupted(self, t0: float, t1: float) -> list[str]:
        """Components down at some moment of [t0, t1] (or serving again for less than the
        grace period)."""
        with self._lock:
            return sorted(
                {
                    o.component
                    for o in self.outages
                    if o.start <= t1 and (o.end is None or o.end + DISRUPTION_GRACE_S >= t0)
                }
            )

    def kill_and_restart(self, name: str) -> Kill:
        member = self.members[name]
        with member.lock:
            if member.recovering or member.pid is None:
                return Kill(self.clock(), name, None, 0.0, None, "skipped: it was down")
            pid, lived = member.pid, time.monotonic() - member.started_at
            outage = self._outage(name, "kill")
            member.kill()
            self.stopping.wait(self.restart_after)
            serving_after = self._restart(member, outage)
            return Kill(outage.start, name, pid, lived, serving_after)

    def supervise(self) -> None:
        """Restart (in the background, with backoff) every process that exited without being
        asked to; forget the backoff of one that has served for a while."""
        for member in self.members.values():
            proc = member.proc
            if proc is None or member.expected_exit or member.recovering:
                continue
            if proc.poll() is None:
                if time.monotonic() - member.started_at > CRASH_BACKOFF_RESET_S:
                    member.crash_streak = 0
                continue
            member.recovering = True
            threading.Thread(target=self._recover, args=(member,), daemon=True).start()

    def _recover(self, member: Member) -> None:
        with member.lock:
            try:
                proc = member.proc
                if proc is None or proc.poll() is None or member.expected_exit:
                    return
                outage = self._outage(member.name, "crash")
                tail = member.tail()
                delay = min(self.restart_after * 2**member.crash_streak, CRASH_BACKOFF_MAX_S)
                member.crash_streak += 1
                last = tail.splitlines()[-1] if tail else ""
                say(
                    self.clock,
                    f"CRASH: {member.name} (pid {proc.pid}) exited {proc.returncode}: {last} "
                    f"— restarting in {delay:.0f} s",
                )
                self.stopping.wait(delay)
                serving_after = self._restart(member, outage)
                crash = Crash(
                    outage.start, member.name, proc.pid, proc.returncode, tail, serving_after
                )
                with self._lock:
                    self.crashes.append(crash)
            finally:
                member.recovering = False

    def _outage(self, name: str, cause: str) -> Outage:
        outage = Outage(name, self.clock(), None, cause)
        with self._lock:
            self.outages.append(outage)
        return outage

    def _restart(self, member: Member, outage: Outage) -> float | None:
        """Start ``member`` again; the seconds from the outage's start until it served, or
        None when it did not (a process that exits while starting is left to
        :meth:`supervise`)."""
        if self.stopping.is_set():
            return None
        member.start(self.clock)
        if member.wait_serving(READY_TIMEOUT_S, self.stopping):
            now = self.clock()
            with self._lock:  # every open outage of it ends (a crash loop opens several)
                for o in self.outages:
                    if o.component == member.name and o.end is None:
                        o.end = now
            return now - outage.start
        if not self.stopping.is_set():
            proc = member.proc
            why = (
                f"exited {proc.returncode} while starting"
                if proc is not None and proc.poll() is not None
                else f"NOT serving {READY_TIMEOUT_S:.0f} s after its start"
            )
            last = member.tail(1)
            say(self.clock, f"{member.name} {why}: {last}")
        return None

    def stop_all(self) -> None:
        """SIGTERM every process (the feeder first, then the gateway, ...), SIGKILL after a
        grace period; a restart in progress is abandoned first."""
        self.stopping.set()
        for member in reversed(self.members.values()):
            locked = member.lock.acquire(timeout=STOP_GRACE_S)
            try:
                member.terminate()
            finally:
                if locked:
                    member.lock.release()


def killer(
    fleet: Fleet, targets: tuple[str, ...], every: float, seed: int, stop: threading.Event
) -> None:
    """At every multiple of ``every`` s SIGKILL a component drawn with a seeded RNG, and start
    it again (a slot missed while a restart took longer is skipped)."""
    rng = random.Random(seed)
    due = every
    while not stop.wait(max(0.0, due - fleet.clock())):
        while due <= fleet.clock():
            due += every
        name = rng.choice(targets)
        kill = fleet.kill_and_restart(name)
        fleet.kills.append(kill)
        after = "never" if kill.serving_after_s is None else f"{kill.serving_after_s:.1f} s later"
        say(
            fleet.clock,
            f"kill -9 {name} (pid {kill.pid}, lived {kill.lived_s:.0f} s): serving again "
            f"{after} {kill.note}".rstrip(),
        )


# -- GraphQL load -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    t: float
    stream: str
    outcome: str  # ok | rejected | null | an error kind
    latency_ms: float
    disrupted: str  # components down meanwhile, "+"-joined; "" when none


@dataclass(frozen=True)
class Stream:
    name: str
    every_s: float
    body: Callable[[random.Random], dict[str, Any]]


class OrderTicket:
    """``placeOrder`` bodies: a one-share market order — a sale of an instrument this soak
    bought before (half the time, when there is one), else a purchase of a random one. A sale
    can still be rejected (the strategy may have sold the position): recorded, counted apart."""

    def __init__(self) -> None:
        self.bought: list[str] = []

    def __call__(self, rng: random.Random) -> dict[str, Any]:
        if self.bought and rng.random() < 0.5:
            instrument, side = self.bought.pop(rng.randrange(len(self.bought))), "SELL"
        else:
            instrument, side = rng.choice(INSTRUMENTS), "BUY"
            self.bought.append(instrument)
        order = {
            "accountId": ACCOUNT,
            "instrumentId": instrument,
            "side": side,
            "quantity": "1",
            "orderType": "MARKET",
        }
        return {"query": PLACE_ORDER, "variables": {"input": order}}


def streams(options: Options) -> list[Stream]:
    wanted = [
        ("portfolio", options.portfolio_rate and 1.0 / options.portfolio_rate, PORTFOLIO),
        ("orders", options.orders_rate and 1.0 / options.orders_rate, ORDERS),
    ]
    out = [Stream(name, every, lambda _, q=query: {"query": q}) for name, every, query in wanted]
    out.append(Stream("placeOrder", options.mutation_every, OrderTicket()))
    return [s for s in out if s.every_s > 0]


def outcome_of(response: httpx.Response) -> str:
    """``ok``, ``rejected`` (a REJECTED order: recorded, a business outcome) or the error kind:
    ``HTTP <status> <code>`` or ``GraphQL <code>``."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code} (not JSON)"
    errors = body.get("errors") if isinstance(body, dict) else None
    codes = sorted({str((e.get("extensions") or {}).get("code", "NO_CODE")) for e in errors or []})
    if response.status_code != 200:
        return f"HTTP {response.status_code} {'+'.join(codes)}".rstrip()
    if not errors:
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, dict) and any(value is None for value in data.values()):
            return "null"  # unknown account, or one the caller may not see
        return "ok"
    if codes == ["REJECTED"]:
        return "rejected"
    return f"GraphQL {'+'.join(codes)}"


class GraphQLLoad:
    """A thread per stream, each sending on its own schedule (no catch-up bursts)."""

    def __init__(
        self, url: str, headers: dict[str, str], fleet: Fleet, clock: Clock, seed: int
    ) -> None:
        self.url = url
        self.headers = headers
        self.fleet = fleet
        self.clock = clock
        self.seed = seed
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self, plan: list[Stream], stop: threading.Event) -> None:
        for index, stream in enumerate(plan):
            thread = threading.Thread(
                target=self._run, args=(stream, random.Random(self.seed + index), stop), daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def join(self) -> None:
        for thread in self._threads:
            thread.join(REQUEST_CAP_S + 2)

    def counts(self) -> tuple[int, int]:
        with self._lock:
            ok = sum(r.outcome in ANSWERED for r in self.requests)
            return ok, len(self.requests) - ok

    def _run(self, stream: Stream, rng: random.Random, stop: threading.Event) -> None:
        with httpx.Client(timeout=REQUEST_CAP_S, headers=self.headers) as client:
            next_at = time.monotonic()
            while not stop.wait(max(0.0, next_at - time.monotonic())):
                self._send(client, stream, stream.body(rng))
                next_at = max(next_at + stream.every_s, time.monotonic())

    def _send(self, client: httpx.Client, stream: Stream, body: dict[str, Any]) -> None:
        t0 = self.clock()
        started = time.perf_counter()
        try:
            outcome = outcome_of(client.post(self.url, json=body))
        except httpx.TimeoutException:
            outcome = "timeout"
        except httpx.ConnectError:
            outcome = "connection refused"
        except httpx.HTTPError as error:
            outcome = f"connection error ({type(error).__name__})"
        latency = (time.perf_counter() - started) * 1000
        disrupted = "+".join(self.fleet.disrupted(t0, self.clock()))
        with self._lock:
            self.requests.append(Request(t0, stream.name, outcome, latency, disrupted))


# -- what the database says ------------------------------------------------------------------
class Probe:
    """Lag, dead letters, health and counts, read with plain SQL on one connection (lighter than
    a ``quantvista status`` process every sample)."""

    def __init__(self, database_url: str, pairs: list[tuple[str, str]], stores: list[str]):
        self.database_url = database_url
        self.pairs = pairs  # (component, upstream) as ``quantvista status`` names them
        self.stores = stores
        self._conn: psycopg.Connection[Any] | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self.database_url, autocommit=True, connect_timeout=10, application_name="soak"
            )
        try:
            return self._conn.execute(sql, params).fetchall()  # type: ignore[arg-type]
        except psycopg.Error:
            self.close()
            raise

    def heads(self) -> dict[str, int]:
        return {
            store: int(
                self._rows(f"SELECT coalesce(max(notification_id), 0) FROM {store}_events")[0][0]
            )
            for store in self.stores
        }

    def positions(self) -> dict[tuple[str, str], int]:
        """Every relay's and consumer's applied position, by (component, upstream)."""
        found: dict[tuple[str, str], int] = {}
        for context, position in self._rows("SELECT context, position FROM relay_positions"):
            found[(f"relay:{context}", context)] = int(position)
        for name, upstream, position in self._rows(
            "SELECT projection, upstream, position FROM projection_tracking"
        ):
            found[(name, upstream)] = int(position)
        for store in self.stores:
            for application, position in self._rows(
                f"SELECT application_name, max(notification_id) FROM {store}_tracking GROUP BY 1"
            ):
                consumer, _, upstream = str(application).rpartition(":")
                if consumer:
                    found[(consumer, upstream)] = int(position)
        return found

    def lags(self) -> tuple[dict[str, int], dict[str, int]]:
        heads = self.heads()
        positions = self.positions()
        lags = {
            f"{component}<-{upstream}": max(
                0, heads[upstream] - positions.get((component, upstream), 0)
            )
            for component, upstream in self.pairs
            if upstream in heads
        }
        return lags, heads

    def dead_letters(self) -> int:
        return int(self._rows("SELECT count(*) FROM dead_letters")[0][0])

    def connections(self) -> dict[str, int]:
        """Client connections by application name (each component's ``PGAPPNAME``)."""
        return {
            str(name) or "?": int(n)
            for name, n in self._rows(
                "SELECT application_name, count(*) FROM pg_stat_activity "
                "WHERE backend_type = 'client backend' GROUP BY 1"
            )
        }

    def unhealthy(self, pids: Iterable[int]) -> list[str]:
        """Components whose current process reports them failing (rows of killed processes
        are history and left out)."""
        live = {str(pid) for pid in pids}
        return sorted(
            f"{component} ({state}, {failures} failures: {error or ''})"[:160]
            for component, process, state, failures, error in self._rows(
                "SELECT component, process, state, failures, last_error FROM component_health "
                "WHERE state <> 'running'"
            )
            if str(process).rpartition(":")[2] in live and state != "stopped"
        )

    def counts(self) -> dict[str, int]:
        (bars,) = self._rows("SELECT count(*) FROM ingestion_events WHERE topic = 'BarClosed'")[0]
        (orders,) = self._rows("SELECT count(*) FROM rm_orders")[0]
        (fills,) = self._rows("SELECT count(*) FROM rm_fills")[0]
        return {"bars": int(bars), "orders": int(orders), "fills": int(fills)}

    def invariant_breaches(self) -> list[str]:
        """The fault suite's invariants (tests/faults/harness.py), in SQL, plus duplicates."""
        return [
            *self._cash_breaches(),
            *self._position_breaches(),
            *self._order_breaches(),
            *self._duplicate_fills(),
        ]

    def _cash_breaches(self) -> list[str]:
        breaches = []
        for account, initial, cash, fees_paid, flow, fees in self._rows(
            "SELECT p.account_id, p.initial_cash, p.cash, p.fees_paid, "
            "coalesce(sum(CASE WHEN f.side = 'BUY' THEN -f.quantity * f.price "
            "ELSE f.quantity * f.price END), 0), coalesce(sum(f.fee), 0) "
            "FROM rm_portfolio p LEFT JOIN rm_fills f USING (account_id) "
            "GROUP BY p.account_id, p.initial_cash, p.cash, p.fees_paid"
        ):
            if cash != initial + flow - fees:
                breaches.append(f"{account}: cash {cash} != {initial} + {flow} - {fees}")
            if fees_paid != fees:
                breaches.append(f"{account}: fees_paid {fees_paid} != sum of fees {fees}")
        return breaches

    def _position_breaches(self) -> list[str]:
        return [
            f"({account}, {instrument}): position {held} != fills {booked}"
            for account, instrument, held, booked in self._rows(
                "WITH booked AS (SELECT account_id, instrument_id, sum(CASE WHEN side = 'BUY' "
                "THEN quantity ELSE -quantity END) AS q FROM rm_fills GROUP BY 1, 2) "
                "SELECT coalesce(p.account_id, b.account_id), "
                "coalesce(p.instrument_id, b.instrument_id), p.quantity, coalesce(b.q, 0) "
                "FROM rm_positions p FULL OUTER JOIN booked b "
                "ON p.account_id = b.account_id AND p.instrument_id = b.instrument_id "
                "WHERE coalesce(p.quantity, 0) <> coalesce(b.q, 0)"
            )
        ]

    def _order_breaches(self) -> list[str]:
        return [
            f"order {order}: filled {filled}, fills {booked}, of {quantity}"
            for order, quantity, filled, booked in self._rows(
                "SELECT o.order_id, o.quantity, o.filled_quantity, coalesce(f.q, 0) "
                "FROM rm_orders o LEFT JOIN (SELECT order_id, sum(quantity) AS q FROM rm_fills "
                "GROUP BY 1) f USING (order_id) "
                "WHERE o.filled_quantity <> coalesce(f.q, 0) OR o.filled_quantity > o.quantity"
            )
        ] + [
            f"fill of order {order} #{seq}: no such order in rm_orders"
            for order, seq in self._rows(
                "SELECT f.order_id, f.fill_seq FROM rm_fills f "
                "LEFT JOIN rm_orders o USING (order_id) WHERE o.order_id IS NULL"
            )
        ]

    def _duplicate_fills(self) -> list[str]:
        breaches = [
            f"order {order} filled {n} times on the bar at {ts}"
            for order, ts, n in self._rows(
                "SELECT order_id, ts_event, count(*) FROM rm_fills GROUP BY 1, 2 "
                "HAVING count(*) > 1"
            )
        ]
        (fills,) = self._rows("SELECT count(*) FROM rm_fills")[0]
        for topic in ("OrderFilled", "FillBooked"):
            (events,) = self._rows(
                "SELECT count(*) FROM execution_events WHERE topic = %s", (topic,)
            )[0]
            if events != fills:
                breaches.append(f"{events} {topic} events in the execution store, {fills} fills")
        return breaches


# -- sampling ------------------------------------------------------------------------------------
@dataclass
class Sample:
    t: float
    rss_mib: dict[str, float | None]  # component -> RSS, None while down
    cpu_pct: dict[str, float | None]  # % of one core since the previous sample
    pids: dict[str, int | None]
    postgres_mib: float | None
    postgres_backends: int
    connections: dict[str, int]  # client connections by application name (the component)
    broker_mib: float | None
    soak_mib: float
    lag: int | None
    relay_lag: int | None
    lag_by_consumer: dict[str, int]
    heads: dict[str, int]
    dead_letters: int | None
    unhealthy: list[str]
    bars: int | None
    orders: int | None
    fills: int | None
    requests_ok: int
    requests_failed: int
    kills: int
    crashes: int
    probe_error: str = ""

    @property
    def components_mib(self) -> float:
        return sum(v for v in self.rss_mib.values() if v is not None)


class Sampler:
    def __init__(self, fleet: Fleet, probe: Probe, load: GraphQLLoad, data_dir: Path) -> None:
        self.fleet = fleet
        self.probe = probe
        self.load = load
        self.data_dir = data_dir
        self.samples: list[Sample] = []
        self._cpu: dict[int, tuple[float, float]] = {}  # pid -> (monotonic, cpu seconds)

    def sample(self) -> Sample:
        pids = self.fleet.pids()
        rss = {name: _rss_mib(pid) for name, pid in pids.items()}
        cpu = {name: self._cpu_pct(pid) for name, pid in pids.items()}
        pg_mib, backends = self._postgres()
        ok, failed = self.load.counts()
        sample = Sample(
            t=self.fleet.clock(),
            rss_mib=rss,
            cpu_pct=cpu,
            pids=pids,
            postgres_mib=pg_mib,
            postgres_backends=backends,
            connections={},
            broker_mib=_rss_mib(self._broker_pid()),
            soak_mib=psutil.Process().memory_info().rss / MIB,
            lag=None,
            relay_lag=None,
            lag_by_consumer={},
            heads={},
            dead_letters=None,
            unhealthy=[],
            bars=None,
            orders=None,
            fills=None,
            requests_ok=ok,
            requests_failed=failed,
            kills=len(self.fleet.kills),
            crashes=len(self.fleet.crashes),
        )
        self._read_database(sample, [p for p in pids.values() if p is not None])
        self.samples.append(sample)
        return sample

    def _read_database(self, sample: Sample, pids: list[int]) -> None:
        try:
            lags, sample.heads = self.probe.lags()
            sample.lag_by_consumer = {k: v for k, v in lags.items() if v}
            sample.lag = sum(v for k, v in lags.items() if not k.startswith("relay:"))
            sample.relay_lag = sum(v for k, v in lags.items() if k.startswith("relay:"))
            sample.dead_letters = self.probe.dead_letters()
            sample.connections = self.probe.connections()
            sample.unhealthy = self.probe.unhealthy(pids)
            counts = self.probe.counts()
            sample.bars, sample.orders, sample.fills = (
                counts["bars"],
                counts["orders"],
                counts["fills"],
            )
        except psycopg.Error as error:
            sample.probe_error = f"{type(error).__name__}: {str(error).strip()[:200]}"

    def _cpu_pct(self, pid: int | None) -> float | None:
        if pid is None:
            return None
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            return None
        now, spent = time.monotonic(), times.user + times.system
        before = self._cpu.get(pid)
        self._cpu[pid] = (now, spent)
        if before is None or now <= before[0]:
            return None
        return 100.0 * (spent - before[1]) / (now - before[0])

    def _postgres(self) -> tuple[float | None, int]:
        """PSS summed over the postmaster and its backends (shared buffers counted once)."""
        try:
            pid = int((self.data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
            main = psutil.Process(pid)
            members = [main, *main.children(recursive=True)]
        except (OSError, ValueError, IndexError, psutil.Error):
            return None, 0
        total = 0
        for process in members:
            with contextlib.suppress(psutil.Error):
                total += process.memory_full_info().pss
        return total / MIB, len(members) - 1

    def _broker_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, KeyError):
            record = json.loads((self.data_dir / "pulsar" / "broker.json").read_text())
            return int(record["pid"])
        return None


def _rss_mib(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        rss = psutil.Process(pid).memory_info().rss
    except psutil.Error:
        return None
    return rss / MIB if rss else None  # 0: killed, not reaped yet


def progress_line(sample: Sample) -> str:
    biggest = max(((v, k) for k, v in sample.rss_mib.items() if v is not None), default=(0.0, "-"))
    down = [k for k, v in sample.rss_mib.items() if v is None]
    parts = [
        f"RSS {sample.components_mib:,.0f} MiB (largest {biggest[1]} {biggest[0]:,.0f}), "
        f"PostgreSQL {_num(sample.postgres_mib)} MiB/{sample.postgres_backends} backends, "
        f"broker {_num(sample.broker_mib)} MiB",
        f"lag {_num(sample.lag)} (relays {_num(sample.relay_lag)})",
        f"dead letters {_num(sample.dead_letters)}",
        f"bars {_num(sample.bars)} orders {_num(sample.orders)} fills {_num(sample.fills)}",
        f"GraphQL ok {sample.requests_ok} failed {sample.requests_failed}",
    ]
    if down:
        parts.append(f"down: {', '.join(down)}")
    if sample.unhealthy:
        parts.append(f"unhealthy: {'; '.join(sample.unhealthy)}")
    if sample.probe_error:
        parts.append(f"database probe failed: {sample.probe_error}")
    return " | ".join(parts)


def _num(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


# -- servers and start-up -----------------------------------------------------------------------
def child_env(infra: Infrastructure, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
    env.update(
        DATABASE_URL=infra.database_url,
        PULSAR_URL=infra.pulsar_url,
        QUANTVISTA_DATA_DIR=str(data_dir / "home"),  # no server is started there (keys…)
        COLUMNS="200",
        PYTHONUNBUFFERED="1",
    )
    return env


def official_status(env: dict[str, str]) -> dict[str, Any]:
    """``quantvista status --json`` (it also creates every table, once, before any worker)."""
    return json.loads(quantvista(env, "status", "--json"))


def request_headers(options: Options, env: dict[str, str]) -> dict[str, str]:
    """The GraphQL requests' headers, with a bearer token as an operator would get one: the
    ``--token`` given, else a trader of ``DEMO-001`` added with ``quantvista users add`` and
    a token from ``quantvista token`` (the embedded identity provider; its keys are made now,
    before the gateway starts and reads them), valid for the whole run."""
    headers = {"Content-Type": "application/json"}
    token = options.token
    if token is None:
        quantvista(env, "users", "add", SOAK_USER, "--role", "trader", "--account", ACCOUNT)
        ttl_s = round(options.minutes * 60 + options.drain_timeout + 3600)
        token = quantvista(env, "token", SOAK_USER, "--ttl", str(ttl_s)).strip().splitlines()[-1]
    headers["Authorization"] = f"Bearer {token}"
    return headers


def quantvista(env: dict[str, str], *args: str) -> str:
    """Run ``quantvista ARGS`` on the soak's servers; its standard output."""
    done = subprocess.run(
        [QUANTVISTA, *args],
        env=dict(env, PGAPPNAME=f"quantvista-{args[0]}"),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"quantvista {' '.join(args[:2])} failed ({done.returncode}):\n"
            f"{(done.stdout + done.stderr)[-3000:]}"
        )
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def members(options: Options, env: dict[str, str], logs: Path, port: int) -> dict[str, Member]:
    feeder_days = math.ceil(options.minutes * 60 * options.rate / BARS_PER_DAY) + 1
    found: dict[str, Member] = {}
    for name in SERVED:
        argv = [QUANTVISTA, "serve", name]
        marker, health = "serving", None
        if name == "gateway":
            argv += ["--port", str(port)]
            marker, health = "GraphQL on", f"http://{HOST}:{port}/healthz"
        found[name] = Member(
            name, argv, dict(env, PGAPPNAME=name), logs / f"{name}.log", marker, health
        )
    found[FEEDER] = Member(
        FEEDER,
        [
            sys.executable,
            FEEDER_SCRIPT,
            f"--seed={options.seed}",
            f"--rate={options.rate}",
            f"--days={feeder_days}",
        ],
        dict(env, PGAPPNAME=FEEDER),
        logs / f"{FEEDER}.log",
        "feeding",
    )
    return found


# -- the run --------------------------------------------------------------------------------------
@dataclass
class Outcome:
    interrupted: bool = False
    drained_after_s: float | None = None
    drain_note: str = ""
    breaches: list[str] | None = None
    status: dict[str, Any] | None = None
    status_error: str = ""
    started_at: str = ""
    wall_s: float = 0.0


def soak(options: Options, fleet: Fleet, sampler: Sampler, load: GraphQLLoad) -> None:
    """Feed, load, kill and sample for ``options.minutes``."""
    clock = fleet.clock
    stop = threading.Event()
    load.start(streams(options), stop)
    threads = []
    if options.kill_every > 0 and options.kill:
        threads.append(
            threading.Thread(
                target=killer,
                args=(fleet, options.kill, options.kill_every, options.seed, stop),
                daemon=True,
            )
        )
    for thread in threads:
        thread.start()
    try:
        next_sample = 0.0
        while clock() < options.minutes * 60:
            fleet.supervise()
            if clock() >= next_sample:
                say(clock, progress_line(sampler.sample()))
                next_sample += options.sample_every
            time.sleep(0.5)
    except KeyboardInterrupt:
        fleet.stopping.set()  # a restart in progress gives up at once
        raise
    finally:
        stop.set()
        load.join()
        say(clock, "feed, GraphQL load and kills stop; waiting for kills in progress")
        for thread in threads:
            thread.join(READY_TIMEOUT_S + options.restart_after + 5)


def drain(options: Options, fleet: Fleet, sampler: Sampler, outcome: Outcome) -> None:
    """Stop the feed, then wait until every consumer has applied everything (lag 0 and heads
    unchanged for ``DRAIN_SETTLE_S``), sampling on the way; restart what crashes meanwhile."""
    clock = fleet.clock
    feeder = fleet.members[FEEDER]
    with feeder.lock:
        feeder.terminate()
    started = clock()
    quiet_since: float | None = None
    last_heads: dict[str, int] = {}
    next_sample = started + options.sample_every
    while clock() - started < options.drain_timeout:
        fleet.supervise()
        try:
            lags, heads = sampler.probe.lags()
        except psycopg.Error as error:
            say(clock, f"drain: database probe failed: {error}")
            time.sleep(1.0)
            continue
        if not any(lags.values()) and heads == last_heads:
            quiet_since = quiet_since if quiet_since is not None else clock()
            if clock() - quiet_since >= DRAIN_SETTLE_S:
                outcome.drained_after_s = quiet_since - started
                say(clock, f"drained: lag 0 {outcome.drained_after_s:.1f} s after the feed stopped")
                return
        else:
            quiet_since = None
        last_heads = heads
        if clock() >= next_sample:
            say(clock, "draining: " + progress_line(sampler.sample()))
            next_sample += options.sample_every
        time.sleep(1.0)
    lags, _ = sampler.probe.lags()
    outcome.drain_note = f"NOT drained after {options.drain_timeout:.0f} s: " + ", ".join(
        f"{k} {v}" for k, v in lags.items() if v
    )
    say(clock, outcome.drain_note)


@dataclass
class Parts:
    """What a run has started so far (stopped in reverse at the end, whatever happened)."""

    infra: Infrastructure | None = None
    env: dict[str, str] = field(default_factory=dict)
    fleet: Fleet | None = None
    probe: Probe | None = None
    load: GraphQLLoad | None = None
    sampler: Sampler | None = None


def run(options: Options) -> int:
    """The whole soak; the exit status (0 once it ran, whatever it found; 1 when it could not
    run; 130 when interrupted)."""
    options.out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="qv-soak-"))
    clock = Clock()
    outcome = Outcome(started_at=datetime.now(tz=UTC).isoformat(timespec="seconds"))
    parts = Parts()
    status = 0
    try:
        say(clock, f"embedded PostgreSQL and pulsar-lite in {data_dir}; results in {options.out}")
        start(options, data_dir, clock, parts)
        assert parts.fleet and parts.sampler and parts.load and parts.probe
        clock.reset()
        say(clock, describe(options))
        soak(options, parts.fleet, parts.sampler, parts.load)
        drain(options, parts.fleet, parts.sampler, outcome)
        parts.sampler.sample()
        final_checks(parts.env, parts.probe, outcome)
    except KeyboardInterrupt:
        outcome.interrupted = True
        say(clock, "interrupted: stopping everything (no drain, no invariants)")
        status = 130
    except RuntimeError as error:
        say(clock, f"the soak could not go on: {error}")
        status = 1
    finally:
        outcome.wall_s = clock()
        finish(options, outcome, parts, data_dir)
    return status


def start(options: Options, data_dir: Path, clock: Clock, parts: Parts) -> None:
    """Servers, tables, the GraphQL caller, every component process serving."""
    with signals_deferred():  # a broker stopped mid-way swallows Ctrl-C (a bare except)
        parts.infra = start_servers(data_dir, options.max_connections)
    say(clock, f"servers up (max_connections {options.max_connections or 'as is'})")
    parts.env = child_env(parts.infra, data_dir)
    first = official_status(parts.env)
    pairs = [(row["component"], row["upstream"]) for row in first["components"]]
    say(clock, f"tables created; {len(pairs)} (component, upstream) pairs to follow")
    headers = request_headers(options, parts.env)
    say(clock, "GraphQL caller ready" + ("" if options.token else f" ({SOAK_USER}, a trader)"))
    port = options.port or free_port()
    logs = options.out / "logs"
    logs.mkdir(exist_ok=True)
    parts.fleet = Fleet(members(options, parts.env, logs, port), clock, options.restart_after)
    parts.fleet.start_all()
    parts.probe = Probe(parts.infra.database_url, pairs, list(first["stores"]))
    url = f"http://{HOST}:{port}/graphql"
    parts.load = GraphQLLoad(url, headers, parts.fleet, clock, options.seed)
    parts.sampler = Sampler(parts.fleet, parts.probe, parts.load, data_dir)


def finish(options: Options, outcome: Outcome, parts: Parts, data_dir: Path) -> None:
    """Stop the processes, report, stop the servers, remove the data unless ``--keep``
    (another Ctrl-C or SIGTERM meanwhile only says to wait)."""
    for sig in STOP_SIGNALS:
        if signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, lambda *_: print("stopping, please wait", flush=True))
    if parts.fleet is not None:
        parts.fleet.stop_all()
    if parts.probe is not None:
        parts.probe.close()
    if parts.fleet is not None and parts.sampler is not None and parts.load is not None:
        report(options, outcome, parts.fleet, parts.sampler, parts.load)
    _stop_servers(parts.infra)
    if options.keep:
        print(f"data kept: QUANTVISTA_DATA_DIR={data_dir} {QUANTVISTA} status (starts its servers)")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)


def start_servers(data_dir: Path, max_connections: int) -> Infrastructure:
    """The embedded PostgreSQL and pulsar-lite; PostgreSQL restarted once with
    ``max_connections`` when it is given (``ALTER SYSTEM``: it survives restarts)."""
    infra = Infrastructure.start(Settings(data_dir=data_dir))
    if max_connections <= 0:
        return infra
    with psycopg.connect(infra.database_url, autocommit=True) as conn:
        conn.execute(f"ALTER SYSTEM SET max_connections = {int(max_connections)}")
    _stop_servers(infra)
    infra = Infrastructure.start(Settings(data_dir=data_dir))
    with psycopg.connect(infra.database_url, autocommit=True) as conn:
        (value,) = conn.execute("SHOW max_connections").fetchone() or ("?",)
    if str(value) != str(max_connections):
        raise RuntimeError(f"max_connections is {value} after the restart, not {max_connections}")
    return infra


def final_checks(env: dict[str, str], probe: Probe, outcome: Outcome) -> None:
    """``quantvista status --json`` (lag, dead letters, health) and the invariants."""
    try:
        outcome.status = official_status(env)
    except (RuntimeError, ValueError, subprocess.TimeoutExpired) as error:
        outcome.status_error = str(error).strip()[-2000:]
    try:
        outcome.breaches = probe.invariant_breaches()
    except psycopg.Error as error:
        outcome.breaches = [f"could not check: {type(error).__name__}: {error}"]


def describe(options: Options) -> str:
    kills = (
        f"a kill every {options.kill_every:.0f} s among {', '.join(options.kill)}"
        if options.kill_every > 0 and options.kill
        else "no kills"
    )
    return (
        f"soak: {options.minutes:g} min at {options.rate:g} bars/s (seed {options.seed}); "
        f"GraphQL portfolio {options.portfolio_rate:g}/s, orders {options.orders_rate:g}/s, "
        f"placeOrder every {options.mutation_every:g} s; {kills}"
    )


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is done, then interrupt."""
    got: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda signum, _: got.append(signum))
        for sig in STOP_SIGNALS
        if signal.getsignal(sig) is not signal.SIG_IGN
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if got:
        raise KeyboardInterrupt


def _stop_servers(infra: Infrastructure | None) -> None:
    if infra is not None:
        with contextlib.redirect_stdout(io.StringIO()):  # pulsar-lite prints on stop
            infra.stop()


# -- the report -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Growth:
    base_mib: float
    end_mib: float
    minutes: float
    instance_pid: int

    @property
    def pct(self) -> float:
        return 100.0 * (self.end_mib - self.base_mib) / self.base_mib


def instances(samples: list[Sample], name: str) -> list[list[tuple[float, float, int]]]:
    """The samples of each process instance of ``name``: [(t, rss MiB, pid)], in order."""
    runs: list[list[tuple[float, float, int]]] = []
    last_pid = None
    for s in samples:
        pid, rss = s.pids.get(name), s.rss_mib.get(name)
        if pid is None or rss is None:
            last_pid = None
            continue
        if pid != last_pid:
            runs.append([])
            last_pid = pid
        runs[-1].append((s.t, rss, pid))
    return runs


def growth(samples: list[Sample], name: str, warmup_s: float) -> Growth | None:
    """RSS growth of the instance that lived longest after the warm-up mark."""
    best: Growth | None = None
    for run in instances(samples, name):
        born = run[0][0]
        judged = [p for p in run if p[0] >= max(warmup_s, born + INSTANCE_SETTLE_S)]
        if len(judged) < 2:
            continue
        candidate = Growth(
            judged[0][1], judged[-1][1], (judged[-1][0] - judged[0][0]) / 60, judged[0][2]
        )
        if best is None or candidate.minutes > best.minutes:
            best = candidate
    return best


def rss_table(
    options: Options, samples: list[Sample], warmup_s: float
) -> tuple[str, list[dict[str, Any]]]:
    """Per process: instances, RSS start/min/max/end, mean CPU, PostgreSQL connections (max and
    at the end) and the growth after the warm-up; components are judged against the bound,
    the servers' and this process's growth is shown for information."""
    live = [s for s in samples if s.t >= 0]
    rows: list[dict[str, Any]] = []
    series: dict[str, list[float | None]] = {
        name: [s.rss_mib.get(name) for s in live] for name in COMPONENTS
    }
    series["PostgreSQL (PSS)"] = [s.postgres_mib for s in live]
    series["pulsar-lite"] = [s.broker_mib for s in live]
    series["soak (this process)"] = [s.soak_mib for s in live]
    series["all components"] = [s.components_mib for s in live]
    connections: dict[str, list[int]] = {
        name: [s.connections.get(name, 0) for s in live] for name in COMPONENTS
    }
    connections["PostgreSQL (PSS)"] = [s.postgres_backends for s in live]
    connections["all components"] = [sum(s.connections.get(n, 0) for n in COMPONENTS) for s in live]
    lines = [
        f"{'process':<20} {'inst':>4} {'start':>7} {'min':>7} {'max':>7} {'end':>7} "
        f"{'cpu%':>5} {'conns':>9}  growth after the warm-up (longest-lived instance)"
    ]
    for name, values in series.items():
        known = [v for v in values if v is not None]
        if not known:
            continue
        cpu = [c for s in live if (c := s.cpu_pct.get(name)) is not None]
        judged = name in COMPONENTS
        found = growth(live, name, warmup_s) if judged else _series_growth(live, values, warmup_s)
        verdict = _verdict(found, options.rss_bound if judged else None)
        inst = len(instances(live, name)) if judged else 1
        conns = connections.get(name) or []
        conn_text = f"{max(conns)}/{conns[-1]}" if conns else "-"
        lines.append(
            f"{name:<20} {inst:>4} {known[0]:>7,.0f} {min(known):>7,.0f} {max(known):>7,.0f} "
            f"{known[-1]:>7,.0f} {_num(statistics.fmean(cpu) if cpu else None):>5} "
            f"{conn_text:>9}  {verdict}"
        )
        rows.append(
            {
                "process": name,
                "instances": inst,
                "start_mib": known[0],
                "min_mib": min(known),
                "max_mib": max(known),
                "end_mib": known[-1],
                "mean_cpu_pct": statistics.fmean(cpu) if cpu else None,
                "connections_max": max(conns) if conns else None,
                "connections_end": conns[-1] if conns else None,
                "growth": None if found is None else {**asdict(found), "pct": found.pct},
                "over_bound": judged and found is not None and found.pct > options.rss_bound,
            }
        )
    return "\n".join(lines), rows


def _series_growth(
    samples: list[Sample], values: list[float | None], warmup_s: float
) -> Growth | None:
    judged = [(s.t, v) for s, v in zip(samples, values, strict=True) if v is not None]
    judged = [p for p in judged if p[0] >= warmup_s]
    if len(judged) < 2:
        return None
    return Growth(judged[0][1], judged[-1][1], (judged[-1][0] - judged[0][0]) / 60, 0)


def _verdict(found: Growth | None, bound: float | None) -> str:
    """The growth, and whether it stayed within ``bound`` (None: shown for information)."""
    if found is None:
        return "n/a (no instance sampled twice after the warm-up)"
    if bound is None:
        flag = "(for information)"
    else:
        flag = f"GREW MORE THAN {bound:g} %" if found.pct > bound else f"within {bound:g} %"
    return (
        f"{found.base_mib:,.0f} -> {found.end_mib:,.0f} MiB ({found.pct:+.1f} % over "
        f"{found.minutes:.1f} min) {flag}"
    )


def timeline(samples: list[Sample], feed_end_s: float) -> str:
    """One row per minute (the first sample at or after each minute mark), and the last; the
    feeder is not "down" once the feed has ended."""
    picked: list[Sample] = []
    mark = 0.0
    for s in samples:
        if s.t >= mark:
            picked.append(s)
            mark = (math.floor(s.t / 60) + 1) * 60
    if samples and (not picked or picked[-1] is not samples[-1]):
        picked.append(samples[-1])
    lines = [
        f"{'t (s)':>7} {'RSS MiB':>8} {'PG MiB':>7} {'lag':>7} {'relays':>6} {'dead':>4} "
        f"{'bars':>8} {'orders':>7} {'fills':>6} {'kills':>5}  down"
    ]
    for s in picked:
        down = ",".join(
            k for k, v in s.rss_mib.items() if v is None and (k != FEEDER or s.t < feed_end_s)
        )
        lines.append(
            f"{s.t:>7.0f} {s.components_mib:>8,.0f} {_num(s.postgres_mib):>7} {_num(s.lag):>7} "
            f"{_num(s.relay_lag):>6} {_num(s.dead_letters):>4} {_num(s.bars):>8} "
            f"{_num(s.orders):>7} {_num(s.fills):>6} {s.kills:>5}  {down}"
        )
    return "\n".join(lines)


def lag_summary(samples: list[Sample], minutes: float) -> tuple[str, dict[str, Any]]:
    during = [s for s in samples if 0 <= s.t <= minutes * 60 and s.lag is not None]
    if not during:
        return "lag: no sample", {}
    worst = max(during, key=lambda s: s.lag or 0)
    lags = sorted(s.lag or 0 for s in during)
    per_consumer: Counter[str] = Counter()
    for s in during:
        for key, value in s.lag_by_consumer.items():
            per_consumer[key] = max(per_consumer[key], value)
    summary = {
        "max": worst.lag,
        "max_at_s": worst.t,
        "median": lags[len(lags) // 2],
        "end_of_feed": during[-1].lag,
        "worst_consumers": per_consumer.most_common(5),
    }
    text = (
        f"lag (events not yet applied, all consumers) during the feed: max {worst.lag:,} at "
        f"t={worst.t:.0f} s, median {summary['median']:,}, at the end of the feed "
        f"{during[-1].lag:,}; largest per consumer: "
        + ", ".join(f"{k} {v:,}" for k, v in per_consumer.most_common(5))
    )
    return text, summary


def requests_summary(requests: list[Request]) -> tuple[str, dict[str, Any]]:
    """Per stream: answers (rejected orders and null answers apart), latency of the answers,
    and errors — expected (something on the request's path was down) or not."""
    lines = []
    summary: dict[str, Any] = {}
    for stream in sorted({r.stream for r in requests}):
        mine = [r for r in requests if r.stream == stream]
        answered = sorted(r.latency_ms for r in mine if r.outcome in ANSWERED)
        errors = [r for r in mine if r.outcome not in ANSWERED]
        expected = [r for r in errors if _on_path_down(r)]
        unexpected = [r for r in errors if not _on_path_down(r)]
        nulls = [r for r in mine if r.outcome == "null"]
        rejected = sum(r.outcome == "rejected" for r in mine)
        p50, p99 = _percentile(answered, 0.5), _percentile(answered, 0.99)
        lines.append(
            f"  {stream:<10} sent {len(mine):>6,}  answered {len(answered):>6,} "
            f"(rejected orders {rejected:,}, null {len(nulls):,})  p50 {_num(p50, 1)} ms  "
            f"p99 {_num(p99, 1)} ms  errors: unexpected {len(unexpected):,}, "
            f"while the gateway/execution/projections was down {len(expected):,}"
        )
        lines += [f"      unexpected: {n:>5,} x {kind}" for kind, n in _kinds(unexpected)]
        lines += [f"      expected:   {n:>5,} x {kind}" for kind, n in _kinds(expected)]
        if nulls:
            lines.append(
                f"      null answers until t={nulls[-1].t:.0f} s (an account has no portfolio "
                "before its first order; later nulls would mean the caller may not see it)"
            )
        summary[stream] = {
            "sent": len(mine),
            "answered": len(answered),
            "rejected_orders": rejected,
            "null_answers": len(nulls),
            "last_null_at_s": nulls[-1].t if nulls else None,
            "p50_ms": p50,
            "p99_ms": p99,
            "errors_unexpected": dict(_kinds(unexpected)),
            "errors_expected": dict(_kinds(expected)),
        }
    if any("UNAUTHENTICATED" in r.outcome or "FORBIDDEN" in r.outcome for r in requests):
        lines.append(
            f"  note: the gateway refused the caller: give the load a user that may trade "
            f"{ACCOUNT} (--token)"
        )
    return "\n".join(lines) or "  none sent", summary


def _on_path_down(request: Request) -> bool:
    return bool(SERVING_PATH & set(request.disrupted.split("+")))


def _kinds(requests: list[Request]) -> list[tuple[str, int]]:
    """Error kinds, each with what was down meanwhile."""
    return Counter(
        r.outcome + (f" [{r.disrupted} down]" if r.disrupted else "") for r in requests
    ).most_common()


def _percentile(ordered: list[float], q: float) -> float | None:
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else None


def kills_text(fleet: Fleet) -> str:
    lines = []
    for k in fleet.kills:
        after = "NEVER" if k.serving_after_s is None else f"{k.serving_after_s:.1f} s"
        lines.append(
            f"  t={k.t:7.1f} s  kill -9 {k.component:<12} pid {_num(k.pid):>7}  lived "
            f"{k.lived_s:6.0f} s  serving again after {after} {k.note}".rstrip()
        )
    shown: Counter[tuple[str, str]] = Counter()
    for c in fleet.crashes:  # a crash loop repeats itself: its first crash in full
        key = (c.component, c.tail.splitlines()[-1] if c.tail else "")
        shown[key] += 1
        if shown[key] > 1:
            continue
        after = "NEVER" if c.serving_after_s is None else f"{c.serving_after_s:.1f} s"
        lines.append(
            f"  t={c.t:7.1f} s  CRASH {c.component} pid {c.pid} exit {c.returncode}; serving "
            f"again after {after}; its last lines:\n" + _indent(c.tail, 6)
        )
    lines += [
        f"  ... {component} crashed {n - 1} more time(s) ending with: {last}"
        for (component, last), n in shown.items()
        if n > 1
    ]
    return "\n".join(lines) or "  none"


def _indent(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in text.splitlines())


def checks_text(outcome: Outcome) -> str:
    """The end: drain, ``quantvista status`` (lag, dead letters, components that failed inside
    their process and were restarted by its supervisor) and the invariants."""
    if outcome.interrupted:
        return "interrupted: the pipeline was not drained and the invariants were not checked"
    status = outcome.status or {}
    if status:
        dead = status["dead_letters"]["count"]
        lag = sum(row["lag"] for row in status["components"])
        official = f"lag {lag:,}, dead letters {dead:,} (expected 0 and 0)"
        official += "".join(
            f"\n  dead letter #{d['id']} {d['consumer']} <- {d['upstream']}#{d['position']}: "
            f"{d['reason']}"
            for d in status["dead_letters"]["latest"]
        )
        failed = [h for h in status.get("health", []) if h.get("failures")]
        official += "".join(
            f"\n  {h['component']} in {h['process']}: {h['failures']} failure(s), "
            f"{h['restarts']} restart(s) by its supervisor, state {h['state']}; last error: "
            f"{str(h['last_error'] or '')[:300]}"
            for h in failed
        )
    else:
        official = f"FAILED: {outcome.status_error}"
    breaches = outcome.breaches or []
    invariants = (
        "all hold"
        if not breaches
        else f"{len(breaches)} BREACHES:\n" + "\n".join(f"  {b}" for b in breaches[:50])
    )
    return (
        f"drained: {_num(outcome.drained_after_s, 1)} s after the feed stopped "
        f"{outcome.drain_note}\n"
        f"quantvista status at the end: {official}\n"
        f"invariants (cash, fees, positions, order fills, duplicate fills): {invariants}"
    )


def report(
    options: Options, outcome: Outcome, fleet: Fleet, sampler: Sampler, load: GraphQLLoad
) -> None:
    samples = sampler.samples
    warmup_s = min(options.warmup_minutes, options.minutes / 2) * 60
    rss_text, rss_rows = rss_table(options, samples, warmup_s)
    lag_text, lag = lag_summary(samples, options.minutes)
    req_text, req = requests_summary(list(load.requests))
    last = samples[-1] if samples else None
    checks = checks_text(outcome)
    text = "\n".join(
        [
            "",
            "=" * 100,
            f"Soak report — {describe(options)}",
            f"started {outcome.started_at}, {outcome.wall_s / 60:.1f} min from the first bar to "
            f"the end of the checks; {len(samples)} samples every {options.sample_every:g} s",
            f"recorded: {_num(last.bars if last else None)} bars, "
            f"{_num(last.orders if last else None)} orders, "
            f"{_num(last.fills if last else None)} fills",
            "",
            f"RSS in MiB per process (warm-up mark {warmup_s / 60:g} min; bound "
            f"{options.rss_bound:g} %; cpu% = mean % of one core)",
            rss_text,
            "",
            "timeline",
            timeline([s for s in samples if s.t >= 0], options.minutes * 60),
            "",
            lag_text,
            "",
            f"kills: {len(fleet.kills)}, crashes (exits nobody asked for): {len(fleet.crashes)}",
            kills_text(fleet),
            "",
            "GraphQL (errors while a component was down are expected and counted apart)",
            req_text,
            "",
            checks,
            "=" * 100,
        ]
    )
    print(text, flush=True)
    write_results(options, outcome, fleet, sampler, load, text, rss_rows, lag, req)


def write_results(
    options: Options,
    outcome: Outcome,
    fleet: Fleet,
    sampler: Sampler,
    load: GraphQLLoad,
    text: str,
    rss_rows: list[dict[str, Any]],
    lag: dict[str, Any],
    requests: dict[str, Any],
) -> None:
    out = options.out
    samples = sampler.samples
    (out / "report.txt").write_text(text + "\n")
    (out / "samples.json").write_text(json.dumps([asdict(s) for s in samples], default=str))
    _write_samples_csv(out / "samples.csv", samples)
    _write_csv(out / "kills.csv", [_rounded(asdict(k)) for k in fleet.kills])
    _write_csv(out / "crashes.csv", [_rounded(asdict(c)) for c in fleet.crashes])
    _write_csv(out / "requests.csv", [_rounded(asdict(r)) for r in list(load.requests)])
    summary = {
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()},
        "outcome": asdict(outcome),
        "rss": rss_rows,
        "lag": lag,
        "graphql": requests,
        "kills": [asdict(k) for k in fleet.kills],
        "crashes": [asdict(c) for c in fleet.crashes],
    }
    (out / "report.json").write_text(json.dumps(summary, indent=2, default=_json_default))
    print(f"results: {out}")


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _write_samples_csv(path: Path, samples: list[Sample]) -> None:
    rows = []
    for s in samples:
        row: dict[str, Any] = {"t_s": round(s.t, 1)}
        row.update({f"rss_mib_{k}": _round(v) for k, v in s.rss_mib.items()})
        row.update({f"cpu_pct_{k}": _round(v) for k, v in s.cpu_pct.items()})
        row.update(
            rss_mib_components=_round(s.components_mib),
            pss_mib_postgres=_round(s.postgres_mib),
            postgres_backends=s.postgres_backends,
            rss_mib_broker=_round(s.broker_mib),
            rss_mib_soak=_round(s.soak_mib),
            lag=s.lag,
            relay_lag=s.relay_lag,
            dead_letters=s.dead_letters,
            bars=s.bars,
            orders=s.orders,
            fills=s.fills,
            requests_ok=s.requests_ok,
            requests_failed=s.requests_failed,
            kills=s.kills,
            crashes=s.crashes,
            unhealthy="; ".join(s.unhealthy),
            probe_error=s.probe_error,
        )
        rows.append(row)
    _write_csv(path, rows)


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in row.items()}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as out:
        if not rows:
            return
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    options = parse_options()
    signal.signal(signal.SIGTERM, _interrupt)
    sys.exit(run(options))


if __name__ == "__main__":
    main()
