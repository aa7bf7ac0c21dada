"""Position reconciliation: our ledger against a broker's or venue's statement. Each
statement reconciled is an aggregate of its own (account, source and time), so the same
statement recorded twice meets the store's optimistic concurrency instead of two records."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bounded_contexts.execution.domain.errors import InvalidAccount
from bounded_contexts.execution.domain.events import PositionBreak, PositionsReconciled
from events.domain import Aggregate, DomainEvent

RECONCILIATION_NAMESPACE = uuid.UUID("9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Statement:
    """What the other side says the account holds at ``as_of`` (UTC ns)."""

    source: str
    as_of: int
    positions: Mapping[str, Decimal]
    cash: Decimal | None = None


def position_breaks(
    ours: Mapping[str, Decimal], theirs: Mapping[str, Decimal]
) -> list[PositionBreak]:
    """Every instrument held differently, by id (a flat position and an absent one agree)."""
    return [
        PositionBreak(instrument, ours.get(instrument, ZERO), theirs.get(instrument, ZERO),
                      theirs.get(instrument, ZERO) - ours.get(instrument, ZERO))
        for instrument in sorted(set(ours) | set(theirs))
        if ours.get(instrument, ZERO) != theirs.get(instrument, ZERO)
    ]  # fmt: skip


class Reconciliation(Aggregate):
    def _init_state(self) -> None:
        self.recorded: PositionsReconciled | None = None

    @classmethod
    def of(
        cls,
        account_id: str,
        statement: Statement,
        *,
        ours: Mapping[str, Decimal],
        cash_ours: Decimal,
    ) -> Reconciliation:
        if not statement.source.strip():
            raise InvalidAccount("a statement needs a source (its name)", field="source")
        key = f"{account_id}/{statement.source}/{statement.as_of}"
        reconciliation = cls(uuid.uuid5(RECONCILIATION_NAMESPACE, key))
        reconciliation._init_state()
        compared = {i for i, q in ours.items() if q} | {
            i for i, q in statement.positions.items() if q
        }
        reconciliation._record(
            PositionsReconciled(
                account_id,
                statement.source,
                statement.as_of,
                len(compared),
                tuple(position_breaks(ours, statement.positions)),
                cash_ours,
                statement.cash,
            )
        )
        return reconciliation

    def apply(self, event: DomainEvent) -> None:
        match event:
            case PositionsReconciled():
                self.recorded = event
            case _:
                super().apply(event)
