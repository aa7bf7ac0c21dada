"""Per-request context: the read-model pool, the write-side port, the acting principal, and
the request's data loaders.

Built by :func:`gateway.app.create_app`'s context getter for every request, so nothing here is
shared between requests except the pool and the port, which live in the app's lifespan state.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from gateway.ports import OrderCommands, Principal
from gateway.types import Fill, Order, OrderEvent

PRINCIPAL_HEADER = "X-QuantVista-Principal"
DEFAULT_PRINCIPAL = "local-operator"
_MAX_SUBJECT_LENGTH = 200


class InvalidPrincipalHeader(ValueError):
    """The principal header is present but unusable (empty, too long, control characters)."""


def principal_from_header(value: str | None) -> Principal:
    """The acting principal: the header's subject, or the local operator when it is absent.

    A present but blank header is refused rather than replaced by the default: a client that
    meant to act as someone must not silently act as the operator.
    """
    if value is None:
        return Principal(subject=DEFAULT_PRINCIPAL)
    subject = value.strip()
    if not subject:
        raise InvalidPrincipalHeader(f"{PRINCIPAL_HEADER} header is empty")
    if len(subject) > _MAX_SUBJECT_LENGTH:
        raise InvalidPrincipalHeader(
            f"{PRINCIPAL_HEADER} header is {len(subject)} characters long; "
            f"at most {_MAX_SUBJECT_LENGTH} are allowed"
        )
    if not subject.isprintable():
        raise InvalidPrincipalHeader(f"{PRINCIPAL_HEADER} header contains control characters")
    return Principal(subject=subject)


@dataclass
class Loaders:
    """Batch loaders: orders by id, and per-order children so that a page of 500 orders costs
    one query per child kind, not one per order."""

    orders: DataLoader[UUID, Order | None]
    order_events: DataLoader[UUID, list[OrderEvent]]
    order_fills: DataLoader[UUID, list[Fill]]


class GatewayContext(BaseContext):
    """What every resolver sees as ``info.context``."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        commands: OrderCommands,
        principal: Principal,
        loaders: Loaders,
    ) -> None:
        super().__init__()
        self.pool = pool
        self.commands = commands
        self.principal = principal
        self.loaders = loaders
