"""Recording authorisation decisions in the support context's event store."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from bounded_contexts.support.domain.access_log import AccessDecision
from events.effects import EventsToAppend
from events.envelope import Cause
from events.store import EventStore


class AccessLog:
    """Appends decisions; one append per request (a request may decide several times)."""

    def __init__(self, store: EventStore, *, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self.store, self.clock_ns = store, clock_ns

    def record(
        self,
        decisions: Sequence[AccessDecision],
        *,
        request_id: str,
        actor: str = "gateway:authoriser",
    ) -> list[int]:
        """Append the decisions (their events are pending); returns their positions. ``actor``
        is who decided: the gateway's authoriser, or the administration CLI."""
        if not decisions:
            return []
        uow = EventsToAppend()
        cause = Cause.origin(ts_event=self.clock_ns(), actor=actor, key=f"request/{request_id}")
        for decision in decisions:
            uow.save(decision, cause)
        return self.store.append(uow.items)
