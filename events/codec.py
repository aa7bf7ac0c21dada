"""Encoding events for the store and the wire, and decoding them back with upcasting and
schema validation. A stored or delivered event that cannot be decoded is a :class:`PoisonEvent`:
consumers dead-letter it with the reason and keep running."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import fastjsonschema
import orjson

from events.catalogue import Catalogue, UnknownEventType
from events.domain import PendingEvent, parse_uuid
from events.envelope import Cause, EventEnvelope, event_id_for


class PoisonEvent(ValueError):
    """An event that cannot be decoded, upcast or validated; the message says why."""


def encode_state(
    context: str, pending: PendingEvent, cause: Cause, ts_recorded: int, catalogue: Catalogue
) -> tuple[str, bytes]:
    """Returns the store topic (the event type) and the JSON state of one event."""
    cls = type(pending.event)
    payload = pending.event.to_payload()
    try:
        catalogue.validator(cls)(payload)
    except fastjsonschema.JsonSchemaException as exc:
        # A producer must never write what its own contract forbids: fail the command.
        raise ValueError(f"{cls.event_type()} violates its schema: {exc.message}") from None
    state = {
        "event_id": str(event_id_for(context, pending.aggregate_id, pending.aggregate_version)),
        "type": cls.event_type(),
        "version": cls.SCHEMA_VERSION,
        "ts_event": cause.ts_event,
        "ts_recorded": ts_recorded,
        "causation_id": str(cause.causation_id) if cause.causation_id else None,
        "correlation_id": str(cause.correlation_id),
        "actor": cause.actor,
        "watermarks": dict(cause.watermarks),
        "payload": payload,
    }
    return cls.event_type(), orjson.dumps(state)


def decode_state(
    *,
    context: str,
    aggregate_id: UUID,
    aggregate_version: int,
    position: int,
    state: bytes,
    catalogue: Catalogue,
) -> EventEnvelope:
    try:
        data = orjson.loads(state)
        event_type = data["type"]
        stored_version = int(data["version"])
        payload = data["payload"]
    except (ValueError, KeyError, TypeError) as exc:
        raise PoisonEvent(f"undecodable event at {context}#{position}: {exc}") from None
    try:
        cls = catalogue.resolve(event_type)
    except UnknownEventType as exc:
        raise PoisonEvent(f"{exc} at {context}#{position}") from None
    payload = upcast(cls, stored_version, payload, where=f"{context}#{position}")
    try:
        catalogue.validator(cls)(payload)
    except fastjsonschema.JsonSchemaException as exc:
        raise PoisonEvent(
            f"{event_type} v{cls.SCHEMA_VERSION} at {context}#{position} fails its schema: "
            f"{exc.message}"
        ) from None
    try:
        return EventEnvelope(
            event_id=parse_uuid(data["event_id"]),
            event_type=event_type,
            schema_version=cls.SCHEMA_VERSION,
            context=context,
            stream=cls.STREAM,
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version,
            position=position,
            ts_event=int(data["ts_event"]),
            ts_recorded=int(data["ts_recorded"]),
            causation_id=parse_uuid(data["causation_id"]) if data.get("causation_id") else None,
            correlation_id=parse_uuid(data["correlation_id"]),
            actor=str(data["actor"]),
            watermarks=_watermarks(data.get("watermarks") or {}),
            payload=payload,
            event=cls.from_payload(payload),
        )
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        raise PoisonEvent(f"malformed envelope at {context}#{position}: {exc}") from None


def stored_version(state: bytes) -> int:
    """The schema version a stored event was written with, read without parsing the whole
    JSON (``encode_state`` always writes ``"version":N`` before the payload); 0 if absent."""
    start = state.find(b'"version":')
    if start < 0:
        return 0
    start += len(b'"version":')
    end = start
    while end < len(state) and state[end : end + 1].isdigit():
        end += 1
    return int(state[start:end] or 0)


def upcast(
    cls: type, stored_version: int, payload: dict[str, Any], *, where: str
) -> dict[str, Any]:
    """Bring a stored payload up to the class's current schema version, step by step."""
    current = cls.SCHEMA_VERSION  # type: ignore[attr-defined]
    if stored_version > current:
        raise PoisonEvent(
            f"{cls.__name__} v{stored_version} at {where} is newer than this code (v{current})"
        )
    version = stored_version
    while version < current:
        step = cls.UPCASTERS.get(version)  # type: ignore[attr-defined]
        if step is None:
            raise PoisonEvent(f"no upcaster for {cls.__name__} v{version} -> v{version + 1}")
        payload = step(dict(payload))
        version += 1
    return payload


def _watermarks(raw: Mapping[str, Any]) -> dict[str, int]:
    return {str(k): int(v) for k, v in raw.items()}
