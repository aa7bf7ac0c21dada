"""Clusters and regimes through the real pipeline on the embedded PostgreSQL, read back as a
third-party GraphQL client (``gql`` over HTTP) reads them: the readings in the log are what
the domain computes from the ingested bars, each precedes every bar stamped after it, the
predictions after a regime reading carry it, the read models rebuild row for row, and a bad
query gets its code."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport

from bounded_contexts.ingestion.domain.events import BarClosed
from bounded_contexts.intelligence.domain.events import (
    IndicatorsUpdated,
    InstrumentsClustered,
    RegimeChanged,
)
from bounded_contexts.intelligence.domain.market_structure import (
    MarketStructure,
    MarketStructureConfig,
)
from bounded_contexts.prediction.application.models_config import ModelsConfig
from bounded_contexts.prediction.domain.events import PriceDirectionPredicted
from bounded_contexts.prediction.domain.models.training import TrainingConfig
from gateway import GatewayConfig, create_app
from gateway.scalars import format_utc_ns
from projections.rebuild import rebuild_projections
from quantvista.platform import PipelineConfig, Platform
from tests.access_helpers import TestAccess
from tests.browser.live_server import serve
from tests.pipeline_helpers import feed_synthetic, table_rows

pytestmark = [pytest.mark.integration]

STRUCTURE = MarketStructureConfig(
    every_bars=50, cluster_window=120, regime_history=600, min_regime_bars=60
)
MODELS = ModelsConfig(
    horizons=(1, 5),
    warmup_bars=200,
    training=TrainingConfig(folds=2, embargo_bars=5, min_train_bars=120),
)
ACCESS: list[TestAccess] = []

CLUSTERS = gql(
    "query ($at: UtcTimestamp) { clusters(asOf: $at) { tsEnd session method windowBars "
    "silhouette clusters { label members silhouette } } }"
)
CLUSTERINGS = gql("query ($last: Int) { clusterings(last: $last) { tsEnd silhouette } }")
REGIME = gql(
    "query ($at: UtcTimestamp) { regime(asOf: $at) { tsEnd session model regime rank states "
    "previous probability probabilities { regime probability } expectedDurationBars "
    "observations } }"
)
REGIMES = gql("query { regimeHistory { tsEnd regime previous } }")


@pytest.fixture(scope="module")
def live(infrastructure, tmp_path_factory) -> Iterator[tuple[Platform, str]]:  # type: ignore[no-untyped-def]
    from tests.conftest import _with_database

    name = "structure_" + uuid.uuid4().hex[:12]
    with psycopg.connect(infrastructure.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(infrastructure.database_url, name)
    access = TestAccess(tmp_path_factory.mktemp("identity"))
    access.grant("viewer-1", "viewer", ["DEMO-001"])
    ACCESS[:] = [access]
    platform = Platform(url, None, config=PipelineConfig(models=MODELS, market_structure=STRUCTURE))
    platform.create_tables()
    platform.build()
    feed_synthetic(platform, seed=5, instruments=5)
    platform.run_until_caught_up()
    app = create_app(
        url,
        platform.execution_commands,
        security=access.security(),
        config=GatewayConfig(pool_min_size=1, pool_max_size=2),
    )
    try:
        with serve(app) as base:
            yield platform, base
    finally:
        platform.close()


def call(base: str, document: Any, variables: dict[str, Any] | None = None) -> Any:
    async def go() -> Any:
        transport = HTTPXAsyncTransport(
            url=f"{base}/graphql", timeout=60, headers=ACCESS[0].headers("viewer-1")
        )
        async with Client(transport=transport) as session:
            return await session.execute(GraphQLRequest(document, variable_values=variables or {}))

    return asyncio.run(go())


def readings(platform: Platform) -> list[Any]:
    return [
        e
        for e in platform.stores["intelligence"].iter_all()
        if isinstance(e.event, InstrumentsClustered | RegimeChanged)
    ]


def test_the_log_holds_what_the_domain_computes_from_the_ingested_bars(live) -> None:  # type: ignore[no-untyped-def]
    platform, _ = live
    recomputed = MarketStructure(STRUCTURE)
    expected = []
    for envelope in platform.stores["ingestion"].iter_all():
        bar = envelope.event
        if isinstance(bar, BarClosed):
            expected += recomputed.bar_closed(
                bar.instrument_id, bar.ts_end, float(bar.close), bar.session
            )
    recorded = [e.event for e in readings(platform)]
    assert recorded == expected
    assert sum(isinstance(r, InstrumentsClustered) for r in recorded) >= 8
    assert any(isinstance(r, RegimeChanged) for r in recorded)
    assert {e.actor for e in readings(platform)} == {"algo:qv-market-structure-v1"}


def test_each_reading_precedes_every_bar_stamped_after_it(live) -> None:  # type: ignore[no-untyped-def]
    platform, _ = live
    log = list(platform.stores["intelligence"].iter_all())
    for reading in readings(platform):
        later_bars = [
            e.position
            for e in log
            if isinstance(e.event, IndicatorsUpdated) and e.event.ts_end > reading.event.ts_end
        ]
        assert not later_bars or min(later_bars) > reading.position


def test_predictions_carry_the_regime_in_force_at_their_bar(live) -> None:  # type: ignore[no-untyped-def]
    platform, _ = live
    changes = [e.event for e in readings(platform) if isinstance(e.event, RegimeChanged)]
    predictions = [
        e.event
        for e in platform.stores["prediction"].iter_all()
        if isinstance(e.event, PriceDirectionPredicted)
    ]
    assert predictions
    for p in predictions:
        in_force = [c for c in changes if c.ts_end < p.ts_end]
        if not in_force:
            assert (p.regime, p.regime_level) == (None, None)
            continue
        assert p.regime == in_force[-1].regime
        states = in_force[-1].states
        assert p.regime_level == (in_force[-1].rank / (states - 1) if states > 1 else 0.0)
    assert any(p.regime is not None for p in predictions)


def test_graphql_serves_the_readings_in_force_and_their_history(live) -> None:  # type: ignore[no-untyped-def]
    platform, base = live
    events = [e.event for e in readings(platform)]
    clusterings = [r for r in events if isinstance(r, InstrumentsClustered)]
    changes = [r for r in events if isinstance(r, RegimeChanged)]

    latest = call(base, CLUSTERS)["clusters"]
    assert latest["tsEnd"] == str(clusterings[-1].ts_end)
    assert latest["method"] == "hierarchical/average"
    assert [(c["label"], c["members"]) for c in latest["clusters"]] == [
        (c.label, list(c.members)) for c in clusterings[-1].clusters
    ]
    second, first = clusterings[1].ts_end, clusterings[0].ts_end
    assert call(base, CLUSTERS, {"at": format_utc_ns(second + 1)})["clusters"]["tsEnd"] == str(
        second
    )
    assert call(base, CLUSTERS, {"at": format_utc_ns(first - 1)})["clusters"] is None
    history = call(base, CLUSTERINGS, {"last": 3})["clusterings"]
    assert [h["tsEnd"] for h in history] == [str(c.ts_end) for c in clusterings[-3:]]

    regime = call(base, REGIME)["regime"]
    assert (regime["tsEnd"], regime["regime"]) == (str(changes[-1].ts_end), changes[-1].regime)
    assert {p["regime"]: p["probability"] for p in regime["probabilities"]} == dict(
        changes[-1].probabilities
    )
    assert call(base, REGIME, {"at": format_utc_ns(changes[0].ts_end - 1)})["regime"] is None
    assert [r["regime"] for r in call(base, REGIMES)["regimeHistory"]] == [
        c.regime for c in changes
    ]


@pytest.mark.parametrize(
    ("document", "variables", "field"),
    [
        (CLUSTERINGS, {"last": 0}, "last"),
        (CLUSTERINGS, {"last": 501}, "last"),
        (CLUSTERS, {"at": "yesterday"}, None),
        (REGIME, {"at": "2026-11-20T10:00:00"}, None),  # no zone
    ],
)
def test_a_bad_query_is_refused_with_its_code(live, document, variables, field) -> None:  # type: ignore[no-untyped-def]
    _, base = live
    with pytest.raises(TransportQueryError) as error:
        call(base, document, variables)
    [first] = error.value.errors  # type: ignore[misc]
    assert first["extensions"]["code"] == "BAD_USER_INPUT", first
    if field:
        assert first["extensions"]["field"] == field


def test_the_read_models_rebuild_row_for_row(live) -> None:  # type: ignore[no-untyped-def]
    platform, _ = live
    before = {t: table_rows(platform.database_url, t) for t in ("rm_clusterings", "rm_regimes")}
    assert before["rm_clusterings"] and before["rm_regimes"]
    list(rebuild_projections(platform, "projection.market-structure"))
    after = {t: table_rows(platform.database_url, t) for t in ("rm_clusterings", "rm_regimes")}
    assert after == before
