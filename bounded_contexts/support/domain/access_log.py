"""The access log: every authorisation decision the gateway makes about a command, or about an
auditor's or regulator's read, recorded as a fact in the support context's store, so that an
auditor can ask who looked at or changed what, when, and whether it was allowed.

Each decision is its own aggregate (one event, version 1): decisions are outside input, like a
manual order, and never change afterwards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from events.domain import Aggregate, DomainEvent

Outcome = Literal["ALLOWED", "DENIED"]


@dataclass(frozen=True)
class AccessDecided(DomainEvent):
    """An authorisation decision: ``subject`` (the verified principal, with the roles it held)
    asked to perform ``operation`` (a mutation, or a read reserved to auditors and regulators)
    on ``resource`` (``account:DEMO-001``, ``order:<uuid>``, ``platform``); ``outcome`` and the
    ``reason`` (the relation that granted it, or what was missing). ``request_id`` ties it to
    the gateway's log."""

    CONTEXT = "support"
    STREAM = "access"

    subject: str
    roles: tuple[str, ...]
    operation: str
    resource: str
    outcome: Outcome
    reason: str
    request_id: str


class AccessDecision(Aggregate):
    def _init_state(self) -> None:
        self.outcome: str | None = None

    @classmethod
    def record(
        cls,
        *,
        subject: str,
        roles: tuple[str, ...],
        operation: str,
        resource: str,
        allowed: bool,
        reason: str,
        request_id: str,
    ) -> AccessDecision:
        decision = cls(uuid.uuid4())
        decision._init_state()
        decision._record(
            AccessDecided(
                subject,
                tuple(sorted(roles)),
                operation,
                resource,
                "ALLOWED" if allowed else "DENIED",
                reason,
                request_id,
            )
        )
        return decision

    def apply(self, event: DomainEvent) -> None:
        match event:
            case AccessDecided():
                self.outcome = event.outcome
            case _:
                super().apply(event)
