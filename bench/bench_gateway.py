"""Benchmark: the GraphQL gateway under open-loop load, against a bare FastAPI endpoint.

What it measures. Two queries (``QUERIES``: ``portfolio`` and ``orders(first: 50)`` of the
demo's account ``DEMO-001``) at fixed request rates (``DEFAULT_RATES``), 20 s per rate after a
2 s warm-up at the same rate. Per step: the rate actually sent and the rate answered OK, latency
p50/p90/p99/max, errors by kind (HTTP status, GraphQL ``extensions.code``, timeout, connection
error), the CPU of the server process, of PostgreSQL (postmaster and backends), of the load
generator and of everything else on the machine (other engineers' work), in % of one core, and
the 1-minute load average. Before the load, the idle CPU of the gateway process; at the end,
the idle CPU of a running ``quantvista demo`` (the whole platform serving GraphQL).

How. The data is the demo's, built as a user would (``quantvista --data-dir <tmp> demo --fresh
--no-serve``: the shipped sample session, ~53 orders), served by ``quantvista --data-dir <tmp>
serve gateway --port <free port>`` as its own process (uvicorn, one worker, as shipped). The load
generator (``_load.py``) runs in this process on asyncio with raw HTTP/1.1 keep-alive streams,
open loop: requests leave on a fixed schedule and latency counts from the *scheduled* instant,
so queueing in the generator or the server is measured (no coordinated omission). A request not
answered within the cap (5 s) is a timeout; latency percentiles are over OK answers and timeouts
(at the cap); other errors are counted. The generator is pinned to the first core and every
thread of the server under test to the last (PostgreSQL floats); ``--no-pin`` turns it off.
After each step the bench waits (up to 3 min) until the server is idle again and prints how
long that took: a server that keeps no bound on its queue goes on working off requests whose
clients timed out and left, and that work would otherwise land in the next step.

Security, in the same run. The gateway as shipped: every request carries the demo trader's
bearer token (``quantvista token demo-trader``), verified per request, and is authorised
against the relation tuples; per-principal rate limits are off (one principal sends all the
load). Each step is repeated on a second gateway with authentication off
(``--insecure-dev-auth``, the principal from a header, authorisation still checked):
gateway / no-auth is the cost of authentication (target < 1.3x). ``--no-compare-auth`` skips it.

Reference, in the same run. A bare FastAPI app (uvicorn, same settings, its own process, pinned
like the gateway) whose one ``POST /graphql`` endpoint parses the request and returns the JSON
body the gateway returned for that query (captured once at the start), at the same rates and
measured the same way, each step right after the gateway's; ratios gateway / bare of p50 and p99.

Targets (from the issue): p99 < 50 ms at 200 req/s for ``portfolio`` and at 100 req/s for
``orders`` (without errors); no unbounded queueing at 500 req/s — read here as no timeout and a
last-quarter p99 under 1 s (overload is shed with a quick error instead of queued); idle CPU of
a running demo < 5 % of a core. Nothing is asserted. The machine is shared: the load average
and the CPU of "others" are printed, and a step is flagged as distorted when other processes
used more than 30 % of a core during it or the generator fell behind its schedule.

Run: ``.venv/bin/python bench/bench_gateway.py [--query portfolio|orders|all] [--rates 50,200]
[--seconds 20]`` — 8 to 16 minutes with the defaults (longer while the gateway queues without
bound: see above); from ``run_all.py`` give it ``--timeout 1200``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import uvicorn
from _load import (
    ConnectionPool,
    Samples,
    StepStats,
    Target,
    post_request,
    run_open_loop,
    step_stats,
)
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

# -- what is measured --------------------------------------------------------------------------
# The orders API is about to change: update the query text here (one place).
QUERIES: dict[str, str] = {
    "portfolio": (
        'query Portfolio { portfolio(accountId: "DEMO-001") { cash equity realisedPnl '
        "unrealisedPnl positions { instrumentId quantity averagePrice lastPrice marketValue } } }"
    ),
    "orders": (
        'query Orders { orders(accountId: "DEMO-001", first: 50) { edges { cursor node { id '
        "instrumentId side quantity status filledQuantity averageFillPrice } } "
        "pageInfo { hasNextPage endCursor } } }"
    ),
}
OPERATION_NAMES = {"portfolio": "Portfolio", "orders": "Orders"}
DEFAULT_RATES: dict[str, tuple[int, ...]] = {
    "portfolio": (50, 200, 500),
    "orders": (50, 100, 200, 500),
}

USER = "demo-trader"  # the demo's trader, who owns DEMO-001 (make demo creates the demo users)
TARGET_P99_MS = 50.0
TARGET_RATE = {"portfolio": 200, "orders": 100}  # p99 < 50 ms at these rates
OVERLOAD_RATE = 500  # there, no timeouts and a bounded p99 (shed rather than queue)
OVERLOAD_P99_MS = 1000.0
TARGET_IDLE_CPU = 5.0  # % of one core

SECONDS = 20.0
WARMUP_S = 2.0
CAP_S = 5.0
CONNECTIONS = 512
IDLE_S = 10.0
SETTLE_S = 3.0  # after /healthz, before measuring idle CPU
QUIET_CPU = 25.0  # % of a core: the server counts as idle again below this
QUIET_WAIT_S = 180.0
BUSY_OTHERS = 30.0  # % of a core used by other processes: a step is flagged as distorted
LATE_MS = 20.0  # generator p99 lateness (and 5 % of the p99) that flags a step as distorted
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 180.0
GRACE_S = 20.0
ISOLATED_ENV = (
    "DATABASE_URL",
    "PULSAR_URL",
    "QUANTVISTA_DATA_DIR",
    "QUANTVISTA_HTTP_HOST",
    "QUANTVISTA_HTTP_PORT",
)


# -- processes ---------------------------------------------------------------------------------
ALL_CPUS = frozenset(os.sched_getaffinity(0))


def _child_env() -> dict[str, str]:
    """The embedded servers, never a configured DATABASE_URL or PULSAR_URL; and no per-principal
    rate limit: the load generator is one principal, and the bench measures capacity."""
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
    env["QUANTVISTA_RATE_LIMITS"] = "off"
    return env


def _all_cpus() -> None:  # children start unpinned even after this process pinned itself
    os.sched_setaffinity(0, ALL_CPUS)


def quantvista_command(data_dir: Path, *args: str) -> list[str]:
    script = Path(sys.executable).with_name("quantvista")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "quantvista.cli"]
    return [*head, "--data-dir", str(data_dir), *args]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A server process this bench started, with its log file and its PostgreSQL (if any)."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    pgdata: Path | None = None
    headers: dict[str, str] = field(default_factory=dict)
    """What a client of this server sends to be let in (a bearer token, the dev header)."""

    @property
    def psutil(self) -> psutil.Process:
        return psutil.Process(self.process.pid)

    def log_tail(self, lines: int = 15) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def spawn(name: str, command: list[str], port: int, log: Path, pgdata: Path | None) -> Server:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_child_env(),
            preexec_fn=_all_cpus,
        )
    return Server(name, process, port, log, pgdata)


def wait_healthy(server: Server, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    url = f"http://{HOST}:{server.port}/healthz"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited ({server.process.returncode}):\n" + server.log_tail()
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{server.name} not healthy after {timeout_s:.0f} s:\n" + server.log_tail())


def postmaster(pgdata: Path | None) -> psutil.Process | None:
    """The embedded PostgreSQL server of ``pgdata`` (it is not a child of the process that
    started it), or ``None``."""
    if pgdata is None:
        return None
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        process = psutil.Process(pid)
        if str(pgdata) in " ".join(process.cmdline()):
            return process
    except (OSError, ValueError, IndexError, psutil.Error):
        pass
    return None


def postgres_processes(pgdata: Path | None) -> list[psutil.Process]:
    main = postmaster(pgdata)
    if main is None:
        return []
    with contextlib.suppress(psutil.Error):
        return [main, *main.children(recursive=True)]
    return []


def stop(server: Server) -> None:
    """SIGTERM (the CLI then stops the servers it started), SIGKILL after a grace period; then
    whatever it left behind: its children, and its PostgreSQL (fast shutdown, then SIGKILL)."""
    leftovers: list[psutil.Process] = []
    if server.process.poll() is None:
        with contextlib.suppress(psutil.Error):
            leftovers = server.psutil.children(recursive=True)
        server.process.terminate()
        try:
            server.process.wait(GRACE_S)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    for process in leftovers:
        _terminate(process, signal.SIGTERM)
    pg = postmaster(server.pgdata)
    if pg is not None:
        _terminate(pg, signal.SIGINT)


def _terminate(process: psutil.Process, sig: signal.Signals) -> None:
    """Signal, then SIGKILL after the grace period; psutil refuses a pid reused meanwhile."""
    with contextlib.suppress(psutil.Error):
        if process.is_running():
            process.send_signal(sig)
            try:
                process.wait(GRACE_S)
            except psutil.TimeoutExpired:
                process.kill()
                process.wait(5)


def pin_threads(process: psutil.Process, cpus: set[int]) -> None:
    """Pin every thread (``sched_setaffinity`` on a pid pins one thread only); threads started
    later inherit it from the thread that starts them."""
    for thread in process.threads():
        with contextlib.suppress(OSError):
            os.sched_setaffinity(thread.id, cpus)


# -- CPU ---------------------------------------------------------------------------------------
def _cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    seconds = {}
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            seconds[process.pid] = times.user + times.system
    return seconds


def _machine_busy_seconds() -> float:
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + t.irq + t.softirq + t.steal


class CpuMeter:
    """CPU of groups of processes between ``start`` and ``read``, in % of one core; ``others``
    is the rest of the machine."""

    def __init__(self, groups: dict[str, Callable[[], list[psutil.Process]]]) -> None:
        self.groups = groups
        self._start: dict[str, dict[int, float]] = {}
        self._machine = 0.0
        self._wall = 0.0

    def start(self) -> None:
        self._start = {name: _cpu_seconds(get()) for name, get in self.groups.items()}
        self._machine = _machine_busy_seconds()
        self._wall = time.monotonic()

    def read(self) -> dict[str, float]:
        wall = max(time.monotonic() - self._wall, 1e-9)
        result = {}
        for name, get in self.groups.items():
            before = self._start.get(name, {})
            now = _cpu_seconds(get())
            result[name] = 100 * sum(s - before.get(pid, 0.0) for pid, s in now.items()) / wall
        machine = 100 * (_machine_busy_seconds() - self._machine) / wall
        result["others"] = max(0.0, machine - sum(result.values()))
        return result


def cpu_groups(server: Server) -> dict[str, Callable[[], list[psutil.Process]]]:
    me = psutil.Process()

    def server_tree() -> list[psutil.Process]:
        with contextlib.suppress(psutil.Error):
            return [server.psutil, *server.psutil.children(recursive=True)]
        return []

    def others_of_ours() -> list[psutil.Process]:  # another server this bench started
        with contextlib.suppress(psutil.Error):
            mine = {p.pid for p in server_tree()}
            return [c for c in me.children(recursive=True) if c.pid not in mine]
        return []

    return {
        "server": server_tree,
        "pg": lambda: postgres_processes(server.pgdata),
        "gen": lambda: [me],
        "bench": others_of_ours,
    }


def quiesce(servers: list[Server]) -> float:
    """Wait until the servers have worked off what an earlier step left (a timed-out request
    is still served after its connection is closed); returns the wait."""
    started = time.monotonic()
    meters = [CpuMeter({"server": cpu_groups(server)["server"]}) for server in servers]
    while time.monotonic() - started < QUIET_WAIT_S:
        for meter in meters:
            meter.start()
        time.sleep(0.5)
        if all(meter.read()["server"] < QUIET_CPU for meter in meters):
            break
    return time.monotonic() - started


# -- the load ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepResult:
    server: str
    stats: StepStats
    cpu: dict[str, float]
    load1: float
    waited_before_s: float  # for the servers to finish an earlier step's work
    busy_after_s: float  # the server's own work left after the step (abandoned requests)


async def _warm_and_measure(
    target: Target, request: bytes, rate: float, options: argparse.Namespace, meter: CpuMeter
) -> tuple[Samples, dict[str, float]]:
    pool = ConnectionPool(target, options.connections)
    try:
        await run_open_loop(pool, request, rate, options.warmup, options.cap)
        meter.start()
        samples = await run_open_loop(pool, request, rate, options.seconds, options.cap)
        return samples, meter.read()
    finally:
        pool.close()


def run_step(
    server: Server, query: str, rate: float, options: argparse.Namespace, idle: list[Server]
) -> StepResult:
    """Warm-up then one measured step on ``server``, once every server in ``idle`` is idle;
    then how long the server keeps working once the load has stopped."""
    for other in idle:
        if other.process.poll() is not None:
            raise RuntimeError(
                f"{other.name} exited ({other.process.returncode}):\n{other.log_tail()}"
            )
    waited = quiesce(idle)
    body = json.dumps({"query": QUERIES[query], "operationName": OPERATION_NAMES[query]})
    target = Target(HOST, server.port, headers=tuple(server.headers.items()))
    meter = CpuMeter(cpu_groups(server))
    samples, cpu = asyncio.run(
        _warm_and_measure(target, post_request(target, body.encode()), rate, options, meter)
    )
    stats = step_stats(samples, rate, options.seconds)
    load1 = os.getloadavg()[0]
    return StepResult(server.name, stats, cpu, load1, waited, quiesce([server]))


def measure_idle(server: Server, seconds: float) -> dict[str, float]:
    time.sleep(SETTLE_S)
    meter = CpuMeter(cpu_groups(server))
    meter.start()
    time.sleep(seconds)
    return meter.read()


# -- servers of the run ------------------------------------------------------------------------
def build_demo_data(data_dir: Path) -> float:
    started = time.monotonic()
    done = subprocess.run(
        quantvista_command(data_dir, "demo", "--fresh", "--no-serve"),
        capture_output=True,
        env=_child_env(),
        preexec_fn=_all_cpus,
        check=False,
    )
    if done.returncode != 0:
        tail = done.stdout.decode(errors="replace")[-2000:] + done.stderr.decode(errors="replace")
        raise RuntimeError(f"quantvista demo failed ({done.returncode}):\n{tail[-3000:]}")
    return time.monotonic() - started


def start_gateway(data_dir: Path) -> Server:
    """The gateway as shipped: every request carries the demo trader's bearer token (RS256,
    verified per request) and is authorised against the relation tuples in PostgreSQL."""
    token = (
        subprocess.run(
            quantvista_command(data_dir, "token", USER, "--ttl", "2h"),
            capture_output=True,
            env=_child_env(),
            check=True,
        )
        .stdout.decode()
        .strip()
        .splitlines()[-1]
    )
    port = free_port()
    command = quantvista_command(data_dir, "serve", "gateway", "--port", str(port))
    server = spawn("gateway", command, port, data_dir / "gateway.log", data_dir / "postgres")
    server.headers = {"Authorization": f"Bearer {token}"}
    wait_healthy(server)
    return server


def start_unauthenticated_gateway(data_dir: Path) -> Server:
    """The same gateway with authentication off (``--insecure-dev-auth``: the caller is the
    header's name, no token verified); authorisation still runs, as it must for any answer."""
    port = free_port()
    command = quantvista_command(
        data_dir, "serve", "gateway", "--port", str(port), "--insecure-dev-auth"
    )
    server = spawn("no-auth", command, port, data_dir / "no-auth.log", data_dir / "postgres")
    server.headers = {"X-QuantVista-Principal": USER}
    wait_healthy(server)
    return server


def start_demo(data_dir: Path) -> Server:
    """``quantvista demo`` on the stored data: it skips the rows already stored, then serves."""
    port = free_port()
    command = quantvista_command(data_dir, "demo", "--port", str(port))
    server = spawn("demo", command, port, data_dir / "demo.log", data_dir / "postgres")
    wait_healthy(server)
    return server


def start_bare(work_dir: Path, bodies: dict[str, Any]) -> Server:
    body_file = work_dir / "bare-bodies.json"
    body_file.write_text(json.dumps(bodies))
    port = free_port()
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--bare-server",
        str(port),
        str(body_file),
    ]
    server = spawn("bare", command, port, work_dir / "bare.log", None)
    wait_healthy(server)
    return server


