"""Aggregates of one event: facts recorded once and never changed (a forecast, a drift
reading, a training request).

Each has its own identity, derived from what makes it unique (the instrument and bar of a
forecast, say). A policy writing them never has to know a stream's current version, so its
in-memory state can be rebuilt without reproducing every earlier output — and recording the
same fact twice conflicts instead of duplicating it.
"""

from __future__ import annotations

import uuid

from events.domain import Aggregate, DomainEvent

NAMESPACE = uuid.UUID("0c7d5a0e-2b8e-4f5c-9a51-6f1e8d2c4b39")


class Fact(Aggregate):
    def __init__(self, kind: str, key: str, event: DomainEvent) -> None:
        super().__init__(uuid.uuid5(NAMESPACE, f"{kind}/{key}"))
        self.event = event
        self._record(event)

    def apply(self, event: DomainEvent) -> None:
        self.event = event
