"""The uninterrupted run every fault test compares with: the demo on the shipped sample, once
per test session."""

from __future__ import annotations

import pytest

from tests.faults.harness import Snapshot, database_of, invariant_breaches, run, snapshot


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    data_dir = tmp_path_factory.mktemp("uninterrupted")
    done = run(data_dir, "demo", "--no-serve")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    with database_of(data_dir) as url:
        assert invariant_breaches(url) == []
        return snapshot(url)
