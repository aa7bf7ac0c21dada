"""Events of the support context's regulatory reporting (stream ``mifid``): report
cancellations and the client records the reports identify clients by."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Literal

from bounded_contexts.support.domain.mifid.formats import (
    check_country,
    check_date,
    check_lei,
    check_name,
    check_person_code,
)
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


CLIENT_NAMESPACE = uuid.UUID("5c1e7a0b-2d3f-4e8a-9b6c-7d8e9f0a1b2c")
CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}")


@dataclass(frozen=True)
class ClientRecorded(DomainEvent):
    """A client's identification as the firm holds it from now on (RTS 22 fields 7-15 for a
    buyer, 16-24 for a seller): a legal person by ``lei``, or a natural person by
    ``national_id`` (in ``scheme``: ``NIDN``, ``CCPT`` or ``CONCAT``) with first names,
    surnames and birth date (``YYYY-MM-DD``). ``discretionary``: the firm decides for the
    client (field 57 is then reported). Each recording is a new version of the client's record;
    a report uses the version in force at the end of its day, so a later change never rewrites
    a file already sent. Accounts name their client by ``client_id`` in the firm file."""

    CONTEXT = "support"
    STREAM = "mifid"

    client_id: str
    kind: Literal["LEGAL", "NATURAL"]
    lei: str | None
    national_id: str | None
    scheme: str | None
    first_names: str | None
    surnames: str | None
    birth_date: str | None
    country_of_branch: str | None
    discretionary: bool
    reason: str


class ClientFile(Aggregate):
    """One client's record, version after version."""

    def _init_state(self) -> None:
        self.current: ClientRecorded | None = None

    @classmethod
    def open(cls, client_id: str) -> ClientFile:
        if not CLIENT_ID.fullmatch(client_id):
            raise ValueError(
                f"a client id is 1-50 of A-Z, a-z, 0-9, '.', '_', '-', got {client_id!r}"
            )
        client = cls(client_aggregate_id(client_id))
        client._init_state()
        return client

    def record(self, recorded: ClientRecorded) -> None:
        """Record a version; refused (``ValueError`` naming the field) when it cannot identify
        the client in a report, and when it changes nothing."""
        problems = client_record_problems(recorded)
        if problems:
            raise ValueError(f"client {recorded.client_id}: " + "; ".join(problems))
        if self.current is not None and _same_record(self.current, recorded):
            raise ValueError(f"client {recorded.client_id} is already recorded so")
        self._record(recorded)

    def apply(self, event: DomainEvent) -> None:
        match event:
            case ClientRecorded():
                self.current = event
            case _:
                super().apply(event)


def client_aggregate_id(client_id: str) -> uuid.UUID:
    return uuid.uuid5(CLIENT_NAMESPACE, client_id)


def client_record_problems(r: ClientRecorded) -> list[str]:
    """What makes a record unusable in an RTS 22 report (the checks a report would make)."""
    problems: list[str] = []

    def check(name: str, problem: str | None) -> None:
        if problem is not None:
            problems.append(f"{name}: {problem}")

    if r.kind == "LEGAL":
        check("lei", check_lei(r.lei))
    elif r.kind == "NATURAL":
        check("national_id", check_person_code(r.national_id, r.scheme))
        check("first_names", check_name(r.first_names))
        check("surnames", check_name(r.surnames))
        check("birth_date", check_date(r.birth_date))
    else:
        problems.append(f"kind: must be LEGAL or NATURAL, got {r.kind!r}")
    if r.country_of_branch is not None:
        check("country_of_branch", check_country(r.country_of_branch))
    if not r.reason.strip():
        problems.append("reason: a client record needs a reason (new client, changed name, …)")
    return problems


def _same_record(a: ClientRecorded, b: ClientRecorded) -> bool:
    return {**a.to_payload(), "reason": ""} == {**b.to_payload(), "reason": ""}
