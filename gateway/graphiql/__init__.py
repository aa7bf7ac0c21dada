"""GraphiQL served from the package: our page, GraphiQL's vendored browser build, no CDN.

``app.include_router(graphiql_router("/graphql"))`` before the GraphQL router adds the page
(for browsers only) and its assets (``/graphql/assets/<name>``). ``python -m
gateway.graphiql.vendor`` re-creates the assets from the npm registry.
"""

from gateway.graphiql.router import graphiql_router

__all__ = ["graphiql_router"]
