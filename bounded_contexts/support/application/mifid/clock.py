"""The RTS 25 clock report: where each regulated timestamp is taken, the host clock's
synchronisation as far as the machine tells, and whether that meets RTS 25."""

from __future__ import annotations

from collections.abc import Callable

from bounded_contexts.support.adapters.mifid.host_clock import read_host_clock
from bounded_contexts.support.domain.mifid.clock import ClockReport, ClockSync, clock_report


def rts25_clock_report(read: Callable[[], ClockSync] = read_host_clock) -> ClockReport:
    return clock_report(read())
