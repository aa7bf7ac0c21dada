"""The kill switch of one scope (RTS 6 Art. 12): engaged, or not. Engaging and releasing are
each an explicit, recorded act of a person with a reason; doing either twice is refused, so
the log never shows a switch "engaged" that was already on."""

from __future__ import annotations

from bounded_contexts.execution.domain.controls.events import KillSwitchEngaged, KillSwitchReleased
from bounded_contexts.execution.domain.controls.scope import ControlScope
from bounded_contexts.execution.domain.errors import ControlStateConflict, InvalidControl
from events.domain import Aggregate, DomainEvent

MAX_REASON = 500


def checked_reason(reason: str) -> str:
    """A control change must say why (it is read by the regulator): 1-500 characters."""
    reason = reason.strip()
    if not reason:
        raise InvalidControl(
            "a reason is required (it is recorded with the change)", field="reason"
        )
    if len(reason) > MAX_REASON:
        raise InvalidControl(
            f"the reason is {len(reason)} characters; at most {MAX_REASON}", field="reason"
        )
    return reason


class KillSwitch(Aggregate):
    def _init_state(self) -> None:
        self.scope = ""
        self.engaged = False
        self.reason = ""

    @classmethod
    def for_scope(cls, scope: ControlScope) -> KillSwitch:
        """A switch never engaged (not stored until it first is)."""
        switch = cls(scope.aggregate_id("kill-switch"))
        switch._init_state()
        switch.scope = str(scope)
        return switch

    def engage(self, reason: str, orders_cancelled: int) -> None:
        reason = checked_reason(reason)
        if self.engaged:
            raise ControlStateConflict(
                f"the kill switch of {self.scope} is already engaged ({self.reason})"
            )
        self._record(KillSwitchEngaged(self.scope, reason, orders_cancelled))

    def release(self, reason: str) -> None:
        reason = checked_reason(reason)
        if not self.engaged:
            raise ControlStateConflict(f"the kill switch of {self.scope} is not engaged")
        self._record(KillSwitchReleased(self.scope, reason))

    def apply(self, event: DomainEvent) -> None:
        match event:
            case KillSwitchEngaged():
                self.scope, self.engaged, self.reason = event.scope, True, event.reason
            case KillSwitchReleased():
                self.scope, self.engaged, self.reason = event.scope, False, event.reason
            case _:
                super().apply(event)
