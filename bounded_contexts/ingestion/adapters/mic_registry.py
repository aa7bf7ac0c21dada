"""The ISO 10383 registry read from the file ISO publishes (``ISO10383_MIC.csv``).

Configured with ``QUANTVISTA_MIC_REGISTRY`` or ``quantvista ingest --mic-registry FILE`` when
the snapshot in the ``iso10383`` package is too old for a venue (the file changes monthly).
Only the ``MIC`` and ``STATUS`` columns are read; the file is read with the same bounded line
reader as market data, and any unreadable line refuses the file: a registry with holes would
refuse good listings for a reason that is not theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bounded_contexts.ingestion.adapters.csv_lines import (
    CsvFormatError,
    field_count_problem,
    header_of,
    read_lines,
)
from bounded_contexts.ingestion.domain.reference_data import MicRegistry, PackagedMicRegistry


@dataclass(frozen=True)
class CsvMicRegistry:
    """MIC → status (``ACTIVE``, ``UPDATED``, ``EXPIRED``) as the file lists them."""

    statuses: dict[str, str]

    @classmethod
    def load(cls, path: Path) -> CsvMicRegistry:
        statuses: dict[str, str] = {}
        with path.open("rb") as handle:
            lines = read_lines(handle)
            columns = header_of(lines, path.name, ("MIC", "STATUS"))
            for line in lines:
                problem = (
                    line.problem if line.fields is None else field_count_problem(line, columns)
                )
                if problem is not None or line.fields is None:
                    raise CsvFormatError(f"{path.name} line {line.number}: {problem}")
                row = dict(zip(columns, line.fields, strict=True))
                statuses[row["MIC"].strip()] = row["STATUS"].strip().upper()
        if not statuses:
            raise CsvFormatError(f"{path.name}: no MIC listed")
        return cls(statuses)

    def status(self, mic: str) -> str | None:
        return self.statuses.get(mic)


def mic_registry(path: Path | None) -> MicRegistry:
    """The configured registry file, else the package's snapshot."""
    return CsvMicRegistry.load(path) if path is not None else PackagedMicRegistry()
