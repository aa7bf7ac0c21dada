"""Replay of bars and instrument reference data from CSV files.

Bars: header ``instrument_id,timestamp,open,high,low,close,volume`` — ``timestamp`` is the bar
start, ISO-8601 with a UTC offset or integer nanoseconds; prices and volume as plain decimal
text. Rows are handed on as text, and a line that cannot even be split into the header's fields
is handed on with its problem: validation belongs to the domain, which quarantines bad rows.

Instruments: header ``instrument_id,isin,mic,currency,name`` and optionally ``lot_size`` and
``tick_size``. Reference data is all or nothing: any bad line fails the whole file with its
line number, because a bar file replayed against half a reference file would quarantine the
other half's bars for a reason that is not theirs.

Both are read line by line in binary (:mod:`csv_lines`): one record per line, lines capped at
64 KiB, a UTF-8 byte-order mark accepted.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from bounded_contexts.ingestion.adapters.csv_lines import (
    CsvFormatError as CsvFormatError,
)
from bounded_contexts.ingestion.adapters.csv_lines import (
    field_count_problem,
    header_of,
    read_lines,
)
from bounded_contexts.ingestion.domain.bars import RawBar
from bounded_contexts.ingestion.domain.events import InstrumentListed
from bounded_contexts.ingestion.domain.reference_data import (
    InstrumentRefused,
    MicRegistry,
    PackagedMicRegistry,
    listing_from_text,
)

BAR_COLUMNS = ("instrument_id", "timestamp", "open", "high", "low", "close", "volume")
INSTRUMENT_COLUMNS = ("instrument_id", "isin", "mic", "currency", "name")
OPTIONAL_INSTRUMENT_COLUMNS = ("lot_size", "tick_size")


def sample_path(name: str) -> Path:
    """A file shipped inside the package (works from any directory once installed)."""
    return Path(str(resources.files("bounded_contexts.ingestion.adapters") / "data" / name))


def read_bars(path: Path) -> Iterator[RawBar]:
    """Every data line of a bar file as a :class:`RawBar`, in file order, lazily (a file of
    any size is read in constant memory). The header is checked before the first row."""
    with path.open("rb") as handle:
        lines = read_lines(handle)
        columns = header_of(lines, path.name, BAR_COLUMNS)
        for line in lines:
            problem = line.problem if line.fields is None else field_count_problem(line, columns)
            if problem is not None or line.fields is None:
                yield _unreadable(path.name, line.number, problem or "", line.raw)
                continue
            row = dict(zip(columns, line.fields, strict=True))
            yield RawBar(
                source=path.name,
                line=line.number,
                instrument_id=row["instrument_id"].strip() or None,
                timestamp=row["timestamp"],
                open=row["open"],
                high=row["high"],
                low=row["low"],
                close=row["close"],
                volume=row["volume"],
            )


def _unreadable(source: str, number: int, problem: str, raw: str) -> RawBar:
    return RawBar(source, number, None, None, None, None, None, None, None, problem, raw)


def read_instruments(path: Path, mics: MicRegistry | None = None) -> list[InstrumentListed]:
    """Every listing of an instrument file, or :class:`CsvFormatError` naming the first bad
    line (and both lines of a duplicated instrument id). MICs are checked against ``mics``,
    by default the registry shipped in the ``iso10383`` package."""
    registry = mics if mics is not None else PackagedMicRegistry()
    with path.open("rb") as handle:
        lines = read_lines(handle)
        columns = header_of(lines, path.name, INSTRUMENT_COLUMNS)
        listed: list[InstrumentListed] = []
        first_line: dict[str, int] = {}
        for line in lines:
            problem = line.problem if line.fields is None else field_count_problem(line, columns)
            if problem is not None or line.fields is None:
                raise CsvFormatError(f"{path.name} line {line.number}: {problem}")
            row = dict(zip(columns, line.fields, strict=True))
            values = {
                c: row[c].strip()
                for c in (*INSTRUMENT_COLUMNS, *OPTIONAL_INSTRUMENT_COLUMNS)
                if c in row
            }
            try:
                listing = listing_from_text(values, registry)
            except InstrumentRefused as exc:
                raise CsvFormatError(f"{path.name} line {line.number}: {exc}") from None
            earlier = first_line.setdefault(listing.instrument_id, line.number)
            if earlier != line.number:
                raise CsvFormatError(
                    f"{path.name}: instrument {listing.instrument_id!r} is listed twice, "
                    f"on lines {earlier} and {line.number}"
                )
            listed.append(listing)
        return listed
