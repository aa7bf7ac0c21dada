"""Events of the support context's regulatory reporting (stream ``mifid``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from events.domain import Aggregate, DomainEvent

REPORT_CANCELLATION_NAMESPACE = uuid.UUID("c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b")


@dataclass(frozen=True)
class TransactionReportCancelled(DomainEvent):
    """Compliance cancelled the RTS 22 report of one execution (ISO 20022 ``Cxl``): the next
    transaction file, for the day this is recorded, carries the cancellation of
    ``transaction_reference`` with the executing and submitting entities. ``reason`` says why
    (a trade busted by the venue, a report found wrong). The original report stays in the log
    and in the file of its own day: the cancellation is recorded beside it, never instead."""

    CONTEXT = "support"
    STREAM = "mifid"

    transaction_reference: str
    reason: str


class ReportCancellation(Aggregate):
    """One cancellation per transaction reference: the store refuses a second one."""

    def _init_state(self) -> None:
        self.transaction_reference = ""

    @classmethod
    def cancel(cls, transaction_reference: str, reason: str) -> ReportCancellation:
        if not reason.strip():
            raise ValueError("a report cancellation needs a reason")
        cancellation = cls(report_cancellation_id(transaction_reference))
        cancellation._init_state()
        cancellation._record(TransactionReportCancelled(transaction_reference, reason))
        return cancellation

    def apply(self, event: DomainEvent) -> None:
        match event:
            case TransactionReportCancelled():
                self.transaction_reference = event.transaction_reference
            case _:
                super().apply(event)


def report_cancellation_id(transaction_reference: str) -> uuid.UUID:
    return uuid.uuid5(REPORT_CANCELLATION_NAMESPACE, transaction_reference)
