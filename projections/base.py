"""What every projection is: a named, stateless fold of upstream events into its own tables.

All state lives in the tables, written through the cursor of the consumer's transaction (the
same transaction that records the upstream position), so a projection has nothing to reload
after a restart, and ``rebuild`` is: empty the tables, forget the positions, fold again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

from psycopg import Cursor

from events.envelope import EventEnvelope

SCHEMA_SQL = Path(__file__).with_name("schema.sql")


class Projection(ABC):
    name: str
    upstreams: tuple[str, ...]
    tables: tuple[str, ...]

    def reset(self) -> None:  # noqa: B027 - deliberately a no-op for every projection
        """Stateless: nothing cached outside the tables."""

    def handle(self, upstream: str, events: Sequence[EventEnvelope], uow: Cursor) -> None:  # type: ignore[type-arg]
        self.fold(events, uow)

    @abstractmethod
    def fold(self, events: Sequence[EventEnvelope], cur: Cursor) -> None:  # type: ignore[type-arg]
        """Apply events, in position order, to this projection's tables."""
