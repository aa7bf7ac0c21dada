"""`chainVerification` as an auditor uses it: every store intact on an untouched log, the
position named after a row is changed in PostgreSQL, and what other callers and bad input get."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from events.store import STORE_CONTEXTS
from gateway import GatewayConfig, create_app
from tests.backbone.integration.test_hash_chain import EDIT_ACTOR, _record
from tests.gateway.conftest import FakeOrderCommands, error_codes

pytestmark = pytest.mark.integration

VERIFY = """query ($context: String) { chainVerification(context: $context) {
  context intact events headPosition headHash breaks { position problem } verifiedAt } }"""


@pytest.fixture
def gateway(database_url, make_platform, access) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    platform = make_platform(database_url, with_bus=False)
    _record(platform.stores["ingestion"], "SAP", 20)
    access.grant("audrey", "auditor").grant("tina", "trader", ["acc-1"])
    app = create_app(
        database_url,
        FakeOrderCommands(),
        security=access.security(),
        config=GatewayConfig(pool_min_size=1, pool_max_size=4),
    )
    with TestClient(app) as client:
        yield client


def ask(client: TestClient, headers, **variables):  # type: ignore[no-untyped-def]
    body = client.post("/graphql", json={"query": VERIFY, "variables": variables}, headers=headers)
    return body.json()


def test_an_untouched_log_verifies_store_by_store(gateway, access) -> None:  # type: ignore[no-untyped-def]
    body = ask(gateway, access.headers("audrey"))
    stores = {v["context"]: v for v in body["data"]["chainVerification"]}
    assert list(stores) == list(STORE_CONTEXTS)
    assert all(v["intact"] and not v["breaks"] for v in stores.values()), stores
    assert stores["ingestion"]["events"] == 21 and len(stores["ingestion"]["headHash"]) == 64
    assert stores["ingestion"]["verifiedAt"].endswith("Z")


def test_a_row_changed_in_postgresql_is_named_by_its_position(  # type: ignore[no-untyped-def]
    gateway, access, database_url
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(EDIT_ACTOR.format(position=10))
    body = ask(gateway, access.headers("audrey"), context="ingestion")
    (ingestion,) = body["data"]["chainVerification"]
    assert not ingestion["intact"]
    assert ingestion["breaks"][0] == {
        "position": "10",
        "problem": "the event or its link was changed (the hash does not follow)",
    }


def test_only_auditors_may_ask_and_the_request_is_refused_as_forbidden(gateway, access) -> None:  # type: ignore[no-untyped-def]
    body = ask(gateway, access.headers("tina"))
    assert error_codes(body) == ["FORBIDDEN"] and body["data"] is None


@pytest.mark.parametrize("context", ["orders", "", "ingestion_events", "INGESTION"])
def test_an_unknown_store_is_bad_input_naming_the_stores(gateway, access, context: str) -> None:  # type: ignore[no-untyped-def]
    body = ask(gateway, access.headers("tina"), context=context)  # checked before permission
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "ingestion, intelligence" in body["errors"][0]["message"]