def capture(server: Server, query: str) -> dict[str, Any] | None:
    """The gateway's answer to ``query``, once; GraphQL errors are reported, not fatal. ``None``
    (and the query is skipped) when the answer is not JSON: there is nothing to mirror."""
    response = httpx.post(
        f"http://{HOST}:{server.port}/graphql",
        json={"query": QUERIES[query], "operationName": OPERATION_NAMES[query]},
        headers=server.headers,
        timeout=30.0,
    )
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        print(f"  {query}: HTTP {response.status_code}, not JSON: {response.text[:300]!r}")
        print(f"  {query} skipped; the gateway's log ends with:\n{server.log_tail()}")
        return None
    errors = body.get("errors") or []
    summary = f"{len(response.content):,} B, HTTP {response.status_code}"
    if query == "orders" and body.get("data"):
        edges = ((body["data"].get("orders") or {}).get("edges")) or []
        summary += f", {len(edges)} orders"
    print(f"  {query}: {summary}" + (f", {len(errors)} GraphQL errors" if errors else ""))
    for error in errors[:3]:
        code = (error.get("extensions") or {}).get("code")
        print(f"    error {code}: {str(error.get('message'))[:200]}")
    return body


# -- the bare reference (runs as its own process) ----------------------------------------------
def serve_bare(port: int, body_file: Path) -> None:
    bodies: dict[str, Any] = json.loads(body_file.read_text())
    app = FastAPI(title="bare reference")

    @app.post("/graphql")
    async def graphql(request: Request) -> JSONResponse:
        payload = await request.json()
        return JSONResponse(bodies[payload["operationName"]])

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    # The gateway's uvicorn settings (quantvista/serving.py).
    uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning")).run()


