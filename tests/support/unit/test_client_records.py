"""A client record is refused, naming the field, when it could not identify the client in an
RTS 22 report — and when it changes nothing; a valid one is a new version of the record."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bounded_contexts.support.domain.mifid.events import ClientFile, ClientRecorded

LEGAL = ClientRecorded(
    client_id="C-1",
    kind="LEGAL",
    lei="529900T8BM49AURSDO55",  # a published, valid LEI
    national_id=None,
    scheme=None,
    first_names=None,
    surnames=None,
    birth_date=None,
    country_of_branch="DE",
    discretionary=False,
    reason="new client",
)
NATURAL = replace(
    LEGAL,
    kind="NATURAL",
    lei=None,
    national_id="FR19750704MARIECURIE",
    scheme="CONCAT",
    first_names="MARIE",
    surnames="CURIE",
    birth_date="1975-07-04",
)


@pytest.mark.parametrize("record", [LEGAL, NATURAL], ids=["legal", "natural"])
def test_a_valid_record_is_recorded_and_each_change_is_a_new_version(record) -> None:  # type: ignore[no-untyped-def]
    client = ClientFile.open("C-1")
    client.record(record)
    client.record(replace(record, country_of_branch="FR", reason="moved branch"))
    assert [p.event.country_of_branch for p in client.collect_pending()] == ["DE", "FR"]
    assert client.version == 2 and client.current.country_of_branch == "FR"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"lei": "529900T8BM49AURSDO56"}, "lei: "),  # check digits wrong
        ({"lei": None}, "lei: "),
        ({"kind": "TRUST"}, "kind: must be LEGAL or NATURAL"),
        ({"country_of_branch": "XX"}, "country_of_branch: "),
        ({"reason": "  "}, "reason: a client record needs a reason"),
    ],
)
def test_a_bad_legal_record_is_refused_naming_the_field(change: dict, says: str) -> None:  # type: ignore[type-arg]
    client = ClientFile.open("C-1")
    with pytest.raises(ValueError, match=f"client C-1: .*{says}"):
        client.record(replace(LEGAL, **change))
    assert client.collect_pending() == []


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"birth_date": "04/07/1975"}, "birth_date: date '04/07/1975' must be YYYY-MM-DD"),
        ({"birth_date": None}, "birth_date: "),
        ({"national_id": "FR19750704MARIE"}, "national_id: CONCAT identifier"),
        ({"scheme": "PASSPORT"}, "national_id: identifier scheme 'PASSPORT'"),
        ({"first_names": "Marie, Sklodowska"}, "first_names: "),
        ({"surnames": ""}, "surnames: "),
    ],
)
def test_a_bad_natural_record_is_refused_naming_the_field(change: dict, says: str) -> None:  # type: ignore[type-arg]
    client = ClientFile.open("C-1")
    with pytest.raises(ValueError, match=says):
        client.record(replace(NATURAL, **change))
    assert client.collect_pending() == []


def test_a_record_that_changes_nothing_is_refused() -> None:
    client = ClientFile.open("C-1")
    client.record(LEGAL)
    with pytest.raises(ValueError, match="already recorded so"):
        client.record(replace(LEGAL, reason="again"))


@pytest.mark.parametrize("client_id", ["", "a b", "x" * 51, "C/7", "-lead"])
def test_a_malformed_client_id_is_refused(client_id: str) -> None:
    with pytest.raises(ValueError, match="a client id is 1-50"):
        ClientFile.open(client_id)
