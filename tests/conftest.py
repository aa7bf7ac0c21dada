"""Shared fixtures: a real PostgreSQL and a real Pulsar-protocol broker per test session.

Each test that needs a database gets a fresh database on the session's server, and a fresh
Pulsar tenant, so tests never see each other's events.

The server is the embedded PostgreSQL, started per session, unless
``QUANTVISTA_TEST_DATABASE_URL`` names a real one (``tests/external_postgres.py`` sets it for
``make test``'s second pass): then the fresh databases are created there, through the platform's
own ``DATABASE_URL`` path (:class:`Infrastructure` starts no PostgreSQL), and the ones these
fixtures created are dropped at the end of the session, since a real server outlives the run.
The broker stays embedded either way.

Every test that uses the server (the ``infrastructure`` fixture, directly or through another
fixture) is marked ``integration`` here, so ``-m integration`` selects exactly the tests that
talk to PostgreSQL, wherever they live.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from quantvista.config import Settings
from quantvista.embedded import Infrastructure

EXTERNAL_DATABASE_VARIABLE = "QUANTVISTA_TEST_DATABASE_URL"
"""A libpq URL of a real PostgreSQL the tests create their databases on (instead of starting
the embedded one); its user needs ``CREATEDB``."""

_server_description: list[str] = []
"""What the session's ``infrastructure`` ran against, for the terminal summary (filled once)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that reaches the database server ``integration``: a marker a test's
    author forgets must not keep it out of the pass against a real server."""
    for item in items:
        if "infrastructure" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which PostgreSQL the session's database tests ran against (or that none did)."""
    if _server_description:
        terminalreporter.write_line(f"database server: {_server_description[0]}")


def _describe_server(url: str, external: bool) -> str:
    """``PostgreSQL 18.6, embedded (Unix socket)`` / ``PostgreSQL 15.20 at 127.0.0.1:5432``."""
    with psycopg.connect(url, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0].split()[0]  # type: ignore[index]
    info = conninfo_to_dict(url)
    host = str(info.get("host") or "localhost")
    where = f"Unix socket {host}" if host.startswith("/") else f"{host}:{info.get('port') or 5432}"
    return f"PostgreSQL {version}, {'external' if external else 'embedded'} ({where})"


@pytest.fixture(scope="session")
def infrastructure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    data_dir: Path = tmp_path_factory.mktemp("quantvista-data")
    external = os.environ.get(EXTERNAL_DATABASE_VARIABLE) or None
    settings = Settings(data_dir=data_dir, database_url=external)
    settings.validate()
    infra = Infrastructure.start(settings)
    if not _server_description:
        _server_description.append(_describe_server(infra.database_url, external is not None))
    yield infra
    infra.stop()


class _TestDatabases:
    """Creates the fresh per-test databases and, on a real server, drops them all at the end
    of the session (the embedded server's data directory is temporary; a real one is not)."""

    def __init__(self, server_url: str, external: bool) -> None:
        self.server_url = server_url
        self.external = external
        self.created: list[str] = []

    def create(self) -> str:
        name = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.created.append(name)
        return _with_database(self.server_url, name)

    def drop_created(self) -> None:
        """``WITH (FORCE)`` (PostgreSQL 13+): a test may leave a pool's connections open."""
        if not self.external or not self.created:
            return
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
        self.created.clear()


@pytest.fixture(scope="session")
def _test_databases(infrastructure: Infrastructure) -> Iterator[_TestDatabases]:
    databases = _TestDatabases(
        infrastructure.database_url, bool(os.environ.get(EXTERNAL_DATABASE_VARIABLE))
    )
    yield databases
    databases.drop_created()


@pytest.fixture
def database_url(_test_databases: _TestDatabases) -> str:
    """A fresh, empty database on the session's PostgreSQL (embedded, or the external one)."""
    return _test_databases.create()


@pytest.fixture
def pulsar_url(infrastructure: Infrastructure) -> str:
    return infrastructure.pulsar_url


@pytest.fixture
def pulsar_tenant() -> str:
    """A tenant of its own per test: topics are created on first use under it."""
    return "t" + uuid.uuid4().hex[:12]


def _with_database(url: str, name: str) -> str:
    """Replace the database name in a libpq URL such as ``postgresql://u:@/postgres?host=/x``."""
    head, _, query = url.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


@pytest.fixture
def new_database(_test_databases: _TestDatabases):
    """A factory of fresh databases on the session's server (for tests comparing two runs)."""
    return _test_databases.create


@pytest.fixture
def make_platform(pulsar_url: str):
    """Builds a Platform (tables created) on a database, with or without the broker; each
    gets its own Pulsar tenant. Closed at teardown."""
    from quantvista.platform import Platform

    made: list[Platform] = []

    def make(database_url: str, *, with_bus: bool = True) -> Platform:
        tenant = "t" + uuid.uuid4().hex[:12]
        platform = Platform(database_url, pulsar_url if with_bus else None, tenant=tenant)
        platform.create_tables()
        made.append(platform)
        return platform

    yield make
    for platform in made:
        platform.close()
