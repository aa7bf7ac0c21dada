"""GraphiQL in a real browser: headless Chromium opens ``/graphql`` on the real gateway (under
uvicorn, over a read-model database holding one portfolio), a query is typed and run as a
person would, and the page is checked to have loaded everything from the gateway alone.

Needs Chromium (Debian: ``apt-get install chromium``). Without it these tests are skipped,
unless ``QUANTVISTA_REQUIRE_BROWSER`` is set (meant for CI), when they fail. A screenshot of each
run goes to ``$QUANTVISTA_TEST_ARTEFACTS`` (default: ``test-artefacts/`` in the repository).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.types import Receive, Scope, Send

from gateway import GatewayConfig, create_app
from tests.access_helpers import TestAccess
from tests.browser.cdp import Browser, Page, find_chromium
from tests.browser.live_server import serve

REPOSITORY = Path(__file__).resolve().parents[3]
ARTEFACTS_ENV = "QUANTVISTA_TEST_ARTEFACTS"
REQUIRE_ENV = "QUANTVISTA_REQUIRE_BROWSER"

LOAD_TIMEOUT_S = 30.0
"""Deadline for GraphiQL to start or answer: ~1 s here; generous for a loaded CI machine."""

ACCOUNT = "DEMO-001"
CASH = "98443.6544"

PORTFOLIO_QUERY = f"""{{
  portfolio(accountId: "{ACCOUNT}") {{
    cash
    equity
    positions {{ instrumentId quantity }}
  }}
}}"""

QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
RESULT = (
    "(() => { const e = document.querySelector('.result-window .CodeMirror');"
    " return e ? e.CodeMirror.getValue() : ''; })()"
)
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(
  {directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile}));
"""


def artefacts_dir() -> Path:
    return Path(os.environ.get(ARTEFACTS_ENV) or REPOSITORY / "test-artefacts")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """One headless Chromium for the module (each test gets its own browser context)."""
    executable = find_chromium()
    if executable is None:
        reason = (
            "Chromium is not installed (Debian: apt-get install chromium; or set "
            "QUANTVISTA_CHROMIUM to a Chrome/Chromium executable): GraphiQL's browser test "
            "needs a real browser"
        )
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"{REQUIRE_ENV} is set but {reason}")
        pytest.skip(reason)
    launched = Browser.launch(executable, tmp_path_factory.mktemp("chromium") / "profile")
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def graphql_headers() -> list[dict[str, str]]:
    """The headers of every POST to ``/graphql`` the gateway got, oldest first."""
    return []


@pytest.fixture
def gateway_url(
    read_model_url: str,
    commands: Any,
    insert: Any,
    graphql_headers: list[dict[str, str]],
    access: TestAccess,
) -> Iterator[str]:
    """The real gateway app under uvicorn, over read models holding ``DEMO-001``."""
    insert(
        "rm_instruments",
        [
            {
                "instrument_id": "AAPL",
                "isin": "US0378331005",
                "mic": "XNAS",
                "currency": "USD",
                "name": "Apple Inc.",
                "last_price": Decimal("155.125"),
                "last_bar_ts": 1_704_205_800_000_000_000,
                "lot_size": Decimal("1"),
                "tick_size": Decimal("0.01"),
            }
        ],
    )
    insert(
        "rm_portfolio",
        [
            {
                "account_id": ACCOUNT,
                "base_currency": "USD",
                "initial_cash": Decimal("100000.00"),
                "cash": Decimal(CASH),
                "fees_paid": Decimal("12.3456"),
                "realised_pnl": Decimal("0"),
                "updated_seq": 1,
            }
        ],
    )
    insert(
        "rm_positions",
        [
            {
                "account_id": ACCOUNT,
                "instrument_id": "AAPL",
                "quantity": Decimal("10"),
                "average_price": Decimal("150.25"),
                "cost_basis": Decimal("1502.50"),
                "realised_pnl": Decimal("0"),
                "updated_seq": 1,
            }
        ],
    )
    access.grant("trader", "trader", [ACCOUNT])
    app = create_app(
        read_model_url,
        commands,
        security=access.security(),
        config=GatewayConfig(pool_min_size=1, pool_max_size=4),
    )

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/graphql":
            graphql_headers.append({k.decode(): v.decode() for k, v in scope["headers"]})
        await app(scope, receive, send)

    with serve(recording) as url:
        yield url


