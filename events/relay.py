"""The relay: follows one store's notification log and publishes every event to its Pulsar
topic, key = aggregate id, properties = type, version and store position.

It records the last position it has *flushed* to the broker in ``relay_positions`` and resumes
from there after a restart, so delivery is at-least-once; consumers make effects exactly-once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from events.bus import PulsarBus
from events.codec import stored_version
from events.component import Component
from events.store import EventStore, RawEvent

RELAY_DDL = """
CREATE TABLE IF NOT EXISTS relay_positions (
    context   TEXT PRIMARY KEY,
    position  BIGINT NOT NULL
)
"""


class Relay(Component):
    def __init__(
        self,
        store: EventStore,
        bus: PulsarBus,
        *,
        listen_url: str,
        page: int = 1000,
        fault: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.fault = fault or (lambda point: None)
        self.listen_url = listen_url
        self.store, self.bus, self.page = store, bus, page
        self.name = f"relay:{store.context}"
        self.position = 0
        self.published = 0

    def _open(self) -> None:
        self.position = self._load_position()
        # Wake on the store's NOTIFY (sent by every append) instead of polling in a hot loop.
        self._listener = psycopg.connect(self.listen_url, autocommit=True)
        self._listener.execute(f'LISTEN "{self.store.events_table}"')

    def _close(self) -> None:
        listener = getattr(self, "_listener", None)
        if listener is not None:
            listener.close()

    def _idle(self) -> None:
        for _ in self._listener.notifies(timeout=0.5, stop_after=1):
            pass

    def _load_position(self) -> int:
        with self.store.datastore.transaction(commit=False) as cur:
            cur.execute(
                "SELECT position FROM relay_positions WHERE context = %s", (self.store.context,)
            )
            row = cur.fetchone()
        return int(row["position"]) if row else 0

    def step(self) -> bool:
        raws = self.store.read_raw(self.position, limit=self.page)
        if not raws:
            return False
        producers: dict[str, Any] = {}
        for raw in raws:
            stream = self._stream_of(raw.topic)
            producer = producers.get(stream)
            if producer is None:
                producer = producers[stream] = self.bus.producer(
                    self.bus.topic(self.store.context, stream)
                )
            send(producer, raw)
        for producer in producers.values():
            producer.flush()
        self.fault("after_publish")
        self.position = raws[-1].position
        self.published += len(raws)
        self._save_position(self.position)
        return True

    def _stream_of(self, event_type: str) -> str:
        try:
            return self.store.catalogue.resolve(event_type).STREAM
        except LookupError:
            return "unknown"  # still carried: consumers dead-letter what they cannot read

    def _save_position(self, position: int) -> None:
        with self.store.datastore.transaction(commit=True) as cur:
            cur.execute(
                "INSERT INTO relay_positions (context, position) VALUES (%s, %s) "
                "ON CONFLICT (context) DO UPDATE SET position = EXCLUDED.position",
                (self.store.context, position),
            )

    def status(self) -> dict[str, Any]:
        head = self.store.head()
        return {
            **super().status(),
            "position": self.position,
            "head": head,
            "lag": head - self.position,
            "published": self.published,
        }


def send(producer: Any, raw: RawEvent) -> None:
    """Publish one stored event: the JSON state as the body, the aggregate id as the key (so
    a key-ordered subscription keeps each aggregate in order), type/position as properties."""
    producer.send_async(
        raw.state,
        None,
        partition_key=str(raw.aggregate_id),
        properties={
            "type": raw.topic,
            "version": str(stored_version(raw.state)),
            "position": str(raw.position),
            "aggregate_version": str(raw.aggregate_version),
            "context": raw.context,
        },
    )
