"""Relation tuples with Ory Keto's data model, string form and check semantics.

A tuple ``namespace:object#relation@subject`` says that ``subject`` has ``relation`` on
``object``; the subject is a user id (:class:`SubjectId`) or a *subject set*
(:class:`SubjectSet`: "everyone who has ``relation`` on ``namespace:object``"). This is Keto's
classic model, so the very tuples kept in our own table can be written to a real Keto (with or
without an OPL configuration) and answer the same checks there.

Pure: no I/O. :func:`check` and :func:`objects` run over small protocols
(:class:`TupleSource`, :class:`ReverseTupleSource`): the in-memory tuple set (:mod:`.tuple_set`),
a database's, or a remote Keto's listings.

Keto's string form, as its ``ketoapi`` package prints and parses it (v26.2.0,
``ketoapi/enc_string.go``): ``accounts:DEMO-001#trader@alice`` and, for a subject set,
``accounts:DEMO-001#view@accounts:DEMO-001#trader``; the parser also accepts the subject set in
parentheses (``…#view@(accounts:DEMO-001#trader)``, the form Keto's documentation writes). It cuts
the text at the first ``:``, then the first ``#``, then the first ``@``, and reads a subject
holding a ``:`` as a subject set. The validation below refuses exactly the names that this
would misread, so that printing and parsing round-trip.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

MAX_NAME_LENGTH = 64
"""Namespaces and relations: identifiers chosen by us, short."""

MAX_ID_LENGTH = 256
"""Objects and subject ids: account ids, user ids (Kratos identity ids are 36-character UUIDs)."""

DEFAULT_MAX_DEPTH = 5
"""Keto's ``limit.max_read_depth`` default: the deepest check a server answers."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class InvalidRelationTuple(ValueError):
    """A tuple, or one of its parts, is malformed; the message names the part and the rule."""


# ---------------------------------------------------------------------------------- names
def _refuse_control_characters(part: str, value: str) -> None:
    for index, char in enumerate(value):
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise InvalidRelationTuple(
                f"{part} {value!r} contains the control character U+{ord(char):04X} at "
                f"position {index}"
            )


def valid_identifier(part: str, value: str) -> str:
    """``value``, if it is a valid namespace or relation (named ``part`` in the error).

    Namespaces and relations are identifiers, so that the same names are valid in an OPL
    (TypeScript) configuration too."""
    if not isinstance(value, str):
        raise InvalidRelationTuple(f"{part} must be a string, got {type(value).__name__}")
    if not value:
        raise InvalidRelationTuple(f"{part} is empty")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidRelationTuple(
            f"{part} is {len(value)} characters long; at most {MAX_NAME_LENGTH} are allowed"
        )
    _refuse_control_characters(part, value)
    if not _IDENTIFIER.fullmatch(value):
        raise InvalidRelationTuple(
            f"{part} {value!r} is not an identifier (letters, digits and '_', not starting "
            "with a digit)"
        )
    return value


def _free_text(part: str, value: str) -> str:
    """Objects and subject ids: any printable text of bounded length, no surrounding blanks."""
    if not isinstance(value, str):
        raise InvalidRelationTuple(f"{part} must be a string, got {type(value).__name__}")
    if not value:
        raise InvalidRelationTuple(f"{part} is empty")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidRelationTuple(
            f"{part} is {len(value)} characters long; at most {MAX_ID_LENGTH} are allowed"
        )
    _refuse_control_characters(part, value)
    if value != value.strip():
        raise InvalidRelationTuple(f"{part} {value!r} begins or ends with white space")
    return value


def _object(part: str, value: str) -> str:
    _free_text(part, value)
    if "#" in value:
        raise InvalidRelationTuple(
            f"{part} {value!r} contains '#', which ends the object in Keto's string form"
        )
    return value


# ------------------------------------------------------------------------------- subjects
@dataclass(frozen=True, slots=True)
class SubjectId:
    """A subject that is a single principal: a user, or an algorithm's id."""

    id: str

    def __post_init__(self) -> None:
        _free_text("subject id", self.id)
        if ":" in self.id:
            raise InvalidRelationTuple(
                f"subject id {self.id!r} contains ':'; Keto's string form would read it as a "
                "subject set"
            )
        if self.id != self.id.strip("()"):
            raise InvalidRelationTuple(
                f"subject id {self.id!r} begins or ends with '(' or ')', which Keto's string "
                'form strips (strings.Trim(subject, "()"))'
            )

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class SubjectSet:
    """Everyone who has ``relation`` on ``namespace:object`` (also: a node of a check).

    Keto allows an empty relation here (``groups:dev#member@users:alice``); our model always
    names one, so an empty relation is refused rather than given a meaning."""

    namespace: str
    object: str
    relation: str

    def __post_init__(self) -> None:
        valid_identifier("subject set namespace", self.namespace)
        _object("subject set object", self.object)
        valid_identifier("subject set relation", self.relation)

    def __str__(self) -> str:
        return f"{self.namespace}:{self.object}#{self.relation}"


