"""Retention: closed periods of a store copied to Parquet files that prove themselves.

Events are never deleted (MiFID II keeps records five years, seven on request; nothing here
removes a row). An archive is a *copy* of a store's events up to a moment, made to be kept
elsewhere, on storage the platform cannot rewrite:

* one file per store and period, ``<context>-<first position>-<last position>.parquet``,
  holding every event exactly as stored (position, aggregate id and version, type, the stored
  state bytes) and its chain link (:mod:`events.chain`);
* in the file's metadata (key ``quantvista.archive``): the store, the positions, the hash the
  period's chain starts from (the link before its first event, or the genesis hash), the head
  hash at its last event and the number of events;
* the next period starts after the last archived position, from that head: the files of a
  store chain together as its events do.

A period is closed at a moment ``until``: it ends at the last event recorded before it
(``ts_recorded``), and includes every event at or before that position.

Verifying a file (:func:`verify_archive`) recomputes every link from the recorded start hash
and compares each stored link and the head, so a changed, removed or inserted row, or changed
metadata, is named; given a database, it also checks that the live chain still has the same
head at the last position (the archive is what the store holds). Both stream: row groups of
:data:`ROW_GROUP` events, memory flat whatever the store's size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
from psycopg import sql
from psycopg.rows import tuple_row

from events.chain import GENESIS, chain_table, link

ARCHIVE_FORMAT = "quantvista-archive/1"
METADATA_KEY = b"quantvista.archive"
ROW_GROUP = 10_000
SCHEMA = pa.schema(
    [
        ("position", pa.int64()),
        ("aggregate_id", pa.string()),
        ("aggregate_version", pa.int64()),
        ("type", pa.string()),
        ("state", pa.binary()),
        ("hash", pa.binary()),
    ]
)


class ArchiveError(ValueError):
    """An archive file is unreadable or not one of ours; the message says which and why."""


@dataclass(frozen=True)
class ArchiveHeader:
    context: str
    first_position: int
    last_position: int
    start_hash: bytes  # the link before the first event (the genesis hash for a store's start)
    head_hash: bytes  # the link of the last event
    events: int
    until_ns: int

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "format": ARCHIVE_FORMAT,
                "context": self.context,
                "first_position": self.first_position,
                "last_position": self.last_position,
                "start_hash": self.start_hash.hex(),
                "head_hash": self.head_hash.hex(),
                "events": self.events,
                "until_ns": self.until_ns,
            },
            sort_keys=True,
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes, path: Path) -> ArchiveHeader:
        try:
            data = json.loads(raw)
            if data.get("format") != ARCHIVE_FORMAT:
                raise ArchiveError(f"{path}: not a {ARCHIVE_FORMAT} file")
            return cls(
                context=str(data["context"]),
                first_position=int(data["first_position"]),
                last_position=int(data["last_position"]),
                start_hash=bytes.fromhex(data["start_hash"]),
                head_hash=bytes.fromhex(data["head_hash"]),
                events=int(data["events"]),
                until_ns=int(data["until_ns"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ArchiveError(f"{path}: its archive metadata is malformed ({error})") from None


@dataclass(frozen=True)
class ArchiveVerification:
    path: Path
    header: ArchiveHeader
    events: int
    problems: tuple[str, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


def archived_until(out_dir: Path, context: str) -> tuple[int, bytes]:
    """The last archived position of a store in ``out_dir`` and its head hash (0 and the
    genesis hash when nothing is archived yet): where the next period starts."""
    last, head = 0, GENESIS
    for path in sorted(out_dir.glob(f"{context}-*.parquet")):
        header = read_header(path)
        if header.context == context and header.last_position > last:
            last, head = header.last_position, header.head_hash
    return last, head


def period_end(conn: psycopg.Connection[Any], context: str, until_ns: int) -> int | None:
    """The position of the last event recorded before ``until_ns`` (``None``: none was)."""
    row = conn.execute(
        sql.SQL(
            "SELECT max(notification_id) FROM {} "
            "WHERE (convert_from(state, 'UTF8')::jsonb ->> 'ts_recorded')::numeric < %s"
        ).format(sql.Identifier(f"{context}_events")),
        (until_ns,),
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _period_rows(
    conn: psycopg.Connection[Any], context: str, after: int, last: int
) -> Iterator[tuple[Any, ...]]:
    query = sql.SQL(
        "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, "
        "c.hash FROM {events} e LEFT JOIN {chain} c ON c.position = e.notification_id "
        "WHERE e.notification_id > %s AND e.notification_id <= %s ORDER BY 1"
    ).format(events=sql.Identifier(f"{context}_events"), chain=sql.Identifier(chain_table(context)))
    with (
        conn.transaction(),
        conn.cursor(name=f"archive_{context}", row_factory=tuple_row) as cursor,
    ):
        cursor.itersize = ROW_GROUP
        cursor.execute(query, (after, last))
        yield from cursor


def archive_store(
    conn: psycopg.Connection[Any], context: str, until_ns: int, out_dir: Path
) -> Path | None:
    """Copy the store's next closed period (after what ``out_dir`` already holds, up to the
    last event recorded before ``until_ns``) to a Parquet file; ``None`` when there is nothing
    new to archive. Refuses a period whose chain does not verify: an archive of a tampered
    store would prove nothing."""
    out_dir.mkdir(parents=True, exist_ok=True)
    after, start_hash = archived_until(out_dir, context)
    last = period_end(conn, context, until_ns)
    if last is None or last <= after:
        return None
    final = out_dir / f"{context}-{after + 1:012d}-{last:012d}.parquet"
    partial = final.with_suffix(".parquet.partial")
    previous, count, first = start_hash, 0, None
    batch: list[tuple[Any, ...]] = []
    with pq.ParquetWriter(partial, SCHEMA, compression="zstd") as writer:
        for position, aggregate_id, version, topic, state, stored in _period_rows(
            conn, context, after, last
        ):
            expected = link(previous, position, aggregate_id, version, topic, bytes(state))
            if stored is None or bytes(stored) != expected:
                writer.close()
                partial.unlink(missing_ok=True)
                raise ArchiveError(
                    f"{context} #{position}: the chain does not verify there; run `quantvista "
                    "audit verify` and archive nothing until it does"
                )
            previous, count = expected, count + 1
            first = position if first is None else first
            batch.append((position, str(aggregate_id), version, topic, bytes(state), expected))
            if len(batch) == ROW_GROUP:
                writer.write_table(_table(batch))
                batch = []
        if batch:
            writer.write_table(_table(batch))
        header = ArchiveHeader(context, after + 1, last, start_hash, previous, count, until_ns)
        writer.add_key_value_metadata({METADATA_KEY: header.to_json()})
    partial.rename(final)  # a file that exists is complete
    return final


def _table(rows: list[tuple[Any, ...]]) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    return pa.Table.from_arrays(
        [pa.array(values, type=f.type) for values, f in zip(columns, SCHEMA, strict=True)],
        schema=SCHEMA,
    )


def read_header(path: Path) -> ArchiveHeader:
    try:
        metadata = pq.read_metadata(path).metadata or {}
    except (OSError, pa.ArrowInvalid) as error:
        raise ArchiveError(f"{path}: not a readable Parquet file ({error})") from None
    if METADATA_KEY not in metadata:
        raise ArchiveError(f"{path}: not a QuantVista archive (no {METADATA_KEY.decode()})")
    return ArchiveHeader.from_json(metadata[METADATA_KEY], path)


def verify_archive(
    path: Path, conn: psycopg.Connection[Any] | None = None, max_problems: int = 20
) -> ArchiveVerification:
    """Recompute the file's chain from its start hash; with ``conn``, also compare its head
    with the live chain at the same position."""
    header = read_header(path)
    problems: list[str] = []

    def problem(text: str) -> None:
        if len(problems) < max_problems:
            problems.append(text)

    previous, count, last_seen = header.start_hash, 0, header.first_position - 1
    try:
        parquet = pq.ParquetFile(path)
        if parquet.schema_arrow != SCHEMA:
            raise ArchiveError(f"{path}: its columns are not an archive's")
        for batch in parquet.iter_batches(batch_size=ROW_GROUP):
            for row in batch.to_pylist():
                position = row["position"]
                if position <= last_seen:
                    problem(f"#{position}: out of position order (after #{last_seen})")
                expected = link(
                    previous,
                    position,
                    row["aggregate_id"],
                    row["aggregate_version"],
                    row["type"],
                    row["state"],
                )
                if row["hash"] != expected:
                    problem(f"#{position}: the event or its link was changed")
                previous, count, last_seen = expected, count + 1, position
    except (OSError, pa.ArrowInvalid) as error:
        raise ArchiveError(f"{path}: unreadable ({error})") from None
    if count != header.events:
        problem(f"{count} events in the file, its metadata says {header.events}")
    if last_seen != header.last_position:
        problem(f"the file ends at #{last_seen}, its metadata says #{header.last_position}")
    if previous != header.head_hash:
        problem("the recomputed head is not the recorded head")
    if conn is not None:
        row = conn.execute(
            sql.SQL("SELECT hash FROM {} WHERE position = %s").format(
                sql.Identifier(chain_table(header.context))
            ),
            (header.last_position,),
        ).fetchone()
        if row is None or bytes(row[0]) != header.head_hash:
            problem(
                f"the live {header.context} chain's link at #{header.last_position} differs "
                "from the archive's head"
            )
    return ArchiveVerification(path, header, count, tuple(problems))
