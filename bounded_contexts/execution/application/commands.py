"""The GraphQL (manual) path into execution: the same ``ExecutionService.submit`` the
strategy uses, appended directly to the execution store under the service's lock."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

from bounded_contexts.execution.application.service import ExecutionService, SubmitOrder
from events.effects import EventsToAppend
from events.envelope import Cause
from events.store import ConcurrencyConflict, StoreUnavailable
from gateway.ports import Principal


class ExecutionCommands:
    """Implements ``gateway.ports.OrderCommands``."""

    def __init__(
        self,
        service: ExecutionService,
        *,
        clock_ns: Callable[[], int] = time.time_ns,
        new_id: Callable[[], UUID] = uuid.uuid4,
        prepare: Callable[[], None] = lambda: None,
        invalidate: Callable[[], None] | None = None,
    ) -> None:
        """``prepare`` loads the service's state before a command when nothing has loaded it
        yet, and ``invalidate`` marks it stale after a command that may have touched it but
        recorded nothing (the composition root binds them to the execution policy's
        ``ensure_ready`` and ``reset``; without a policy, the next command reloads the
        service's own state)."""
        self.service, self.clock_ns, self.new_id = service, clock_ns, new_id
        self.prepare = prepare
        self._stale = False
        self.invalidate = invalidate or self._mark_stale

    def _mark_stale(self) -> None:
        self._stale = True

    def place_order(
        self,
        principal: Principal,
        *,
        account_id: str,
        instrument_id: str,
        side: str,
        quantity: Decimal,
        order_type: str,
        limit_price: Decimal | None,
    ) -> UUID:
        order_id = self.new_id()
        command = SubmitOrder(
            order_id=order_id,
            account_id=account_id,
            instrument_id=instrument_id,
            side=side,
            order_type=order_type,
            quantity=quantity,
            limit_price=limit_price,
            origin="MANUAL",
        )
        self._run(
            principal,
            f"manual-order/{order_id}",
            lambda uow, c: self.service.submit(command, uow, c),
        )
        return order_id

    def cancel_order(self, principal: Principal, *, order_id: UUID) -> None:
        self._run(
            principal,
            f"manual-cancel/{order_id}/{self.clock_ns()}",
            lambda uow, c: self.service.cancel(
                order_id, f"cancelled by {principal.subject}", uow, c
            ),
        )

    def _run(
        self, principal: Principal, key: str, work: Callable[[EventsToAppend, Cause], object]
    ) -> None:
        for attempt in range(3):
            with self.service.lock:
                if self._stale:
                    self.service.reload_own_state()
                    self._stale = False
                self.prepare()
                cause = Cause.origin(
                    ts_event=self.clock_ns(), actor=f"person:{principal.subject}", key=key
                )
                uow = EventsToAppend()
                try:
                    work(uow, cause)
                    self.service.store.append(uow.items)
                    return
                except ConcurrencyConflict:
                    self.service.reload_own_state()
                    if attempt == 2:
                        raise
                except StoreUnavailable:
                    # Nothing was recorded, and reloading would wait on the same dead database:
                    # forget the in-memory view; the next command (or event) reloads it.
                    self.invalidate()
                    raise
                except Exception:
                    # A refused command may have touched in-memory aggregates: reload them.
                    self.service.reload_own_state()
                    raise
