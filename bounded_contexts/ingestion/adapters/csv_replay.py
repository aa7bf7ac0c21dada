"""Replay of bars and instrument reference data from CSV files.

Bars: header ``instrument_id,timestamp,open,high,low,close,volume`` — ``timestamp`` is the bar
start, ISO-8601 with a UTC offset or integer nanoseconds; prices and volume as decimal text.
Instruments: header ``instrument_id,isin,mic,currency,name``.
Rows are handed on as text; validation belongs to the domain, which quarantines bad rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from bounded_contexts.ingestion.domain.bars import RawBar
from bounded_contexts.ingestion.domain.events import InstrumentListed

BAR_COLUMNS = ("instrument_id", "timestamp", "open", "high", "low", "close", "volume")
INSTRUMENT_COLUMNS = ("instrument_id", "isin", "mic", "currency", "name")


class CsvFormatError(ValueError):
    """The file itself is unusable (missing columns): nothing is read from it."""


def sample_path(name: str) -> Path:
    """A file shipped inside the package (works from any directory once installed)."""
    return Path(str(resources.files("bounded_contexts.ingestion.adapters") / "data" / name))


def read_bars(path: Path) -> Iterator[RawBar]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        _require_columns(reader.fieldnames, BAR_COLUMNS, path)
        for line, row in enumerate(reader, start=2):
            yield RawBar(
                source=path.name,
                line=line,
                instrument_id=(row.get("instrument_id") or "").strip() or None,
                timestamp=row.get("timestamp"),
                open=row.get("open"),
                high=row.get("high"),
                low=row.get("low"),
                close=row.get("close"),
                volume=row.get("volume"),
            )


def read_instruments(path: Path) -> list[InstrumentListed]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        _require_columns(reader.fieldnames, INSTRUMENT_COLUMNS, path)
        listed = []
        for line, row in enumerate(reader, start=2):
            values = {c: (row.get(c) or "").strip() for c in INSTRUMENT_COLUMNS}
            problems = _instrument_problems(values)
            if problems:
                raise CsvFormatError(f"{path.name} line {line}: {'; '.join(problems)}")
            listed.append(InstrumentListed(**values))
        return listed


def _instrument_problems(v: dict[str, str]) -> list[str]:
    problems = [f"missing {c}" for c in INSTRUMENT_COLUMNS if not v[c]]
    if v["isin"] and (len(v["isin"]) != 12 or not v["isin"].isalnum()):
        problems.append(f"ISIN {v['isin']!r} is not 12 alphanumerics (ISO 6166)")
    if v["mic"] and (len(v["mic"]) != 4 or not v["mic"].isalnum()):
        problems.append(f"MIC {v['mic']!r} is not 4 alphanumerics (ISO 10383)")
    if v["currency"] and (len(v["currency"]) != 3 or not v["currency"].isalpha()):
        problems.append(f"currency {v['currency']!r} is not an ISO 4217 code")
    return problems


def _require_columns(found: object, needed: tuple[str, ...], path: Path) -> None:
    missing = [c for c in needed if c not in (found or [])]
    if missing:
        raise CsvFormatError(f"{path}: missing column(s) {', '.join(missing)}")
