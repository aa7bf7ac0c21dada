"""Errors the gateway reports to GraphQL clients, each carrying its ``extensions.code``.

One style everywhere: a refused request is a GraphQL error whose ``extensions.code`` says what
kind of refusal it is, and whose message says what was wrong. graphql-core copies an exception's
``extensions`` dict onto the GraphQL error it wraps, so raising one of these from a resolver or
a scalar parser is all it takes. The codes (documented in ``docs/graphql.md``):

``BAD_USER_INPUT``   an argument is malformed or out of range (``extensions.field`` names it)
``NOT_FOUND``        the thing the request acts on does not exist
``ILLEGAL_STATE``    the thing exists but its state forbids the action (cancel a filled order)
``REJECTED``         the execution context refused the command for another reason
``UNAVAILABLE``      a database the request needs cannot be reached (the write side's event
                     store for a mutation, the read models for a query); nothing was recorded,
                     the request may be retried once it is back
``CONSISTENCY_TIMEOUT`` a query's ``minPosition`` was not reached by the read model in time
``READ_ONLY``        a mutation sent to a gateway serving a point-in-time replay
``QUERY_TOO_DEEP`` / ``QUERY_TOO_COMPLEX`` / ``TOO_MANY_ALIASES`` / ``BATCH_TOO_LARGE`` /
``REQUEST_TOO_LARGE`` / ``TIMEOUT`` / ``OVERLOADED`` / ``PERSISTED_QUERY_NOT_FOUND`` /
``PERSISTED_QUERY_NOT_ALLOWED`` / ``BAD_REQUEST`` / ``METHOD_NOT_ALLOWED``
                     the request broke a limit or the GraphQL-over-HTTP protocol (see
                     :mod:`gateway.limits` and :mod:`gateway.http`)
``GRAPHQL_PARSE_FAILED`` / ``GRAPHQL_VALIDATION_FAILED`` / ``INTERNAL_SERVER_ERROR``
                     assigned by :mod:`gateway.error_codes` to errors that are not ours
"""

from __future__ import annotations

from typing import Any

BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
ILLEGAL_STATE = "ILLEGAL_STATE"
REJECTED = "REJECTED"
UNAVAILABLE = "UNAVAILABLE"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
CONSISTENCY_TIMEOUT = "CONSISTENCY_TIMEOUT"
READ_ONLY = "READ_ONLY"


class GatewayError(ValueError):
    """A request the gateway refuses; nothing was read or changed on its behalf."""

    code: str = BAD_USER_INPUT

    def __init__(
        self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.details = details or {}

    @property
    def extensions(self) -> dict[str, Any]:
        """What graphql-core copies into the error's ``extensions`` (see the module doc)."""
        extensions: dict[str, Any] = {"code": self.code}
        if self.field is not None:
            extensions["field"] = self.field
        extensions.update(self.details)
        return extensions


class BadUserInput(GatewayError):
    """An argument is malformed or out of range; ``field`` names it (e.g. ``input.quantity``)."""

    code = BAD_USER_INPUT


class NotFound(GatewayError):
    """The order (or other entity) the request acts on does not exist."""

    code = NOT_FOUND


class IllegalState(GatewayError):
    """The entity exists but its current state forbids the requested action."""

    code = ILLEGAL_STATE


class Rejected(GatewayError):
    """The write side refused the command for a reason other than its input (e.g. risk)."""

    code = REJECTED


class Unavailable(GatewayError):
    """A database the request needs is unreachable; nothing was recorded, retrying may work.

    Reported at once rather than after a client-side timeout, so a front end can say "the
    platform is down" instead of showing an internal error (issue 6, item 5).
    """

    code = UNAVAILABLE


class ConsistencyTimeout(GatewayError):
    """The read model did not reach the ``minPosition`` a query asked for in time."""

    code = CONSISTENCY_TIMEOUT


class ReadOnly(GatewayError):
    """This gateway serves a past state of the read models and takes no commands."""

    code = READ_ONLY
