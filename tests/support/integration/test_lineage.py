"""An order's lineage reaches back to the bar it was decided on, through the decision, the
prediction (and the model that made it) and the indicators, and to the bars its fills executed
on — every step with its store, position, time and payload, from the log alone."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from bounded_contexts.support.application.lineage import OrderNotIndexed, order_lineage
from quantvista.platform import Platform
from tests.access_helpers import TestAccess
from tests.conftest import _with_database
from tests.pipeline_helpers import feed_synthetic

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def traded(infrastructure, tmp_path_factory):  # type: ignore[no-untyped-def]
    name = "lin_" + uuid.uuid4().hex[:12]
    with psycopg.connect(infrastructure.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(infrastructure.database_url, name)
    platform = Platform(url)
    platform.create_tables()
    platform.build()
    feed_synthetic(platform, seed=11, instruments=3)
    platform.run_until_caught_up()
    platform.close()
    return url


def test_a_filled_strategy_order_leads_back_to_its_bar_and_its_model(traded) -> None:
    with psycopg.connect(traded) as conn:
        order_id, decision_id = conn.execute(
            "SELECT order_id, decision_id FROM rm_orders WHERE status = 'FILLED' "
            "AND origin = 'STRATEGY' ORDER BY seq LIMIT 1"
        ).fetchone()
        steps = order_lineage(conn, order_id)
    types = [s.event_type for s in steps]
    for expected in (
        "BarClosed",
        "IndicatorsUpdated",
        "ModelTrained",
        "PriceDirectionPredicted",
        "TradeDecided",
        "OrderSubmitted",
        "OrderAccepted",
        "OrderFilled",
    ):
        assert expected in types, (expected, types)
    decided = next(s for s in steps if s.event_type == "TradeDecided")
    assert decided.event_id == decision_id and decided.role == "cause"
    submitted = next(s for s in steps if s.event_type == "OrderSubmitted")
    assert submitted.causation_id == decided.event_id
    assert submitted.payload["order_id"] == str(order_id)
    prediction = next(s for s in steps if s.event_type == "PriceDirectionPredicted")
    model = next(s for s in steps if s.event_type == "ModelTrained")
    assert model.role == "model"
    assert model.payload["model_id"] == prediction.payload["model_id"]
    assert prediction.payload["feature_hash"] and prediction.payload["features"]
    fills = [s for s in steps if s.event_type == "OrderFilled"]
    executed_on = [s for s in steps if s.role == "execution"]
    assert {s.event_id for s in executed_on} == {f.causation_id for f in fills}  # partial fills
    assert {s.event_type for s in executed_on} == {"BarClosed"}
    # the bar the decision was made on precedes the decision; the one it filled on follows
    decided_on = [s for s in steps if s.event_type == "BarClosed" and s.role == "cause"]
    assert decided_on and decided_on[0].ts_event <= decided.ts_event <= executed_on[0].ts_event
    at_decision = [s.event_type for s in steps if s.ts_event == decided.ts_event]
    assert at_decision.index("BarClosed") < at_decision.index("TradeDecided")  # causal order
    assert [s.ts_event for s in steps] == sorted(s.ts_event for s in steps)


def test_an_order_the_log_does_not_hold_is_refused(traded) -> None:
    with psycopg.connect(traded) as conn, pytest.raises(OrderNotIndexed):
        order_lineage(conn, uuid.UUID(int=7))


def test_graphql_serves_the_same_lineage_on_the_order_to_auditors_only(traded, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from gateway import create_app

    with psycopg.connect(traded) as conn:
        (order_id,) = conn.execute(
            "SELECT order_id FROM rm_orders WHERE status = 'FILLED' ORDER BY seq LIMIT 1"
        ).fetchone()
        walked = order_lineage(conn, order_id)
    access = TestAccess(tmp_path).grant("carol", "auditor").grant("risk-1", "risk")
    query = {
        "query": "query ($id: ID!) { order(id: $id) { lineage { context position type "
        "role eventId tsEventIso actor payload } } }",
        "variables": {"id": str(order_id)},
    }
    app = create_app(traded, None, security=access.security())  # type: ignore[arg-type]
    with TestClient(app) as client:
        body = client.post("/graphql", json=query, headers=access.headers("carol")).json()
        refused = client.post("/graphql", json=query, headers=access.headers("risk-1")).json()
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    lineage = body["data"]["order"]["lineage"]
    assert [(s["context"], int(s["position"]), s["type"], s["role"]) for s in lineage] == [
        (s.context, s.position, s.event_type, s.role) for s in walked
    ]
    assert lineage[0]["payload"] == dict(walked[0].payload)