@pytest.fixture
def page(browser: Browser, gateway_url: str) -> Iterator[Page]:
    """A fresh tab on GraphiQL, network and CSP violations recorded, the editor ready; closed
    after the test (before the server stops, so no connection is left open)."""
    tab = browser.new_page()
    try:
        tab.call("Network.enable")
        tab.call("Runtime.enable")
        tab.call("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_CSP_VIOLATIONS})
        tab.navigate(f"{gateway_url}/graphql")
        tab.wait_for(
            f"!!document.querySelector({json.dumps(QUERY_EDITOR)})",
            what="GraphiQL's query editor",
            timeout=LOAD_TIMEOUT_S,
            describe=lambda: tab.evaluate("document.body.innerText.slice(0, 500)"),
        )
        yield tab
    finally:
        browser.close_page(tab)


def replace_text(page: Page, editor: str, text: str) -> None:
    """Replace an editor's text by typing, as a person would (click, Ctrl-A, type)."""
    page.click(editor)
    page.press("a", "KeyA", 65, modifiers=2)  # Ctrl-A selects all
    page.insert_text(text)
    assert (
        page.evaluate(f"document.querySelector({json.dumps(editor)}).CodeMirror.getValue()") == text
    )


def type_query(page: Page, query: str) -> None:
    """Type ``query`` into the query editor and wait until GraphiQL has parsed it."""
    replace_text(page, QUERY_EDITOR, query)
    editor = f"document.querySelector({json.dumps(QUERY_EDITOR)}).CodeMirror"
    # GraphiQL re-parses the editor 100 ms after a change; it picks the transport (HTTP or
    # WebSocket) from that parse, so wait until it has seen this text.
    page.wait_for(
        f"(() => {{ const ast = {editor}.documentAST;"
        f" return !!ast && ast.loc.source.body === {json.dumps(query)}; }})()",
        what="GraphiQL to parse the typed query",
    )


def run_and_read_result(page: Page, expect: str = CASH) -> dict[str, Any]:
    """Click the run button; the response GraphiQL shows once it holds ``expect``."""
    page.click(".graphiql-execute-button")
    shown = page.wait_for(
        f"(() => {{ const text = {RESULT}; return text.includes({json.dumps(expect)}) && text;"
        " })()",
        what=f"the result pane to show {expect}",
        timeout=LOAD_TIMEOUT_S,
        describe=lambda: page.evaluate(RESULT) or page.evaluate("document.body.innerText"),
    )
    return json.loads(shown)


def paste_headers(page: Page, headers: dict[str, str]) -> None:
    """Open the Headers tab and type the headers, as a user pastes the demo's header."""
    page.evaluate(
        "[...document.querySelectorAll('.graphiql-editor-tools button')]"
        ".find((b) => b.innerText === 'Headers').setAttribute('data-test', 'headers-tab')"
    )
    page.click("[data-test=headers-tab]")
    headers_editor = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
    page.wait_for(f"!!document.querySelector({json.dumps(headers_editor)})", what="the headers")
    replace_text(page, headers_editor, json.dumps(headers))


def foreign_requests(page: Page, base_url: str) -> list[str]:
    """Every URL the page asked for that is neither the gateway nor inline ``data:``."""
    ours = urlsplit(base_url).netloc
    urls = [event["request"]["url"] for event in page.events("Network.requestWillBeSent")]
    urls += [event["url"] for event in page.events("Network.webSocketCreated")]
    assert f"{base_url}/graphql" in urls, f"no request recorded: is the Network domain on? {urls}"
    return [url for url in urls if urlsplit(url).scheme != "data" and urlsplit(url).netloc != ours]


def test_graphiql_runs_a_typed_portfolio_query_with_nothing_from_outside(
    page: Page, gateway_url: str, access: TestAccess
) -> None:
    """Refused without credentials; with the trader's header pasted, the trader's portfolio."""
    assert "Loading" not in page.evaluate("document.body.innerText")
    assert "Starting GraphiQL" not in page.evaluate("document.body.innerText")

    type_query(page, PORTFOLIO_QUERY)
    refused = run_and_read_result(page, expect="UNAUTHENTICATED")  # no header yet
    page.screenshot(artefacts_dir() / "graphiql-portfolio-refused-without-token.png")
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]

    paste_headers(page, access.headers("trader"))
    result = run_and_read_result(page)
    page.screenshot(artefacts_dir() / "graphiql-portfolio-query.png")

    assert result == {
        "data": {
            "portfolio": {
                "cash": CASH,
                "equity": "99994.9044",  # 98443.6544 + 10 x 155.125
                "positions": [{"instrumentId": "AAPL", "quantity": "10"}],
            }
        }
    }
    assert foreign_requests(page, gateway_url) == []
    assert page.evaluate("window.__cspViolations") == []
    assert page.events("Runtime.exceptionThrown") == []


