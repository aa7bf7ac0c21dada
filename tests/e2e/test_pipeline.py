"""End to end through all six contexts, on the real embedded PostgreSQL and broker."""

from __future__ import annotations

import json

import jsonschema
import pytest

from events.catalogue import schema_path
from projections.rebuild import rebuild_projections
from projections.registry import all_projections
from tests.access_helpers import TestAccess
from tests.pipeline_helpers import feed_synthetic, read_models, table_rows

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SEED = 11


def _run(make_platform, url: str, *, with_bus: bool):  # type: ignore[no-untyped-def]
    platform = make_platform(url, with_bus=with_bus)
    platform.build()
    if with_bus:
        platform.start()
        feed_synthetic(platform, seed=SEED)
        assert platform.wait_until_idle(timeout_s=300) is not None, platform.status()
        platform.stop()
    else:
        feed_synthetic(platform, seed=SEED)
        platform.run_until_caught_up()
    return platform


@pytest.fixture(scope="module")
def live_run(infrastructure, tmp_path_factory):  # type: ignore[no-untyped-def]
    """One full session through relays, Pulsar and every consumer on threads; the demo
    account has a trader, so its fills are notified too."""
    import uuid

    import psycopg

    from bounded_contexts.support.adapters.recipients import AuthorisationRecipients
    from bounded_contexts.support.adapters.relation_tuples import InMemoryRelationTuples
    from bounded_contexts.support.application.users import UserAdministration
    from quantvista.platform import Platform
    from tests.conftest import _with_database

    tuples = InMemoryRelationTuples()
    UserAdministration(tuples).add("desk-trader", "trader", ("DEMO-001",))

    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(infrastructure.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(infrastructure.database_url, name)
    platform = Platform(
        url,
        infrastructure.pulsar_url,
        tenant="t" + uuid.uuid4().hex[:12],
        recipients=lambda: AuthorisationRecipients(tuples),
    )
    platform.create_tables()
    platform.build()
    platform.start()
    feed_synthetic(platform, seed=SEED)
    assert platform.wait_until_idle(timeout_s=300) is not None, platform.status()
    yield url, platform
    platform.close()


def test_the_session_trades_and_every_context_did_its_part(live_run) -> None:  # type: ignore[no-untyped-def]
    url, platform = live_run
    heads = platform.status()["stores"]
    assert all(heads[c] > 0 for c in ("ingestion", "intelligence", "prediction", "decision"))
    assert heads["execution"] > 0 and heads["sagas"] > 0
    models = read_models(url)
    assert len(models["rm_bars"]) == 5 * 510
    assert len(models["rm_fills"]) > 0
    assert platform.dead_letters.count() == 0


def test_two_runs_with_the_same_seed_give_identical_read_models(
    live_run,
    new_database,
    make_platform,  # type: ignore[no-untyped-def]
) -> None:
    live_url, _ = live_run
    second = new_database()
    _run(make_platform, second, with_bus=True)
    assert read_models(second) == read_models(live_url)


def test_replaying_the_log_without_the_broker_gives_the_same_read_models(
    live_run,
    new_database,
    make_platform,  # type: ignore[no-untyped-def]
) -> None:
    live_url, _ = live_run
    replay = new_database()
    _run(make_platform, replay, with_bus=False)
    assert read_models(replay) == read_models(live_url)


def _change_controls(platform) -> None:  # type: ignore[no-untyped-def]
    """Limits set and a kill switch engaged and released, on scopes no order of the session
    falls under (the module's other tests see the same trading)."""
    from decimal import Decimal

    from bounded_contexts.execution.domain.controls.events import Limits
    from gateway.ports import Principal

    desk, commands = Principal("risk-desk"), platform.execution_commands
    limits = Limits(max_order_quantity=Decimal(10), price_collar_pct=Decimal(3))
    commands.set_risk_limits(desk, scope="instrument:UNTRADED", limits=limits, reason="new")
    commands.engage_kill_switch(desk, scope="venue:XLON", reason="drill")
    commands.release_kill_switch(desk, scope="venue:XLON", reason="drill over")
    assert platform.wait_until_idle(timeout_s=60) is not None, platform.status()


@pytest.mark.parametrize("projection", [p.name for p in all_projections()])
def test_every_projection_rebuilt_from_the_log_equals_the_live_one(
    live_run, projection: str
) -> None:  # type: ignore[no-untyped-def]
    url, platform = live_run
    if projection == "projection.controls":
        _change_controls(platform)  # the strategy's day changes none: the risk desk does
    tables = next(p for p in all_projections() if p.name == projection).tables
    before = {t: table_rows(url, t) for t in tables}
    assert any(before.values())

    [(name, applied, _)] = list(rebuild_projections(platform, projection))

    assert name == projection and applied > 0
    assert {t: table_rows(url, t) for t in tables} == before


def test_every_event_emitted_validates_against_its_json_schema_file(live_run) -> None:  # type: ignore[no-untyped-def]
    _, platform = live_run
    seen: set[str] = set()
    for store in platform.stores.values():
        for envelope in store.iter_all():
            cls = type(envelope.event)
            schema = json.loads(schema_path(cls, envelope.schema_version).read_text())
            jsonschema.validate(envelope.payload, schema, cls=jsonschema.Draft202012Validator)
            seen.add(envelope.event_type)
    assert {
        "BarClosed",
        "IndicatorsUpdated",
        "PriceDirectionPredicted",
        "TradeDecided",
        "OrderSubmitted",
        "OrderFilled",
        "FillBooked",
        "TradeLifecycleStarted",
    } <= seen


def test_every_fill_can_be_walked_back_to_its_decision_prediction_and_bar(live_run) -> None:  # type: ignore[no-untyped-def]
    _, platform = live_run
    by_id = {}
    for store in platform.stores.values():
        for envelope in store.iter_all():
            by_id[envelope.event_id] = envelope
    fills = [e for e in by_id.values() if e.event_type == "OrderFilled"]
    assert fills
    for fill in fills:
        submitted = next(
            e
            for e in by_id.values()
            if e.event_type == "OrderSubmitted" and e.event.order_id == fill.event.order_id
        )
        chain = [submitted]
        while chain[-1].causation_id is not None:
            chain.append(by_id[chain[-1].causation_id])
        assert [e.event_type for e in chain] == [
            "OrderSubmitted",
            "TradeDecided",
            "PriceDirectionPredicted",
            "IndicatorsUpdated",
            "BarClosed",
        ]
        assert len({e.correlation_id for e in chain}) == 1
        executed_on = by_id[fill.causation_id]  # the bar the venue filled against
        assert executed_on.event_type == "BarClosed"
        assert executed_on.event.instrument_id == submitted.event.instrument_id
        assert executed_on.event.ts_start == fill.ts_event
        assert fill.correlation_id == submitted.correlation_id and fill.actor == "venue:simulated"
        assert submitted.actor.startswith("algo:qv-directional-v1/logreg-")


def test_graphql_orders_go_through_the_strategy_execution_path_and_bad_input_is_refused(
    live_run,  # type: ignore[no-untyped-def]
    tmp_path,
) -> None:
    from fastapi.testclient import TestClient

    from gateway import create_app

    url, platform = live_run
    place = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { orderId } }"""
    cancel = "mutation($id: ID!) { cancelOrder(orderId: $id) { orderId } }"
    order = {
        "accountId": "DEMO-001",
        "instrumentId": "SAP",
        "side": "BUY",
        "quantity": "5",
        "orderType": "LIMIT",
        "limitPrice": "1.00",
    }

    access = TestAccess(tmp_path / "identity").grant("trader-7", "trader", ["DEMO-001"])
    app = create_app(url, platform.execution_commands, security=access.security())
    with TestClient(app, headers=access.headers("trader-7")) as client:

        def gql(query: str, variables: dict) -> dict:  # type: ignore[type-arg]
            response = client.post("/graphql", json={"query": query, "variables": variables})
            return response.json()

        unknown = gql(place, {"input": {**order, "instrumentId": "NOPE"}})
        assert unknown["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", unknown
        assert "unknown instrument" in unknown["errors"][0]["message"]
        negative = gql(place, {"input": {**order, "quantity": "-5"}})
        assert negative["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", negative

        placed = gql(place, {"input": order})
        assert "errors" not in placed, placed
        order_id = placed["data"]["placeOrder"]["orderId"]
        stored = [
            e
            for e in platform.stores["execution"].iter_all()
            if e.event_type == "OrderSubmitted" and str(e.event.order_id) == order_id
        ]
        assert stored and stored[0].actor == "person:trader-7"
        assert stored[0].event.origin == "MANUAL"

        cancelled = gql(cancel, {"id": order_id})
        assert "errors" not in cancelled, cancelled
        again = gql(cancel, {"id": order_id})
        assert again["errors"][0]["extensions"]["code"] == "ILLEGAL_STATE", again
        assert platform.wait_until_idle(timeout_s=60) is not None
        history = gql(
            "query($id: ID!) { order(id: $id) { status events { type } } }", {"id": order_id}
        )
        assert history["data"]["order"]["status"] == "CANCELLED", history
        assert [e["type"] for e in history["data"]["order"]["events"]] == [
            "OrderSubmitted",
            "OrderAccepted",
            "OrderCancelled",
        ]


def test_the_live_indicator_values_equal_a_batch_computation_over_the_stored_bars(live_run) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from bounded_contexts.intelligence.domain.indicators.bank import compute_batch
    from bounded_contexts.intelligence.policies.on_bar_closed import OnBarClosed

    _, platform = live_run
    config = OnBarClosed(platform.stores, platform.read_effects).config
    bars = [
        e.event
        for e in platform.stores["ingestion"].iter_all()
        if e.event_type == "BarClosed" and e.event.instrument_id == "SAP"
    ]
    live = [
        e.event.values
        for e in platform.stores["intelligence"].iter_all()
        if e.event_type == "IndicatorsUpdated" and e.event.instrument_id == "SAP"
    ]
    assert len(bars) == len(live) == 510
    columns = {
        f: np.array([float(getattr(b, f)) for b in bars])
        for f in ("open", "high", "low", "close", "volume")
    }
    batch = compute_batch(config, **columns, sessions=[b.session for b in bars])
    for name in ("sma", "ema", "rsi", "atr", "macd_hist", "volatility", "vwap", "adx"):
        streamed = np.array([np.nan if v[name] is None else v[name] for v in live])
        np.testing.assert_allclose(streamed, batch[name], rtol=1e-9, equal_nan=True, err_msg=name)


def test_relayed_messages_carry_key_type_version_and_position(live_run, pulsar_url) -> None:  # type: ignore[no-untyped-def]
    import pulsar

    _, platform = live_run
    client = pulsar.Client(pulsar_url, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Error))
    try:
        reader = client.create_reader(
            platform.bus.topic("ingestion", "market-data").url, pulsar.MessageId.earliest
        )
        message = reader.read_next(timeout_millis=10_000)
        first = platform.stores["ingestion"].read(0, limit=1)[0]
        assert message.partition_key() == str(first.aggregate_id)
        assert message.properties() == {
            "type": "InstrumentListed",
            "version": "2",
            "position": "1",
            "aggregate_version": "1",
            "context": "ingestion",
        }
    finally:
        client.close()
