"""Fakes and helpers shared by the notification tests: hand-written fakes of the ports, a
clock the test moves, and a way to put upstream facts (with their watermarks) in a store."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bounded_contexts.execution.domain.events import (
    AccountOpened,
    ControlBreach,
    FillBooked,
    OrderRejected,
    OrderSubmitted,
)
from bounded_contexts.ingestion.domain.events import BarClosed
from bounded_contexts.support.domain.notifications.events import NotificationRequested
from events.domain import Aggregate, DomainEvent
from events.envelope import Cause, EventEnvelope
from events.store import EventStore

T0 = 1_795_161_600_000_000_000  # 2026-11-16 08:00 UTC
MINUTE = 60_000_000_000


class FakeRecipients:
    """Who may view which account, and who operates; counts the questions it is asked."""

    def __init__(
        self, accounts: dict[str, list[str]] | None = None, operators: Sequence[str] = ()
    ) -> None:
        self.accounts = accounts or {}
        self._operators = list(operators)
        self.asked = 0
        self.failure: Exception | None = None

    def for_account(self, account_id: str) -> list[str]:
        self.asked += 1
        if self.failure is not None:
            raise self.failure
        return list(self.accounts.get(account_id, []))

    def operators(self) -> list[str]:
        self.asked += 1
        if self.failure is not None:
            raise self.failure
        return list(self._operators)


class FakeSecrets:
    def __init__(self, secrets: dict[str, bytes]) -> None:
        self.secrets = secrets

    def resolve(self, reference: str) -> bytes | None:
        return self.secrets.get(reference)


class FakeClock:
    """UTC ns that move only when the test says so (thread-safe)."""

    def __init__(self, now: int = T0) -> None:
        self._now, self._lock = now, threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += round(seconds * 1e9)


class _Stream(Aggregate):
    """An aggregate that records whatever it is given (upstream facts for the tests)."""

    def _init_state(self) -> None:
        pass

    def apply(self, event: DomainEvent) -> None:
        pass

    def record(self, event: DomainEvent) -> None:
        self._record(event)


class Facts:
    """Appends upstream facts the way their contexts would, each with a cause."""

    def __init__(self, stores: Any) -> None:
        self.stores = stores
        self._streams: dict[str, _Stream] = {}

    def append(
        self, context: str, event: DomainEvent, *, ts: int = T0, marks: dict[str, int] | None = None
    ) -> int:
        stream = self._streams.get(context)
        if stream is None:
            stream = self._streams[context] = _Stream(uuid.uuid4())
        stream.record(event)
        cause = Cause(
            ts_event=ts,
            actor="test",
            correlation_id=uuid.uuid4(),
            watermarks=marks or {},
        )
        items = [(p, cause) for p in stream.collect_pending()]
        return self.stores[context].append(items)[0]

    # execution ----------------------------------------------------------------------
    def account(self, account_id: str = "ACC-1", cash: str = "100000", **kw: Any) -> int:
        return self.append("execution", AccountOpened(account_id, "EUR", Decimal(cash)), **kw)

    def order(self, order_id: uuid.UUID, account_id: str = "ACC-1", **kw: Any) -> int:
        return self.append(
            "execution",
            OrderSubmitted(
                order_id, account_id, "SAP", "BUY", "MARKET", Decimal(10), None, "GTC", None,
                "MANUAL", None, None,
            ),
            **kw,
        )  # fmt: skip

    def rejection(self, order_id: uuid.UUID, **kw: Any) -> int:
        breach = ControlBreach("max_order_notional", Decimal(100000), Decimal(150000))
        return self.append(
            "execution",
            OrderRejected(order_id, "order notional 150000 exceeds 100000", (breach,)),
            **kw,
        )

    def fill(
        self,
        account_id: str = "ACC-1",
        *,
        quantity: str = "10",
        price: str = "200",
        cash_after: str = "97999",
        position_after: str = "10",
        instrument: str = "SAP",
        **kw: Any,
    ) -> int:
        return self.append(
            "execution",
            FillBooked(
                account_id, uuid.uuid4(), instrument, "BUY", Decimal(quantity), Decimal(price),
                Decimal(1), Decimal(cash_after), Decimal(position_after),
            ),
            **kw,
        )  # fmt: skip

    # ingestion ----------------------------------------------------------------------
    def bar(self, close: str, *, minute: int, instrument: str = "SAP") -> int:
        price = Decimal(close)
        start = T0 + minute * MINUTE
        return self.append(
            "ingestion",
            BarClosed(
                instrument, start, start + MINUTE, price, price, price, price, Decimal(1000),
                "2026-11-16",
            ),
            ts=start + MINUTE,
        )  # fmt: skip


def requested(store: EventStore) -> list[EventEnvelope]:
    """The NotificationRequested events of a support store, in order."""
    return [e for e in store.read(0, limit=100_000) if isinstance(e.event, NotificationRequested)]


def events_of(store: EventStore, kind: type) -> list[Any]:
    return [e.event for e in store.read(0, limit=100_000) if isinstance(e.event, kind)]


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    """Poll a condition until it holds (the thing under test runs in its own threads)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout} s: {what or predicate}")
        time.sleep(0.02)


class Receiver:
    """A webhook receiver on a kernel-picked port that answers as scripted, per request:
    ``ok`` (200), ``500``, or ``hang`` (never answers, until the test ends)."""

    def __init__(self, script: list[str] | None = None) -> None:
        self.script = list(script or [])
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.release = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.requests.append((dict(self.headers.items()), body))
                    action = receiver.script.pop(0) if receiver.script else "ok"
                if action == "hang":
                    receiver.release.wait(30)
                    return
                self.send_response(200 if action == "ok" else int(action))
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/quantvista"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
