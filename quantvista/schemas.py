"""Export of the event JSON Schemas (the public contract) from the event classes.

``quantvista schemas export`` writes ``events/schemas/<context>/<Type>.v<N>.json`` for the
current version of every event type. Files of older versions are never rewritten.
"""

from __future__ import annotations

import json
from pathlib import Path

from events.catalogue import default_catalogue, schema_path
from events.schema_gen import payload_schema


def render(schema: dict) -> str:  # type: ignore[type-arg]
    return json.dumps(schema, indent=2, sort_keys=False) + "\n"


def export_schemas() -> list[Path]:
    written = []
    for cls in default_catalogue():
        path = schema_path(cls, cls.SCHEMA_VERSION)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render(payload_schema(cls))
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written