Subject = SubjectId | SubjectSet


def as_subject(subject: Subject | str) -> Subject:
    """A plain string is a subject id (the common case: a verified principal)."""
    return SubjectId(subject) if isinstance(subject, str) else subject


def parse_subject(text: str) -> Subject:
    """``alice`` → :class:`SubjectId`; ``ns:obj#rel`` or ``(ns:obj#rel)`` → :class:`SubjectSet`."""
    inner = text.strip("()")  # Keto: strings.Trim(subject, "()")
    if ":" not in inner:
        return SubjectId(inner)
    namespace_and_object, sep, relation = inner.partition("#")
    if not sep:
        raise InvalidRelationTuple(
            f"subject set {text!r} has no '#relation' (QuantVista's tuples always name one)"
        )
    namespace, _, obj = namespace_and_object.partition(":")
    return SubjectSet(namespace, obj, relation)


# --------------------------------------------------------------------------------- tuples
@dataclass(frozen=True, slots=True)
class RelationTuple:
    """``subject`` has ``relation`` on ``namespace:object``."""

    namespace: str
    object: str
    relation: str
    subject: Subject

    def __post_init__(self) -> None:
        valid_identifier("namespace", self.namespace)
        _object("object", self.object)
        valid_identifier("relation", self.relation)
        if not isinstance(self.subject, SubjectId | SubjectSet):
            raise InvalidRelationTuple(
                f"subject must be a SubjectId or a SubjectSet, got {type(self.subject).__name__}"
            )

    @classmethod
    def of(
        cls, namespace: str, object: str, relation: str, subject: Subject | str
    ) -> RelationTuple:
        return cls(namespace, object, relation, as_subject(subject))

    @classmethod
    def parse(cls, text: str) -> RelationTuple:
        """Keto's string form (see the module docstring); the error says what is missing."""
        if not isinstance(text, str):
            raise InvalidRelationTuple(f"a relation tuple must be text, got {type(text).__name__}")
        namespace, sep, rest = text.partition(":")
        if not sep:
            raise InvalidRelationTuple(
                f"{text!r} is not a relation tuple: expected 'namespace:object#relation@subject'"
                ", and there is no ':'"
            )
        obj, sep, rest = rest.partition("#")
        if not sep:
            raise InvalidRelationTuple(
                f"{text!r} is not a relation tuple: expected 'namespace:object#relation@subject'"
                ", and there is no '#' after the object"
            )
        relation, sep, subject = rest.partition("@")
        if not sep:
            raise InvalidRelationTuple(
                f"{text!r} is not a relation tuple: expected 'namespace:object#relation@subject'"
                ", and there is no '@' after the relation"
            )
        return cls(namespace, obj, relation, parse_subject(subject))

    @property
    def relation_set(self) -> SubjectSet:
        """The subject set this tuple puts its subject in: ``namespace:object#relation``."""
        return SubjectSet(self.namespace, self.object, self.relation)

    def key(self) -> tuple[str, str, str, str, str, str, str]:
        """A total order, and the row of the PostgreSQL table (unused subject columns '')."""
        s = self.subject
        if isinstance(s, SubjectId):
            return (self.namespace, self.object, self.relation, s.id, "", "", "")
        return (self.namespace, self.object, self.relation, "", s.namespace, s.object, s.relation)

    def __str__(self) -> str:
        """Keto's own printing: a subject set without parentheses."""
        return f"{self.namespace}:{self.object}#{self.relation}@{self.subject}"


def tuple_from_key(key: Sequence[str]) -> RelationTuple:
    """The inverse of :meth:`RelationTuple.key`."""
    namespace, obj, relation, subject_id, set_namespace, set_object, set_relation = key
    subject: Subject = (
        SubjectId(subject_id) if subject_id else SubjectSet(set_namespace, set_object, set_relation)
    )
    return RelationTuple(namespace, obj, relation, subject)


