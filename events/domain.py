"""Base classes for domain events and event-sourced aggregates.

Domain code subclasses these and stays pure: an aggregate's command methods check invariants
(raising before any state changes), then record exactly one event; state changes only in
``apply``, the one path shared by live commands and replay.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Self
from uuid import UUID

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

# Every consumer re-reads the same aggregate, correlation, causation and order ids, and the
# UUID constructor is slow; UUIDs are immutable, so parsed ones are shared (bounded cache).
parse_uuid = functools.lru_cache(maxsize=1 << 16)(UUID)


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
        cls = type(self)
        encoders = _ENCODERS.get(cls)
        if encoders is None:
            hints = typing.get_type_hints(cls)
            encoders = _ENCODERS[cls] = [
                (f.name, _encoder_for(hints[f.name])) for f in dataclasses.fields(cls)
            ]
        payload = {}
        for name, encode in encoders:
            value = getattr(self, name)
            payload[name] = value if encode is None or value is None else encode(value)
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        decoders = _DECODERS.get(cls)
        if decoders is None:
            hints = typing.get_type_hints(cls)
            decoders = _DECODERS[cls] = [
                (f.name, _decoder_for(hints[f.name])) for f in dataclasses.fields(cls)
            ]
        kwargs = {}
        for name, decode in decoders:
            value = payload.get(name)
            kwargs[name] = value if decode is None or value is None else decode(value)
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
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # A value object inside a payload (a pre-trade breach): its fields, encoded alike.
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def _encoder_for(hint: Any) -> Callable[[Any], Any] | None:
    """A function turning the annotated type into JSON; None where it already is JSON
    (built once per event class: encoding is on every producer's hot path)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _encode if len(inner) != 1 or _encoder_for(inner[0]) is not None else None
    if hint is Decimal or hint is UUID or origin in (tuple, dict) or _is_value_object(hint):
        return _encode
    return None


def _is_value_object(hint: Any) -> bool:
    """A frozen dataclass used as a payload field's type (not an event itself)."""
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


_ENCODERS: dict[type, list[tuple[str, Callable[[Any], Any] | None]]] = {}

Decoder = Callable[[Any], Any]
_DECODERS: dict[type, list[tuple[str, Decoder | None]]] = {}


def _decoder_for(hint: Any) -> Decoder | None:
    """A function turning JSON back into the annotated type; None where JSON already is it
    (decoders are built once per event class: decoding is on every consumer's hot path)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(inner) != 1:
            return None
        decode = _decoder_for(inner[0])
        return None if decode is None else (lambda v: None if v is None else decode(v))
    if hint is Decimal:
        return Decimal
    if hint is UUID:
        return parse_uuid
    if origin is tuple:
        item = _decoder_for(typing.get_args(hint)[0])
        return tuple if item is None else (lambda v: tuple(item(x) for x in v))
    if origin is dict:
        value = _decoder_for(typing.get_args(hint)[1])
        return None if value is None else (lambda v: {k: value(x) for k, x in v.items()})
    if _is_value_object(hint):
        hints = typing.get_type_hints(hint)
        fields = [(f.name, _decoder_for(hints[f.name])) for f in dataclasses.fields(hint)]

        def decode_value_object(v: dict[str, Any]) -> Any:
            return hint(
                **{
                    name: raw if decode is None or raw is None else decode(raw)
                    for name, decode in fields
                    for raw in (v.get(name),)
                }
            )

        return decode_value_object
    return None


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
