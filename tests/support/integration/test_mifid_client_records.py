"""Client records in the support store, as the regulator's records use them (real PostgreSQL):
a day's reports identify a client by its record as it stood at the end of that day — over the
firm file's fallback — so a later change never rewrites a file already sent; a client the file
does not know at all is reported once recorded; a refused record records nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import psycopg
import pytest
from lxml import etree

from bounded_contexts.support.application.mifid.clients import clients_as_of, record_client
from bounded_contexts.support.application.mifid.order_records import order_records
from bounded_contexts.support.application.mifid.transactions import (
    day_bounds,
    transaction_reports,
    write_transaction_file,
)
from bounded_contexts.support.domain.mifid.firm import ClientRecord
from tests.support.integration.test_mifid_reports import NS, flatten, trn
from tests.support.mifid_scenario import (
    CLIENT_BUY,
    CLIENT_ID,
    DAY,
    FIRM,
    T0,
    firm,
    recorded_day,
)

pytestmark = [pytest.mark.integration]
HOUR = 3_600_000_000_000
MARRIED = ClientRecord(
    client_id="C-7",
    kind="NATURAL",
    national_id="FR19750704MARIESKLOD",
    scheme="CONCAT",
    first_names="MARIE",
    surnames="SKLODOWSKA CURIE",
    birth_date="1975-07-04",
    country_of_branch="FR",
)


@pytest.fixture(scope="module")
def recorded(infrastructure):  # type: ignore[no-untyped-def]
    """The scenario's day; C-7 recorded in the store on that day under a new name, and again
    (moved to a German branch) the next day."""
    url, platform, _ = recorded_day(infrastructure.database_url, "mifid_clients")
    store = platform.stores["support"]
    with psycopg.connect(url) as conn:
        record_client(store, conn, MARRIED, "married name", actor="person:olga",
                      ts_event=T0 + 2 * HOUR)  # fmt: skip
        record_client(store, conn, replace(MARRIED, country_of_branch="DE"), "moved branch",
                      actor="person:olga", ts_event=T0 + 26 * HOUR)  # fmt: skip
    yield url, platform
    platform.close()


def buyer(url: str, day: str, tmp_path, **firm_changes) -> dict[str, str]:  # type: ignore[no-untyped-def]
    config = firm(**firm_changes)
    with psycopg.connect(url) as conn:
        reports = transaction_reports(conn, config, date.fromisoformat(day))
    written = write_transaction_file(reports, config, tmp_path / f"{day}.xml")
    assert written is not None
    root = etree.fromstring(written.path.read_bytes())
    news = [flatten(n) for n in root.findall(f".//{{{NS}}}New")]
    (new,) = [n for n in news if n["TxId"] == trn(CLIENT_BUY, 1)]
    return {k: v for k, v in new.items() if k.startswith("Buyr/")}


def test_the_record_in_force_at_the_end_of_the_day_identifies_the_client(
    recorded, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    url, _ = recorded
    identified = buyer(url, DAY, tmp_path)
    assert identified["Buyr/AcctOwnr/Id/Prsn/Othr/Id"] == "FR19750704MARIESKLOD"  # not the file's
    assert identified["Buyr/AcctOwnr/Id/Prsn/Nm"] == "SKLODOWSKA CURIE"
    assert identified["Buyr/AcctOwnr/CtryOfBrnch"] == "FR"  # the next day's move is not in it


def test_a_client_the_firm_file_does_not_know_is_reported_once_recorded(recorded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, _ = recorded
    identified = buyer(url, DAY, tmp_path, clients={})
    assert identified["Buyr/AcctOwnr/Id/Prsn/Othr/Id"] == "FR19750704MARIESKLOD"


def test_records_read_as_of_a_moment(recorded) -> None:  # type: ignore[no-untyped-def]
    url, _ = recorded
    with psycopg.connect(url) as conn:
        assert clients_as_of(conn, T0) == {}  # before the first recording
        assert clients_as_of(conn, T0 + 3 * HOUR)["C-7"].country_of_branch == "FR"
        assert clients_as_of(conn, T0 + 27 * HOUR)["C-7"].country_of_branch == "DE"
        start, end = day_bounds(date.fromisoformat(DAY))
        rows = order_records(conn, firm(clients={}), start, end)
    assert {r.client_id for r in rows if r.account_id == "CLIENT-7"} == {"FR19750704MARIESKLOD"}
    assert CLIENT_ID not in {r.client_id for r in rows}


def test_a_record_that_could_not_identify_the_client_records_nothing(recorded) -> None:  # type: ignore[no-untyped-def]
    url, platform = recorded
    store = platform.stores["support"]
    head = store.head()
    with psycopg.connect(url) as conn:
        with pytest.raises(ValueError, match="birth_date: date '1975-13-04' must be YYYY-MM-DD"):
            record_client(store, conn, replace(MARRIED, birth_date="1975-13-04"), "typo",
                          actor="person:olga", ts_event=T0 + 30 * HOUR)  # fmt: skip
        with pytest.raises(ValueError, match="already recorded so"):
            record_client(store, conn, replace(MARRIED, country_of_branch="DE"), "again",
                          actor="person:olga", ts_event=T0 + 30 * HOUR)  # fmt: skip
    assert store.head() == head
    assert FIRM["clients"]["C-7"]["national_id"] == CLIENT_ID  # the file is untouched
