"""The shipped sample day is exactly what its recipe makes: six hostile rows in one seeded
session with the planted mean reversion (regenerate with tools/regenerate_sample.py)."""

from __future__ import annotations

from bounded_contexts.ingestion.adapters.csv_replay import read_bars, sample_path
from bounded_contexts.ingestion.adapters.sample_bars import HOSTILE_ROWS, sample_lines


def test_the_shipped_sample_is_what_its_recipe_makes() -> None:
    shipped = sample_path("sample_bars.csv").read_bytes().decode("ascii")
    assert shipped == "".join(f"{line}\r\n" for line in sample_lines())


def test_the_sample_holds_4080_generated_bars_and_the_six_hostile_rows() -> None:
    rows = list(read_bars(sample_path("sample_bars.csv")))
    assert len(rows) == 4080 + len(HOSTILE_ROWS)
    hostile = [r for r in rows if r.line in range(642, 648)]
    assert [r.instrument_id for r in hostile] == ["SAP", "XYZ", "SIE", "ALV", "TTE", "BNP"]
