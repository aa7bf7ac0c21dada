"""The read-model connection pool: libpq URL in, asyncpg pool out.

The platform's configuration speaks libpq URLs (``DATABASE_URL``; the embedded server's is
``postgresql://postgres:@/postgres?host=/path/to/socket/dir``). asyncpg parses most of that
itself, socket directory in ``host`` included, but it forwards every query parameter it does
not know to the server as a run-time setting, so libpq's client-side ``connect_timeout`` would
make the server refuse the connection. :func:`asyncpg_connect_args` turns it into asyncpg's
``timeout`` and also accepts SQLAlchemy-style ``postgresql+driver://`` schemes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg


class DatabaseUrlError(ValueError):
    """The database URL cannot be used; the message says which part is wrong."""


@dataclass(frozen=True)
class AsyncpgConnectArgs:
    """What :func:`asyncpg.create_pool` takes: a DSN it understands plus keyword options."""

    dsn: str
    options: dict[str, Any] = field(default_factory=dict)


def asyncpg_connect_args(database_url: str) -> AsyncpgConnectArgs:
    """Translate a libpq URL into asyncpg's DSN and options (see the module docstring)."""
    parts = urlsplit(database_url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("postgres", "postgresql"):
        raise DatabaseUrlError(
            f"database URL must start with postgresql://, got scheme {parts.scheme!r}"
        )
    query = parse_qsl(parts.query, keep_blank_values=True)
    options: dict[str, Any] = {}
    kept: list[tuple[str, str]] = []
    for key, value in query:
        if key == "connect_timeout":
            try:
                seconds = float(value)
            except ValueError:
                raise DatabaseUrlError(
                    f"connect_timeout must be a number of seconds, got {value!r}"
                ) from None
            if seconds > 0:  # libpq: zero or negative means wait forever
                options["timeout"] = seconds
        else:
            kept.append((key, value))
    dsn = urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(kept), parts.fragment))
    return AsyncpgConnectArgs(dsn=dsn, options=options)


async def _init_connection(connection: asyncpg.Connection) -> None:
    """JSONB arrives as Python objects (event payloads), not as text."""
    await connection.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
    )


async def create_read_model_pool(
    database_url: str, *, min_size: int, max_size: int, schema: str | None = None
) -> asyncpg.Pool:
    """Open the pool the resolvers read through; fails loudly if the database is unreachable.
    ``schema``: read the read models from that schema (a point-in-time replay) first."""
    args = asyncpg_connect_args(database_url)
    options = dict(args.options)
    if schema is not None:
        options["server_settings"] = {"search_path": f"{schema},public"}
    return await asyncpg.create_pool(
        args.dsn, min_size=min_size, max_size=max_size, init=_init_connection, **options
    )
