"""Text as PostgreSQL can store it.

PostgreSQL's ``text`` and ``jsonb`` cannot hold U+0000, so a quarantined row that carried a NUL
byte (the very thing it was quarantined for) would make its read-model insert fail. The event
keeps the row exactly; the read model shows the NUL as the four characters ``\\x00`` (the way
Python's ``repr`` writes it), which an operator can read and nothing else in the text can be
confused with, since a literal backslash is doubled first.
"""

from __future__ import annotations

import json
from typing import Any


def storable(text: str | None) -> str | None:
    """``text`` with backslashes doubled and NULs written ``\\x00``, if it holds a NUL; as given
    otherwise (the common case stays byte-identical)."""
    if text is None or "\x00" not in text:
        return text
    return text.replace("\\", "\\\\").replace("\x00", "\\x00")


def storable_json(value: Any) -> str:
    """JSON text of ``value`` that ``jsonb`` accepts: every string made :func:`storable`."""
    return json.dumps(_storable_strings(value))


def _storable_strings(value: Any) -> Any:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(str(k)): _storable_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable_strings(v) for v in value]
    return value