# -- report ------------------------------------------------------------------------------------
HEADER = (
    f"{'rate':>5} {'server':<8}{'sent/s':>7}{'ok/s':>7}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>8}"
    f"{'late99':>7}{'errors':>8}{'srv%':>6}{'pg%':>5}{'gen%':>5}{'oth%':>5}{'load1':>6}"
)


def _ms(value: float) -> str:
    """8 characters: milliseconds, seconds past 1 s, ``-`` when there is nothing to time."""
    if math.isnan(value):
        return f"{'-':>8}"
    return f"{value:8.1f}" if value < 1000 else f"{value / 1000:7.2f}s"


def _duration(value: float) -> str:
    """``12.3 ms`` / ``5.00 s`` for sentences."""
    if math.isnan(value):
        return "-"
    return f"{value:.1f} ms" if value < 1000 else f"{value / 1000:.2f} s"


def distorted(result: StepResult) -> bool:
    """Other processes took a good share of the machine, or the generator fell behind by a
    noticeable share of what it measured (its lateness is part of every latency)."""
    return result.cpu["others"] > BUSY_OTHERS or _late(result.stats)


def _late(stats: StepStats) -> bool:
    return stats.late_p99 > max(LATE_MS, 0.05 * stats.p99)


def format_row(result: StepResult) -> str:
    s, cpu = result.stats, result.cpu
    line = (
        f"{s.rate:>5.0f} {result.server:<8}{s.sent / s.seconds:>7.1f}{s.ok_per_s:>7.1f}"
        f"{_ms(s.p50)}{_ms(s.p90)}{_ms(s.p99)}{_ms(s.max)}{s.late_p99:>7.1f}"
        f"{sum(s.errors.values()):>8}{cpu['server']:>6.0f}{cpu['pg']:>5.0f}{cpu['gen']:>5.0f}"
        f"{cpu['others']:>5.0f}{result.load1:>6.2f}"
    )
    notes = []
    if s.errors:
        notes.append("errors: " + ", ".join(f"{k} {v:,}" for k, v in s.errors.most_common()))
    if s.p99_last_quarter > 2 * s.p99_first_quarter + 20:
        notes.append(
            f"p99 grew over the step: {_duration(s.p99_first_quarter)} (first quarter) -> "
            f"{_duration(s.p99_last_quarter)} (last quarter)"
        )
    if cpu["others"] > BUSY_OTHERS:
        notes.append(
            f"others used {cpu['others']:.0f} % of a core meanwhile: distorted, re-run when "
            "the machine is quieter"
        )
    if _late(s):
        notes.append(
            f"the generator issued requests late (p99 {s.late_p99:.0f} ms): it was starved "
            "of CPU, so this step is distorted"
        )
    if result.busy_after_s > 1.0:
        still = " and was still busy then" if result.busy_after_s >= QUIET_WAIT_S else ""
        notes.append(
            f"the server kept working {result.busy_after_s:.0f} s after the step{still} "
            "(requests whose clients had timed out and gone)"
        )
    if result.waited_before_s > 1.0:
        notes.append(f"waited {result.waited_before_s:.0f} s for the servers to go idle first")
    return line + "".join(f"\n{'':14}{note}" for note in notes)


