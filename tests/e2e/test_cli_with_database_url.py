"""The installed ``quantvista`` command with ``DATABASE_URL`` set, as a user deploys it: a
PostgreSQL it did not start (the session's server — embedded in the first pass, the external
one over TCP in ``make test``'s second pass), with only the broker embedded.

The other CLI tests remove ``DATABASE_URL`` on purpose (they test the embedded servers'
lifecycle); this one is the CLI's path through a real server's URL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.integration]

QUANTVISTA = str(Path(sys.executable).with_name("quantvista"))


def _run(
    cwd: Path, database_url: str, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PULSAR_URL"}
    env.update(DATABASE_URL=database_url, COLUMNS="120")
    return subprocess.run(
        [QUANTVISTA, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_the_demo_on_a_server_given_by_database_url_starts_no_postgres_and_resumes(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    url = new_database()
    first = _run(tmp_path, url, "demo", "--no-serve")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "bars quarantined" in first.stdout
    assert not (tmp_path / ".quantvista" / "postgres").exists()  # nothing started: the URL's

    again = _run(tmp_path, url, "demo", "--no-serve")
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "│ 0 in " in again.stdout  # rows fed this run: all already stored on that server

    status = _run(tmp_path, url, "status", "--json")
    assert status.returncode == 0, status.stderr[-3000:]
    report = json.loads(status.stdout)
    assert report["components"] and all(row["lag"] == 0 for row in report["components"])
    assert report["dead_letters"]["count"] == 0

    refused = _run(tmp_path, url, "demo", "--no-serve", "--fresh")
    assert refused.returncode != 0 and "--fresh only wipes" in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stdout + refused.stderr
