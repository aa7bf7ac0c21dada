"""The model registry over GraphQL, as a third-party client (``gql`` over HTTP) sees it, on
the real pipeline (embedded PostgreSQL; the components on threads following the stores): the
registry with its figures per horizon, the history of each model, the feature vector every
prediction names, a person's promotion, retirement and retrain request read back at once with
``minPosition`` — and every bad request refused with its code, recording nothing."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport

from bounded_contexts.prediction.application.models_config import ModelsConfig
from bounded_contexts.prediction.application.registry_view import load_registry
from bounded_contexts.prediction.domain.features import FEATURE_NAMES
from bounded_contexts.prediction.domain.models.training import TrainingConfig
from gateway import GatewayConfig, create_app
from quantvista.platform import PipelineConfig, Platform
from tests.access_helpers import TestAccess
from tests.browser.live_server import serve
from tests.pipeline_helpers import feed_synthetic

pytestmark = [pytest.mark.integration]

MODELS = ModelsConfig(
    horizons=(1, 5),
    warmup_bars=200,
    training=TrainingConfig(folds=2, embargo_bars=5, min_train_bars=120),
)
ACCESS: list[TestAccess] = []

MODEL_FIELDS = """
  modelId family version status champion requestId featureSet featureNames horizons
  neutralBand lookback hyperParameters seed temperatures windowStartTs windowEndTs
  instruments samples folds embargoBars holdoutFromTs holdoutToTs meanLogLoss
  metrics { horizon samples logLoss brier accuracy balancedAccuracy calibrationError
            reliability { lower upper count meanConfidence accuracy } }
  weightsSha256 weightsBytes trainedAt promotedAt promotionRule promotedBy
  promotionNote retiredAt retiredReason retiredBy
  history { position type modelId requestId reason actor tsEvent details }
