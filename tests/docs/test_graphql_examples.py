"""The documentation runs: every GraphQL example in README.md and docs/graphql.md is executed, in
the order a reader meets it, against the data ``make demo`` produces (the shipped sample session
through every context), and must succeed — or fail with exactly the code the document says.

Conventions in the Markdown (read here, invisible when rendered):

* a ```` ```graphql ```` block is an example; a ```` ```json variables ```` block right after it
  holds its variables. A variable written ``"<the orderId placeOrder returned>"`` (or
  ``position``) is the value the last ``placeOrder`` example answered.
* ``<!-- expect-error: CODE -->`` right before an example: it must answer that error code.
* A ```` ```python ```` block in docs/graphql.md must compile and import only what exists.
* Subscription examples are validated against the schema and ``portfolio`` is run over a
  WebSocket (the others wait for changes; tests/e2e/test_gateway_clients.py runs them).
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from graphql import OperationDefinitionNode, OperationType, parse, validate

from bounded_contexts.ingestion.adapters.csv_replay import read_bars, read_instruments, sample_path
from gateway import GatewayConfig, create_app
from gateway.schema import schema
from quantvista.platform import Platform
from tests.access_helpers import TESTER, access_for_tester
from tests.conftest import _with_database

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", ROOT / "docs" / "graphql.md"]
BLOCK = re.compile(
    r"(?:<!-- expect-error: (?P<expect>\w+) -->\n)?```(?P<info>[^\n]*)\n(?P<body>.*?)\n```",
    re.S,
)


@dataclass
class Example:
    document: str
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    expect: str | None = None

    def __str__(self) -> str:
        return f"{Path(self.document).name}: {self.query.split(chr(10))[0][:70]}"


def examples() -> list[Example]:
    found: list[Example] = []
    for path in DOCUMENTS:
        for match in BLOCK.finditer(path.read_text(encoding="utf-8")):
            info = match["info"].strip()
            if info == "graphql":
                found.append(Example(path.name, match["body"], expect=match["expect"]))
            elif info == "json variables":
                assert found and found[-1].document == path.name, "variables after no example"
                found[-1].variables = json.loads(match["body"])
    return found


def python_blocks() -> list[str]:
    text = (ROOT / "docs" / "graphql.md").read_text(encoding="utf-8")
    return [m["body"] for m in BLOCK.finditer(text) if m["info"].strip() == "python"]


@pytest.fixture(scope="module")
def demo(infrastructure, tmp_path_factory) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """The sample session fed through every context (what ``make demo`` does, without the
    broker: the same events, deterministic), the components then running on threads, and the
    gateway over it."""
    name = "docs_" + uuid.uuid4().hex[:12]
    with psycopg.connect(infrastructure.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(infrastructure.database_url, name)
    platform = Platform(url)
    platform.create_tables()
    platform.build()
    platform.ingestion.list_instruments(
        read_instruments(sample_path("instruments.csv")), actor="feed:reference-data"
    )
    platform.ingestion.ingest(read_bars(sample_path("sample_bars.csv")), actor="feed:sample")
    platform.run_until_caught_up()
    platform.start()  # the projections follow what the examples' mutations record
    # The examples run as a risk manager who also trades DEMO-001 (the docs say which role
    # each needs: quarantine and dead letters are operators' lists).
    access = access_for_tester(tmp_path_factory.mktemp("identity"))
    app = create_app(
        url,
        platform.execution_commands,
        security=access.security(),
        models=platform.model_commands,
        config=GatewayConfig(),
    )
    try:
        with TestClient(app, headers=access.headers(TESTER)) as client:
            yield client
    finally:
        platform.close()


def _substitute(variables: dict[str, Any], answers: dict[str, str]) -> dict[str, Any]:
    out = {}
    for key, value in variables.items():
        if isinstance(value, str) and value.startswith("<the "):
            wanted = value.removeprefix("<the ").split(" ")[0]
            assert wanted in answers, f"{value}: no earlier example answered it"
            value = answers[wanted]
        out[key] = value
    return out


def _operation(query: str) -> OperationDefinitionNode:
    [operation] = [d for d in parse(query).definitions if isinstance(d, OperationDefinitionNode)]
    return operation


def test_every_graphql_example_in_the_docs_runs_against_the_demo_data(demo) -> None:
    found = examples()
    assert len(found) >= 20, "the docs' examples were not found"
    answers: dict[str, str] = {}
    ran = 0
    for example in found:
        operation = _operation(example.query)
        variables = _substitute(example.variables, answers)
        if operation.operation is OperationType.SUBSCRIPTION:
            _subscribe(demo, example, variables)
            continue
        response = demo.post("/graphql", json={"query": example.query, "variables": variables})
        body = response.json()
        codes = [e["extensions"]["code"] for e in body.get("errors", [])]
        if example.expect is not None:
            assert codes == [example.expect], f"{example}: {body}"
        else:
            assert response.status_code == 200 and not codes, f"{example}: {body}"
        placed = (body.get("data") or {}).get("placeOrder")
        if placed and example.expect is None:
            answers["orderId"], answers["position"] = placed["orderId"], placed["position"]
        ran += 1
    assert ran >= 18


def _subscribe(demo: TestClient, example: Example, variables: dict[str, Any]) -> None:
    """Validate every subscription example; run the one that answers at once."""
    assert validate(schema._schema, parse(example.query)) == [], example
    if "portfolio(" not in example.query:
        return
    with demo.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as socket:
        token = demo.headers["authorization"]
        socket.send_json({"type": "connection_init", "payload": {"Authorization": token}})
        assert socket.receive_json()["type"] == "connection_ack"
        socket.send_json(
            {"id": "1", "type": "subscribe",
             "payload": {"query": example.query, "variables": variables}}
        )  # fmt: skip
        message = socket.receive_json()
        assert message["type"] == "next", message
        assert message["payload"]["data"]["portfolio"]["cash"], message
        socket.send_json({"id": "1", "type": "complete"})


@pytest.mark.parametrize("block", python_blocks())
def test_the_python_example_compiles_and_imports_what_exists(block: str) -> None:
    tree = ast.parse(block)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = importlib.import_module(node.module or "")
            for alias in node.names:
                assert hasattr(module, alias.name), f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                importlib.import_module(alias.name)
