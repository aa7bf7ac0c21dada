"""A bar file is read line by line in binary: one bad line is quarantined with its number and
reason, and every line after it still arrives; only an unusable header refuses the file."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from bounded_contexts.ingestion.adapters.csv_lines import MAX_LINE_BYTES, PREFIX_BYTES
from bounded_contexts.ingestion.adapters.csv_replay import CsvFormatError, read_bars
from bounded_contexts.ingestion.domain.bars import BarRejected, RawBar, parse_bar

HEADER = b"instrument_id,timestamp,open,high,low,close,volume\n"
GOOD = b"SAP,2026-11-20T08:%02d:00Z,210.00,210.01,209.62,209.74,2351\n"
MINUTE = 60_000_000_000


def good(minute: int) -> bytes:
    return GOOD % minute


def write(tmp_path: Path, *lines: bytes) -> Path:
    path = tmp_path / "bars.csv"
    path.write_bytes(b"".join(lines))
    return path


def problems(path: Path) -> dict[int, str | None]:
    return {row.line: row.problem for row in read_bars(path)}


def test_a_utf8_byte_order_mark_before_the_header_is_accepted(tmp_path: Path) -> None:
    rows = list(read_bars(write(tmp_path, b"\xef\xbb\xbf" + HEADER, good(0))))
    assert [r.problem for r in rows] == [None]
    assert parse_bar(rows[0], MINUTE).instrument_id == "SAP"


def test_a_line_that_is_not_utf8_is_quarantined_with_its_number_and_the_rest_flow(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, HEADER, good(0), b"SAP,2026-11-20T08:01:00Z,21\xff.00,1,1,1,1\n")
    path.write_bytes(path.read_bytes() + b"".join(good(m) for m in range(2, 101)))
    rows = list(read_bars(path))
    assert len(rows) == 101
    bad = rows[1]
    assert (bad.line, bad.problem) == (3, "undecodable line: byte 0xff at column 28 is not UTF-8")
    assert bad.text == "SAP,2026-11-20T08:01:00Z,21\\xff.00,1,1,1,1"
    assert all(r.problem is None for r in rows[2:]) and rows[-1].line == 102
    with pytest.raises(BarRejected, match=r"^undecodable line"):
        parse_bar(bad, MINUTE)


@pytest.mark.parametrize(
    ("byte", "name"),
    [(b"\x00", "U+0000 (NUL)"), (b"\x1b", "U+001B"), (b"\r", "U+000D (carriage return)")],
)
def test_a_control_character_is_quarantined_and_kept_escaped(
    tmp_path: Path, byte: bytes, name: str
) -> None:
    path = write(tmp_path, HEADER, b"S" + byte + b"P,2026-11-20T08:00:00Z,1,1,1,1,1\n", good(1))
    bad, after = read_bars(path)
    assert bad.problem == f"control character {name} at column 2"
    assert bad.text is not None and byte.decode() not in bad.text and "S\\" in bad.text
    assert after.problem is None


def test_a_tab_inside_a_field_is_text_not_a_control_character(tmp_path: Path) -> None:
    (row,) = read_bars(write(tmp_path, HEADER, b"SAP,2026-11-20T08:00:00Z,\t210.00,1,1,1,1\n"))
    assert row.problem is None and row.open == "\t210.00"


@pytest.mark.parametrize(
    ("line", "count"),
    [(b"SAP,2026-11-20T08:00:00Z,1,1,1,1,1,extra,more\n", 9), (b"SAP,2026-11-20T08:00Z,1\n", 3)],
)
def test_a_row_with_more_or_fewer_fields_than_the_header_is_quarantined(
    tmp_path: Path, line: bytes, count: int
) -> None:
    assert problems(write(tmp_path, HEADER, line, good(1))) == {
        2: f"malformed row: {count} fields where the header has 7",
        3: None,
    }


def test_a_quoted_field_spanning_lines_is_a_malformed_row_and_the_next_line_stands_alone(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, HEADER, b'SAP,"2026-11-20\n', b'T08:00:00Z",1,1,1,1,1\n', good(1))
    found = problems(path)
    assert found[2] is not None and found[2].startswith("malformed row: unexpected end of data")
    assert found[3] is not None and found[3].startswith("malformed row:")
    assert found[4] is None


def test_an_overlong_line_is_quarantined_with_its_length_and_prefix_only(tmp_path: Path) -> None:
    long_line = b"SAP,2026-11-20T08:00:00Z," + b"9" * (3 * MAX_LINE_BYTES) + b",1,1,1,1\n"
    rows = list(read_bars(write(tmp_path, HEADER, good(0), long_line, good(2))))
    assert [r.line for r in rows] == [2, 3, 4]
    bad = rows[1]
    assert bad.problem is not None
    assert bad.problem.startswith(f"overlong line: {len(long_line) - 1:,} bytes (at most 65,536)")
    assert bad.text is not None and len(bad.text) == PREFIX_BYTES
    assert rows[2].problem is None and rows[2].timestamp == "2026-11-20T08:02:00Z"


def test_a_line_of_two_hundred_megabytes_is_read_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv"
    with path.open("wb") as out:
        out.write(HEADER + good(0) + b"SAP,")
        chunk = b"7" * (1 << 20)
        for _ in range(200):
            out.write(chunk)
        out.write(b"\n" + good(1))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = list(read_bars(path))
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    path.unlink()
    assert [(r.line, r.problem is None) for r in rows] == [(2, True), (3, False), (4, True)]
    assert grown_kib < 20_000


def test_blank_lines_are_skipped_and_line_numbers_stay_those_of_the_file(tmp_path: Path) -> None:
    rows = list(read_bars(write(tmp_path, HEADER, b"\n", b"\r\n", good(0))))
    assert [(r.line, r.problem) for r in rows] == [(4, None)]


def test_crlf_line_endings_and_a_missing_last_newline_are_read(tmp_path: Path) -> None:
    rows = list(read_bars(write(tmp_path, HEADER, good(0)[:-1] + b"\r\n", good(1)[:-1])))
    assert [(r.problem, r.volume) for r in rows] == [(None, "2351"), (None, "2351")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"instrument_id,timestamp,open,high,low,close\n", r"missing column\(s\) volume$"),
        (b"instrument_id,timestamp,open,high,low,close,volume,\n", r"header column 8 has no"),
        (b"instrument_id,timestamp,open,open,high,low,close,volume\n", r"'open' twice"),
        (b"instrument_id,time\xffstamp,open,high,low,close,volume\n", r"line 1 \(header\)"),
    ],
)
def test_an_unusable_header_refuses_the_whole_file_naming_why(
    tmp_path: Path, content: bytes, message: str
) -> None:
    with pytest.raises(CsvFormatError, match=message):
        list(read_bars(write(tmp_path, content, good(0))))


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CsvFormatError, match=r"^bars.csv: empty file \(no header line\)$"):
        list(read_bars(write(tmp_path, b"")))


def test_a_row_that_could_not_be_split_keeps_its_text_in_the_quarantined_raw() -> None:
    row = RawBar("f.csv", 7, None, None, None, None, None, None, None, "overlong line", "SAP,")
    assert row.as_dict()["text"] == "SAP,"
    assert "text" not in RawBar("f.csv", 7, "SAP", "0", "1", "1", "1", "1", "1").as_dict()
