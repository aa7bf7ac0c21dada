"""Opaque page cursors for ``orders``: the keyset ``(ts_submitted, order_id)`` of the last edge.

Keyset pagination (``WHERE (ts_submitted, order_id) > (cursor)``) rather than ``OFFSET``:
a page costs the same however deep it is, and an order submitted while a client pages never
shifts the rows it has not read yet. The cursor is base64url text of ``o1:<ns>:<uuid>``; the
``o1`` prefix versions the format so it can change without misreading old cursors. Clients
must treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from uuid import UUID

from gateway.errors import BadUserInput

_PREFIX = "o1"
_PAYLOAD = re.compile(r"o1:(-?\d+):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


@dataclass(frozen=True, order=True)
class OrderCursor:
    """Position of an order in the ``(ts_submitted, order_id)`` ordering."""

    ts_submitted: int
    order_id: UUID

    def encode(self) -> str:
        text = f"{_PREFIX}:{self.ts_submitted}:{self.order_id}"
        return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii")

    @classmethod
    def decode(cls, cursor: str, *, field: str = "after") -> OrderCursor:
        """Read a cursor this module wrote; anything else is the client's error."""
        try:
            text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
        except (binascii.Error, UnicodeError, ValueError):
            text = ""
        match = _PAYLOAD.fullmatch(text)
        if match is None:
            raise BadUserInput(
                f"invalid cursor {cursor!r}: pass an endCursor or edge cursor returned by orders",
                field=field,
            )
        return cls(ts_submitted=int(match[1]), order_id=UUID(match[2]))
