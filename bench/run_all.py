"""Run every ``bench/bench_*.py`` in turn, each in its own process, and summarise.

Benches run one after another (never in parallel: they measure the machine), from the
repository root with this interpreter. Each one's output is streamed as it comes. A bench that
fails or runs past its timeout is reported and the rest still run; a bench past its timeout is
first interrupted (SIGINT, so that it stops the servers it started) and killed if it has not
ended ``GRACE_S`` later. The final table gives each bench's exit code and wall time; the exit
status is 0 only if every bench exited 0.

Run: ``.venv/bin/python bench/run_all.py [--timeout SECONDS] [NAME ...]`` (``make bench``);
``NAME`` selects the benches whose file name contains it (``run_all.py pipeline demo``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DEFAULT_TIMEOUT_S = 300.0
LONGER_TIMEOUTS_S = {"bench_gateway.py": 1200.0, "bench_models_norse.py": 600.0}
"""Benches that need longer than the default, as measured (the gateway's: 8 to 16 minutes;
the Norse models': 4 to 5 minutes on the shared 2-core machine)."""
GRACE_S = 20.0
TIMED_OUT = -1


@dataclass(frozen=True)
class Outcome:
    name: str
    returncode: int  # TIMED_OUT when it ran past its timeout
    seconds: float

    @property
    def verdict(self) -> str:
        if self.returncode == TIMED_OUT:
            return "timed out"
        return "ok" if self.returncode == 0 else f"failed (exit {self.returncode})"


def discover(selected: list[str]) -> list[Path]:
    benches = sorted(BENCH_DIR.glob("bench_*.py"))
    if selected:
        benches = [b for b in benches if any(s in b.name for s in selected)]
    return benches


def run_one(path: Path, timeout_s: float) -> Outcome:
    """Run one bench, streaming its output; interrupt it, then kill it, past ``timeout_s``."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, str(path)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: a timeout stops it and its children
    )
    timed_out = threading.Event()

    def stop_it() -> None:
        timed_out.set()
        _signal_group(process, signal.SIGINT)
        try:
            process.wait(GRACE_S)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)

    watchdog = threading.Timer(timeout_s, stop_it)
    watchdog.start()
    try:
        if process.stdout is None:
            raise RuntimeError("the bench's output was not piped")
        for line in process.stdout:
            print(f"  | {line}", end="", flush=True)
        process.wait()
    finally:
        watchdog.cancel()
    seconds = time.monotonic() - started
    code = TIMED_OUT if timed_out.is_set() else process.returncode
    return Outcome(path.stem, code, seconds)


def _signal_group(process: subprocess.Popen[str], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended on its own meanwhile
        os.killpg(process.pid, sig)  # the group this script created for the bench


def print_table(outcomes: list[Outcome]) -> None:
    width = max(len(o.name) for o in outcomes)
    print("\nbenchmark".ljust(width + 3) + "exit   seconds  verdict")
    for o in outcomes:
        code = "-" if o.returncode == TIMED_OUT else str(o.returncode)
        print(f"{o.name.ljust(width + 2)}{code:>4} {o.seconds:>9.1f}  {o.verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description="run every bench/bench_*.py in sequence")
    parser.add_argument("names", nargs="*", help="run only benches whose file name contains one")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        help=f"seconds allowed per bench (default {DEFAULT_TIMEOUT_S:.0f})",
    )
    args = parser.parse_args()
    benches = discover(args.names)
    if not benches:
        sys.exit(f"no bench matches {args.names} in {BENCH_DIR}")
    outcomes = []
    for k, path in enumerate(benches, start=1):
        print(f"\n[{k}/{len(benches)}] {path.name}", flush=True)
        outcome = run_one(path, max(args.timeout, LONGER_TIMEOUTS_S.get(path.name, 0.0)))
        print(f"[{k}/{len(benches)}] {path.name}: {outcome.verdict} in {outcome.seconds:.1f} s")
        outcomes.append(outcome)
    print_table(outcomes)
    sys.exit(0 if all(o.returncode == 0 for o in outcomes) else 1)


if __name__ == "__main__":
    main()