def format_ratio(gateway: StepResult, other: StepResult, label: str = "gateway / bare") -> str:
    g, b = gateway.stats, other.stats
    if not (b.ok and g.ok):
        return f"{'':14}{label}: no ratio (a server answered nothing OK)"
    return (
        f"{'':14}{label}: p50 x{g.p50 / b.p50:,.2f}, p99 x{g.p99 / b.p99:,.2f}, "
        f"OK/s x{g.ok_per_s / b.ok_per_s:.2f}"
    )


def verdict(met: bool | None) -> str:
    return "not measured" if met is None else ("met" if met else "NOT met")


def latency_target(query: str, results: dict[tuple[str, float], StepResult]) -> str:
    rate = TARGET_RATE[query]
    result = results.get((query, rate))
    if result is None:
        return f"{query}: p99 < {TARGET_P99_MS:.0f} ms at {rate} req/s: not measured"
    s = result.stats
    met = s.p99 < TARGET_P99_MS and not s.errors
    return (
        f"{query}: p99 < {TARGET_P99_MS:.0f} ms at {rate} req/s without errors: "
        f"p99 {_duration(s.p99)}, {sum(s.errors.values())} errors -> {verdict(met)}"
    )


def overload_target(query: str, results: dict[tuple[str, float], StepResult]) -> str:
    result = results.get((query, OVERLOAD_RATE))
    if result is None:
        return f"{query}: bounded at {OVERLOAD_RATE} req/s: not measured"
    s = result.stats
    met = s.timeouts == 0 and s.p99_last_quarter < OVERLOAD_P99_MS
    shed = sum(v for k, v in s.errors.items() if k in ("http 503", "http 429"))
    return (
        f"{query}: no unbounded queueing at {OVERLOAD_RATE} req/s (no timeout, last-quarter "
        f"p99 < {OVERLOAD_P99_MS:.0f} ms): {s.timeouts:,} timeouts, {shed:,} shed (429/503), "
        f"p99 {_duration(s.p99_first_quarter)} -> {_duration(s.p99_last_quarter)} over "
        f"the step, {s.ok_per_s:.0f} OK/s, busy {result.busy_after_s:.0f} s after it "
        f"-> {verdict(met)}"
    )


