"""The tracked-consumer runtime shared by every policy, projection and saga.

For each upstream store it keeps the last position applied (read from the effects' own
tracking table, never from the broker). Deliveries are deduplicated against it; a gap between
it and a delivered position is healed by reading the missing range from the upstream store;
an idle consumer compares its position with the store's head and catches up, so even a lost
last message is applied. Effects and the new position commit in one transaction, and only then
are the messages acknowledged: a crash in between redelivers, and the redelivery is dropped.

Causal barriers: an event may carry ``watermarks`` — the upstream positions it was derived from.
When a consumer of several streams applies such an event, it first catches up every other
upstream it follows to that watermark. The order of arrival on the broker therefore never
changes an outcome, which keeps replay deterministic.

Poison (undecodable, unknown type, failing its schema) goes to the dead-letter table with the
reason and is stepped over; the consumer keeps running. So does an event whose *effect* fails —
the handler raises on it, or the database refuses what it wrote (a value out of range, a
character a column cannot hold): the failing chunk is split until the one event is found, that
event is dead-lettered with the reason, its position is recorded with no effect, and the rest of
the chunk is applied. What is not the event's fault — the database or the broker unreachable, a
missing table — is raised instead: the component supervisor restarts the consumer with backoff
and nothing is skipped.

Without the broker (never reachable, or lost mid-run) a consumer follows the stores: it catches
up from them on every idle check and tries to subscribe again now and then.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from events.bus import PulsarBus
from events.codec import PoisonEvent, decode_state
from events.component import Component
from events.deadletter import DeadLetters
from events.domain import parse_uuid
from events.effects import Effects
from events.envelope import EventEnvelope
from events.failures import is_infrastructure_failure
from events.store import (
    AlreadyTracked,
    ConcurrencyConflict,
    EventStore,
    TooManyEventsForOneAppend,
)
from events.wake import Wake

log = logging.getLogger(__name__)

Item = tuple[int, EventEnvelope | None]  # (position, event); None = poison stepped over


class Handler(Protocol):
    """What a policy, projection or saga implements."""

    name: str
    upstreams: tuple[str, ...]

    def handle(self, upstream: str, events: Sequence[EventEnvelope], uow: Any) -> None:
        """Apply a batch of events from one upstream, in position order, into ``uow``."""
        ...

    def reset(self) -> None:
        """Forget cached state (after a conflict or an already-applied batch)."""
        ...


class RebuildsState(Protocol):
    """Optional for a handler: one that rebuilds in-memory state from the upstream events it
    already applied (:class:`events.policy.ReplayingPolicy`) is told where the positions it
    dead-lettered are, so the rebuild skips them as the live run did."""

    def bind_dead_letters(self, lookup: Callable[[str], frozenset[int]]) -> None: ...


class TrackedConsumer(Component):
    def __init__(
        self,
        handler: Handler,
        effects: Effects,
        stores: Mapping[str, EventStore],
        dead_letters: DeadLetters,
        bus: PulsarBus | None = None,
        *,
        chunk_size: int = 100,
        idle_catch_up_s: float = 0.25,
        resubscribe_s: float = 5.0,
        wake: Wake | None = None,
        hot_s: float = 0.5,
        cold_wait_s: float = 1.0,
        fault: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        missing = [u for u in handler.upstreams if u not in stores]
        if missing:
            raise ValueError(f"{handler.name}: no store given for upstream(s) {missing}")
        self.handler, self.effects, self.stores = handler, effects, stores
        self.dead_letters, self.bus = dead_letters, bus
        self.chunk_size, self.idle_catch_up_s = chunk_size, idle_catch_up_s
        self.resubscribe_s = resubscribe_s
        self.wake, self.hot_s, self.cold_wait_s = wake, hot_s, cold_wait_s
        self.fault = fault or (lambda point: None)
        self.name = handler.name
        self.positions: dict[str, int] = {}
        self.applied = 0
        self.healed = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self.broker_error: str | None = None  # set while following the stores without a broker
        self._subscriptions: dict[str, list[Any]] = {}
        self._last_heard = 0.0
        self._last_check = 0.0
        self._last_subscribe_try = 0.0
        self._hot_until = 0.0
        bind = getattr(handler, "bind_dead_letters", None)
        if bind is not None:
            bind(lambda upstream: dead_letters.positions(self.name, upstream))

    # lifecycle ---------------------------------------------------------------
    def _open(self) -> None:
        self._subscribe()
        self.drain()  # whatever the broker kept or lost, start level with the stores

    def _subscribe(self) -> None:
        """Subscribe to every upstream stream; without the broker, follow the stores and try
        again after ``resubscribe_s`` (a broker outage must not stop the pipeline)."""
        if self.bus is None:
            return
        self._last_subscribe_try = time.monotonic()
        try:
            for upstream in self.handler.upstreams:
                streams = sorted(
                    {c.STREAM for c in self.stores[upstream].catalogue if upstream == c.CONTEXT}
                )
                self._subscriptions[upstream] = [
                    self.bus.subscribe(self.bus.topic(upstream, s), self.name) for s in streams
                ]
        except Exception as exc:  # the pulsar client raises its own exception types
            self._lose_broker(exc)
            return
        if self.broker_error is not None:
            log.warning("%s subscribed again; the broker is back", self.name)
        self.broker_error = None

    def _lose_broker(self, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        if self.broker_error is None:
            log.warning(
                "%s lost the broker (%s); following the stores until it is back", self.name, reason
            )
        self.broker_error = reason
        self._close()

    def _close(self) -> None:
        for consumers in self._subscriptions.values():
            for consumer in consumers:
                try:
                    consumer.close()
                except Exception:  # the broker may already be gone on shutdown
                    log.debug("consumer close failed", exc_info=True)
        self._subscriptions.clear()

    # the loop ----------------------------------------------------------------
    def step(self) -> bool:
        did_work = False
        for upstream, consumers in list(self._subscriptions.items()):
            for consumer in consumers:
                try:
                    messages = consumer.batch_receive()
                except Exception as exc:  # the broker went away: the stores still hold it all
                    self._lose_broker(exc)
                    break
                if not messages:
                    continue
                did_work = True
                delivered = [e for e in (self._decode(upstream, m) for m in messages) if e]
                self.advance(upstream, delivered)
                self.fault("before_ack")
                for message in messages:
                    try:
                        consumer.acknowledge(message)
                    except Exception as exc:  # unacknowledged: redelivered, then dropped
                        self._lose_broker(exc)
                        break
        now = time.monotonic()
        if (
            self.bus is not None
            and not self._subscriptions
            and now - self._last_subscribe_try >= self.resubscribe_s
        ):
            self._subscribe()
        if did_work:
            self._last_heard = now
            self._hot_until = now + self.hot_s
        elif now - max(self._last_heard, self._last_check) >= self.idle_catch_up_s:
            self._last_check = now
            did_work = self.catch_up() > 0
        return did_work

    def _idle(self) -> None:
        """Without a wake, poll every few milliseconds (tests, tools). With one: poll while
        hot (for ``hot_s`` after work or a ring: the broker's message follows the store's
        ``NOTIFY`` by a few milliseconds), then block until an upstream store is appended to,
        or ``cold_wait_s`` passes (the safety net: redeliveries and idle catch-up)."""
        if self.wake is None or time.monotonic() < self._hot_until:
            super()._idle()
        elif self.wake.wait(self.cold_wait_s):
            self._hot_until = time.monotonic() + self.hot_s

    def _interrupt_idle(self) -> None:
        if self.wake is not None:
            self.wake.ring()

    def drain(self) -> int:
        """Without a broker or a thread: read our positions and apply everything the upstream
        stores hold (rebuilds, tests, the synchronous replay). Returns the count applied."""
        self.positions = {
            u: self.effects.tracked_position(self.name, u) for u in self.handler.upstreams
        }
        return self.catch_up()

    def catch_up(self) -> int:
        """Apply everything the upstream stores hold beyond our positions; returns the count."""
        before = self.applied
        for upstream in self.handler.upstreams:
            head = self.stores[upstream].head()
            if head > self.positions[upstream]:
                self.advance(upstream, [], upto=head)
        return self.applied - before

    def advance(
        self, upstream: str, delivered: Sequence[EventEnvelope], *, upto: int | None = None
    ) -> None:
        """Bring ``upstream`` up to the highest delivered position (or ``upto``)."""
        position = self.positions[upstream]
        fresh = sorted({e.position: e for e in delivered if e.position > position}.items())
        self.duplicates += len(delivered) - len(fresh)
        target = max([p for p, _ in fresh] + [upto or 0])
        if target <= position:
            return
        expected = list(range(position + 1, target + 1))
        if [p for p, _ in fresh] == expected:
            items: list[Item] = list(fresh)
        else:  # something is missing (lost, or not yet delivered): the store decides
            items = self._read_store(upstream, position, target)
            self.healed += len(items) - len(fresh)
        self._process(upstream, items)

    # internals ---------------------------------------------------------------
    def _read_store(self, upstream: str, after: int, upto: int) -> list[Item]:
        store = self.stores[upstream]
        items: list[Item] = []
        while after < upto:
            raws = store.read_raw(after, limit=1000, upto=upto)
            if not raws:
                break
            for raw in raws:
                try:
                    items.append((raw.position, store.decode(raw)))
                except PoisonEvent as exc:
                    self._dead_letter(upstream, raw.position, str(exc), raw.state)
                    items.append((raw.position, None))
            after = raws[-1].position
        return items

    def _process(self, upstream: str, items: list[Item]) -> None:
        for start in range(0, len(items), self.chunk_size):
            window = items[start : start + self.chunk_size]
            self._barrier(upstream, window)
            # A barrier may have reached back into this upstream: skip what it applied.
            window = [item for item in window if item[0] > self.positions[upstream]]
            if window:
                self._commit(upstream, window)

    def _barrier(self, upstream: str, window: list[Item]) -> None:
        """Catch every other upstream up to the highest watermark the window's events carry.

        Going further than one event's own watermark is always allowed (the broker could
        have delivered those events first anyway), and it costs one catch-up per chunk."""
        needed: dict[str, int] = {}
        for _, event in window:
            if event is None:
                continue
            for other, mark in event.watermarks.items():
                if other != upstream and other in self.positions and mark > self.positions[other]:
                    needed[other] = max(needed.get(other, 0), mark)
        for other, mark in needed.items():
            self.advance(other, [], upto=mark)

    def _commit(self, upstream: str, chunk: list[Item]) -> None:
        # A handler sharing in-memory state with another writer (execution and the gateway)
        # exposes a lock, held from the first mutation until the effects are committed.
        lock = getattr(self.handler, "lock", None) or contextlib.nullcontext()
        conflicts = 0
        while True:
            events = [e for _, e in chunk if e is not None]
            last = chunk[-1][0]

            def handle(uow: Any, events: list[EventEnvelope] = events) -> None:
                self.handler.handle(upstream, events, uow)
                self.fault("mid_batch")  # written, not yet committed

            try:
                with lock:
                    self.effects.apply(self.name, upstream, last, handle)
                break
            except TooManyEventsForOneAppend as exc:
                # The batch produced more than one atomic append may hold: halve it.
                self.handler.reset()
                if len(chunk) == 1:
                    self._dead_letter_effect(upstream, chunk[0], exc)
                    return
                self._split(upstream, chunk)
                return
            except AlreadyTracked:
                # Another instance (or our previous life) applied it: adopt its position.
                self.handler.reset()
                self.positions[upstream] = self.effects.tracked_position(self.name, upstream)
                self.duplicates += len(events)
                return
            except ConcurrencyConflict:
                self.handler.reset()
                conflicts += 1
                chunk = self._not_applied_elsewhere(upstream, chunk)
                if not chunk:
                    return
                if conflicts == 5:
                    raise
            except Exception as exc:
                if is_infrastructure_failure(exc):
                    raise  # not this event's fault: the supervisor retries, nothing skipped
                self.handler.reset()
                rest = self._not_applied_elsewhere(upstream, chunk)
                if len(rest) < len(chunk):
                    # Not the events' fault: another instance had applied some of them (an
                    # order it placed "already exists"); retry what is left.
                    chunk = rest
                    if not chunk:
                        return
                    continue
                # The handler raised, or the database refused the effect: find the event.
                if len(chunk) == 1:
                    self._dead_letter_effect(upstream, chunk[0], exc)
                else:
                    self._split(upstream, chunk)
                return
        self.positions[upstream] = last
        self.applied += len(events)
        self.fault("after_commit")

    def _not_applied_elsewhere(self, upstream: str, chunk: list[Item]) -> list[Item]:
        """What is left of ``chunk`` once another instance of this consumer (a failover that
        overlapped, a second process) applied the start of it — its chunks need not end where
        ours do. The tracked position is the truth: adopt it, count what it covered."""
        tracked = self.effects.tracked_position(self.name, upstream)
        if tracked <= self.positions[upstream]:
            return chunk
        self.positions[upstream] = tracked
        self.duplicates += sum(1 for position, e in chunk if position <= tracked and e)
        return [item for item in chunk if item[0] > tracked]

    def _split(self, upstream: str, chunk: list[Item]) -> None:
        half = len(chunk) // 2
        self._commit(upstream, chunk[:half])
        self._commit(upstream, chunk[half:])

    def _dead_letter_effect(self, upstream: str, item: Item, exc: Exception) -> None:
        """Record that the event at ``item``'s position failed its effect, and step over it:
        its position is tracked with no effect, in one transaction, so a restart neither
        retries it forever nor loses the events after it."""
        position, event = item
        reason = f"effect failed: {type(exc).__name__}: {exc}".strip()
        raws = self.stores[upstream].read_raw(position - 1, limit=1, upto=position)
        body = raws[0].state if raws else b""
        kind = event.event_type if event is not None else "event"
        log.error("%s dead-lettered %s %s#%s: %s", self.name, kind, upstream, position, reason)
        self.dead_letters.put(
            consumer=self.name, upstream=upstream, position=position, reason=reason, body=body
        )
        self.dead_lettered += 1
        with contextlib.suppress(AlreadyTracked):  # another instance stepped over it first
            self.effects.apply(self.name, upstream, position, lambda uow: None)
        self.handler.reset()  # rebuilt state skips the dead-lettered position
        self.positions[upstream] = position

    def _decode(self, upstream: str, message: Any) -> EventEnvelope | None:
        props = message.properties()
        position: int | None = None
        try:
            position = int(props["position"])
            return decode_state(
                context=upstream,
                aggregate_id=parse_uuid(message.partition_key()),
                aggregate_version=int(props["aggregate_version"]),
                position=position,
                state=message.data(),
                catalogue=self.stores[upstream].catalogue,
            )
        except PoisonEvent as exc:
            reason = str(exc)
        except (KeyError, ValueError, TypeError) as exc:
            reason = f"undecodable message on {upstream}: {type(exc).__name__}: {exc}"
        if position is not None and position <= self.positions[upstream]:
            return None  # already applied from the store; a stale copy is no news
        self._dead_letter(upstream, position, reason, message.data())
        return None

    def _dead_letter(self, upstream: str, position: int | None, reason: str, body: bytes) -> None:
        log.warning("%s dead-lettered %s#%s: %s", self.name, upstream, position, reason)
        self.dead_letters.put(
            consumer=self.name, upstream=upstream, position=position, reason=reason, body=body
        )

    def status(self) -> dict[str, Any]:
        lag = {}
        for upstream, position in self.positions.items():
            lag[upstream] = self.stores[upstream].head() - position
        return {
            **super().status(),
            "positions": dict(self.positions),
            "lag": lag,
            "applied": self.applied,
            "healed_from_store": self.healed,
            "duplicates_dropped": self.duplicates,
            "dead_letters": self.dead_letters.count(self.name),
            "broker": "following the stores: " + self.broker_error
            if self.broker_error
            else ("connected" if self._subscriptions else "none"),
        }
