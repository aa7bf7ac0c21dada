"""Order records as CSV or Parquet, byte for byte the same for the same records.

CSV: a header of :data:`ORDER_RECORD_COLUMNS`, one row per event, ``\\n`` line ends, empty for
a value that does not apply or was not recorded. Parquet: the same columns, every value text
(decimals exact, times ISO-8601 UTC with six fractional digits) except ``record_position`` and
``written_version`` (64-bit integers); no statistics-free surprises — pyarrow writes no clock
into the file, so the same records and the same pyarrow version give the same bytes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import astuple

import pyarrow as pa
import pyarrow.parquet as pq

from bounded_contexts.support.domain.mifid.order_records import ORDER_RECORD_COLUMNS, OrderRecord

INTEGER_COLUMNS = ("record_position", "written_version")


def order_records_csv(records: Sequence[OrderRecord]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ORDER_RECORD_COLUMNS)
    for record in records:
        writer.writerow(["" if v is None else v for v in astuple(record)])
    return buffer.getvalue().encode("utf-8")


def order_records_table(records: Sequence[OrderRecord]) -> pa.Table:
    columns = list(zip(*(astuple(r) for r in records), strict=True)) if records else []
    arrays = {}
    for index, name in enumerate(ORDER_RECORD_COLUMNS):
        values = list(columns[index]) if columns else []
        kind = pa.int64() if name in INTEGER_COLUMNS else pa.string()
        arrays[name] = pa.array(values, type=kind)
    return pa.table(arrays)


def order_records_parquet(records: Sequence[OrderRecord]) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(order_records_table(records), sink, compression="zstd")
    return sink.getvalue().to_pybytes()
