"""The FastAPI router that serves QuantVista's GraphiQL page and its vendored assets.

Include it *before* the GraphQL router on the same path: its page route matches only a
browser's ``GET`` (``Accept`` prefers ``text/html``, no ``query`` parameter); every other
request to the path, GET queries and POSTs included, falls through to the GraphQL handler.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.datastructures import Headers, QueryParams
from starlette.routing import Match
from starlette.types import Scope

from gateway.graphiql.assets import load_bundle
from gateway.graphiql.negotiation import accepts_gzip, prefers_html
from gateway.graphiql.page import PAGE_HEADERS, SECURITY_HEADERS, render_page

ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
"""Asset names carry a version or a content hash, so a name's bytes never change."""


def is_browser_page_request(scope: Scope) -> bool:
    """A browser opening the endpoint: HTML preferred, and no GraphQL ``query`` to run."""
    headers = Headers(scope=scope)
    query = QueryParams(scope.get("query_string", b""))
    return prefers_html(headers.get("accept")) and query.get("query") is None


class BrowserPageRoute(APIRoute):
    """A route that matches only :func:`is_browser_page_request` requests, so that all others
    go on to the next route for the same path (Starlette takes the first full match)."""

    def matches(self, scope: Scope) -> tuple[Match, dict[str, Any]]:
        match, child_scope = super().matches(scope)
        if match is Match.FULL and is_browser_page_request(scope):
            return match, child_scope
        return Match.NONE, {}


def graphiql_router(endpoint: str = "/graphql") -> APIRouter:
    """GraphiQL for the GraphQL endpoint at ``endpoint``, its assets under ``<endpoint>/assets``."""
    assets_path = f"{endpoint}/assets"
    router = APIRouter(include_in_schema=False)
    bundle = load_bundle()

    async def graphiql_page() -> HTMLResponse:
        """The IDE, for a browser; GraphQL clients never get here (see BrowserPageRoute)."""
        return HTMLResponse(render_page(endpoint, assets_path), headers=PAGE_HEADERS)

    router.add_api_route(
        endpoint,
        graphiql_page,
        methods=["GET"],
        response_class=HTMLResponse,
        route_class_override=BrowserPageRoute,
    )

    @router.get(f"{assets_path}/{{name}}")
    async def graphiql_asset(name: str, request: Request) -> Response:
        """A vendored file, as stored gzipped when the client takes gzip, else decompressed."""
        asset = bundle.assets.get(name)
        if asset is None:
            raise HTTPException(status_code=404, detail=f"no GraphiQL asset named {name!r}")
        headers = {
            "Cache-Control": ASSET_CACHE_CONTROL,
            "X-Content-Type-Options": SECURITY_HEADERS["X-Content-Type-Options"],
        }
        if asset.gzipped:
            headers["Vary"] = "Accept-Encoding"
            if accepts_gzip(request.headers.get("accept-encoding")):
                headers["Content-Encoding"] = "gzip"
                return Response(asset.body, media_type=asset.content_type, headers=headers)
        return Response(asset.plain(), media_type=asset.content_type, headers=headers)

    return router
