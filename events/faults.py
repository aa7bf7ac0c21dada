"""Fault injection for crash-recovery tests: kill this process at the Nth pass of a named
point, exactly where a real crash would hurt most.

A plan is text, ``POINT[:COMPONENT]@N`` separated by commas, e.g.
``after_commit:execution.orders@25`` (the 25th commit of that consumer, before its messages
are acknowledged) or ``mid_feed@3`` (after the third chunk the demo feeds). The points:

- ``startup`` — tables created, no component started yet;
- ``mid_feed`` — the demo's feed appended a chunk of bars;
- ``mid_batch`` — a consumer's handler has run and its effects are written, inside the open
  transaction that would record them with the tracking position (the kill rolls it back);
- ``after_commit`` — a consumer committed effects and position, messages not acknowledged;
- ``before_ack`` — a consumer applied a delivered batch and is about to acknowledge it;
- ``after_publish`` — a relay's batch is flushed to the broker, its position not yet saved.

It is configured only by ``QUANTVISTA_FAULT_PLAN`` (tests set it for a child process); with no
plan every hook is a no-op. The kill is ``SIGKILL``: no handler, no flush, no clean-up.
"""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import dataclass

POINTS = ("startup", "mid_feed", "mid_batch", "after_commit", "before_ack", "after_publish")


class FaultPlanError(ValueError):
    """The plan text cannot be read; the message says which part."""


@dataclass(frozen=True)
class _Kill:
    point: str
    component: str | None
    count: int


class FaultPlan:
    def __init__(self, text: str | None = None) -> None:
        self._kills = [_parse(part) for part in (text or "").split(",") if part.strip()]
        self._seen: dict[tuple[str, str | None], int] = {}
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self._kills)

    def hook(self, component: str) -> FaultHook:
        """The callback a component calls at each point (``hook(point)``)."""
        return FaultHook(self, component)

    def passed(self, point: str, component: str | None = None) -> None:
        """Count a pass of ``point`` (by ``component``); SIGKILL this process if planned."""
        if not self._kills:
            return
        with self._lock:
            for kill in self._kills:
                if kill.point != point or kill.component not in (None, component):
                    continue
                key = (point, kill.component)
                self._seen[key] = self._seen.get(key, 0) + 1
                if self._seen[key] == kill.count:
                    os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True)
class FaultHook:
    plan: FaultPlan
    component: str

    def __call__(self, point: str) -> None:
        self.plan.passed(point, self.component)


def _parse(part: str) -> _Kill:
    where, at, count = part.strip().partition("@")
    point, _, component = where.partition(":")
    if not at or not count.isdigit() or int(count) < 1:
        raise FaultPlanError(f"fault plan {part!r}: expected POINT[:COMPONENT]@N with N >= 1")
    if point not in POINTS:
        raise FaultPlanError(f"fault plan {part!r}: unknown point; points: {', '.join(POINTS)}")
    return _Kill(point, component or None, int(count))
