"""What the support context's use cases need from the outside world, as Protocols.

``Authoriser``: relation tuples with Keto's model and check semantics. Two adapters implement
it — :class:`~bounded_contexts.support.adapters.relation_tuples.PostgresRelationTuples` (the
embedded default, a table in the platform's database) and
:class:`~bounded_contexts.support.adapters.keto.KetoAuthoriser` (Ory Keto through
``ory-client``) — plus an in-memory one for tests; callers cannot tell which one runs.

Synchronous on purpose: both real clients are blocking (psycopg's pool; ``ory-client`` is
generated on urllib3 and has no asyncio variant), every call is one short round trip (a few at
most), and the gateway asks from a worker thread through a per-request cache
(:class:`~bounded_contexts.support.application.access.AccessPolicy`), so an async port would add
a second implementation of each adapter and gain nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from bounded_contexts.support.domain.relations import RelationTuple, SubjectSet


class AuthoriserError(RuntimeError):
    """The authoriser could not answer (it refused the request, or answered nonsense). Never a
    permission: callers deny, or answer an error."""


class AuthoriserUnavailable(AuthoriserError):
    """The authoriser cannot be reached (refused, timed out, or failing): the gateway answers
    ``UNAVAILABLE``, never "allowed" and never "denied"."""


class Authoriser(Protocol):
    """Relation tuples and checks over them (Keto's classic model: subject sets expanded, depth
    limited like Keto's ``max-depth``; the adapter's configured depth applies)."""

    def check(self, namespace: str, object: str, relation: str, subject_id: str) -> bool:
        """Does ``subject_id`` have ``relation`` on ``namespace:object``, directly or through
        subject sets?"""
        ...

    def objects(self, namespace: str, relation: str, subject_id: str) -> frozenset[str]:
        """Every object of ``namespace`` on which ``subject_id`` has ``relation`` (subject sets
        expanded): exactly the objects :meth:`check` would allow. Used to filter lists."""
        ...

    def write(self, tuples: Iterable[RelationTuple]) -> None:
        """Add the tuples, atomically; tuples already present stay as they are."""
        ...

    def delete(self, tuples: Iterable[RelationTuple]) -> None:
        """Remove exactly these tuples, atomically; absent ones are ignored."""
        ...

    def tuples(
        self,
        namespace: str | None = None,
        object: str | None = None,
        relation: str | None = None,
        subject_id: str | None = None,
        *,
        subject_set: SubjectSet | None = None,
    ) -> list[RelationTuple]:
        """The stored tuples matching every given field (no expansion), each once, in
        :meth:`RelationTuple.key` order. ``subject_id`` and ``subject_set`` exclude each
        other."""
        ...


__all__ = ["Authoriser", "AuthoriserError", "AuthoriserUnavailable"]
