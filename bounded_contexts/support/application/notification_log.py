"""Reading the notification events back from the support store.

The support store also holds the access log, which may be much larger; every read here asks
the store only for the notification event types it needs. Positions follow commit order, so
a reader that remembers the last position it saw never misses a later commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from bounded_contexts.support.domain.notifications.events import NotificationPreferenceSet
from bounded_contexts.support.domain.notifications.preferences import PreferenceBook
from events.codec import PoisonEvent
from events.envelope import EventEnvelope
from events.store import EventStore

log = logging.getLogger(__name__)

PAGE = 1000


def read_types(
    store: EventStore, types: Sequence[str], *, after: int = 0, upto: int | None = None
) -> Iterator[EventEnvelope]:
    """Every decodable event of ``types`` after ``after`` (up to ``upto``), in order; an
    undecodable one is logged and stepped over, as every rebuild does."""
    while upto is None or after < upto:
        raws = store.read_raw(after, limit=PAGE, upto=upto, types=types)
        if not raws:
            return
        for raw in raws:
            try:
                yield store.decode(raw)
            except PoisonEvent as exc:
                log.error("skipping undecodable notification event: %s", exc)
        after = raws[-1].position


class PreferenceReader:
    """The preferences as the log holds them, brought up to date on demand (one query)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.book = PreferenceBook()
        self.position = 0

    def refresh(self) -> PreferenceBook:
        for envelope in read_types(self.store, ("NotificationPreferenceSet",), after=self.position):
            assert isinstance(envelope.event, NotificationPreferenceSet)
            self.book.apply(envelope.event)
            self.position = envelope.position
        return self.book

    def reload(self) -> PreferenceBook:
        self.book, self.position = PreferenceBook(), 0
        return self.refresh()