def format_idle(label: str, cpu: dict[str, float], seconds: float) -> str:
    met = cpu["server"] < TARGET_IDLE_CPU
    return (
        f"{label}: {cpu['server']:.1f} % of a core (its process tree) + PostgreSQL "
        f"{cpu['pg']:.1f} % over {seconds:.0f} s idle; target < {TARGET_IDLE_CPU:.0f} % -> "
        f"{verdict(met)}"
    )


# -- main --------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--query", choices=[*QUERIES, "all"], default="all")
    parser.add_argument(
        "--rates",
        help="comma-separated req/s for every query (default: "
        + "; ".join(f"{q} {','.join(map(str, r))}" for q, r in DEFAULT_RATES.items())
        + ")",
    )
    parser.add_argument("--seconds", type=float, default=SECONDS, help="per step (default 20)")
    parser.add_argument(
        "--no-compare-auth",
        dest="compare_auth",
        action="store_false",
        help="skip the gateway without authentication (the cost-of-security ratio)",
    )
    parser.add_argument("--warmup", type=float, default=WARMUP_S, help="per step (default 2)")
    parser.add_argument("--cap", type=float, default=CAP_S, help="timeout, s (default 5)")
    parser.add_argument(
        "--connections",
        type=int,
        default=CONNECTIONS,
        help=f"most keep-alive connections (default {CONNECTIONS})",
    )
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=IDLE_S,
        help="idle CPU window; 0 skips the running-demo measurement",
    )
    parser.add_argument(
        "--no-pin",
        dest="pin",
        action="store_false",
        help="leave generator and servers on every core",
    )
    parser.add_argument(
        "--bare-server", nargs=2, metavar=("PORT", "BODIES"), help=argparse.SUPPRESS
    )
    return parser.parse_args()


