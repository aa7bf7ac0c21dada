"""Checks on resolver arguments that GraphQL's type system cannot express.

Each raises :class:`~gateway.errors.BadUserInput` naming the argument (``extensions.field``)
and the value it got.
"""

from __future__ import annotations

from uuid import UUID

from gateway.errors import BadUserInput

MAX_PAGE_SIZE = 500
"""Largest page any list query returns (``orders.first``, ``predictions.last``)."""


def page_size(value: int, *, field: str) -> int:
    """A page size in ``1..MAX_PAGE_SIZE``: bounded so one request cannot read a whole table."""
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise BadUserInput(
            f"{field} must be between 1 and {MAX_PAGE_SIZE}, got {value}", field=field
        )
    return value


def identifier(value: str, *, field: str) -> str:
    """A non-blank identifier (account, instrument), taken as given otherwise."""
    if not value.strip():
        raise BadUserInput(f"{field} must not be blank", field=field)
    return value


def optional_identifier(value: str | None, *, field: str) -> str | None:
    """An optional filter: absent (``None``) means no filter; present must not be blank."""
    return None if value is None else identifier(value, field=field)


def uuid(value: str, *, field: str) -> UUID:
    """An order id: the canonical or any hyphenated/braced form :class:`uuid.UUID` reads."""
    try:
        return UUID(value)
    except ValueError:
        raise BadUserInput(f"{field} must be a UUID, got {value!r}", field=field) from None
