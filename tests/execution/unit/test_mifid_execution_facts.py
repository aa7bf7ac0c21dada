"""The regulated facts of an execution are recorded when it happens: transaction reference,
trading capacity, short-selling indicator, venue, who decided and who executed, and the RTS 25
times; algorithms get codes that are stable and never given to another algorithm; events
written before these facts existed read as version 2 with them stated as unknown."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import jsonschema
import pytest

from bounded_contexts.execution.adapters.venues.simulated import VenueBar, venue_trade_id
from bounded_contexts.execution.application.service import (
    ExecutionConfig,
    ExecutionService,
    SubmitOrder,
)
from bounded_contexts.execution.domain.algorithms import (
    AlgorithmRegistry,
    RegisteredAlgorithm,
    algorithm_aggregate_id,
    candidate_code,
)
from bounded_contexts.execution.domain.events import (
    AlgorithmRegistered,
    OrderAccepted,
    OrderFilled,
    OrderSubmitted,
    Responsible,
)
from bounded_contexts.execution.domain.pretrade import PreTradeLimits
from bounded_contexts.execution.domain.regulatory import (
    reported_venue,
    short_selling_indicator,
    transaction_reference,
)
from events.catalogue import schema_path
from events.codec import upcast
from events.effects import EventsToAppend
from events.envelope import Cause

MINUTE = 60_000_000_000
T0 = 1_795_680_000_000_000_000
ALGO = "qv-directional-v1/logreg-v1-AAA-0123456789"
ORDER = uuid.UUID("00000000-0000-4000-8000-0000000000aa")


class UnusedStore:
    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the execution service touched the store ({name})")


def service(**config: object) -> ExecutionService:
    svc = ExecutionService(UnusedStore(), ExecutionConfig(**config))  # type: ignore[arg-type]
    svc.instrument_listed("AAA", mic="XETR")
    return svc


def submit(svc: ExecutionService, uow: EventsToAppend, actor: str, **fields: object) -> None:
    command = {
        "order_id": ORDER,
        "account_id": "DEMO-001",
        "instrument_id": "AAA",
        "side": "BUY",
        "order_type": "MARKET",
        "quantity": Decimal(10),
        "limit_price": None,
        "origin": "MANUAL",
        "reference_price": Decimal(100),
    }
    command.update(fields)
    svc.submit(SubmitOrder(**command), uow, Cause.origin(ts_event=T0, actor=actor, key="k"))  # type: ignore[arg-type]


def of_type(uow: EventsToAppend, cls: type) -> list:  # type: ignore[type-arg]
    return [p.event for p, _ in uow.items if isinstance(p.event, cls)]


def test_a_strategy_order_records_its_algorithms_capacity_venue_and_times() -> None:
    svc = service()
    uow = EventsToAppend()
    strategy = {"origin": "STRATEGY", "algo_id": ALGO, "ts_decision": T0 - MINUTE}
    submit(svc, uow, f"algo:{ALGO}", **strategy)
    (submitted,) = of_type(uow, OrderSubmitted)
    decision, execution = candidate_code(ALGO), candidate_code("qv-execution-market-v1")
    assert submitted.trading_capacity == "DEAL" and submitted.venue == "XETR"
    assert submitted.investment_decision == Responsible("ALGO", decision)
    assert submitted.execution_decision == Responsible("ALGO", execution)
    assert (submitted.ts_decision, submitted.ts_submitted) == (T0 - MINUTE, T0)
    (accepted,) = of_type(uow, OrderAccepted)
    assert accepted.ts_acknowledged == T0
    registered = of_type(uow, AlgorithmRegistered)
    assert [(a.algo_code, a.name, a.role) for a in registered] == [
        (decision, ALGO, "DECISION"),
        (execution, "qv-execution-market-v1", "EXECUTION"),
    ]
    # the second order of the same algorithms registers nothing
    again = EventsToAppend()
    submit(svc, again, f"algo:{ALGO}", order_id=uuid.uuid4(), **strategy)
    assert of_type(again, AlgorithmRegistered) == []


def test_a_manual_order_names_its_person_as_decider_and_executor() -> None:
    svc = service(trading_capacity="AOTC")
    uow = EventsToAppend()
    submit(svc, uow, "person:alice")
    (submitted,) = of_type(uow, OrderSubmitted)
    assert submitted.investment_decision == submitted.execution_decision
    assert submitted.execution_decision == Responsible("PERSON", "alice")
    assert submitted.trading_capacity == "AOTC" and of_type(uow, AlgorithmRegistered) == []


def test_a_fill_records_its_reference_short_selling_venue_trade_and_times() -> None:
    svc = service(limits=PreTradeLimits(allow_short=True))
    submit(svc, EventsToAppend(), "person:alice", side="SELL", quantity=Decimal(40))
    uow = EventsToAppend()
    svc.on_bar(
        "AAA",
        VenueBar(T0 + MINUTE, Decimal(100), Decimal(101), Decimal(99), Decimal(100)),
        uow,
        Cause.origin(ts_event=T0 + MINUTE, actor="feed", key="bar"),
    )
    (fill,) = of_type(uow, OrderFilled)
    assert fill.transaction_reference == f"{ORDER.hex.upper()}F1"
    assert fill.short_selling == "SESH"  # nothing held before the sale
    assert (fill.venue, fill.trading_capacity) == ("XETR", "DEAL")
    assert fill.venue_transaction_id == venue_trade_id(ORDER, 1, T0 + MINUTE)
    assert (fill.ts_executed, fill.ts_received) == (T0 + MINUTE, T0 + MINUTE)
    assert fill.execution_decision == Responsible("PERSON", "alice")


def test_a_refused_command_registers_no_algorithm() -> None:
    svc = service()
    uow = EventsToAppend()
    with pytest.raises(ValueError):
        submit(svc, uow, f"algo:{ALGO}", origin="STRATEGY", algo_id=ALGO, quantity=Decimal(0))
    assert uow.items == [] and svc.algorithms.by_name == {}


@pytest.mark.parametrize(
    ("side", "quantity", "before", "exempt", "indicator"),
    [
        ("BUY", 10, 0, False, None),
        ("SELL", 10, 10, False, "SELL"),
        ("SELL", 10, 9, False, "SESH"),
        ("SELL", 10, -5, True, "SSEX"),
        ("SELL", 10, None, False, "UNDI"),
    ],
)
def test_the_short_selling_indicator_follows_the_position_before_the_sale(
    side: str, quantity: int, before: int | None, exempt: bool, indicator: str | None
) -> None:
    held = None if before is None else Decimal(before)
    assert short_selling_indicator(side, Decimal(quantity), held, exempt=exempt) == indicator


def test_the_venue_is_the_mic_else_xoff_or_xxxx() -> None:
    assert reported_venue("XETR", admitted_to_trading=True) == "XETR"
    assert reported_venue(None, admitted_to_trading=True) == "XOFF"
    assert reported_venue(None, admitted_to_trading=False) == "XXXX"
    with pytest.raises(ValueError):
        reported_venue("xetra", admitted_to_trading=True)


def test_transaction_references_are_unique_per_fill_and_fit_the_esma_pattern() -> None:
    references = {
        transaction_reference(uuid.UUID(int=n), seq) for n in range(50) for seq in (1, 2, 10)
    }
    assert len(references) == 150
    assert all(len(r) <= 52 and r.isalnum() and r.upper() == r for r in references)


def test_an_algorithm_code_is_never_given_to_a_different_algorithm() -> None:
    registry = AlgorithmRegistry(code_length=1)  # one base-32 character: collisions galore
    names = [f"strategy-{n}/model-v{n}" for n in range(20)]
    codes = {}
    for name in names:
        code, new = registry.code_for(name, "DECISION", None)
        assert new is not None and new.algo_code == code
        registry.learn(new)
        codes[name] = code
    assert len(set(codes.values())) == len(names)  # 20 names, 20 codes
    assert len({candidate_code(n, length=1) for n in names}) < len(names)  # they did collide
    # stable: asked again, every algorithm gets its code back and nothing new is registered
    assert all(registry.code_for(n, "EXECUTION", None) == (codes[n], None) for n in names)
    # replayed from its events, the registry gives the same answers
    replayed = AlgorithmRegistry(code_length=1)
    for name in reversed(names):
        event = AlgorithmRegistered(codes[name], name, "DECISION", None)
        replayed.learn(RegisteredAlgorithm.replay(algorithm_aggregate_id(codes[name]), [event]))
    assert replayed.by_code == registry.by_code
    new_name = "strategy-new/model-v1"
    code, _ = replayed.code_for(new_name, "DECISION", None)
    assert code not in registry.by_code  # a retired or live code is never reused
    # and the store itself refuses a second claim: one aggregate per code, at version 1
    claim = RegisteredAlgorithm.register(codes[names[0]], new_name, "DECISION", None)
    assert claim.id == algorithm_aggregate_id(codes[names[0]]) and claim.version == 1


def schema(cls: type, version: int) -> dict:  # type: ignore[type-arg]
    return json.loads(schema_path(cls, version).read_text())


V1_SUBMITTED = {
    "order_id": str(ORDER),
    "account_id": "DEMO-001",
    "instrument_id": "AAA",
    "side": "SELL",
    "order_type": "MARKET",
    "quantity": "10",
    "limit_price": None,
    "time_in_force": "GTC",
    "expire_at": None,
    "origin": "STRATEGY",
    "decision_id": None,
    "algo_id": ALGO,
}
V1_FILLED = {
    "order_id": str(ORDER),
    "fill_seq": 2,
    "quantity": "4",
    "price": "100.5",
    "fee": "1.00",
    "filled_quantity": "10",
    "remaining_quantity": "0",
    "average_price": "100.300000",
}


def test_a_v1_order_reads_as_current_with_its_regulated_facts_unknown() -> None:
    jsonschema.validate(V1_SUBMITTED, schema(OrderSubmitted, 1))
    payload = upcast(OrderSubmitted, 1, V1_SUBMITTED, where="test")
    jsonschema.validate(payload, schema(OrderSubmitted, OrderSubmitted.SCHEMA_VERSION))
    event = OrderSubmitted.from_payload(payload)
    assert event.algo_id == ALGO  # kept as written
    assert (event.trading_capacity, event.investment_decision, event.execution_decision) == (
        None,
        None,
        None,
    )
    assert (event.venue, event.ts_decision, event.ts_submitted) == (None, None, None)
    accepted = upcast(OrderAccepted, 1, {"order_id": str(ORDER)}, where="test")
    assert OrderAccepted.from_payload(accepted).ts_acknowledged is None


def test_a_v1_fill_reads_as_v2_with_its_derived_reference_and_nothing_invented() -> None:
    jsonschema.validate(V1_FILLED, schema(OrderFilled, 1))
    payload = upcast(OrderFilled, 1, V1_FILLED, where="test")
    jsonschema.validate(payload, schema(OrderFilled, 2))
    fill = OrderFilled.from_payload(payload)
    assert fill.transaction_reference == transaction_reference(ORDER, 2)
    unknown = (
        fill.trading_capacity,
        fill.short_selling,
        fill.venue,
        fill.venue_transaction_id,
        fill.investment_decision,
        fill.execution_decision,
        fill.ts_executed,
        fill.ts_received,
    )
    assert unknown == (None,) * 8
    assert V1_FILLED["fill_seq"] == 2 and "transaction_reference" not in V1_FILLED  # untouched
