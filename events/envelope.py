"""The event envelope: what every stored and published event carries around its payload.

An auditor walks from a fill back to the prediction and the bar that caused it through
``causation_id`` (the event that directly caused this one) and ``correlation_id`` (the first
event of the chain). ``actor`` is the MiFID II decision maker or executing algorithm (an algo id
with its version, or a person). ``watermarks`` are the upstream store positions this event was
derived from: a consumer of several streams uses them as causal barriers, so that replay order
never changes an outcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from events.domain import DomainEvent

EVENT_ID_NAMESPACE = UUID("5b0f2a8e-8a8c-4c4b-9d6e-6a7f1e2d3c4b")


def event_id_for(context: str, aggregate_id: UUID, aggregate_version: int) -> UUID:
    """Deterministic event ids: the same log replayed yields the same ids (Principle 3)."""
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{context}/{aggregate_id}/{aggregate_version}")


@dataclass(frozen=True)
class Cause:
    """Why an event is being recorded: when (domain clock), by whom, and after what."""

    ts_event: int
    actor: str
    correlation_id: UUID
    causation_id: UUID | None = None
    watermarks: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def following(
        cls, upstream: EventEnvelope, *, actor: str, ts_event: int | None = None
    ) -> Cause:
        """The cause of an event recorded in reaction to ``upstream``."""
        marks = dict(upstream.watermarks)
        marks[upstream.context] = max(marks.get(upstream.context, 0), upstream.position)
        return cls(
            ts_event=upstream.ts_event if ts_event is None else ts_event,
            actor=actor,
            correlation_id=upstream.correlation_id,
            causation_id=upstream.event_id,
            watermarks=marks,
        )

    @classmethod
    def origin(cls, *, ts_event: int, actor: str, key: str) -> Cause:
        """The cause of an event that starts a chain (a bar from a feed, a user's command)."""
        return cls(
            ts_event=ts_event, actor=actor, correlation_id=uuid.uuid5(EVENT_ID_NAMESPACE, key)
        )


@dataclass(frozen=True)
class EventEnvelope:
    event_id: UUID
    event_type: str
    schema_version: int
    context: str
    stream: str
    aggregate_id: UUID
    aggregate_version: int
    position: int
    ts_event: int
    ts_recorded: int
    causation_id: UUID | None
    correlation_id: UUID
    actor: str
    watermarks: Mapping[str, int]
    payload: dict[str, Any]
    event: DomainEvent
