"""Checks on resolver arguments that GraphQL's type system cannot express.

Each raises :class:`~gateway.errors.BadUserInput` naming the argument (``extensions.field``)
and the value it got.
"""

from __future__ import annotations

import unicodedata
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


MAX_IDENTIFIER_LENGTH = 128
"""Longest account or instrument id accepted: far above any real one (ISIN 12, MIC-suffixed
tickers ~20), low enough that an id cannot carry a payload into queries, logs or the store."""
MAX_UUID_TEXT = 64
"""Longest text read as a UUID (the braced URN form is 45 characters)."""


def identifier(value: str, *, field: str) -> str:
    """A non-blank identifier (account, instrument) of bounded length, with no control or
    format characters (NUL, escape sequences, bidi overrides: PostgreSQL refuses NUL in text
    and the others make a log or a report lie about what it shows); taken as given otherwise."""
    if not value.strip():
        raise BadUserInput(f"{field} must not be blank", field=field)
    if len(value) > MAX_IDENTIFIER_LENGTH:
        raise BadUserInput(
            f"{field} must be at most {MAX_IDENTIFIER_LENGTH} characters, got {len(value)}",
            field=field,
        )
    for position, character in enumerate(value):
        if unicodedata.category(character) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise BadUserInput(
                f"{field} must not contain control or format characters, got U+"
                f"{ord(character):04X} at position {position}",
                field=field,
            )
    return value


def optional_identifier(value: str | None, *, field: str) -> str | None:
    """An optional filter: absent (``None``) means no filter; present must not be blank."""
    return None if value is None else identifier(value, field=field)


def uuid(value: str, *, field: str) -> UUID:
    """An order id: the canonical or any hyphenated/braced form :class:`uuid.UUID` reads."""
    if len(value) <= MAX_UUID_TEXT:
        try:
            return UUID(value)
        except ValueError:
            pass
    shown = repr(value) if len(value) <= MAX_UUID_TEXT else f"{len(value)} characters"
    raise BadUserInput(f"{field} must be a UUID, got {shown}", field=field)
