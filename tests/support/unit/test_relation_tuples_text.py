"""Relation tuples print and parse in Keto's string form, and malformed ones are refused with
an error that names the part."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bounded_contexts.support.domain.relations import (
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    InvalidRelationTuple,
    RelationTuple,
    SubjectId,
    SubjectSet,
    parse_subject,
    tuple_from_key,
)


def test_a_tuple_with_a_user_prints_as_keto_prints_it() -> None:
    t = RelationTuple.of("accounts", "DEMO-001", "trader", "alice")
    assert str(t) == "accounts:DEMO-001#trader@alice"
    assert RelationTuple.parse("accounts:DEMO-001#trader@alice") == t


def test_a_subject_set_prints_without_parentheses_and_parses_with_or_without() -> None:
    t = RelationTuple("accounts", "DEMO-001", "view", SubjectSet("accounts", "DEMO-001", "trader"))
    assert str(t) == "accounts:DEMO-001#view@accounts:DEMO-001#trader"  # ketoapi String()
    assert RelationTuple.parse("accounts:DEMO-001#view@(accounts:DEMO-001#trader)") == t
    assert RelationTuple.parse(str(t)) == t


def test_parsing_cuts_at_the_first_colon_hash_and_at_sign_as_keto_does() -> None:
    t = RelationTuple.parse("files:/a:b@c#owner@alice@example.com")
    assert (t.namespace, t.object, t.relation) == ("files", "/a:b@c", "owner")
    assert t.subject == SubjectId("alice@example.com")  # '@' and '#' are fine in a subject id
    nested = RelationTuple.parse("groups:g#member@groups:dev:ops#member")
    assert nested.subject == SubjectSet("groups", "dev:ops", "member")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("no-colon#in@this", "there is no ':'"),
        ("no:hash-in@this", "no '#' after the object"),
        ("no:at#in-this", "no '@' after the relation"),
        ("accounts:#view@alice", "object is empty"),
        ("accounts:A#view@", "subject id is empty"),
        ("acc ounts:A#view@alice", "namespace 'acc ounts' is not an identifier"),
        ("accounts:A#vi-ew@alice", "relation 'vi-ew' is not an identifier"),
        ("accounts:A#view@roles:risk", "has no '#relation'"),
        ("accounts:A#view@roles:#member", "subject set object is empty"),
        ("accounts:A#view@roles:risk#", "subject set relation is empty"),
        ("accounts:A\x00#view@alice", "object 'A\\x00' contains the control character U+0000"),
        ("accounts:A#view@al\nice", "subject id 'al\\nice' contains the control character U+000A"),
        ("accounts: A#view@alice", "begins or ends with white space"),
    ],
)
def test_malformed_text_is_refused_naming_the_part(text: str, says: str) -> None:
    with pytest.raises(InvalidRelationTuple, match=None) as caught:
        RelationTuple.parse(text)
    assert says in str(caught.value)


def test_names_that_keto_would_misread_are_refused() -> None:
    with pytest.raises(InvalidRelationTuple, match="':'"):
        SubjectId("mallory:evil")  # would be read back as a subject set
    with pytest.raises(InvalidRelationTuple, match="'#'"):
        RelationTuple.of("accounts", "A#B", "view", "alice")
    for mangled in ("(alice)", "alice(", ")alice", "0("):  # Keto trims either from either end
        with pytest.raises(InvalidRelationTuple, match="strips"):
            SubjectId(mangled)


def test_lengths_are_bounded() -> None:
    RelationTuple.of("n" * MAX_NAME_LENGTH, "o" * MAX_ID_LENGTH, "r", "s" * MAX_ID_LENGTH)
    with pytest.raises(InvalidRelationTuple, match="namespace is 65 characters long"):
        RelationTuple.of("n" * (MAX_NAME_LENGTH + 1), "o", "r", "s")
    with pytest.raises(InvalidRelationTuple, match="object is 257 characters long"):
        RelationTuple.of("n", "o" * (MAX_ID_LENGTH + 1), "r", "s")
    with pytest.raises(InvalidRelationTuple, match="subject id is 257 characters long"):
        RelationTuple.of("n", "o", "r", "s" * (MAX_ID_LENGTH + 1))


def test_a_subject_must_be_a_subject() -> None:
    with pytest.raises(InvalidRelationTuple, match="SubjectId or a SubjectSet"):
        RelationTuple("n", "o", "r", "alice")  # type: ignore[arg-type]
    with pytest.raises(InvalidRelationTuple, match="must be a string"):
        SubjectId(42)  # type: ignore[arg-type]


# ------------------------------------------------------------------ round trips
identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
printable = st.characters(blacklist_categories=("Cc", "Cs"))
objects = st.text(printable, min_size=1, max_size=40).filter(
    lambda s: "#" not in s and s == s.strip()
)
subject_ids = st.text(printable, min_size=1, max_size=40).filter(
    lambda s: ":" not in s and s == s.strip() and s == s.strip("()")
)
subject_sets = st.builds(SubjectSet, identifiers, objects, identifiers)
subjects = st.one_of(st.builds(SubjectId, subject_ids), subject_sets)
tuples = st.builds(RelationTuple, identifiers, objects, identifiers, subjects)


@given(tuples)
def test_every_valid_tuple_round_trips_through_its_text_and_its_row(t: RelationTuple) -> None:
    assert RelationTuple.parse(str(t)) == t
    assert tuple_from_key(t.key()) == t


@given(subject_sets)
def test_a_subject_set_round_trips_in_parentheses(s: SubjectSet) -> None:
    assert parse_subject(f"({s})") == s
