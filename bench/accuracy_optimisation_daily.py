"""Accuracy, not speed: how far each optimiser's weights are from the exact optimum, daily units.

Run: ``.venv/bin/python bench/accuracy_optimisation_daily.py``

Runs ``tests/decision/unit/test_optimisation_daily_units.py`` in this process with its weight
assertion replaced by a recorder, and prints, per test, the largest ``|w - w_oracle|`` it saw (the
oracles -- closed forms, a KKT-certified QP solve, HiGHS simplex, coordinate descent -- are in
``tests/decision/unit/optimisation_oracles.py``). Nothing is asserted here; the test file asserts.

To measure another checkout's optimisers with the same oracles (e.g. the code before a change),
put that checkout's ``bounded_contexts`` first on the path::

    git archive main bounded_contexts | tar -x -C /tmp/optimisers-main
    PYTHONPATH=/tmp/optimisers-main .venv/bin/python bench/accuracy_optimisation_daily.py

Not named ``bench_*.py``: ``run_all.py`` times things, and this measures none.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_FILE = REPO_ROOT / "tests/decision/unit/test_optimisation_daily_units.py"
# Appended, not prepended: a PYTHONPATH checkout's ``bounded_contexts`` must win.
sys.path.append(str(REPO_ROOT))


class WeightErrorRecorder:
    """pytest plugin: swap each test module's ``assert_weights`` for one that only records."""

    def __init__(self) -> None:
        self.errors: dict[str, float] = {}
        self.allowed: dict[str, float] = {}
        self.outcomes: dict[str, str] = {}

    def pytest_runtest_call(self, item: pytest.Item) -> None:
        module: Any = getattr(item, "module", None)
        if module is None or not hasattr(module, "assert_weights"):
            return

        def record(actual: np.ndarray, expected: np.ndarray, tolerance: float) -> None:
            error = float(np.max(np.abs(np.asarray(actual) - np.asarray(expected))))
            self.errors[item.nodeid] = max(self.errors.get(item.nodeid, 0.0), error)
            self.allowed[item.nodeid] = min(self.allowed.get(item.nodeid, np.inf), tolerance)

        module.assert_weights = record

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or report.outcome != "passed":
            self.outcomes.setdefault(report.nodeid, report.outcome)


def main() -> int:
    import bounded_contexts.decision.domain.optimisation as optimisation

    recorder = WeightErrorRecorder()
    pytest.main(
        [str(TEST_FILE), "-q", "-p", "no:cacheprovider", "--rootdir", str(REPO_ROOT), "--tb=no"],
        plugins=[recorder],
    )
    print(f"\noptimisers from {Path(optimisation.__file__).parent}")
    # "weights": the recorded error against the test's own tolerance; "other checks": the test's
    # remaining assertions (objective values, VaR, ...), which still ran.
    print(f"{'test':<88} {'max |w - w*|':>12} {'allowed':>8}  weights  other checks")
    for nodeid, outcome in recorder.outcomes.items():
        name = nodeid.split("::", 1)[-1]
        error = recorder.errors.get(nodeid)
        if error is None:
            print(f"{name:<88} {'-':>12} {'-':>8}  {'-':<7}  {outcome}")
            continue
        allowed = recorder.allowed[nodeid]
        verdict = "ok" if error <= allowed else "OVER"
        print(f"{name:<88} {error:>12.2e} {allowed:>8.0e}  {verdict:<7}  {outcome}")
    if recorder.errors:
        print(f"largest over all tests: {max(recorder.errors.values()):.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
