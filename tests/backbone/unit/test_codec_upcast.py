"""Old stored events stay readable: upcasters bring a payload to the current version step by
step, and what cannot be brought up (too new, a missing step) is a ``PoisonEvent``."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jsonschema
import pytest

from bounded_contexts.execution.domain.events import ControlBreach, OrderRejected
from bounded_contexts.ingestion.domain.events import BarClosed
from events.catalogue import default_catalogue, schema_path
from events.codec import PoisonEvent, decode_state, upcast
from events.domain import DomainEvent

T0 = 1_795_161_600_000_000_000  # 2026-11-20T08:00:00Z
MINUTE = 60_000_000_000

V1_PAYLOAD = {
    "instrument_id": "SAP",
    "ts_start": T0,
    "ts_end": T0 + MINUTE,
    "open": "210.00",
    "high": "210.01",
    "low": "209.62",
    "close": "209.74",
    "volume": "2351",
}


def schema(cls: type[DomainEvent], version: int) -> dict[str, Any]:
    return json.loads(schema_path(cls, version).read_text())


def test_a_bar_closed_v1_payload_gains_the_session_of_its_start() -> None:
    upcast_payload = upcast(BarClosed, 1, dict(V1_PAYLOAD), where="ingestion#1")
    assert upcast_payload == {**V1_PAYLOAD, "session": "2026-11-20"}


def test_the_session_is_the_utc_date_of_the_bar_start_not_of_its_end() -> None:
    last_of_day = T0 + (16 * 60 - 1) * MINUTE  # 2026-11-20T23:59:00Z, ends at midnight
    payload = {**V1_PAYLOAD, "ts_start": last_of_day, "ts_end": last_of_day + MINUTE}
    assert upcast(BarClosed, 1, payload, where="x")["session"] == "2026-11-20"
    first_of_next = last_of_day + MINUTE
    payload = {**V1_PAYLOAD, "ts_start": first_of_next, "ts_end": first_of_next + MINUTE}
    assert upcast(BarClosed, 1, payload, where="x")["session"] == "2026-11-21"


def test_the_stored_payload_is_not_modified_by_upcasting() -> None:
    stored = dict(V1_PAYLOAD)
    upcast(BarClosed, 1, stored, where="x")
    assert stored == V1_PAYLOAD


def test_the_upcast_payload_satisfies_the_v2_schema_and_the_original_the_v1_schema() -> None:
    jsonschema.validate(V1_PAYLOAD, schema(BarClosed, 1))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(V1_PAYLOAD, schema(BarClosed, 2))
    jsonschema.validate(upcast(BarClosed, 1, V1_PAYLOAD, where="x"), schema(BarClosed, 2))


def test_a_payload_at_the_current_version_is_returned_unchanged() -> None:
    current = {**V1_PAYLOAD, "session": "2026-11-20"}
    assert upcast(BarClosed, 2, current, where="x") == current


def test_a_payload_newer_than_the_code_is_a_poison_event() -> None:
    with pytest.raises(PoisonEvent, match=r"BarClosed v3 at ingestion#7 is newer than this code"):
        upcast(BarClosed, 3, V1_PAYLOAD, where="ingestion#7")


@dataclass(frozen=True)
class Renamed(DomainEvent):
    """A test event at version 3 whose v1 -> v2 upcaster is missing."""

    CONTEXT = "testing"
    STREAM = "renames"
    SCHEMA_VERSION = 3

    title: str
    size: int


Renamed.UPCASTERS = {2: lambda p: {**p, "size": 0}}


@dataclass(frozen=True)
class Chained(DomainEvent):
    """A test event at version 3 with both upcasters, applied in order."""

    CONTEXT = "testing"
    STREAM = "chains"
    SCHEMA_VERSION = 3

    title: str
    size: int


Chained.UPCASTERS = {
    1: lambda p: {"title": p.pop("name"), **p},
    2: lambda p: {**p, "size": len(p["title"])},
}


def test_a_missing_upcaster_is_a_poison_event_naming_the_step() -> None:
    with pytest.raises(PoisonEvent, match=r"no upcaster for Renamed v1 -> v2"):
        upcast(Renamed, 1, {"title": "x"}, where="x")


def test_a_later_step_alone_still_works_when_only_an_earlier_one_is_missing() -> None:
    assert upcast(Renamed, 2, {"title": "x"}, where="x") == {"title": "x", "size": 0}


def test_upcasters_are_chained_from_the_stored_version_to_the_current_one() -> None:
    payload = upcast(Chained, 1, {"name": "abcd"}, where="x")
    assert payload == {"title": "abcd", "size": 4}
    assert Chained.from_payload(payload) == Chained("abcd", 4)


def stored_state(version: int, payload: dict[str, Any], event_type: str = "BarClosed") -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid.UUID(int=9)),
            "type": event_type,
            "version": version,
            "ts_event": T0 + MINUTE,
            "ts_recorded": T0 + MINUTE + 5,
            "causation_id": None,
            "correlation_id": str(uuid.UUID(int=8)),
            "actor": "feed:test",
            "watermarks": {},
            "payload": payload,
        }
    ).encode()


def decode(state: bytes) -> Any:
    return decode_state(
        context="ingestion",
        aggregate_id=uuid.UUID(int=7),
        aggregate_version=2,
        position=11,
        state=state,
        catalogue=default_catalogue(),
    )


def test_decoding_a_stored_v1_bar_gives_a_current_bar_closed_event() -> None:
    envelope = decode(stored_state(1, V1_PAYLOAD))
    assert envelope.schema_version == 2
    assert envelope.event == BarClosed(
        "SAP",
        T0,
        T0 + MINUTE,
        Decimal("210.00"),
        Decimal("210.01"),
        Decimal("209.62"),
        Decimal("209.74"),
        Decimal(2351),
        "2026-11-20",
    )
    assert (envelope.position, envelope.aggregate_version, envelope.actor) == (11, 2, "feed:test")


def test_decoding_a_stored_event_from_a_newer_version_is_a_poison_event() -> None:
    with pytest.raises(PoisonEvent, match="newer than this code"):
        decode(stored_state(3, {**V1_PAYLOAD, "session": "2026-11-20"}))


def test_decoding_an_unknown_event_type_is_a_poison_event() -> None:
    with pytest.raises(PoisonEvent, match=r"unknown event type 'BarOpened' at ingestion#11"):
        decode(stored_state(1, V1_PAYLOAD, event_type="BarOpened"))


def test_decoding_a_payload_that_fails_its_schema_is_a_poison_event() -> None:
    with pytest.raises(PoisonEvent, match=r"BarClosed v2 at ingestion#11 fails its schema"):
        decode(stored_state(1, {**V1_PAYLOAD, "open": 210.0}))


def test_decoding_bytes_that_are_not_an_event_is_a_poison_event() -> None:
    with pytest.raises(PoisonEvent, match=r"undecodable event at ingestion#11"):
        decode(b"{not json")
    with pytest.raises(PoisonEvent, match=r"undecodable event at ingestion#11"):
        decode(json.dumps({"type": "BarClosed"}).encode())


def test_an_order_rejected_v1_and_v2_read_as_v3_and_v3_round_trips_its_scoped_breaches() -> None:
    order_id = "0f1e2d3c-4b5a-4697-8877-665544332211"
    v1 = {"order_id": order_id, "reason": "order notional 200000.00 exceeds the limit 100000"}
    upcast_payload = upcast(OrderRejected, 1, dict(v1), where="execution#3")
    jsonschema.validate(upcast_payload, schema(OrderRejected, 3))
    assert OrderRejected.from_payload(upcast_payload).breaches == ()

    v2 = {
        **v1,
        "breaches": [{"control": "max_order_notional", "limit": "100000", "value": "200000.00"}],
    }
    jsonschema.validate(v2, schema(OrderRejected, 2))
    upcast_payload = upcast(OrderRejected, 2, dict(v2), where="execution#4")
    jsonschema.validate(upcast_payload, schema(OrderRejected, 3))
    assert OrderRejected.from_payload(upcast_payload).breaches == (
        ControlBreach("max_order_notional", Decimal(100000), Decimal("200000.00"), None),
    )

    rejected = OrderRejected(
        uuid.UUID(order_id),
        "order notional 200000.00 exceeds the limit of account:ACC-1 100000; no market price",
        (
            ControlBreach(
                "max_order_notional", Decimal(100000), Decimal("200000.00"), "account:ACC-1"
            ),
            ControlBreach("reference_price", None, None),
        ),
    )
    payload = rejected.to_payload()
    jsonschema.validate(payload, schema(OrderRejected, 3))
    assert payload["breaches"][0] == {
        "control": "max_order_notional",
        "limit": "100000",
        "value": "200000.00",
        "scope": "account:ACC-1",
    }
    assert OrderRejected.from_payload(json.loads(json.dumps(payload))) == rejected
