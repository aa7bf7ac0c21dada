"""Recording a report cancellation (ISO 20022 ``Cxl``) in the support context's store."""

from __future__ import annotations

from bounded_contexts.support.domain.mifid.events import ReportCancellation
from bounded_contexts.support.domain.mifid.formats import TRANSACTION_REFERENCE_PATTERN
from events.effects import EventsToAppend
from events.envelope import Cause
from events.store import ConcurrencyConflict, EventStore


class ReportAlreadyCancelled(ValueError):
    pass


def cancel_transaction_report(
    store: EventStore, transaction_reference: str, reason: str, *, actor: str, ts_event: int
) -> int:
    """Record the cancellation; returns its support position. ``ts_event`` is when it was
    decided (the entrypoint's clock): the cancellation goes into that day's file."""
    if not TRANSACTION_REFERENCE_PATTERN.match(transaction_reference):
        raise ValueError(f"{transaction_reference!r} is not a transaction reference number")
    cancellation = ReportCancellation.cancel(transaction_reference, reason)
    uow = EventsToAppend()
    uow.save(
        cancellation,
        Cause.origin(ts_event=ts_event, actor=actor, key=f"report-cancel/{transaction_reference}"),
    )
    try:
        (position,) = store.append(uow.items)
    except ConcurrencyConflict:
        raise ReportAlreadyCancelled(
            f"the report {transaction_reference} is already cancelled"
        ) from None
    return position
