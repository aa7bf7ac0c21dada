"""The installed ``quantvista`` command, as a user runs it, from an empty directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.integration]

QUANTVISTA = str(Path(sys.executable).with_name("quantvista"))


def _run(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PULSAR_URL")}
    env["COLUMNS"] = "120"
    return subprocess.run(
        [QUANTVISTA, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_demo_runs_from_any_directory_resumes_and_reports_status(tmp_path: Path) -> None:
    first = _run(tmp_path, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr[-3000:]
    assert "bars quarantined" in first.stdout and "│ 6 " in first.stdout.replace("  ", " ")
    assert (tmp_path / ".quantvista" / "postgres").is_dir()
    assert list((tmp_path / ".quantvista" / "reports").glob("session-*.json"))

    again = _run(tmp_path, "demo", "--no-serve")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "4,080" in again.stdout
    assert "│ 0 in " in again.stdout  # rows fed this run: nothing new

    status = _run(tmp_path, "status", "--json")
    assert status.returncode == 0, status.stderr[-3000:]
    report = json.loads(status.stdout)
    assert report["components"] and all(row["lag"] == 0 for row in report["components"])
    assert report["dead_letters"]["count"] == 0

    rebuilt = _run(tmp_path, "projections", "rebuild", "orders")
    assert rebuilt.returncode == 0 and "rebuilt projection.orders" in rebuilt.stdout


def test_bad_arguments_get_a_clear_error_and_no_traceback(tmp_path: Path) -> None:
    missing = _run(tmp_path, "demo", "--no-serve", "--bars", "nope.csv")
    assert missing.returncode == 2 and "no such file: nope.csv" in missing.stdout
    unknown = _run(tmp_path, "projections", "rebuild", "nonsense")
    assert unknown.returncode == 2 and "no projection named 'nonsense'" in unknown.stdout
    assert "Traceback" not in missing.stderr + unknown.stderr
