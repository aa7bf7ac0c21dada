"""A set of relation tuples in memory, indexed for checks in both directions.

The reference :class:`~.relations.TupleSource` and :class:`~.relations.ReverseTupleSource`:
unit tests, the in-memory authoriser and the fake Keto server check over it, and the PostgreSQL
store is proven to answer as it does.
Pure data structure; not thread-safe on its own (its users hold a lock).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from bounded_contexts.support.domain.relations import RelationTuple, Subject, SubjectSet


class TupleSet:
    """Set semantics: adding a tuple twice keeps one copy; removing an absent one is a no-op."""

    def __init__(self, tuples: Iterable[RelationTuple] = ()) -> None:
        self._tuples: dict[RelationTuple, None] = {}  # insertion-ordered set
        self._subjects: dict[SubjectSet, set[Subject]] = {}  # set -> its direct subjects
        self._containing: dict[Subject, set[SubjectSet]] = {}  # subject -> sets it is in
        self.add(tuples)

    # ---------------------------------------------------------------------- changing
    def add(self, tuples: Iterable[RelationTuple]) -> list[RelationTuple]:
        """Adds the tuples; returns those that were not there yet."""
        added = []
        for t in tuples:
            if t in self._tuples:
                continue
            self._tuples[t] = None
            self._subjects.setdefault(t.relation_set, set()).add(t.subject)
            self._containing.setdefault(t.subject, set()).add(t.relation_set)
            added.append(t)
        return added

    def remove(self, tuples: Iterable[RelationTuple]) -> list[RelationTuple]:
        """Removes the tuples; returns those that were there."""
        removed = []
        for t in tuples:
            if t not in self._tuples:
                continue
            del self._tuples[t]
            _discard(self._subjects, t.relation_set, t.subject)
            _discard(self._containing, t.subject, t.relation_set)
            removed.append(t)
        return removed

    # ---------------------------------------------------------------------- reading
    def __contains__(self, t: object) -> bool:
        return t in self._tuples

    def __iter__(self) -> Iterator[RelationTuple]:
        return iter(self._tuples)

    def __len__(self) -> int:
        return len(self._tuples)

    def query(
        self,
        namespace: str | None = None,
        object: str | None = None,
        relation: str | None = None,
        subject: Subject | None = None,
    ) -> list[RelationTuple]:
        """The tuples matching every given field, in :meth:`RelationTuple.key` order."""
        found = [
            t
            for t in self._tuples
            if (namespace is None or t.namespace == namespace)
            and (object is None or t.object == object)
            and (relation is None or t.relation == relation)
            and (subject is None or t.subject == subject)
        ]
        return sorted(found, key=RelationTuple.key)

    # ---------------------------------------------- TupleSource, ReverseTupleSource
    def any_has(self, sets: Sequence[SubjectSet], subject: Subject) -> bool:
        return any(subject in self._subjects.get(s, ()) for s in sets)

    def subject_sets_of(self, sets: Sequence[SubjectSet]) -> Iterable[SubjectSet]:
        for s in sets:
            for subject in self._subjects.get(s, ()):
                if isinstance(subject, SubjectSet):
                    yield subject

    def sets_containing(self, subjects: Sequence[Subject]) -> Iterable[SubjectSet]:
        for subject in subjects:
            yield from self._containing.get(subject, ())


K = TypeVar("K")
V = TypeVar("V")


def _discard(index: dict[K, set[V]], key: K, value: V) -> None:
    values = index.get(key)
    if values is not None:
        values.discard(value)
        if not values:
            del index[key]


__all__ = ["TupleSet"]