def rates_for(query: str, options: argparse.Namespace) -> list[float]:
    if options.rates:
        return [float(r) for r in options.rates.split(",") if r.strip()]
    return [float(r) for r in DEFAULT_RATES[query]]


@contextlib.contextmanager
def servers_stopped(started: list[Server], work_dir: Path) -> Iterator[None]:
    """Stop every server started meanwhile and remove the work directory, however it ends."""
    try:
        yield
    finally:
        for server in reversed(started):
            stop(server)
        shutil.rmtree(work_dir, ignore_errors=True)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def pin_for_load(servers: list[Server], enabled: bool) -> str:
    cpus = sorted(ALL_CPUS)
    if not enabled or len(cpus) < 2:
        return "not pinned"
    for server in servers:
        pin_threads(server.psutil, {cpus[-1]})
    pin_threads(psutil.Process(), {cpus[0]})
    return f"generator on CPU {cpus[0]}, server threads on CPU {cpus[-1]}, PostgreSQL on any"


def run_query(
    query: str,
    gateway: Server,
    no_auth: Server | None,
    bare: Server,
    options: argparse.Namespace,
    results: dict[tuple[str, float], StepResult],
    flagged: list[StepResult],
) -> None:
    """Every rate on the gateway, each followed by the gateway without authentication (when
    started) and the bare reference; results by (query, rate), and the distorted steps
    appended to ``flagged``."""
    print(
        f"\n{query} ({options.seconds:g} s per rate after {options.warmup:g} s warm-up, "
        f"cap {options.cap:g} s; latencies ms; CPU % of one core)"
    )
    print(HEADER)
    servers = [s for s in (gateway, no_auth, bare) if s is not None]
    for rate in rates_for(query, options):
        gw = run_step(gateway, query, rate, options, servers)
        print(format_row(gw), flush=True)
        steps = [gw]
        if no_auth is not None:
            open_ = run_step(no_auth, query, rate, options, servers)
            print(format_row(open_), flush=True)
            print(format_ratio(gw, open_, "gateway / no-auth"), flush=True)
            steps.append(open_)
        ref = run_step(bare, query, rate, options, servers)
        print(format_row(ref), flush=True)
        print(format_ratio(gw, ref), flush=True)
        steps.append(ref)
        results[(query, rate)] = gw
        flagged.extend(r for r in steps if distorted(r))


