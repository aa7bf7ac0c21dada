"""A replay resumes after what was stored before it started, and validates the rest."""

from __future__ import annotations

from bounded_contexts.ingestion.application.service import ResumePoint
from bounded_contexts.ingestion.domain.bars import RawBar


def _row(line: int, instrument: str, timestamp: str, source: str = "bars.csv") -> RawBar:
    return RawBar(source, line, instrument, timestamp, "1", "1", "1", "1", "1")


def test_rows_at_or_before_the_stored_bar_or_already_quarantined_are_skipped_and_counted() -> None:
    point = ResumePoint(last_bar_start={"SAP": 1_000}, quarantined={"bars.csv": frozenset({7})})
    rows = [
        _row(2, "SAP", "999"),  # stored before
        _row(3, "SAP", "1000"),  # the stored bar itself
        _row(7, "XYZ", "5000"),  # quarantined before
        _row(8, "SAP", "2000"),  # new
        _row(9, "SIE", "10"),  # an instrument with nothing stored
    ]
    skipped = [0]
    assert [r.line for r in point.filter(rows, skipped)] == [8, 9]
    assert skipped == [3]


def test_a_duplicate_inside_the_replayed_rows_is_not_skipped_but_left_to_validation() -> None:
    point = ResumePoint(last_bar_start={"SAP": 1_000}, quarantined={})
    rows = [_row(2, "SAP", "2000"), _row(3, "SAP", "2000"), _row(4, "SAP", "1500")]
    assert [r.line for r in point.filter(rows)] == [2, 3, 4]  # the snapshot is not moved


def test_an_unreadable_timestamp_is_passed_on_to_be_quarantined_with_its_reason() -> None:
    point = ResumePoint(last_bar_start={"SAP": 1_000}, quarantined={})
    assert [r.line for r in point.filter([_row(2, "SAP", "yesterday")])] == [2]
