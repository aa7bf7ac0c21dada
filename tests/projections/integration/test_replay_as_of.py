"""Point-in-time replay: the read models rebuilt as of T equal the live ones observed at T,
row for row, in their own schema, while the live ones have moved on; a gateway serves that
schema read-only."""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest
from fastapi.testclient import TestClient

from gateway import GatewayConfig, create_app
from projections.as_of import BadSchemaName, cut_position, replay_as_of
from tests.access_helpers import TESTER, access_for_tester
from tests.conftest import _with_database
from tests.pipeline_helpers import READ_MODEL_TABLES, feed_synthetic, read_models, table_rows

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _in_schema(url: str, schema: str) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    separator = "&" if "?" in url else "?"
    scoped = f"{url}{separator}options=-csearch_path%3D{schema}"
    return {table: table_rows(scoped, table) for table in READ_MODEL_TABLES}


@pytest.fixture(scope="module")
def moved_on(infrastructure, make_platform_module):  # type: ignore[no-untyped-def]
    """A session whose first day was observed at T, then a second day recorded after T."""
    name = "asof_" + uuid.uuid4().hex[:12]
    with psycopg.connect(infrastructure.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(infrastructure.database_url, name)
    platform = make_platform_module(url)
    platform.build()
    feed_synthetic(platform, seed=21, instruments=3, days=1)
    platform.run_until_caught_up()
    observed = read_models(url)
    time.sleep(0.01)
    as_of = time.time_ns()
    time.sleep(0.01)
    feed_synthetic(platform, seed=21, instruments=3, days=2)  # the second day (first is stored)
    platform.run_until_caught_up()
    assert read_models(url)["rm_bars"] != observed["rm_bars"], "the live models moved on"
    return url, platform, as_of, observed


@pytest.fixture(scope="module")
def make_platform_module(infrastructure):  # type: ignore[no-untyped-def]
    from quantvista.platform import Platform

    made = []

    def make(url: str) -> Platform:
        platform = Platform(url)
        platform.create_tables()
        made.append(platform)
        return platform

    yield make
    for platform in made:
        platform.close()


def test_the_read_models_as_of_t_equal_what_was_observed_at_t(moved_on) -> None:
    url, platform, as_of, observed = moved_on
    folded = dict(
        (name, count) for name, count, _ in replay_as_of(url, platform.stores, as_of, "asof_t")
    )
    assert folded["projection.portfolio"] > 0
    assert _in_schema(url, "asof_t") == observed
    assert read_models(url) != observed  # the live ones untouched by the replay


def test_the_cut_is_the_prefix_recorded_by_then(moved_on) -> None:
    _, platform, as_of, _ = moved_on
    store = platform.stores["ingestion"]
    assert cut_position(store, 0) == 0
    assert cut_position(store, time.time_ns()) == store.head()
    cut = cut_position(store, as_of)
    assert 0 < cut < store.head()
    recorded = [e.ts_recorded for e in store.read(0, upto=store.head(), limit=100_000)]
    assert max(recorded[:cut]) <= as_of < min(recorded[cut:])


def test_a_schema_that_exists_or_is_not_an_identifier_is_refused(moved_on) -> None:
    url, platform, as_of, _ = moved_on
    for bad in ("public", "Robert'); DROP", "x" * 80):
        with pytest.raises(BadSchemaName):
            list(replay_as_of(url, platform.stores, as_of, bad))
    list(replay_as_of(url, platform.stores, as_of, "asof_twice"))
    with pytest.raises(BadSchemaName, match="exists already"):
        list(replay_as_of(url, platform.stores, as_of, "asof_twice"))


def test_a_gateway_serves_the_past_read_only(moved_on, tmp_path) -> None:
    url, platform, as_of, observed = moved_on
    list(replay_as_of(url, platform.stores, as_of, "asof_gw"))
    access = access_for_tester(tmp_path)
    app = create_app(
        url,
        None,  # type: ignore[arg-type]
        security=access.security(),
        config=GatewayConfig(read_schema="asof_gw"),
    )
    with TestClient(app, headers=access.headers(TESTER)) as client:
        cash = client.post(
            "/graphql", json={"query": '{ portfolio(accountId: "DEMO-001") { cash } }'}
        ).json()
        refused = client.post(
            "/graphql",
            json={
                "query": 'mutation { placeOrder(input: {accountId: "DEMO-001", instrumentId: '
                '"SAP", side: BUY, quantity: "1"}) { orderId } }'
            },
        ).json()
    [(_, _, _, past_cash, *_)] = [r for r in observed["rm_portfolio"] if r[0] == "DEMO-001"]
    assert cash["data"]["portfolio"]["cash"] == f"{past_cash:.4f}"
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["READ_ONLY"]
