"""The database killed under a running demo.

- PostgreSQL killed mid-feed: the run ends within seconds with one line naming the database
  and a non-zero exit, never a traceback; started again, it resumes and ends equal to the
  uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.faults.harness import (
    QUANTVISTA,
    Snapshot,
    assert_same_as,
    postmaster_pid,
    run,
    stop_leftover_servers,
)

pytestmark = [pytest.mark.slow, pytest.mark.integration]


class _Demo:
    """``quantvista demo --no-serve`` in the background, its output collected as it comes."""

    def __init__(self, data_dir: Path) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "PULSAR_URL", "QUANTVISTA_FAULT_PLAN")
        }
        env["COLUMNS"] = "160"
        self.process = subprocess.Popen(
            [QUANTVISTA, "--data-dir", str(data_dir), "demo", "--no-serve"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        for stream, sink in (
            (self.process.stdout, self.stdout),
            (self.process.stderr, self.stderr),
        ):
            threading.Thread(target=lambda s=stream, k=sink: k.extend(s), daemon=True).start()

    def wait_for_feed(self, timeout: float = 120) -> None:
        """Until the demo has announced its feed (servers up, instruments listed)."""
        deadline = time.monotonic() + timeout
        while not any("QuantVista demo" in line for line in self.stdout):
            assert self.process.poll() is None, "".join(self.stdout + self.stderr)[-3000:]
            assert time.monotonic() < deadline, "the demo never started its feed"
            time.sleep(0.05)

    def finish(self, timeout: float = 240) -> int:
        code = self.process.wait(timeout=timeout)
        time.sleep(0.2)  # the reader threads drain the pipes
        return code

    @property
    def output(self) -> str:
        return "".join(self.stdout) + "".join(self.stderr)


def test_a_database_killed_mid_run_ends_it_in_seconds_with_one_line_and_a_rerun_recovers(
    reference: Snapshot, tmp_path: Path
) -> None:
    try:
        demo = _Demo(tmp_path)
        demo.wait_for_feed()
        pid = postmaster_pid(tmp_path)
        assert pid is not None
        time.sleep(1.0)  # mid-feed
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        code = demo.finish(timeout=60)
        took = time.monotonic() - killed_at
        print(f"the run ended {took:.1f} s after its database was killed")
        assert code == 3, demo.output[-3000:]
        errors = [line for line in demo.output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "database" in errors[0], demo.output[-3000:]
        assert "nothing recorded is lost" in " ".join(demo.output.split())  # rich wraps lines
        assert "Traceback" not in demo.output

        again = run(tmp_path, "demo", "--no-serve")
        assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
        assert_same_as(reference, tmp_path)
    finally:
        stop_leftover_servers(tmp_path)
