"""What a control applies to: the whole firm, or one account, strategy (algorithm id), trader,
instrument or venue (RTS 6 Art. 12: "per algorithm, trader, desk, client, instrument or venue").

A scope is written ``firm`` or ``<kind>:<value>`` (``account:DEMO-001``, ``strategy:momo-v1``,
``trader:alice``, ``instrument:AAPL``, ``venue:XNAS``) — the same text in the CLI, in GraphQL
and in the events, so a regulator reads the scope an event names as the operator typed it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from bounded_contexts.execution.domain.errors import InvalidControl

_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,63}$")
SCOPE_NAMESPACE = uuid.UUID("0c2f6d1e-9b7a-4e58-a3c1-6d5e4f3a2b19")


class ScopeKind(StrEnum):
    FIRM = "FIRM"
    ACCOUNT = "ACCOUNT"
    STRATEGY = "STRATEGY"
    TRADER = "TRADER"
    INSTRUMENT = "INSTRUMENT"
    VENUE = "VENUE"


@dataclass(frozen=True, order=True)
class ControlScope:
    """Built unchecked from an order's own fields (hot path); built from what a person typed
    through :meth:`of` or :meth:`parse`, which refuse a malformed scope."""

    kind: ScopeKind
    value: str = ""

    @classmethod
    def of(cls, kind: str, value: str | None = None) -> ControlScope:
        """A scope named by a person: a clear :class:`InvalidControl` if it is malformed."""
        try:
            scope_kind = ScopeKind(kind.strip().upper())
        except ValueError:
            kinds = ", ".join(k.value.lower() for k in ScopeKind)
            raise InvalidControl(
                f"a scope kind is one of {kinds}; got {kind!r}", field="scope"
            ) from None
        value = (value or "").strip()
        if scope_kind is ScopeKind.FIRM:
            if value:
                raise InvalidControl(f"the firm scope takes no value, got {value!r}", field="scope")
        elif not _VALUE.match(value):
            raise InvalidControl(
                f"the {scope_kind.value.lower()} scope needs a value of 1-64 letters, digits or "
                f"._:@/- (starting with a letter or digit), got {value!r}",
                field="scope",
            )
        return cls(scope_kind, value)

    @classmethod
    def parse(cls, text: str) -> ControlScope:
        """``firm`` or ``<kind>:<value>``; a clear :class:`InvalidControl` otherwise."""
        kind, _, value = text.strip().partition(":")
        return cls.of(kind, value)

    def __str__(self) -> str:
        return "firm" if self.kind is ScopeKind.FIRM else f"{self.kind.value.lower()}:{self.value}"

    def aggregate_id(self, control: str) -> uuid.UUID:
        """The id of this scope's ``control`` aggregate (one kill switch, one limit set per
        scope), so that two operators engaging the same scope meet in the store's
        optimistic concurrency rather than recording two switches."""
        return uuid.uuid5(SCOPE_NAMESPACE, f"{control}/{self}")


FIRM = ControlScope(ScopeKind.FIRM)


@dataclass(frozen=True)
class OrderScopes:
    """The scopes one order falls under: its account, the strategy that decided it (a
    strategy order's algorithm id), the trader who placed it (a manual order's person), its
    instrument and its venue."""

    account_id: str
    instrument_id: str
    strategy: str | None = None
    trader: str | None = None
    venue: str | None = None

    def __iter__(self) -> Iterator[ControlScope]:
        yield FIRM
        yield ControlScope(ScopeKind.ACCOUNT, self.account_id)
        if self.strategy:
            yield ControlScope(ScopeKind.STRATEGY, self.strategy)
        if self.trader:
            yield ControlScope(ScopeKind.TRADER, self.trader)
        yield ControlScope(ScopeKind.INSTRUMENT, self.instrument_id)
        if self.venue:
            yield ControlScope(ScopeKind.VENUE, self.venue)
