"""Base classes for domain events and event-sourced aggregates.

Domain code subclasses these and stays pure: an aggregate's command methods check invariants
(raising before any state changes), then record exactly one event; state changes only in
``apply``, the one path shared by live commands and replay.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Self
from uuid import UUID

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class DomainEvent:
    """A fact, immutable and versioned. Subclasses are frozen dataclasses of payload fields.

    Class attributes:
        CONTEXT: the bounded context whose store records it.
        STREAM: the Pulsar stream it travels on, ``persistent://<tenant>/<CONTEXT>/<STREAM>``.
        SCHEMA_VERSION: the current version of its public schema.
        UPCASTERS: ``{n: f}`` where ``f`` turns a version-``n`` payload into version ``n + 1``;
            old versions stay readable forever, the store is never rewritten.
    """

    CONTEXT: ClassVar[str]
    STREAM: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int] = 1
    UPCASTERS: ClassVar[dict[int, Upcaster]] = {}

    @classmethod
    def event_type(cls) -> str:
        return cls.__name__

    def to_payload(self) -> dict[str, Any]:
        return {f.name: _encode(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        hints = _type_hints(cls)
        kwargs = {
            f.name: _decode(payload.get(f.name), hints[f.name]) for f in dataclasses.fields(cls)
        }
        return cls(**kwargs)


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


def _decode(value: Any, hint: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(value, inner[0]) if len(inner) == 1 else value
    if hint is Decimal:
        return Decimal(value)
    if hint is UUID:
        return UUID(value)
    if origin is tuple:
        args = typing.get_args(hint)
        return tuple(_decode(v, args[0]) for v in value)
    if origin is dict:
        _, value_hint = typing.get_args(hint)
        return {k: _decode(v, value_hint) for k, v in value.items()}
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _type_hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


@dataclass(frozen=True)
class PendingEvent:
    """An event recorded by an aggregate and not yet appended to the store."""

    aggregate_id: UUID
    aggregate_version: int
    event: DomainEvent


class Aggregate:
    """An event-sourced aggregate: identity, version, and events pending append.

    Subclasses implement ``apply(event)`` (a ``match`` over their own event classes) and
    expose domain verbs that validate and then call :meth:`_record`.
    """

    def __init__(self, aggregate_id: UUID) -> None:
        self.id = aggregate_id
        self.version = 0
        self._pending: list[PendingEvent] = []

    def apply(self, event: DomainEvent) -> None:  # pragma: no cover - overridden everywhere
        raise TypeError(f"{type(self).__name__} cannot apply {type(event).__name__}")

    def _record(self, event: DomainEvent) -> None:
        self.apply(event)
        self.version += 1
        self._pending.append(PendingEvent(self.id, self.version, event))

    def collect_pending(self) -> list[PendingEvent]:
        pending, self._pending = self._pending, []
        return pending

    @classmethod
    def replay(cls, aggregate_id: UUID, history: Iterable[DomainEvent]) -> Self:
        """Rebuild an aggregate from its stored events, through the same ``apply``."""
        aggregate = cls.__new__(cls)
        Aggregate.__init__(aggregate, aggregate_id)
        aggregate._init_state()
        for event in history:
            aggregate.apply(event)
            aggregate.version += 1
        return aggregate

    def _init_state(self) -> None:
        """Set the attributes ``apply`` expects before the first event (used by replay)."""


_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


def snake_case(name: str) -> str:
    return _SNAKE.sub("_", name).lower()
