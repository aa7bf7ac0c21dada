"""A trading halt of one instrument at the simulated venue: halted, or trading. Halting a
halted instrument, or resuming one that trades, is refused: the log records changes."""

from __future__ import annotations

import uuid

from bounded_contexts.execution.domain.controls.events import TradingHalted, TradingResumed
from bounded_contexts.execution.domain.controls.kill_switch import checked_reason
from bounded_contexts.execution.domain.errors import ControlStateConflict
from events.domain import Aggregate, DomainEvent

HALT_NAMESPACE = uuid.UUID("4b5c6d7e-8f90-4a1b-9c2d-3e4f5a6b7c8d")


class InstrumentHalt(Aggregate):
    def _init_state(self) -> None:
        self.instrument_id = ""
        self.halted = False
        self.reason = ""

    @classmethod
    def for_instrument(cls, instrument_id: str) -> InstrumentHalt:
        halt = cls(uuid.uuid5(HALT_NAMESPACE, instrument_id))
        halt._init_state()
        halt.instrument_id = instrument_id
        return halt

    def halt(self, reason: str) -> None:
        reason = checked_reason(reason)
        if self.halted:
            raise ControlStateConflict(f"{self.instrument_id} is already halted ({self.reason})")
        self._record(TradingHalted(self.instrument_id, reason))

    def resume(self, reason: str) -> None:
        reason = checked_reason(reason)
        if not self.halted:
            raise ControlStateConflict(f"{self.instrument_id} is not halted")
        self._record(TradingResumed(self.instrument_id, reason))

    def apply(self, event: DomainEvent) -> None:
        match event:
            case TradingHalted():
                self.instrument_id, self.halted, self.reason = (
                    event.instrument_id,
                    True,
                    event.reason,
                )
            case TradingResumed():
                self.instrument_id, self.halted, self.reason = (
                    event.instrument_id,
                    False,
                    event.reason,
                )
            case _:
                super().apply(event)
