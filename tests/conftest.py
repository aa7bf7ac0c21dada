"""Shared fixtures: a real embedded PostgreSQL and a real Pulsar-protocol broker per test session.

Each test that needs a database gets a fresh database on the session's server, and a fresh
Pulsar tenant, so tests never see each other's events.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from quantvista.config import Settings
from quantvista.embedded import Infrastructure


@pytest.fixture(scope="session")
def infrastructure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    data_dir: Path = tmp_path_factory.mktemp("quantvista-data")
    infra = Infrastructure.start(Settings(data_dir=data_dir))
    yield infra
    infra.stop()


@pytest.fixture
def database_url(infrastructure: Infrastructure) -> str:
    """A fresh, empty database on the session's embedded PostgreSQL."""
    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(infrastructure.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return _with_database(infrastructure.database_url, name)


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
def new_database(infrastructure: Infrastructure):
    """A factory of fresh databases on the session's server (for tests comparing two runs)."""

    def make() -> str:
        name = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(infrastructure.database_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return _with_database(infrastructure.database_url, name)

    return make


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
