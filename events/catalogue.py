"""The catalogue of event types: every event class the platform records, its context, stream,
current schema version, upcasters and compiled schema validators."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema

from events.domain import DomainEvent

SCHEMA_DIR = Path(__file__).parent / "schemas"

EVENT_MODULES = (
    "bounded_contexts.ingestion.domain.events",
    "bounded_contexts.intelligence.domain.events",
    "bounded_contexts.prediction.domain.events",
    "bounded_contexts.decision.domain.events",
    "bounded_contexts.execution.domain.events",
    "bounded_contexts.execution.domain.controls.events",
    "sagas.trade_lifecycle.events",
    "bounded_contexts.support.domain.access_log",
    "bounded_contexts.support.domain.notifications.events",
    "bounded_contexts.support.domain.mifid.events",
)


class UnknownEventType(LookupError):
    pass


class Catalogue:
    def __init__(self, event_classes: Iterable[type[DomainEvent]]) -> None:
        self._by_type: dict[str, type[DomainEvent]] = {}
        for cls in event_classes:
            name = cls.event_type()
            if name in self._by_type and self._by_type[name] is not cls:
                raise ValueError(f"event type {name!r} is defined twice")
            self._by_type[name] = cls
        self._validators: dict[type[DomainEvent], Callable[[Any], Any]] = {}

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self._by_type.values(), key=lambda c: (c.CONTEXT, c.event_type())))

    def resolve(self, event_type: str) -> type[DomainEvent]:
        try:
            return self._by_type[event_type]
        except KeyError:
            raise UnknownEventType(f"unknown event type {event_type!r}") from None

    def validator(self, cls: type[DomainEvent]) -> Callable[[Any], Any]:
        """The compiled validator of the class's current schema version (on every hot path)."""
        validate = self._validators.get(cls)
        if validate is None:
            schema = json.loads(schema_path(cls, cls.SCHEMA_VERSION).read_text())
            validate = self._validators[cls] = fastjsonschema.compile(schema)
        return validate


def schema_path(cls: type[DomainEvent], version: int) -> Path:
    return SCHEMA_DIR / cls.CONTEXT / f"{cls.event_type()}.v{version}.json"


@cache
def default_catalogue() -> Catalogue:
    classes: list[type[DomainEvent]] = []
    for module_name in EVENT_MODULES:
        module = importlib.import_module(module_name)
        classes.extend(
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, DomainEvent)
            and obj is not DomainEvent
            and obj.__module__ == module.__name__
            and not obj.__name__.startswith("_")
        )
    return Catalogue(classes)
