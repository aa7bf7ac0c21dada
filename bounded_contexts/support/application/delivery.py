"""The delivery component: sends each notification on its outside channels (webhook,
e-mail) and records every attempt as an event. Separate from the policy, so a failing or slow
channel never holds up the pipeline; within it, sends run on a small thread pool, so one slow
receiver does not hold up the others.

Everything it knows comes from the support store, read in order: the notifications and the
channels chosen for them, the preferences (targets are resolved at each attempt from the
preference in force then; a channel disabled since is dropped without a record), and the
attempts already recorded. A delivery finished in the log (delivered, or given up) is never
attempted again, so a restart resumes where the log stands: nothing recorded as sent is sent
twice. A send whose outcome was not yet recorded when the process died is sent again after
the restart (at-least-once): receivers dedupe by the notification id (the webhook's
``X-QuantVista-Notification`` header, the e-mail's ``Message-ID``).

Retries follow the :class:`RetrySchedule` on the injected clock. Each attempt is version *n*
of the delivery's aggregate, so two instances could never both record attempt *n*; but both
would have *sent* it — run one delivery component per deployment.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from bounded_contexts.support.adapters.store_wake import StoreWake
from bounded_contexts.support.application.notification_log import read_types
from bounded_contexts.support.application.notification_ports import (
    ChannelSender,
    ChannelTarget,
    Clock,
    OutgoingNotification,
    SendResult,
)
from bounded_contexts.support.domain.notifications.events import (
    OUTSIDE_CHANNELS,
    Channel,
    NotificationDelivered,
    NotificationDeliveryFailed,
    NotificationPreferenceSet,
    NotificationRequested,
)
from bounded_contexts.support.domain.notifications.notification import Delivery, delivery_id_for
from bounded_contexts.support.domain.notifications.preferences import PreferenceBook
from bounded_contexts.support.domain.notifications.retry import RetrySchedule
from events.component import Component
from events.effects import EventsToAppend
from events.envelope import Cause, EventEnvelope
from events.store import ConcurrencyConflict, EventStore

log = logging.getLogger(__name__)

ACTOR = "support:delivery"
TYPES = (
    "NotificationPreferenceSet",
    "NotificationRequested",
    "NotificationDelivered",
    "NotificationDeliveryFailed",
)


@dataclass(frozen=True)
class DeliveryConfig:
    """Attributes:
    retry: when failed attempts are tried again, and how many there are.
    max_in_flight: sends at once (threads).
    wait_s: the longest one idle wait (a due retry is noticed within it).
    """

    retry: RetrySchedule = field(default_factory=RetrySchedule)
    max_in_flight: int = 4
    wait_s: float = 0.1


@dataclass
class _Job:
    """One notification on one channel, not finished yet."""

    notification: NotificationRequested
    channel: Channel
    ts_event: int
    cause: Cause
    attempts: int = 0
    due_ns: int = 0  # 0: now


class DeliveryWorker(Component):
    name = "support.delivery"

    def __init__(
        self,
        store: EventStore,
        senders: Mapping[str, ChannelSender],
        *,
        config: DeliveryConfig | None = None,
        clock_ns: Clock = time.time_ns,
    ) -> None:
        super().__init__()
        self.store, self.senders = store, dict(senders)
        self.config = config or DeliveryConfig()
        self.clock_ns = clock_ns
        self._store_wake: StoreWake | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._reset()
        self.delivered = 0
        self.failed_attempts = 0
        self.given_up = 0
        self.dropped = 0

    def _reset(self) -> None:
        self._position = 0
        self._preferences = PreferenceBook()
        self._jobs: dict[tuple[UUID, str], _Job] = {}
        self._in_flight: dict[tuple[UUID, str], tuple[Future[SendResult], int, int]] = {}

    # -- lifecycle ----------------------------------------------------------------------
    def _open(self) -> None:
        self._reset()
        self._store_wake = StoreWake(self.store)
        self._store_wake.open()  # first listen, then read: no append is missed
        self._pool = ThreadPoolExecutor(self.config.max_in_flight, thread_name_prefix=self.name)
        self.catch_up()

    def _close(self) -> None:
        wake, self._store_wake = self._store_wake, None
        if wake is not None:
            wake.close()
        pool, self._pool = self._pool, None
        if pool is not None:  # sends still running finish unrecorded: sent again on restart
            pool.shutdown(wait=False, cancel_futures=True)
        self._in_flight.clear()

    def _idle(self) -> None:
        """Wait for an append, a finished send, or the next retry coming due."""
        wait = self.config.wait_s
        if len(self._in_flight) < self.config.max_in_flight:
            due = [j.due_ns for k, j in self._jobs.items() if k not in self._in_flight]
            if due:
                wait = min(wait, max(0.0, (min(due) - self.clock_ns()) / 1e9))
        if self._store_wake is None:
            self._stop.wait(wait)
        else:
            self._store_wake.wait(wait)

    def _interrupt_idle(self) -> None:
        """``stop()`` from another thread: end the wait in ``_idle()`` now."""
        wake = self._store_wake
        if wake is not None:
            wake.poke()

    def step(self) -> bool:
        did_work = self.catch_up() > 0
        did_work = self.record_finished() > 0 or did_work
        return self.dispatch_due() > 0 or did_work

    # -- reading the log ----------------------------------------------------------------
    def catch_up(self) -> int:
        """Fold what the store holds beyond our position; returns how many events."""
        count = 0
        for envelope in read_types(self.store, TYPES, after=self._position):
            self._fold(envelope)
            self._position = envelope.position
            count += 1
        return count

    def _fold(self, envelope: EventEnvelope) -> None:
        event = envelope.event
        match event:
            case NotificationPreferenceSet():
                self._preferences.apply(event)
            case NotificationRequested():
                cause = Cause(
                    ts_event=envelope.ts_event,
                    actor=ACTOR,
                    correlation_id=envelope.correlation_id,
                    causation_id=envelope.event_id,
                    watermarks={"support": envelope.position},
                )
                for channel in event.channels:
                    if channel in OUTSIDE_CHANNELS:
                        self._jobs.setdefault(
                            (event.notification_id, channel),
                            _Job(event, channel, envelope.ts_event, cause),
                        )
            case NotificationDelivered() | NotificationDeliveryFailed():
                key = (event.notification_id, event.channel)
                job = self._jobs.get(key)
                if job is None or event.attempt < job.attempts:
                    return  # finished already, or we recorded it ourselves
                job.attempts = event.attempt
                if isinstance(event, NotificationDelivered) or event.next_attempt_at is None:
                    del self._jobs[key]
                else:
                    job.due_ns = event.next_attempt_at

    # -- sending ------------------------------------------------------------------------
    def dispatch_due(self) -> int:
        """Hand the due deliveries to the pool; returns how many were started."""
        if self._pool is None:
            return 0
        now = self.clock_ns()
        due = sorted(
            (job.due_ns, key)
            for key, job in self._jobs.items()
            if key not in self._in_flight and job.due_ns <= now
        )
        started = 0
        for _, key in due:
            if len(self._in_flight) >= self.config.max_in_flight:
                break
            job = self._jobs[key]
            n = job.notification
            preference = self._preferences.of(n.recipient).setting(n.rule, job.channel)
            if preference is None or not preference.enabled:
                del self._jobs[key]  # disabled since it was requested: nothing is recorded
                self.dropped += 1
                continue
            target = ChannelTarget(preference.webhook_url, preference.secret_ref, preference.email)
            attempt = job.attempts + 1
            message = OutgoingNotification(
                n.notification_id,
                n.rule,
                n.recipient,
                n.account_id,
                n.severity,
                n.title,
                n.body,
                dict(n.details),
                job.ts_event,
                attempt,
                now,
            )
            future = self._pool.submit(self._send, job.channel, message, target)
            if self._store_wake is not None:
                future.add_done_callback(lambda _, wake=self._store_wake: wake.poke())
            self._in_flight[key] = (future, attempt, now)
            started += 1
        return started

    def _send(
        self, channel: str, message: OutgoingNotification, target: ChannelTarget
    ) -> SendResult:
        sender = self.senders.get(channel)
        if sender is None:
            return SendResult(False, error=f"no {channel} channel is configured", permanent=True)
        try:
            return sender.send(message, target)
        except Exception as exc:  # a sender's bug or an unexpected error: retried like any
            log.warning("%s sender raised: %s", channel, exc, exc_info=True)
            return SendResult(False, error=f"{type(exc).__name__}: {exc}")

    def record_finished(self) -> int:
        """Record the outcome of every finished send, in one append; returns how many."""
        done = [(key, entry) for key, entry in self._in_flight.items() if entry[0].done()]
        if not done:
            return 0
        now = self.clock_ns()
        uow = EventsToAppend()
        # key, attempt, delivered?, when to try again (None: never)
        outcomes: list[tuple[tuple[UUID, str], int, bool, int | None]] = []
        for key, (future, attempt, _) in done:
            job = self._jobs.get(key)
            if job is None or job.attempts >= attempt:  # another writer recorded it meanwhile
                del self._in_flight[key]
                continue
            result = future.result()
            delivery = Delivery.resume(key[0], job.channel, attempt - 1)
            if result.ok:
                delivery.delivered_on_attempt(result.status_code)
                outcomes.append((key, attempt, True, None))
            else:
                retry_at = (
                    None
                    if result.permanent
                    else self.config.retry.next_attempt_at(
                        now, attempt, str(delivery_id_for(key[0], job.channel))
                    )
                )
                delivery.failed_on_attempt(
                    status_code=result.status_code,
                    error=result.error or "failed",
                    next_attempt_at=retry_at,
                )
                outcomes.append((key, attempt, False, retry_at))
            cause = Cause(
                ts_event=now,
                actor=ACTOR,
                correlation_id=job.cause.correlation_id,
                causation_id=job.cause.causation_id,
                watermarks=job.cause.watermarks,
            )
            uow.save(delivery, cause)
        if not outcomes:
            return len(done)
        try:
            self.store.append(uow.items)
        except ConcurrencyConflict:
            # Another instance recorded these attempts: the log decides, start over from it.
            log.warning("%s: another writer recorded deliveries; reloading", self.name)
            self._reset()
            self.catch_up()
            return len(done)
        for key, attempt, delivered, retry_at in outcomes:
            del self._in_flight[key]
            job = self._jobs[key]
            job.attempts = attempt
            if delivered:
                del self._jobs[key]
                self.delivered += 1
                continue
            self.failed_attempts += 1
            if retry_at is None:
                del self._jobs[key]
                self.given_up += 1
            else:
                job.due_ns = retry_at
        return len(done)

    def status(self) -> dict[str, Any]:
        jobs, in_flight = list(self._jobs.items()), set(self._in_flight)  # other threads ask
        waiting = [job.due_ns for key, job in jobs if key not in in_flight]
        return {
            **super().status(),
            "position": self._position,
            "pending": len(jobs),
            "in_flight": len(in_flight),
            "delivered": self.delivered,
            "failed_attempts": self.failed_attempts,
            "given_up": self.given_up,
            "dropped_disabled": self.dropped,
            "next_due_ns": min(waiting) if waiting else None,
        }
