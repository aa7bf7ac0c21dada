"""The JSON Schema derived from each event class accepts that class's own payloads (with every
optional field both empty and filled) and refuses payloads that break the contract."""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
import uuid
from decimal import Decimal
from typing import Any, Literal

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounded_contexts.decision.domain.events import TradeDecided
from bounded_contexts.execution.domain.events import OrderFilled
from events.catalogue import default_catalogue
from events.domain import DomainEvent
from events.schema_gen import payload_schema

EVENT_CLASSES = list(default_catalogue())


def sample(hint: Any, *, fill_optionals: bool) -> Any:
    """A representative value of a payload type annotation."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        inner = [a for a in args if a is not type(None)]
        optional = type(None) in args  # a union of values (str | int) is not optional
        return (
            None
            if optional and not fill_optionals
            else sample(inner[0], fill_optionals=fill_optionals)
        )
    if origin is Literal:
        return typing.get_args(hint)[-1]
    if origin is tuple:
        return (sample(typing.get_args(hint)[0], fill_optionals=fill_optionals),) * 2
    if origin is dict:
        # ``value`` is None only where the value type is optional and optionals are empty.
        value = sample(typing.get_args(hint)[1], fill_optionals=fill_optionals)
        return {"k1": value, "k2": value}
    samples: dict[Any, Any] = {
        str: "text",
        int: 1_795_161_600_000_000_000,
        float: 0.625,
        bool: True,
        Decimal: Decimal("-1234.500"),
        uuid.UUID: uuid.UUID("0f1e2d3c-4b5a-4697-8877-665544332211"),
    }
    if dataclasses.is_dataclass(hint):  # a value object inside a payload (ControlBreach)
        return instance(hint, fill_optionals=fill_optionals)
    return samples[hint]


def instance(cls: type[Any], *, fill_optionals: bool) -> Any:
    hints = typing.get_type_hints(cls)
    return cls(
        **{
            f.name: sample(hints[f.name], fill_optionals=fill_optionals)
            for f in dataclasses.fields(cls)
        }
    )


@functools.cache
def validator(cls: type[DomainEvent]) -> jsonschema.protocols.Validator:
    schema = payload_schema(cls)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_catalogue_covers_every_context() -> None:
    contexts = {c.CONTEXT for c in EVENT_CLASSES}
    assert {"ingestion", "intelligence", "prediction", "decision", "execution", "sagas"} <= contexts
    assert {"BarClosed", "OrderFilled", "TradeDecided"} <= {c.event_type() for c in EVENT_CLASSES}


@pytest.mark.parametrize("fill_optionals", [True, False], ids=["optionals-set", "optionals-none"])
@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.event_type())
def test_the_schema_of_an_event_class_accepts_its_own_payload(
    cls: type[DomainEvent], fill_optionals: bool
) -> None:
    payload = instance(cls, fill_optionals=fill_optionals).to_payload()
    validator(cls).validate(payload)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.event_type())
def test_the_schema_refuses_a_payload_with_a_missing_or_an_extra_field(
    cls: type[DomainEvent],
) -> None:
    payload = instance(cls, fill_optionals=True).to_payload()
    check = validator(cls)
    first = next(iter(payload))
    assert not check.is_valid({k: v for k, v in payload.items() if k != first})
    assert not check.is_valid({**payload, "unexpected": 1})


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.event_type())
def test_the_schema_names_the_event_its_context_and_version(cls: type[DomainEvent]) -> None:
    schema = payload_schema(cls)
    assert (
        schema["$id"]
        == f"quantvista://events/{cls.CONTEXT}/{cls.event_type()}/v{cls.SCHEMA_VERSION}"
    )
    assert schema["required"] == [f.name for f in dataclasses.fields(cls)]
    assert schema["description"]


def order_filled_payload(**changes: Any) -> dict[str, Any]:
    payload = instance(OrderFilled, fill_optionals=True).to_payload()
    payload.update(changes)
    return payload


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price", 10.5),  # money as a JSON number
        ("price", "1e5"),  # exponent notation
        ("price", "NaN"),
        ("price", "10."),
        ("order_id", "not-a-uuid"),
        ("order_id", "0F1E2D3C-4B5A-4697-8877-665544332211"),  # upper case is not canonical
        ("fill_seq", "1"),
        ("fill_seq", 1.5),
    ],
)
def test_the_schema_refuses_a_field_of_the_wrong_form(field: str, value: Any) -> None:
    assert not validator(OrderFilled).is_valid(order_filled_payload(**{field: value}))


def test_literal_fields_accept_only_their_values() -> None:
    check = validator(TradeDecided)
    payload = instance(TradeDecided, fill_optionals=True).to_payload()
    assert check.is_valid({**payload, "action": "HOLD", "side": None})
    assert not check.is_valid({**payload, "action": "WAIT"})
    assert not check.is_valid({**payload, "side": "BOTH"})


def test_a_payload_type_without_a_json_mapping_is_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class Unmappable(DomainEvent):
        """A test event with a set field."""

        CONTEXT = "testing"
        STREAM = "unmappable"

        tags: frozenset[str]

    with pytest.raises(TypeError, match="no JSON Schema mapping"):
        payload_schema(Unmappable)


@settings(max_examples=150, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_any_finite_decimal_is_written_in_the_form_its_schema_accepts(value: Decimal) -> None:
    assert validator(OrderFilled).is_valid(order_filled_payload(price=format(value, "f")))
    event = instance(OrderFilled, fill_optionals=True)
    payload = dataclasses.replace(event, price=value).to_payload()  # type: ignore[call-arg]
    assert validator(OrderFilled).is_valid(payload)
