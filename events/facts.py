"""Aggregates of one event: facts recorded once and never changed (a forecast, a drift
reading, a regime reading).

Each has its own identity, derived from what makes it unique (the instrument and bar of a
forecast, say) within a context's namespace. A policy writing them never has to know a
stream's current version, so its in-memory state can be rebuilt from the upstream log alone
without reproducing every earlier output — and recording the same fact twice conflicts
instead of duplicating it.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from events.domain import Aggregate, DomainEvent


class Fact(Aggregate):
    """Subclassed once per context, with the context's own ``NAMESPACE``."""

    NAMESPACE: ClassVar[uuid.UUID]

    def __init__(self, kind: str, key: str, event: DomainEvent) -> None:
        super().__init__(uuid.uuid5(self.NAMESPACE, f"{kind}/{key}"))
        self.event = event
        self._record(event)

    def apply(self, event: DomainEvent) -> None:
        self.event = event
