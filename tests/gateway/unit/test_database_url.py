"""libpq URLs become asyncpg connect arguments without losing or inventing settings."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from gateway.database import DatabaseUrlError, asyncpg_connect_args


def test_a_socket_directory_url_keeps_its_host_parameter() -> None:
    args = asyncpg_connect_args("postgresql://postgres:@/quantvista?host=/run/pg sock")
    parts = urlsplit(args.dsn)
    assert (parts.scheme, parts.netloc, parts.path) == ("postgresql", "postgres:@", "/quantvista")
    assert parse_qs(parts.query) == {"host": ["/run/pg sock"]}
    assert args.options == {}


def test_connect_timeout_becomes_the_asyncpg_timeout_and_leaves_the_query() -> None:
    args = asyncpg_connect_args("postgres://u:p@db:5433/rm?sslmode=require&connect_timeout=7")
    assert args.options == {"timeout": 7.0}
    assert parse_qs(urlsplit(args.dsn).query) == {"sslmode": ["require"]}
    assert urlsplit(args.dsn).netloc == "u:p@db:5433"


def test_a_zero_connect_timeout_means_wait_forever_as_in_libpq() -> None:
    assert asyncpg_connect_args("postgresql://db/rm?connect_timeout=0").options == {}


def test_a_driver_qualified_scheme_is_accepted() -> None:
    assert asyncpg_connect_args("postgresql+asyncpg://db/rm").dsn == "postgresql://db/rm"


def test_a_non_postgres_url_is_refused_naming_the_scheme() -> None:
    with pytest.raises(DatabaseUrlError, match="'mysql'"):
        asyncpg_connect_args("mysql://db/rm")


def test_a_non_numeric_connect_timeout_is_refused() -> None:
    with pytest.raises(DatabaseUrlError, match=r"connect_timeout must be a number.*'soon'"):
        asyncpg_connect_args("postgresql://db/rm?connect_timeout=soon")
