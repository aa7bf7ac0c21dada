"""QuantVista's GraphiQL page: our HTML around the vendored GraphiQL, and its headers.

The page loads only files this server serves (see :mod:`gateway.graphiql.assets`) and has no
inline script, so its Content-Security-Policy can be strict: scripts, styles, fonts and images
from this origin only (GraphiQL's stylesheet embeds its fonts and a few images as ``data:``
URLs), requests only to this origin (``'self'`` covers ``ws:``/``wss:`` to the same host and
port for subscriptions), and no framing, plugins, ``<base>`` or form posts.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from string import Template

from gateway.graphiql.assets import load_bundle

DEFAULT_QUERY = """\
# QuantVista GraphQL. Ctrl-Enter runs the query; Docs lists the fields;
# request headers (e.g. Authorization) go in the Headers tab below.
{
  portfolio(accountId: "DEMO-001") {
    cash
    equity
    positions {
      instrumentId
      quantity
    }
  }
}
"""

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

PAGE_HEADERS: dict[str, str] = {
    **SECURITY_HEADERS,
    # The same URL answers JSON to GraphQL clients: caches must key on Accept. ``no-cache``
    # (revalidate) lets a new release's asset names reach a browser at its next visit.
    "Vary": "Accept",
    "Cache-Control": "no-cache",
}

_TEMPLATE = Path(__file__).resolve().parent / "page.html"


@cache
def render_page(endpoint: str, assets_path: str) -> str:
    """The HTML page for GraphQL at ``endpoint`` whose assets are under ``assets_path``."""
    bundle = load_bundle()

    def url(name: str) -> str:
        return html.escape(f"{assets_path}/{name}", quote=True)

    stylesheets = (f'<link rel="stylesheet" href="{url(n)}">' for n in bundle.stylesheets)
    scripts = (f'<script src="{url(n)}"></script>' for n in bundle.scripts)
    return Template(_TEMPLATE.read_text(encoding="utf-8")).substitute(
        endpoint=html.escape(endpoint, quote=True),
        default_query=html.escape(DEFAULT_QUERY, quote=True),
        stylesheets="\n".join(stylesheets),
        scripts="\n".join(scripts),
    )