def _load_averages() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def print_targets(
    queries: list[str],
    results: dict[tuple[str, float], StepResult],
    idle: dict[str, float],
    demo_idle: dict[str, float] | None,
    idle_s: float,
) -> None:
    print("\ntargets")
    for query in queries:
        print("  " + latency_target(query, results))
        print("  " + overload_target(query, results))
    print("  " + format_idle("idle CPU, quantvista serve gateway", idle, idle_s))
    if demo_idle is not None:
        print("  " + format_idle("idle CPU, running quantvista demo", demo_idle, idle_s))


def main() -> None:
    options = parse_args()
    if options.bare_server:
        serve_bare(int(options.bare_server[0]), Path(options.bare_server[1]))
        return
    # Interruptible even when started with SIGINT ignored (a background job): run_all.py stops
    # a bench with SIGINT, and only this process can stop the PostgreSQL it caused to start.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    requested = list(QUERIES) if options.query == "all" else [options.query]
    idle_s = options.idle_seconds or IDLE_S
    work_dir = Path(tempfile.mkdtemp(prefix="qv-gwbench-"))
    started: list[Server] = []
    print(f"load average at start: {_load_averages()} ({os.cpu_count()} CPUs)")
    with servers_stopped(started, work_dir):
        seconds = build_demo_data(work_dir)
        print(f"demo data built in {seconds:.1f} s (quantvista demo --fresh --no-serve)")
        gateway = start_gateway(work_dir)
        started.append(gateway)
        idle = measure_idle(gateway, idle_s)
        print("captured responses:")
        captured = {q: capture(gateway, q) for q in requested}
        bodies = {OPERATION_NAMES[q]: body for q, body in captured.items() if body is not None}
        no_auth = None
        if options.compare_auth:
            no_auth = start_unauthenticated_gateway(work_dir)
            started.append(no_auth)
        bare = start_bare(work_dir, bodies)
        started.append(bare)
        under_load = [s for s in (gateway, no_auth, bare) if s is not None]
        print("pinning: " + pin_for_load(under_load, options.pin))
        results: dict[tuple[str, float], StepResult] = {}
        flagged: list[StepResult] = []
        for query in (q for q in requested if OPERATION_NAMES[q] in bodies):
            run_query(query, gateway, no_auth, bare, options, results, flagged)
        stop(gateway)
        if no_auth is not None:
            stop(no_auth)
        demo_idle = None
        if options.idle_seconds > 0:
            demo = start_demo(work_dir)
            started.append(demo)
            demo_idle = measure_idle(demo, idle_s)
        print_targets(requested, results, idle, demo_idle, idle_s)
    if flagged:
        print(
            f"\n{len(flagged)} step(s) ran while other processes used more than {BUSY_OTHERS:.0f} "
            f"% of a core or the generator fell behind (see the notes): re-run before comparing."
        )
    print(f"load average at end: {_load_averages()}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted; every server this bench started is stopped")
