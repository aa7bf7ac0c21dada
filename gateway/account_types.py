"""GraphQL types of account administration: opening and configuring trading accounts."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from gateway.scalars import StorePosition


@strawberry.input(
    description="An account to open: its id, base currency (ISO 4217) and starting cash, its "
    "owner (a subject) and what it may trade (absent: any instrument, any strategy)."
)
class OpenAccountInput:
    account_id: str
    currency: str
    initial_cash: Decimal
    reason: str
    owner: str | None = None
    allowed_instruments: list[str] | None = None
    allowed_strategies: list[str] | None = None


@strawberry.input(
    description="An account's new owner and what it may trade; each replaces what was set "
    "(absent lists: any)."
)
class ConfigureAccountInput:
    account_id: str
    reason: str
    owner: str | None = None
    allowed_instruments: list[str] | None = None
    allowed_strategies: list[str] | None = None


@strawberry.type(description="What an account command recorded.")
class AccountPayload:
    account_id: str
    position: StorePosition = strawberry.field(
        description="Execution position of the last event written: pass it as `minPosition`."
    )
