"""GraphiQL's page and vendored files over HTTP: what is served, how (gzip, types, caching,
security headers), to whom (browsers only), and that the vendored files are the pinned ones.
No browser is needed here; ``test_graphiql_in_chromium.py`` drives a real one."""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from gateway import GatewayConfig, create_app
from gateway.graphiql import graphiql_router
from gateway.graphiql.assets import VENDORED, load_bundle
from gateway.graphiql.page import CONTENT_SECURITY_POLICY

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def app_client() -> Iterator[TestClient]:
    """GraphiQL's router before a stand-in GraphQL handler that says it was reached."""
    app = FastAPI()
    app.include_router(graphiql_router("/graphql"))

    @app.api_route("/graphql", methods=["GET", "POST"])
    async def graphql(request: Request) -> JSONResponse:
        return JSONResponse({"handled_by": "graphql", "method": request.method})

    with TestClient(app) as client:
        yield client


def page_of(client: TestClient) -> str:
    response = client.get("/graphql", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return response.text


def test_each_vendored_file_is_the_pinned_one_with_its_licence() -> None:
    total = 0
    for file in VENDORED:
        stored = file.stored.read_bytes()
        total += len(stored)
        assert hashlib.sha256(gzip.decompress(stored)).hexdigest() == file.sha256, file
        licence = file.licence.read_text()
        assert "MIT License" in licence and "Permission is hereby granted" in licence
    assert total < 1_200_000, f"the vendored set grew to {total:,} bytes gzipped"


def test_a_browser_gets_the_page_with_strict_security_headers(app_client: TestClient) -> None:
    response = app_client.get("/graphql", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    policy = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["vary"] == "Accept"
    assert response.headers["cache-control"] == "no-cache"


def test_the_page_references_only_this_server(app_client: TestClient) -> None:
    page = page_of(app_client)
    urls = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert urls, page
    assert all(u.startswith("/graphql/assets/") or u == "data:," for u in urls), urls
    assert "http:" not in page and "https:" not in page and "//" not in page
    assert "<script>" not in page  # every script is a file: CSP forbids inline ones
    for url in urls:
        if url.startswith("/"):
            assert app_client.get(url).status_code == 200, url
    assert 'data-endpoint="/graphql"' in page
    assert "portfolio(accountId: &quot;DEMO-001&quot;)" in page  # the default query


def test_vendored_files_are_served_gzipped_with_their_type_and_a_long_cache(
    app_client: TestClient,
) -> None:
    bundle = load_bundle()
    for file in VENDORED:
        response = app_client.get(
            f"/graphql/assets/{file.served_name}", headers={"Accept-Encoding": "gzip, br"}
        )
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "gzip"
        assert int(response.headers["content-length"]) == len(file.stored.read_bytes())
        assert response.headers["content-type"] == file.content_type
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert hashlib.sha256(response.content).hexdigest() == file.sha256  # decoded by httpx
        assert file.served_name in bundle.assets


def test_a_client_without_gzip_gets_the_plain_file(app_client: TestClient) -> None:
    react = next(f for f in VENDORED if f.package == "react")
    response = app_client.get(
        f"/graphql/assets/{react.served_name}", headers={"Accept-Encoding": "identity"}
    )
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert int(response.headers["content-length"]) == len(response.content)
    assert hashlib.sha256(response.content).hexdigest() == react.sha256


def test_our_own_script_and_stylesheet_are_served_under_content_hashed_names(
    app_client: TestClient,
) -> None:
    bundle = load_bundle()
    own = [a for a in bundle.assets.values() if not a.gzipped]
    assert {a.name.rsplit(".", 1)[1] for a in own} == {"js", "css"}
    for asset in own:
        response = app_client.get(f"/graphql/assets/{asset.name}")
        assert response.content == asset.body
        assert response.headers["content-type"] == asset.content_type
        assert hashlib.sha256(asset.body).hexdigest()[:12] in asset.name


@pytest.mark.parametrize(
    "name", ["nothing.js", "..%2Fpage.html", "graphiql-3.8.3.min.js.gz", "LICENSE.react"]
)
def test_only_the_bundle_is_served(app_client: TestClient, name: str) -> None:
    assert app_client.get(f"/graphql/assets/{name}").status_code == 404


@pytest.mark.parametrize(
    ("method", "params", "accept"),
    [
        ("GET", {"query": "{ __typename }"}, BROWSER_ACCEPT),  # a query in the URL
        ("GET", None, "application/json"),
        ("GET", None, "application/graphql-response+json"),
        ("GET", None, "*/*"),  # curl
        ("GET", None, None),
        ("POST", None, BROWSER_ACCEPT),
    ],
)
def test_everything_but_a_browser_opening_the_page_reaches_graphql(
    app_client: TestClient, method: str, params: dict[str, str] | None, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = app_client.request(method, "/graphql", params=params, headers=headers)
    assert response.json() == {"handled_by": "graphql", "method": method}


def test_the_gateway_serves_the_page_to_browsers_and_graphql_to_clients(client) -> None:
    assert "QuantVista GraphiQL" in page_of(client)
    response = client.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"Accept": BROWSER_ACCEPT}
    )
    assert response.headers["content-type"].startswith("application/")
    assert response.json()["data"] == {"__typename": "Query"}


def test_the_gateway_without_graphiql_serves_neither_page_nor_assets(
    read_model_url, commands, access
):
    app = create_app(
        read_model_url, commands, security=access.security(), config=GatewayConfig(graphiql=False)
    )
    name = next(iter(load_bundle().assets))
    with TestClient(app) as client:
        response = client.get("/graphql", headers={"Accept": BROWSER_ACCEPT})
        assert "QuantVista GraphiQL" not in response.text
        assert client.get(f"/graphql/assets/{name}").status_code == 404
