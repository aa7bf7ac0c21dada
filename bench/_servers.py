"""Embedded servers and fresh databases for the benchmarks that need PostgreSQL and Pulsar.

Each benchmark starts its own servers in a temporary directory and gives every measurement a
fresh database, so runs never see each other's data."""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from quantvista.config import Settings
from quantvista.embedded import Infrastructure


@contextlib.contextmanager
def embedded_servers() -> Iterator[Infrastructure]:
    """Embedded PostgreSQL and pulsar-lite in a temporary data directory, stopped and removed
    afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix="qv-bench-"))
    infra = Infrastructure.start(Settings(data_dir=data_dir))
    try:
        yield infra
    finally:
        with contextlib.redirect_stdout(io.StringIO()):  # pulsar-lite prints on stop
            infra.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def fresh_database(server_url: str, name: str) -> str:
    """Create an empty database on the server; returns its URL."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))
