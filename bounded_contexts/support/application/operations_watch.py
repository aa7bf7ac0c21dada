"""The operations watcher: dead letters and failing components are rows in tables, not
events, so a small supervised component looks at them and records the notifications.

- **Dead letters** (``dead_letters``): one ``dead_letter`` notification per row, to the
  operators. Its cursor (the last row id notified) is a tracking record in the support store,
  appended with the notifications in one transaction, so a restart neither repeats nor skips
  a row, and a second watcher loses the race harmlessly (``AlreadyTracked``). Row ids are
  taken from a sequence when the row is inserted, so a row could become visible after a
  higher id: the watcher only moves past rows older than ``dead_letter_settle_s`` (a
  dead-letter insert is one short statement). On its first start it notifies every dead
  letter already there.
- **Failing components** (``component_health``): one ``component_failing`` notification per
  *episode* — from the state ``failing`` until ``running`` or ``stopped`` again, per
  component and process — and an INFO one when the episode ends. Those notifications are the
  watcher's memory: after a restart it reads them back (which episodes are open, how many
  there were), and their ids derive from the episode's number, so nothing is told twice. A
  component must be failing for ``failing_grace_s`` before it is reported (a database blip
  that heals on the first retry is not news).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from eventsourcing.postgres import PostgresDatastore

from bounded_contexts.support.application.notification_log import PreferenceReader, read_types
from bounded_contexts.support.application.notification_ports import Clock, Recipients
from bounded_contexts.support.application.notifier import Notifier
from bounded_contexts.support.domain.notifications.events import NotificationRequested
from bounded_contexts.support.domain.notifications.rules import (
    Alert,
    ComponentState,
    DeadLetter,
    component_back,
    component_failing,
    dead_lettered,
)
from events.component import Component
from events.effects import EventsToAppend
from events.envelope import Cause
from events.store import MAX_EVENTS_PER_APPEND, AlreadyTracked, ConcurrencyConflict, EventStore

ACTOR = "support:operations-watch"
TRACKING = "support.operations-watch:dead_letters"


@dataclass(frozen=True)
class OperationsWatchConfig:
    """Attributes:
    poll_s: how often the tables are looked at (they send no notification to wait on).
    dead_letter_settle_s: how old a dead-letter row must be before the cursor moves past it.
    failing_grace_s: how long a component must be failing before it is reported.
    batch: at most this many dead letters per append (fewer with many operators: one
        append holds at most ``MAX_EVENTS_PER_APPEND`` events).
    """

    poll_s: float = 1.0
    dead_letter_settle_s: float = 1.0
    failing_grace_s: float = 5.0
    batch: int = 50


@dataclass
class _Episode:
    number: int
    open: bool


class OperationsWatcher(Component):
    name = "support.operations-watch"

    def __init__(
        self,
        store: EventStore,
        datastore: PostgresDatastore,
        recipients: Recipients,
        *,
        config: OperationsWatchConfig | None = None,
        clock_ns: Clock = time.time_ns,
    ) -> None:
        super().__init__()
        self.store, self.datastore = store, datastore
        self.config = config or OperationsWatchConfig()
        self.clock_ns = clock_ns
        self.notifier = Notifier(recipients, PreferenceReader(store))
        self._episodes: dict[tuple[str, str], _Episode] = {}
        self._failing_seen: dict[tuple[str, str], int] = {}  # first seen failing (clock ns)
        self.dead_letters_notified = 0
        self.episodes_notified = 0

    # -- lifecycle ----------------------------------------------------------------------
    def _open(self) -> None:
        self.load()

    def load(self) -> None:
        """Read back what the log says was already notified (preferences, open episodes);
        run at every (re)start, before the first step."""
        self.notifier.preferences.reload()
        self._episodes = self._recorded_episodes()

    def _idle(self) -> None:
        self._stop.wait(self.config.poll_s)

    def step(self) -> bool:
        self.notifier.preferences.refresh()
        self.notifier.forget_recipients()
        more = self.watch_dead_letters()
        self.watch_components()
        return more

    # -- dead letters -------------------------------------------------------------------
    def watch_dead_letters(self) -> bool:
        """Notify the next settled dead letters; True when there may be more right away."""
        fetched = self._settled_dead_letters(
            self.store.tracked_position(TRACKING), self.config.batch
        )
        if not fetched:
            return False
        # One append holds at most MAX_EVENTS_PER_APPEND events: one per row and operator.
        operators = max(1, len(self.notifier.recipients_of(dead_lettered(fetched[0]))))
        rows = fetched[: max(1, MAX_EVENTS_PER_APPEND // operators)]
        more = len(fetched) == self.config.batch or len(rows) < len(fetched)
        uow = EventsToAppend()
        for row in rows:
            alert = dead_lettered(row)
            self.notifier.notify(
                alert,
                uow,
                Cause.origin(ts_event=self.clock_ns(), actor=ACTOR, key=alert.key),
                cause_context="dead_letters",
                cause_position=row.id,
            )
        try:
            self.store.append(uow.items, tracking=(TRACKING, rows[-1].id))
        except AlreadyTracked:
            return True  # another watcher notified them: carry on after its cursor
        self.dead_letters_notified += len(rows)
        return more

    def _settled_dead_letters(self, after: int, limit: int) -> list[DeadLetter]:
        rows = self._query(
            "dead_letters",
            "SELECT id, consumer, upstream, position, reason, "
            "recorded_at <= now() - make_interval(secs => %s) AS settled "
            "FROM dead_letters WHERE id > %s ORDER BY id LIMIT %s",
            (self.config.dead_letter_settle_s, after, limit),
        )
        settled = []
        for row in rows:
            if not row["settled"]:
                break  # a lower id may still commit: wait for this one to settle
            settled.append(
                DeadLetter(
                    int(row["id"]),
                    row["consumer"],
                    row["upstream"],
                    row["position"],
                    row["reason"],
                )
            )
        return settled

    # -- components ---------------------------------------------------------------------
    def watch_components(self) -> None:
        now = self.clock_ns()
        grace_ns = round(self.config.failing_grace_s * 1e9)
        alerts: list[tuple[tuple[str, str], _Episode, Alert]] = []
        for row in self._query(
            "component_health",
            "SELECT component, process, state, failures, last_error FROM component_health "
            "ORDER BY component, process",
            (),
        ):
            state = ComponentState(
                row["component"], row["process"], row["state"], row["failures"], row["last_error"]
            )
            key = (state.component, state.process)
            episode = self._episodes.get(key)
            if state.state == "failing":
                since = self._failing_seen.setdefault(key, now)
                if (episode is None or not episode.open) and now - since >= grace_ns:
                    number = 1 if episode is None else episode.number + 1
                    alerts.append((key, _Episode(number, True), component_failing(state, number)))
            else:
                self._failing_seen.pop(key, None)
                if episode is not None and episode.open:
                    closed = _Episode(episode.number, False)
                    alerts.append((key, closed, component_back(state, episode.number)))
        if not alerts:
            return
        uow = EventsToAppend()
        for _, _, alert in alerts:
            self.notifier.notify(
                alert,
                uow,
                Cause.origin(ts_event=now, actor=ACTOR, key=alert.key),
                cause_context="component_health",
                cause_position=None,
            )
        try:
            self.store.append(uow.items)
        except ConcurrencyConflict:
            self._episodes = self._recorded_episodes()  # another watcher told them
            return
        for key, episode, _ in alerts:
            self._episodes[key] = episode
        self.episodes_notified += len(alerts)

    def _recorded_episodes(self) -> dict[tuple[str, str], _Episode]:
        """The episodes the log has notified: the latest per component and process."""
        episodes: dict[tuple[str, str], _Episode] = {}
        for envelope in read_types(self.store, ("NotificationRequested",)):
            event = envelope.event
            assert isinstance(event, NotificationRequested)
            if event.rule != "component_failing":
                continue
            key = (event.details["component"], event.details["process"])
            number = int(event.details["episode"])
            current = episodes.get(key)
            if current is None or number >= current.number:  # in store order: the latest
                episodes[key] = _Episode(number, event.details["phase"] == "failing")
        return episodes

    # -- helpers ------------------------------------------------------------------------
    def _query(self, table: str, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        """Rows of a platform table; none while the table does not exist yet."""
        with self.datastore.transaction(commit=False) as cur:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL AS present", (table,))
            row = cur.fetchone()
            if not row or not row["present"]:
                return []
            cur.execute(sql, params)
            return [dict(r) for r in cur.fetchall()]

    def status(self) -> dict[str, Any]:
        return {
            **super().status(),
            "dead_letters_notified": self.dead_letters_notified,
            "episodes_notified": self.episodes_notified,
            "open_episodes": sorted(
                f"{c}@{p}" for (c, p), e in list(self._episodes.items()) if e.open
            ),
        }
