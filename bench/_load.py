"""An open-loop HTTP/1.1 load generator on raw asyncio streams, and the statistics of a step.

Open loop: request ``i`` of a step is *scheduled* at ``start + i / rate`` and issued then,
whether or not earlier requests have been answered; its latency is measured from that scheduled
instant, so time spent waiting in the generator (for a free connection) or queued in the server
counts, and a slow server cannot slow the schedule down (no coordinated omission). A request
not answered within ``cap_s`` of its scheduled instant is a timeout: its connection is closed
and the request is recorded with latency ``cap_s``.

Connections are keep-alive and opened on demand up to ``max_connections`` (a request beyond
waits for one, on the clock). The request bytes are built once; a response is read by its
``Content-Length`` (or chunked encoding). httpx costs several times more CPU per request than
this, and the generator shares a 2-core machine with the server it measures.

Outcome kinds: ``ok`` (HTTP 200 without GraphQL ``errors``), ``http <status>``, ``graphql
<extensions.code>`` (the first error's code), ``timeout``, ``conn <exception type>``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

OK = "ok"
TIMEOUT = "timeout"


@dataclass(frozen=True)
class Target:
    """Where to POST: ``host:port`` and the path."""

    host: str
    port: int
    path: str = "/graphql"
    headers: tuple[tuple[str, str], ...] = ()
    """Sent with every request (credentials)."""


def post_request(target: Target, body: bytes) -> bytes:
    """The bytes of one keep-alive ``POST`` of a JSON body."""
    extra = "".join(f"{name}: {value}\r\n" for name, value in target.headers)
    head = (
        f"POST {target.path} HTTP/1.1\r\n"
        f"Host: {target.host}:{target.port}\r\n"
        "Content-Type: application/json\r\n"
        "Accept: application/json\r\n"
        f"{extra}"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    keep_alive: bool


class _ServerClosed(Exception):
    """The server closed a kept-alive connection before answering."""


async def read_response(reader: asyncio.StreamReader) -> Response:
    """One HTTP/1.1 response: status line, headers, then a Content-Length or chunked body."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        raise _ServerClosed from error
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Response(status, body, headers.get("connection", "").lower() != "close")


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers are expected
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def classify(response: Response) -> str:
    """``ok``, ``http <status>`` or ``graphql <code>`` (see the module docstring)."""
    if response.status != 200:
        return f"http {response.status}"
    if b'"errors"' not in response.body:
        return OK
    try:
        errors = json.loads(response.body).get("errors") or []
    except ValueError:
        return "http 200 non-JSON"
    if not errors:
        return OK
    code = (errors[0].get("extensions") or {}).get("code", "no code")
    return f"graphql {code}"


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0

    def close(self) -> None:
        self.writer.close()


IDLE_LIMIT_S = 4.0
"""A connection idle longer is closed rather than reused: uvicorn closes keep-alive
connections idle for 5 s (``timeout_keep_alive``), and a request sent as it does so is lost."""


