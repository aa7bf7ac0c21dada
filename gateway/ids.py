"""Global object ids (the Relay ``Node`` interface) and page cursors: opaque to clients,
versioned so that their format can change without misreading old ones.

* A global id is base64url of ``<Type>:<key>`` — ``Order:<uuid>``, ``Fill:<uuid>:<n>``,
  ``Instrument:<id>``, ``Portfolio:<account id>`` — so ``node(id)`` knows what to load.
* A cursor is base64url of ``c2:<seq>``: the store position of the row it points at (the
  projection's own monotonic sequence, see projections/schema.sql), valid in either sort
  order.
"""

from __future__ import annotations

import base64
import binascii
import re

from gateway.errors import BadUserInput

NODE_TYPES = ("Order", "Fill", "Instrument", "Portfolio")
MAX_ID_TEXT = 400
"""Longest global id or cursor read (an instrument or account id is at most 128 characters)."""
_CURSOR = re.compile(r"c2:([0-9]{1,19})")


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _unb64(text: str) -> str | None:
    if len(text) > MAX_ID_TEXT or not text.isascii():
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return None


def global_id(type_name: str, *key: object) -> str:
    return _b64(":".join([type_name, *(str(k) for k in key)]))


def parse_global_id(value: str, *, field: str = "id") -> tuple[str, list[str]]:
    """``(type name, key parts)`` of a global id this module wrote; else the client's error."""
    text = _unb64(value)
    if text is not None:
        type_name, _, rest = text.partition(":")
        if type_name in NODE_TYPES and rest:
            return type_name, rest.split(":")
    raise BadUserInput(f"invalid id {value[:60]!r}: pass an id returned by this API", field=field)


def cursor_for(seq: int) -> str:
    return _b64(f"c2:{seq}")


def parse_cursor(value: str, *, field: str) -> int:
    text = _unb64(value)
    match = _CURSOR.fullmatch(text) if text is not None else None
    if match is None or int(match[1]) >= 2**63:
        raise BadUserInput(
            f"invalid cursor {value[:60]!r}: pass a cursor returned by the same list",
            field=field,
        )
    return int(match[1])
