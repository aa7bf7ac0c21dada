"""Who looked at or changed what: the access log searched for auditors.

Read from the support store's ``AccessDecided`` events through the event index, and from the
store itself past the index's position (:func:`~.mifid.log.events_between`), so an answer is
complete even while the projections lag: a decision recorded a moment ago is in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from bounded_contexts.support.application.mifid.log import NO_TIME_LIMIT, events_between

MAX_LIMIT = 10_000


@dataclass(frozen=True)
class AccessQuery:
    """Every field narrows; ``ts_from <= ts_event < ts_to``; newest first, at most ``limit``."""

    subject: str | None = None
    resource: str | None = None
    operation: str | None = None
    denied_only: bool = False
    ts_from: int | None = None
    ts_to: int | None = None
    limit: int = 100

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {self.limit}")
        if self.ts_from is not None and self.ts_to is not None and self.ts_to <= self.ts_from:
            raise ValueError("the end of the window must be after its start")


@dataclass(frozen=True)
class AccessRecord:
    position: int  # in the support store (and its hash chain)
    ts_event: int
    subject: str
    roles: tuple[str, ...]
    operation: str
    resource: str
    outcome: str  # ALLOWED | DENIED
    reason: str
    request_id: str
    recorded_by: str  # gateway:authoriser | cli:administration


def access_decisions(conn: psycopg.Connection, query: AccessQuery) -> list[AccessRecord]:
    found = events_between(
        conn,
        "support",
        ["AccessDecided"],
        NO_TIME_LIMIT[0] if query.ts_from is None else query.ts_from,
        NO_TIME_LIMIT[1] if query.ts_to is None else query.ts_to,
    )
    records = []
    for event in reversed(found):
        p = event.payload
        if (
            (query.subject is not None and p["subject"] != query.subject)
            or (query.resource is not None and p["resource"] != query.resource)
            or (query.operation is not None and p["operation"] != query.operation)
            or (query.denied_only and p["outcome"] != "DENIED")
        ):
            continue
        records.append(
            AccessRecord(
                position=event.position,
                ts_event=event.ts_event,
                subject=p["subject"],
                roles=tuple(p["roles"]),
                operation=p["operation"],
                resource=p["resource"],
                outcome=p["outcome"],
                reason=p["reason"],
                request_id=p["request_id"],
                recorded_by=event.actor,
            )
        )
        if len(records) == query.limit:
            break
    return records
