"""JSON Schema of an event payload, derived from its dataclass.

The checked-in files under ``events/schemas/<context>/<Type>.v<N>.json`` are the public
contract; ``tests/contract`` fails when the code and the file of the current version disagree,
and ``quantvista schemas export`` writes the file of a new version.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from events.domain import DomainEvent

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def payload_schema(cls: type[DomainEvent]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"quantvista://events/{cls.CONTEXT}/{cls.event_type()}/v{cls.SCHEMA_VERSION}",
        "title": f"{cls.CONTEXT}.{cls.event_type()} v{cls.SCHEMA_VERSION}",
        "description": inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0],
        "type": "object",
        "properties": {f.name: _schema_of(hints[f.name]) for f in fields},
        "required": [f.name for f in fields],
        "additionalProperties": False,
    }


def _schema_of(hint: Any) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        return {"anyOf": [_schema_of(a) for a in args]}
    if origin is Literal:
        return {"enum": list(typing.get_args(hint))}
    if origin is tuple:
        return {"type": "array", "items": _schema_of(typing.get_args(hint)[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema_of(typing.get_args(hint)[1])}
    simple: dict[Any, dict[str, Any]] = {
        type(None): {"type": "null"},
        str: {"type": "string"},
        bool: {"type": "boolean"},
        int: {"type": "integer"},
        float: {"type": "number"},
        Decimal: {"type": "string", "pattern": DECIMAL_PATTERN},
        UUID: {"type": "string", "pattern": UUID_PATTERN},
    }
    if hint in simple:
        return simple[hint]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        # A value object inside a payload: an object of its own fields, all required.
        hints = typing.get_type_hints(hint)
        fields = dataclasses.fields(hint)
        return {
            "type": "object",
            "properties": {f.name: _schema_of(hints[f.name]) for f in fields},
            "required": [f.name for f in fields],
            "additionalProperties": False,
        }
    raise TypeError(f"no JSON Schema mapping for payload type {hint!r}")
