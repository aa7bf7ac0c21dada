"""Retention archives: a store's closed periods copied to Parquet with their chain heads;
each file proves itself (a changed row or changed metadata is named), the files of a store
chain together, a tampered store is not archived, and nothing is deleted."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from events.archive import (
    METADATA_KEY,
    ArchiveError,
    archive_store,
    read_header,
    verify_archive,
)
from events.chain import GENESIS
from events.store import EventStore, datastore_from_url
from tests.backbone.integration.test_hash_chain import EDIT_ACTOR, _record

pytestmark = pytest.mark.integration


@pytest.fixture
def store(database_url: str):  # type: ignore[no-untyped-def]
    store = EventStore("ingestion", datastore_from_url(database_url))
    store.create_tables()
    yield store
    store.datastore.close()


def _archive(url: str, until: int, out: Path) -> Path | None:
    with psycopg.connect(url) as conn:
        return archive_store(conn, "ingestion", until, out)


def _events(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM ingestion_events").fetchone()[0]  # type: ignore[index]


def test_closed_periods_are_archived_in_turn_and_chain_together(
    store, database_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    first = _record(store, "SAP", 30)
    closed = time.time_ns()
    time.sleep(0.01)
    second = _record(store, "SIE", 20)

    older = _archive(database_url, closed, tmp_path)
    assert older is not None and _archive(database_url, closed, tmp_path) is None  # once
    newer = _archive(database_url, time.time_ns(), tmp_path)
    assert newer is not None

    a, b = read_header(older), read_header(newer)
    assert (a.first_position, a.last_position, a.events) == (1, first[-1], 31)
    assert (b.first_position, b.last_position, b.events) == (first[-1] + 1, second[-1], 21)
    assert a.start_hash == GENESIS and b.start_hash == a.head_hash  # the files chain together
    with psycopg.connect(database_url) as conn:
        for path in (older, newer):
            result = verify_archive(path, conn)
            assert result.intact, result.problems
    assert _events(database_url) == 52  # a copy: nothing deleted
    rows = pq.read_table(older).to_pylist()
    assert [r["position"] for r in rows] == list(range(1, first[-1] + 1))


def test_a_changed_row_or_changed_metadata_is_named(store, database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _record(store, "SAP", 10)
    path = _archive(database_url, time.time_ns(), tmp_path)
    assert path is not None
    header = pq.read_metadata(path).metadata[METADATA_KEY]
    table = pq.read_table(path).replace_schema_metadata({METADATA_KEY: header})
    rows = table.to_pylist()
    rows[4]["state"] = rows[4]["state"].replace(b'"test"', b'"evil"')
    forged = tmp_path / "forged.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), forged)
    assert verify_archive(forged).problems[0] == "#5: the event or its link was changed"

    shortened = tmp_path / "shortened.parquet"
    pq.write_table(pa.Table.from_pylist(rows[:-1], schema=table.schema), shortened)
    problems = " ".join(verify_archive(shortened).problems)
    assert "10 events in the file, its metadata says 11" in problems

    relabelled = tmp_path / "relabelled.parquet"
    odd_head = header.replace(b'"head_hash": "', b'"head_hash": "0')
    pq.write_table(table.replace_schema_metadata({METADATA_KEY: odd_head}), relabelled)
    with pytest.raises(ArchiveError):
        verify_archive(relabelled)  # a head that is not 32 bytes of hex is refused outright

    data = json.loads(header)
    data["head_hash"] = ("f" if data["head_hash"][0] != "f" else "e") + data["head_hash"][1:]
    rehead = tmp_path / "rehead.parquet"
    pq.write_table(table.replace_schema_metadata({METADATA_KEY: json.dumps(data).encode()}), rehead)
    assert verify_archive(rehead).problems == ("the recomputed head is not the recorded head",)

    not_ours = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"x": [1]}), not_ours)
    with pytest.raises(ArchiveError, match="not a QuantVista archive"):
        verify_archive(not_ours)


def test_a_store_changed_after_archiving_no_longer_matches_the_archive(
    store, database_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    positions = _record(store, "SAP", 10)
    path = _archive(database_url, time.time_ns(), tmp_path)
    assert path is not None
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE ingestion_chain SET hash = sha256('x') WHERE position = %s", (positions[-1],)
        )
        result = verify_archive(path, conn)
    assert result.problems == (
        f"the live ingestion chain's link at #{positions[-1]} differs from the archive's head",
    )
    assert verify_archive(path).intact  # the file itself is still what was archived


def test_a_tampered_store_is_not_archived(store, database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _record(store, "SAP", 10)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(EDIT_ACTOR.format(position=4))
    with pytest.raises(ArchiveError, match="#4: the chain does not verify"):
        _archive(database_url, time.time_ns(), tmp_path)
    assert list(tmp_path.iterdir()) == []  # no partial file left behind
