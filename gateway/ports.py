"""What the gateway needs from the write side. Resolvers parse input, call a port, return data.

The composition root (``quantvista``) binds :class:`OrderCommands` to the execution context's
application, so a GraphQL order takes exactly the path a strategy order takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True)
class Principal:
    """Who is acting. Recorded on every event the request causes (MiFID II decision maker).

    Until Ory authentication lands, the gateway acts for the local operator: ``subject`` comes
    from the ``X-QuantVista-Principal`` request header, defaulting to ``"local-operator"``.
    """

    subject: str
    roles: tuple[str, ...] = ()


class OrderCommands(Protocol):
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
        """Submit an order; returns its id. Raises ``ExecutionError`` subclasses on bad input."""
        ...

    def cancel_order(self, principal: Principal, *, order_id: UUID) -> None:
        """Cancel an open order. Raises ``OrderNotFound`` / ``IllegalOrderTransition``."""
        ...
