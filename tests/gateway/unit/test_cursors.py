"""Order cursors: opaque, round-trip exactly, and refuse anything they did not write."""

from __future__ import annotations

import base64
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.cursors import OrderCursor
from gateway.errors import BadUserInput


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.uuids())
def test_a_cursor_decodes_to_the_position_it_encodes(ts: int, order_id: UUID) -> None:
    cursor = OrderCursor(ts, order_id)
    assert OrderCursor.decode(cursor.encode()) == cursor


def test_cursors_order_like_the_keyset() -> None:
    low, high = UUID(int=1), UUID(int=2)
    assert OrderCursor(5, high) < OrderCursor(6, low) < OrderCursor(6, high)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not base64 !",
        base64.urlsafe_b64encode(b"o1:12:not-a-uuid").decode(),
        base64.urlsafe_b64encode(b"o2:12:00000000-0000-0000-0000-000000000001").decode(),
        base64.urlsafe_b64encode(b"o1:1.5:00000000-0000-0000-0000-000000000001").decode(),
        base64.urlsafe_b64encode("o1:é".encode()).decode(),
        "ñ",
    ],
)
def test_a_cursor_the_gateway_did_not_write_is_refused_naming_the_argument(cursor: str) -> None:
    with pytest.raises(BadUserInput, match="invalid cursor") as caught:
        OrderCursor.decode(cursor, field="after")
    assert caught.value.extensions == {"code": "BAD_USER_INPUT", "field": "after"}
