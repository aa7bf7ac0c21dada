"""Replaying a file into the real store: resumed, nothing is recorded twice; not resumed,
every re-sent bar is validated and quarantined with its reason — never silently dropped."""

from __future__ import annotations

import pytest

from bounded_contexts.ingestion.adapters.csv_replay import read_bars, read_instruments, sample_path
from bounded_contexts.ingestion.application.service import IngestionService
from events.store import EventStore, datastore_from_url

pytestmark = pytest.mark.integration


@pytest.fixture
def service(database_url: str):  # type: ignore[no-untyped-def]
    store = EventStore("ingestion", datastore_from_url(database_url))
    store.create_tables()
    service = IngestionService(store)
    service.list_instruments(read_instruments(sample_path("instruments.csv")), actor="test")
    yield service
    store.datastore.close()


def test_the_sample_quarantines_each_of_its_six_bad_rows_with_a_reason(service) -> None:  # type: ignore[no-untyped-def]
    report = service.ingest(read_bars(sample_path("sample_bars.csv")), actor="test")
    assert (report.accepted, report.quarantined) == (4080, 6)
    assert set(report.reasons) == {
        "high",
        "unknown instrument",
        "open",
        "negative",
        "out-of-order",
        "close",
    }


def test_a_resumed_replay_records_nothing_twice(service) -> None:  # type: ignore[no-untyped-def]
    service.ingest(read_bars(sample_path("sample_bars.csv")), actor="test")
    head = service.store.head()
    skipped = [0]
    rows = service.resume_point().filter(read_bars(sample_path("sample_bars.csv")), skipped)
    report = service.ingest(rows, actor="test")
    assert (report.accepted, report.quarantined, skipped[0]) == (0, 0, 4086)
    assert service.store.head() == head


def test_a_replay_without_resume_quarantines_every_resent_bar(service) -> None:  # type: ignore[no-untyped-def]
    path = sample_path("sample_bars.csv")
    first = [row for row in read_bars(path)][:16]  # two minutes of eight instruments
    service.ingest(first, actor="test")
    report = service.ingest(first, actor="test")
    assert (report.accepted, report.quarantined) == (0, 16)
    # the last stored minute comes again as duplicates; the minute before it, out of order
    assert report.reasons == {"duplicate": 8, "out-of-order": 8}