class ConnectionPool:
    """Keep-alive connections to one target, opened on demand up to ``max_connections``.

    A request that finds its reused connection closed by the server before any answer (the
    server's keep-alive timeout raced it) is sent again once on a new connection, as HTTP
    clients do; the clock keeps running from its scheduled instant."""

    def __init__(self, target: Target, max_connections: int) -> None:
        self.target = target
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: deque[_Connection] = deque()  # most recently used on the right
        self.opened = 0

    async def exchange(self, request: bytes) -> Response:
        """Send ``request`` on an idle (or new) connection and read its response; the
        connection goes back to the pool only if the exchange completed."""
        async with self._slots:
            connection = self._reusable()
            if connection is not None:
                try:
                    return await self._send(connection, request)
                except (_ServerClosed, ConnectionResetError, BrokenPipeError):
                    pass
            return await self._send(await self._open(), request)

    def _reusable(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle and now - self._idle[0].idle_since > IDLE_LIMIT_S:
            self._idle.popleft().close()
        return self._idle.pop() if self._idle else None

    async def _send(self, connection: _Connection, request: bytes) -> Response:
        try:
            connection.writer.write(request)
            response = await read_response(connection.reader)
        except BaseException:  # timeout (cancellation) or I/O error: state unknown
            connection.close()
            raise
        if response.keep_alive:
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        else:
            connection.close()
        return response

    async def _open(self) -> _Connection:
        reader, writer = await asyncio.open_connection(self.target.host, self.target.port)
        self.opened += 1
        return _Connection(reader, writer)

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()


@dataclass
class Samples:
    """What one step recorded: one entry per request, in the order they completed."""

    scheduled: list[float] = field(default_factory=list)  # offset from the step's start, s
    latency: list[float] = field(default_factory=list)  # from the scheduled instant, s
    late: list[float] = field(default_factory=list)  # generator start minus schedule, s
    outcome: list[str] = field(default_factory=list)
    started: float = 0.0  # loop time of the first scheduled request
    finished: float = 0.0  # loop time of the last answer or timeout


async def _one(
    pool: ConnectionPool, request: bytes, due: float, cap_s: float, samples: Samples
) -> None:
    loop = asyncio.get_running_loop()
    late = loop.time() - due
    try:
        async with asyncio.timeout_at(due + cap_s):
            outcome = classify(await pool.exchange(request))
        latency = loop.time() - due
    except TimeoutError:
        outcome, latency = TIMEOUT, cap_s
    except (OSError, _ServerClosed, asyncio.IncompleteReadError, ValueError) as error:
        outcome, latency = f"conn {type(error).__name__}", loop.time() - due
    samples.scheduled.append(due - samples.started)
    samples.latency.append(latency)
    samples.late.append(late)
    samples.outcome.append(outcome)


async def run_open_loop(
    pool: ConnectionPool, request: bytes, rate: float, seconds: float, cap_s: float
) -> Samples:
    """Issue ``rate * seconds`` requests on a fixed schedule and wait for every answer (each
    within ``cap_s`` of its scheduled instant)."""
    loop = asyncio.get_running_loop()
    samples = Samples(started=loop.time() + 0.02)
    tasks = []
    for i in range(round(rate * seconds)):
        due = samples.started + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(pool, request, due, cap_s, samples)))
    await asyncio.gather(*tasks)
    samples.finished = loop.time()
    return samples


@dataclass(frozen=True)
class StepStats:
    """A step's figures; latencies in milliseconds."""

    rate: float
    seconds: float
    sent: int
    ok: int
    errors: Counter[str]
    p50: float
    p90: float
    p99: float
    max: float
    late_p99: float  # how late the generator issued requests (its own health)
    p99_first_quarter: float  # growth from the first to the last quarter = queueing
    p99_last_quarter: float
    ok_per_s: float

    @property
    def timeouts(self) -> int:
        return self.errors.get(TIMEOUT, 0)


def _percentiles(values: Iterable[float]) -> tuple[float, float, float, float]:
    array = np.fromiter(values, dtype=float) * 1000.0
    if array.size == 0:
        return (float("nan"),) * 4
    p50, p90, p99 = np.percentile(array, [50, 90, 99])
    return float(p50), float(p90), float(p99), float(array.max())


def step_stats(samples: Samples, rate: float, seconds: float) -> StepStats:
    """Latency percentiles over the answered-OK requests and the timeouts (counted at the cap:
    a timed-out request is a very slow one); other errors are counted, not timed."""
    timed = [
        (s, lat)
        for s, lat, o in zip(samples.scheduled, samples.latency, samples.outcome, strict=True)
        if o in (OK, TIMEOUT)
    ]
    p50, p90, p99, top = _percentiles(lat for _, lat in timed)
    quarter = seconds / 4
    first = _percentiles(lat for s, lat in timed if s < quarter)[2]
    last = _percentiles(lat for s, lat in timed if s >= seconds - quarter)[2]
    ok = sum(1 for o in samples.outcome if o == OK)
    elapsed = max(samples.finished - samples.started, 1e-9)
    return StepStats(
        rate=rate,
        seconds=seconds,
        sent=len(samples.outcome),
        ok=ok,
        errors=Counter(o for o in samples.outcome if o != OK),
        p50=p50,
        p90=p90,
        p99=p99,
        max=top,
        late_p99=_percentiles(samples.late)[2],
        p99_first_quarter=first,
        p99_last_quarter=last,
        ok_per_s=ok / elapsed,
    )