# ------------------------------------------------------------------------------- checking
class TupleSource(Protocol):
    """What a check reads, one breadth-first level at a time (a database answers each call
    with one query; the in-memory set with dictionary look-ups)."""

    def any_has(self, sets: Sequence[SubjectSet], subject: Subject) -> bool:
        """Is there a tuple ``S@subject`` for some ``S`` in ``sets``?"""
        ...

    def subject_sets_of(self, sets: Sequence[SubjectSet]) -> Iterable[SubjectSet]:
        """The subject sets ``T`` of the tuples ``S@T`` with ``S`` in ``sets``."""
        ...


class ReverseTupleSource(Protocol):
    """What :func:`objects` reads: the reverse look-up."""

    def sets_containing(self, subjects: Sequence[Subject]) -> Iterable[SubjectSet]:
        """The sets ``S`` of the tuples ``S@x`` with ``x`` in ``subjects``."""
        ...


def effective_depth(requested: int | None, server_max: int = DEFAULT_MAX_DEPTH) -> int:
    """Keto's clamp: a request's ``max-depth`` applies when it is positive and no larger than
    the server's ``limit.max_read_depth``; otherwise the server's limit does."""
    if requested is None or requested <= 0 or requested > server_max:
        return server_max
    return requested


def max_hops(max_depth: int) -> int:
    """How many subject-set hops a check of ``max_depth`` may take; -1: none, not even the
    direct tuple.

    Keto (v26.2.0, ``internal/check/engine.go``): ``checkIsAllowed(r, d)`` gives up when
    ``d <= 0``, looks the tuple up directly with ``d - 1`` and expands ``r``'s subject sets with
    ``d - 1``, both of which give up when that is ``<= 0``; an expansion answers a subject
    found directly in one of the sets at once, and otherwise checks each set with the same
    ``d - 1``. So the direct tuple and one hop both need ``d >= 2``, and ``k`` hops need
    ``d >= k + 1``: depth 1 grants nothing, depth 2 allows one hop, depth 3 two."""
    return max_depth - 1 if max_depth >= 2 else -1


def _unseen(candidates: Iterable[SubjectSet], seen: set[SubjectSet]) -> list[SubjectSet]:
    fresh = [s for s in dict.fromkeys(candidates) if s not in seen]
    seen.update(fresh)
    return fresh


def check(
    source: TupleSource,
    namespace: str,
    object: str,
    relation: str,
    subject: Subject | str,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> bool:
    """Does ``subject`` have ``relation`` on ``namespace:object``?

    Yes if the tuple exists, or if the subject is in a subject set reachable from
    ``namespace:object#relation`` through at most :func:`max_hops` (``max_depth``) subject-set
    hops. Breadth-first, so each set is visited once, at its shortest distance, and cycles end.

    This is Keto's answer, with one exception in Keto: its concurrent depth-first search shares
    "visited" marks between branches, so when one set is reachable by paths of different
    lengths and the depth limit bites, Keto can answer "no" when the long path got there first.
    Here the shortest path always counts (QuantVista's model never comes near the limit)."""
    who = as_subject(subject)
    hops = max_hops(max_depth)
    level = [SubjectSet(namespace, object, relation)]
    seen = set(level)
    for depth in range(hops + 1):
        if source.any_has(level, who):
            return True
        if depth == hops:
            break
        level = _unseen(source.subject_sets_of(level), seen)
        if not level:
            break
    return False


def objects(
    source: ReverseTupleSource,
    namespace: str,
    relation: str,
    subject: Subject | str,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> frozenset[str]:
    """Every object ``o`` of ``namespace`` for which ``check(namespace, o, relation, subject)``
    holds: the reverse walk, from the sets the subject is in directly outwards, with the same
    hop limit (a list of accounts filtered by this equals one check per account)."""
    valid_identifier("namespace", namespace)
    valid_identifier("relation", relation)
    hops = max_hops(max_depth)
    if hops < 0:
        return frozenset()
    seen: set[SubjectSet] = set()
    level = _unseen(source.sets_containing([as_subject(subject)]), seen)
    for _ in range(hops):
        if not level:
            break
        level = _unseen(source.sets_containing(level), seen)
    return frozenset(s.object for s in seen if s.namespace == namespace and s.relation == relation)


__all__ = [
    "DEFAULT_MAX_DEPTH",
    "MAX_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "InvalidRelationTuple",
    "RelationTuple",
    "ReverseTupleSource",
    "Subject",
    "SubjectId",
    "SubjectSet",
    "TupleSource",
    "as_subject",
    "check",
    "effective_depth",
    "max_hops",
    "objects",
    "parse_subject",
    "tuple_from_key",
    "valid_identifier",
]
