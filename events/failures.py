"""Which failures are the infrastructure's and which are one event's.

A consumer must tell them apart: an event whose effect the database refuses (a value out of
range, a character a column cannot hold, a violated constraint) or whose handler raises is
dead-lettered and stepped over, but an unreachable database or broker, a timeout or a missing
table is nobody's event — skipping events then would silently lose every one of them, so the
consumer raises and its supervisor retries with backoff.
"""

from __future__ import annotations

import eventsourcing.persistence as es
import psycopg

from events.store import ConcurrencyConflict, StoreUnavailable

_INFRASTRUCTURE: tuple[type[BaseException], ...] = (
    # the database is unreachable, restarting, or timed out
    psycopg.OperationalError,
    psycopg.InterfaceError,
    es.OperationalError,
    es.InterfaceError,
    StoreUnavailable,
    # the schema is not what the code expects (a dropped table, a missing column): every
    # event would fail the same way, so none is to blame
    psycopg.ProgrammingError,
    psycopg.InternalError,
    es.ProgrammingError,
    es.InternalError,
    # another writer won: retried, never skipped
    ConcurrencyConflict,
    # sockets and timeouts (broker clients, HTTP)
    ConnectionError,
    TimeoutError,
)


def is_infrastructure_failure(exc: BaseException) -> bool:
    """True when ``exc`` is not the fault of the event being handled."""
    if isinstance(exc, _INFRASTRUCTURE):
        return True
    return type(exc).__module__.startswith(("pulsar", "_pulsar"))
