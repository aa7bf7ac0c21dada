"""The controls in force, as the pre-trade check needs them: which kill switches are engaged,
the limits of each scope, and the messages each scope sent in the last second.

Held in memory beside the orders (``ExecutionService``), rebuilt from the same store; looked
up by the scopes of one order, so a check costs a handful of dictionary reads however many
scopes have controls.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from bounded_contexts.execution.domain.controls.events import Limits
from bounded_contexts.execution.domain.controls.kill_switch import KillSwitch
from bounded_contexts.execution.domain.controls.risk_limits import RiskLimits
from bounded_contexts.execution.domain.controls.scope import FIRM, ControlScope
from bounded_contexts.execution.domain.pretrade import PreTradeLimits, ScopedLimits

SECOND_NS = 1_000_000_000
MINUTE_NS = 60 * SECOND_NS


class ControlBook:
    def __init__(self, configured: PreTradeLimits) -> None:
        self.configured = configured
        self.switches: dict[ControlScope, KillSwitch] = {}
        self.limits: dict[ControlScope, RiskLimits] = {}
        self._sent: dict[ControlScope, deque[int]] = {}
        self._executed: dict[ControlScope, deque[int]] = {}

    # -- state, from the store --------------------------------------------------------
    def learn_switch(self, switch: KillSwitch) -> None:
        self.switches[ControlScope.parse(switch.scope)] = switch

    def learn_limits(self, limits: RiskLimits) -> None:
        self.limits[ControlScope.parse(limits.scope)] = limits

    def switch(self, scope: ControlScope) -> KillSwitch:
        """The scope's switch, known or new (a new one is stored when first engaged)."""
        return self.switches.get(scope) or KillSwitch.for_scope(scope)

    def limits_of(self, scope: ControlScope) -> RiskLimits:
        return self.limits.get(scope) or RiskLimits.for_scope(scope)

    # -- what an order meets ----------------------------------------------------------
    def engaged_over(self, scopes: Iterable[ControlScope]) -> KillSwitch | None:
        """The first engaged switch covering one of ``scopes`` (the firm's first)."""
        for scope in scopes:
            switch = self.switches.get(scope)
            if switch is not None and switch.engaged:
                return switch
        return None

    def effective(self, scope: ControlScope) -> Limits | None:
        """The scope's limits in force: as set, or for the firm never set, as configured."""
        recorded = self.limits.get(scope)
        if recorded is not None:
            return recorded.limits
        return self.configured.firm_limits() if scope == FIRM else None

    def scoped_limits(self, scopes: Iterable[ControlScope]) -> list[ScopedLimits]:
        found = []
        for scope in scopes:
            limits = self.effective(scope)
            if limits is not None:
                found.append((scope, limits))
        return found

    # -- messages (RTS 6 Art. 15: counted the moment they are sent) ----------------------
    def messages_sent(self, scope: ControlScope, now_ns: int) -> int:
        sent = self._sent.get(scope)
        if not sent:
            return 0
        while sent and sent[0] <= now_ns - SECOND_NS:
            sent.popleft()
        return len(sent)

    def count_message(self, scopes: Iterable[ControlScope], now_ns: int) -> None:
        """One message sent for each of ``scopes`` (only scopes with a rate limit are
        counted: the others would only grow)."""
        for scope in scopes:
            limits = self.effective(scope)
            if limits is not None and limits.max_messages_per_second is not None:
                _count(self._sent.setdefault(scope, deque()), now_ns, SECOND_NS)

    # -- executions (RTS 6 Art. 15: the repeated-execution throttle) ----------------------
    def throttled(
        self, scopes: Iterable[ControlScope], executed_ns: int
    ) -> list[tuple[ControlScope, int, int]]:
        """Count one execution for each of ``scopes`` with a throttle; return those it takes
        beyond their limit, as (scope, executions in the last minute, limit), whose switch is
        not engaged yet."""
        over = []
        for scope in scopes:
            limits = self.effective(scope)
            if limits is None or limits.max_executions_per_minute is None:
                continue
            executed = self._executed.setdefault(scope, deque())
            count = _count(executed, executed_ns, MINUTE_NS)
            switch = self.switches.get(scope)
            if count > limits.max_executions_per_minute and not (switch and switch.engaged):
                over.append((scope, count, limits.max_executions_per_minute))
        return over


def _count(times: deque[int], now_ns: int, window_ns: int) -> int:
    """Add ``now_ns`` to a sliding window of times, dropping those older than the window."""
    while times and times[0] <= now_ns - window_ns:
        times.popleft()
    times.append(now_ns)
    return len(times)