def test_headers_typed_in_the_headers_tab_are_sent_with_the_query(
    page: Page, graphql_headers: list[dict[str, str]], access: TestAccess
) -> None:
    """Where a user pastes ``Authorization: Bearer ...``; the token is sent, never stored."""
    token = access.token("trader")
    paste_headers(page, {"Authorization": f"Bearer {token}"})
    type_query(page, PORTFOLIO_QUERY)
    run_and_read_result(page)

    assert graphql_headers[-1]["authorization"] == f"Bearer {token}"
    # GraphiQL saves its history (and, debounced, its tabs) to localStorage: headers, which
    # carry bearer tokens, must not be kept there (our page's storage drops them).
    stored = page.wait_for(
        "(() => { const s = window.localStorage;"
        " return s.getItem('graphiql:queries') && s.getItem('graphiql:tabState')"
        " && JSON.stringify(Object.assign({}, s)); })()",
        what="GraphiQL to save its history and tabs",
    )
    assert token not in stored
    assert "Bearer ey" not in stored  # no token of any kind (the page's own hint names none)
    assert page.events("Runtime.exceptionThrown") == []


def test_graphiql_subscribes_over_graphql_transport_ws_on_the_same_path(
    page: Page, gateway_url: str, access: TestAccess
) -> None:
    """The pasted header travels in ``connection_init``: the subscription is the trader's."""
    paste_headers(page, access.headers("trader"))
    type_query(page, f'subscription {{ portfolio(accountId: "{ACCOUNT}") {{ cash }} }}')
    result = run_and_read_result(page)

    assert result == {"data": {"portfolio": {"cash": CASH}}}
    sockets = page.events("Network.webSocketCreated")
    assert [urlsplit(s["url"])[:3] for s in sockets] == [
        ("ws", urlsplit(gateway_url).netloc, "/graphql")
    ]
    handshakes = page.events("Network.webSocketHandshakeResponseReceived")
    assert handshakes[0]["response"]["status"] == 101
    protocol = {k.lower(): v for k, v in handshakes[0]["response"]["headers"].items()}
    assert protocol["sec-websocket-protocol"] == "graphql-transport-ws"
    assert foreign_requests(page, gateway_url) == []
    assert page.evaluate("window.__cspViolations") == []


def test_graphiql_fetches_the_schema_for_its_docs(page: Page) -> None:
    """GraphiQL introspects the schema on load; Docs, completion and linting need it."""
    page.click("button[aria-label='Show Documentation Explorer']")
    docs = page.wait_for(
        "(() => { const e = document.querySelector('.graphiql-doc-explorer');"
        " const t = e ? e.innerText : '';"
        " return (t.includes('Query') || t.includes('Error')) && t; })()",
        what="the documentation explorer",
    )
    page.screenshot(artefacts_dir() / "graphiql-docs.png")
    assert "Error fetching schema" not in docs
    assert "Query" in docs
    assert page.evaluate("window.__cspViolations") == []


def test_graphiql_dialogs_work_under_the_content_security_policy(page: Page) -> None:
    """The one thing the policy refuses: the ``<style>`` element a dialog injects to lock
    page scrolling (react-remove-scroll), which this page, never scrolling, does not need."""
    page.click("button[aria-label='Open settings dialog']")
    dialog = page.wait_for(
        "(() => { const d = document.querySelector('[role=dialog]'); return d && d.innerText; })()",
        what="the settings dialog",
    )
    assert "Theme" in dialog
    page.screenshot(artefacts_dir() / "graphiql-settings-dialog.png")
    refused = page.evaluate("window.__cspViolations")
    assert {(v["directive"], v["blocked"]) for v in refused} <= {("style-src-elem", "inline")}
    assert page.events("Runtime.exceptionThrown") == []
