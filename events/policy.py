"""Base of the single-writer policies (intelligence, prediction, decision): state held in
memory, rebuilt after a restart or a conflict by running the *same* handler over the upstream
events already applied, with their output discarded. One code path for live and replay keeps
the rebuilt state identical to the state that produced the stored events — which is why the
rebuild skips the positions the consumer dead-lettered: live, those events had no effect."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from events.effects import Effects, EventsToAppend
from events.envelope import EventEnvelope
from events.store import EventStore


class ReplayingPolicy(ABC):
    name: str = "policy"
    upstreams: tuple[str, ...] = ()

    def __init__(self, stores: dict[str, EventStore], effects: Effects) -> None:
        self._stores, self._effects = stores, effects
        self._ready = False
        #: True while the state is being rebuilt from applied events: output is discarded, so
        #: a policy may skip work that only produces output (a model's inference, say)
        self.rebuilding = False
        self._dead_lettered: Callable[[str], frozenset[int]] = lambda upstream: frozenset()

    def reset(self) -> None:
        self._ready = False

    def bind_dead_letters(self, lookup: Callable[[str], frozenset[int]]) -> None:
        """Told by the consumer where to find the positions it stepped over."""
        self._dead_lettered = lookup

    def handle(self, upstream: str, events: Sequence[EventEnvelope], uow: Any) -> None:
        if not self._ready:
            self._rebuild()
        self.apply(upstream, events, uow)

    def _rebuild(self) -> None:
        self.clear()
        self.rebuilding = True
        try:
            self._replay_applied()
        finally:
            self.rebuilding = False
        self._ready = True

    def _replay_applied(self) -> None:
        for upstream in self.upstreams:
            applied = self._effects.tracked_position(self.name, upstream)
            skipped = self._dead_lettered(upstream)
            batch: list[EventEnvelope] = []
            for envelope in self._stores[upstream].iter_all(upto=applied):
                if envelope.position in skipped:
                    continue
                batch.append(envelope)
                if len(batch) == 1000:
                    self.apply(upstream, batch, EventsToAppend())  # output discarded
                    batch = []
            if batch:
                self.apply(upstream, batch, EventsToAppend())

    # for subclasses ------------------------------------------------------------
    @abstractmethod
    def clear(self) -> None:
        """Drop all in-memory state."""

    @abstractmethod
    def apply(self, upstream: str, events: Sequence[EventEnvelope], uow: EventsToAppend) -> None:
        """React to a batch of upstream events, saving aggregates into ``uow``."""
