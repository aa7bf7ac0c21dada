"""The GraphQL schema is a public contract: it changes only together with its checked-in SDL.

``tests/contract/schema.graphql`` is the schema as clients see it (``schema.as_str()``). When
the schema changes on purpose, review the diff this test prints, then refresh the snapshot::

    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/contract/test_graphql_sdl.py

and commit it with the change, so the diff shows up in review.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from gateway.schema import schema

SNAPSHOT = Path(__file__).with_name("schema.graphql")


def current_sdl() -> str:
    return schema.as_str().rstrip("\n") + "\n"


def test_the_graphql_schema_matches_its_checked_in_sdl() -> None:
    sdl = current_sdl()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(sdl, encoding="utf-8")
        pytest.skip(f"snapshot rewritten: {SNAPSHOT}")
    recorded = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
    if sdl != recorded:
        diff = "".join(
            difflib.unified_diff(
                recorded.splitlines(keepends=True),
                sdl.splitlines(keepends=True),
                fromfile="tests/contract/schema.graphql (checked in)",
                tofile="gateway.schema (current)",
            )
        )
        pytest.fail(
            "The GraphQL schema changed without its snapshot. If the change is intended, run\n"
            "  UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/contract/test_graphql_sdl.py\n"
            "and commit tests/contract/schema.graphql.\n\n" + diff,
            pytrace=False,
        )


def test_the_snapshot_declares_the_documented_root_fields() -> None:
    recorded = SNAPSHOT.read_text(encoding="utf-8")
    for signature in (
        "node(id: ID!): Node",
        "portfolio(accountId: String!, minPosition: StorePosition = null): Portfolio",
        "positions(accountId: String!, minPosition: StorePosition = null): [Position!]!",
        "order(id: ID!, minPosition: StorePosition = null): Order",
        "instruments: [Instrument!]!",
        "placeOrder(input: PlaceOrderInput!): PlaceOrderPayload!",
        "cancelOrder(orderId: ID!): CancelOrderPayload!",
        "orderUpdates(accountId: String!, after: String = null): OrderUpdate!",
        "interface Node",
        "scalar Decimal",
        "scalar StorePosition",
    ):
        assert signature in recorded, signature