"""
MODELS_QUERY = gql(
    f"query ($status: ModelStatus, $family: String, $at: StorePosition) "
    f"{{ models(status: $status, family: $family, minPosition: $at) {{ {MODEL_FIELDS} }} }}"
)
MODEL_QUERY = gql(
    f"query ($id: String!, $at: StorePosition) {{ model(id: $id, minPosition: $at) "
    f"{{ {MODEL_FIELDS} }} }}"
)
CHANGES = gql(
    "query ($request: String, $at: StorePosition) { modelChanges(requestId: $request, "
    "minPosition: $at) { position type modelId requestId reason actor details } }"
)
PREDICTIONS = gql(
    "query ($instrument: String) { predictions(instrumentId: $instrument, last: 20) "
    "{ instrumentId tsEvent modelVersion registryVersion featureHash probabilityUp "
    "forecasts { horizon down neutral up } } }"
)
FEATURES = gql(
    "query ($instrument: String!, $last: Int) { features(instrumentId: $instrument, "
    "last: $last) { instrumentId tsEnd featureSet names values absent hash } }"
)
PROMOTE = gql(
    "mutation ($id: String!, $note: String!) { promoteModel(id: $id, note: $note) "
    "{ modelId status position } }"
)
RETIRE = gql(
    "mutation ($id: String!, $reason: String!) { retireModel(id: $id, reason: $reason) "
    "{ modelId status position } }"
)
RETRAIN = gql(
    "mutation ($families: [String!], $note: String!) { requestRetrain(families: $families, "
    "note: $note) { requestId families windowEndTs uptoPosition position } }"
)


@pytest.fixture(scope="module")
def live(infrastructure, tmp_path_factory) -> Iterator[tuple[Platform, str]]:  # type: ignore[no-untyped-def]
    from tests.conftest import _with_database

    name = "registry_" + uuid.uuid4().hex[:12]
    with psycopg.connect(infrastructure.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(infrastructure.database_url, name)
    access = TestAccess(tmp_path_factory.mktemp("identity"))
    access.grant("risk-1", "risk").grant("trader-1", "trader", ["DEMO-001"])
    ACCESS[:] = [access]
    platform = Platform(url, None, config=PipelineConfig(models=MODELS))
    platform.create_tables()
    platform.build()
    feed_synthetic(platform, seed=5, instruments=3)
    platform.run_until_caught_up()  # the baseline bootstraps at warm-up
    platform.start()  # from here on the components follow the stores on their threads
    app = create_app(
        url,
        platform.execution_commands,
        security=access.security(),
        models=platform.model_commands,
        config=GatewayConfig(pool_min_size=1, pool_max_size=4),
    )
    try:
        with serve(app) as base:
            yield platform, base
    finally:
        platform.close()


def call(
    base: str, document: Any, variables: dict[str, Any] | None = None, user: str = "risk-1"
) -> Any:
    async def go() -> Any:
        transport = HTTPXAsyncTransport(
            url=f"{base}/graphql", timeout=60, headers=ACCESS[0].headers(user)
        )
        async with Client(transport=transport) as session:
            return await session.execute(GraphQLRequest(document, variable_values=variables or {}))

    return asyncio.run(go())


def refused(
    base: str, document: Any, variables: dict[str, Any], user: str = "risk-1"
) -> dict[str, Any]:
    with pytest.raises(TransportQueryError) as error:
        call(base, document, variables, user)
    [first] = error.value.errors  # type: ignore[misc]
    return first  # type: ignore[no-any-return]


def test_the_registry_shows_each_model_with_its_figures_per_horizon_and_its_history(live) -> None:  # type: ignore[no-untyped-def]
    platform, base = live
    registry = load_registry(platform.stores["prediction"])
    (shown,) = call(base, MODELS_QUERY)["models"]
    trained = registry.models[shown["modelId"]]
    assert (shown["status"], shown["champion"], shown["version"]) == ("CHAMPION", True, 1)
    assert shown["family"] == "logreg" and shown["featureNames"] == list(FEATURE_NAMES)
    assert shown["horizons"] == [1, 5] and shown["hyperParameters"] == dict(
        trained.hyper_parameters
    )
    assert (
        int(shown["windowEndTs"]) == trained.window_end_ts and shown["samples"] == trained.samples
    )
    assert (shown["folds"], shown["embargoBars"]) == (2, 5)
    assert [m["horizon"] for m in shown["metrics"]] == [1, 5]
    for metrics, recorded in zip(shown["metrics"], trained.metrics, strict=True):
        assert (metrics["logLoss"], metrics["brier"], metrics["balancedAccuracy"]) == (
            recorded.log_loss,
            recorded.brier,
            recorded.balanced_accuracy,
        )
        bins = metrics["reliability"]
        assert bins[0]["lower"] == 0.0 and bins[-1]["upper"] == 1.0
        assert all(a["upper"] == b["lower"] for a, b in itertools.pairwise(bins))
        assert sum(b["count"] for b in bins) == recorded.samples
    assert shown["weightsSha256"] == trained.weights_sha256 and shown["weightsBytes"] > 0
    assert (shown["promotionRule"], shown["promotedBy"]) == ("first", "algo:qv-model-trainer")
    assert [h["type"] for h in shown["history"]] == ["ModelTrained", "ModelPromoted"]
    assert call(base, MODEL_QUERY, {"id": shown["modelId"]})["model"] == shown
    assert call(base, MODEL_QUERY, {"id": "logreg-000000000000"})["model"] is None
    assert call(base, MODELS_QUERY, {"status": "RETIRED"})["models"] == []


def test_every_prediction_names_its_model_and_a_feature_vector_the_client_can_read(live) -> None:  # type: ignore[no-untyped-def]
    platform, base = live
    predictions = call(base, PREDICTIONS, {"instrument": "SAP"})["predictions"]
    vectors = {
        (v["tsEnd"], v["hash"]): v
        for v in call(base, FEATURES, {"instrument": "SAP", "last": 500})["features"]
    }
    champion = load_registry(platform.stores["prediction"]).champion
    assert predictions
    for p in predictions:
        assert (p["modelVersion"], p["registryVersion"]) == (champion, 1)
        assert [f["horizon"] for f in p["forecasts"]] == [1, 5]
        assert all(abs(f["down"] + f["neutral"] + f["up"] - 1) < 1e-9 for f in p["forecasts"])
        first = p["forecasts"][0]
        assert abs(p["probabilityUp"] - (first["up"] + first["neutral"] / 2)) < 1e-9
        vector = vectors[p["tsEvent"], p["featureHash"]]  # the very vector the model read
        assert vector["names"] == list(FEATURE_NAMES) and len(vector["values"]) == len(
            FEATURE_NAMES
        )
        # the regime is known from the intelligence context's first reading on; news never
        known = vector["values"][FEATURE_NAMES.index("regime_known")] == 1.0
        assert vector["absent"] == (["sentiment"] if known else ["regime", "sentiment"])


def test_a_person_asks_for_a_retrain_promotes_and_retires_and_reads_each_change_at_once(
    live,
) -> None:  # type: ignore[no-untyped-def]
    platform, base = live
    first = load_registry(platform.stores["prediction"]).champion
    asked = call(base, RETRAIN, {"families": ["logreg"], "note": "a fresher window"})[
        "requestRetrain"
    ]
    assert asked["requestId"].startswith("manual/") and asked["families"] == ["logreg"]
    assert int(asked["uptoPosition"]) == platform.stores["intelligence"].head()
    (request,) = call(base, CHANGES, {"request": asked["requestId"], "at": asked["position"]})[
        "modelChanges"
    ]
    assert (request["type"], request["reason"], request["actor"]) == (
        "RetrainRequested",
        "manual",
        "person:risk-1",
    )
    assert request["details"]["note"] == "a fresher window"
    # the training component answers on its own thread
    assert platform.wait_until_idle(timeout_s=120) is not None, platform.status()
    answer = call(base, CHANGES, {"request": asked["requestId"]})["modelChanges"]
    trained = [c for c in answer if c["type"] == "ModelTrained"]
    assert len(trained) == 1, answer
    new = trained[0]["modelId"]
    assert trained[0]["actor"] == "algo:qv-model-trainer"

    # promote whichever is not serving (the rule may have promoted the new one already)
    registry = load_registry(platform.stores["prediction"])
    chosen, other = (first, new) if registry.champion == new else (new, first)
    promoted = call(base, PROMOTE, {"id": chosen, "note": "the desk's choice"})["promoteModel"]
    assert (promoted["modelId"], promoted["status"]) == (chosen, "CHAMPION")
    shown = call(base, MODEL_QUERY, {"id": chosen, "at": promoted["position"]})["model"]
    assert (shown["status"], shown["promotionRule"], shown["promotedBy"]) == (
        "CHAMPION",
        "manual",
        "person:risk-1",
    )
    assert shown["promotionNote"] == "the desk's choice"
    assert shown["history"][-1]["type"] == "ModelPromoted"
    assert shown["history"][-1]["details"]["previous_champion"] == other

    retired = call(base, RETIRE, {"id": other, "reason": "superseded"})["retireModel"]
    assert retired == {"modelId": other, "status": "RETIRED", "position": retired["position"]}
    gone = call(base, MODEL_QUERY, {"id": other, "at": retired["position"]})["model"]
    assert (gone["status"], gone["retiredReason"], gone["retiredBy"]) == (
        "RETIRED",
        "superseded",
        "person:risk-1",
    )
    history = [h["type"] for h in gone["history"]]
    assert history[-2:] == ["ModelPromoted", "ModelRetired"]  # replaced, then retired
    by_status = call(base, MODELS_QUERY, {"status": "CHAMPION", "family": "logreg"})["models"]
    assert [m["modelId"] for m in by_status] == [chosen]


def test_bad_registry_requests_are_refused_with_their_code_and_record_nothing(live) -> None:  # type: ignore[no-untyped-def]
    platform, base = live
    registry = load_registry(platform.stores["prediction"])
    champion = registry.champion
    retired = next(iter(registry.retired), None)
    assert champion is not None and retired is not None, "the previous test retired one"
    head = platform.stores["prediction"].head()
    bad = "BAD_USER_INPUT"
    cases = [
        (PROMOTE, {"id": "logreg-nope", "note": "x"}, "NOT_FOUND", "id", "no model 'logreg-nope'"),
        (RETIRE, {"id": "logreg-nope", "reason": "x"}, "NOT_FOUND", "id", "no model"),
        (PROMOTE, {"id": retired, "note": "back"}, "ILLEGAL_STATE", None, "is retired"),
        (PROMOTE, {"id": champion, "note": "again"}, "ILLEGAL_STATE", None, "already the champion"),
        (RETIRE, {"id": champion, "reason": "old"}, "ILLEGAL_STATE", None, "is the champion"),
        (RETIRE, {"id": retired, "reason": "twice"}, "ILLEGAL_STATE", None, "already retired"),
        (RETIRE, {"id": champion, "reason": " "}, "BAD_USER_INPUT", "reason", "say why"),
        (PROMOTE, {"id": "", "note": "x"}, "BAD_USER_INPUT", "id", "must not be blank"),
        (RETRAIN, {"families": ["nonsense"], "note": ""}, bad, "families", "family 'nonsense'"),
        (RETRAIN, {"families": [], "note": ""}, "BAD_USER_INPUT", "families", "at least one"),
        (MODELS_QUERY, {"family": "nonsense"}, "BAD_USER_INPUT", "family", "of family 'nonsense'"),
        (MODELS_QUERY, {"status": "BOGUS"}, "BAD_USER_INPUT", None, "BOGUS"),
        (FEATURES, {"instrument": "SAP", "last": 0}, "BAD_USER_INPUT", "last", "between 1 and 500"),
    ]  # fmt: skip
    for document, variables, code, field, says in cases:
        error = refused(base, document, variables)
        assert error["extensions"]["code"] == code, (variables, error)
        if field is not None:
            assert error["extensions"]["field"] == field, error
        assert says in error["message"], error
    for document, variables in (
        (PROMOTE, {"id": retired, "note": "x"}),
        (RETIRE, {"id": champion, "reason": "x"}),
        (RETRAIN, {"families": ["logreg"], "note": "x"}),
    ):
        error = refused(base, document, variables, user="trader-1")
        assert error["extensions"]["code"] == "FORBIDDEN", error
        assert "models permission" in error["message"]
    assert platform.stores["prediction"].head() == head, "a refused request recorded events"
