"""Physical lines of a CSV file, read so that no single line can stop or exhaust the reader.

The file is read in binary and each line decoded on its own: a byte that is not UTF-8, a NUL or
a line of a gigabyte spoils that line only, with its number, and every line after it is still
read. A line longer than :data:`MAX_LINE_BYTES` is never held in memory: it is consumed in
chunks of that size and only its length and a short prefix are kept. One record per line: a
quoted field cannot span lines (the csv module would otherwise read ahead without bound).
Lines end in ``\\n`` or ``\\r\\n``; any other control character in a line (tab excepted) spoils
it. A UTF-8 byte-order mark before the header is dropped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from bounded_contexts.ingestion.domain.text import describe, escape_unsafe, first_unsafe

MAX_LINE_BYTES = 64 * 1024
"""Ten times the longest real row (a bar row is under 100 bytes, an instrument row under 400);
well under the csv module's 131,072-character field limit, so that limit is never what
refuses a line."""
PREFIX_BYTES = 80
"""How much of an overlong line is kept for inspection."""
_BOM = b"\xef\xbb\xbf"


class CsvFormatError(ValueError):
    """The file itself is unusable (missing columns, unreadable header): nothing is read from
    it. The message names the file, and the line where there is one."""


@dataclass(frozen=True)
class Line:
    """One physical line: its fields when it could be split, else the problem.

    ``raw`` is the line as text with every control character escaped (for an overlong line,
    its first :data:`PREFIX_BYTES` bytes): what a quarantine keeps."""

    number: int
    fields: list[str] | None
    problem: str | None
    raw: str


def read_lines(handle: BinaryIO, max_bytes: int = MAX_LINE_BYTES) -> Iterator[Line]:
    """Every non-blank line of ``handle`` (numbered from 1, blank lines counted but not
    yielded), split into CSV fields or carrying the reason it could not be."""
    number = 0
    while True:
        data = handle.readline(max_bytes + 1)
        if not data:
            return
        number += 1
        if number == 1 and data.startswith(_BOM):
            data = data[len(_BOM) :]
        if len(data) > max_bytes and not data.endswith(b"\n"):
            yield _overlong(number, data, handle, max_bytes)
            continue
        body = data[:-1] if data.endswith(b"\n") else data
        body = body[:-1] if body.endswith(b"\r") else body
        if body:
            yield _split(number, body)


def _overlong(number: int, head: bytes, handle: BinaryIO, max_bytes: int) -> Line:
    """Consume the rest of an overlong line in bounded chunks, keeping only its length."""
    length, ended = len(head), False
    while not ended:
        chunk = handle.readline(max_bytes)
        if not chunk:
            break
        ended = chunk.endswith(b"\n")
        length += len(chunk) - (1 if ended else 0)
    prefix = escape_unsafe(head[:PREFIX_BYTES].decode("utf-8", errors="backslashreplace"))
    return Line(
        number,
        None,
        f"overlong line: {length:,} bytes (at most {max_bytes:,}); it starts {prefix[:40]!r}",
        prefix,
    )


def _split(number: int, body: bytes) -> Line:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raw = escape_unsafe(body.decode("utf-8", errors="backslashreplace"))
        column = len(body[: exc.start].decode("utf-8", errors="replace")) + 1
        return Line(
            number,
            None,
            f"undecodable line: byte 0x{body[exc.start]:02x} at column {column} is not UTF-8",
            raw,
        )
    unsafe = first_unsafe(text)
    if unsafe is not None:
        column, char = unsafe
        return Line(
            number,
            None,
            f"control character {describe(char)} at column {column}",
            escape_unsafe(text),
        )
    try:
        fields = next(csv.reader([text], strict=True))
    except csv.Error as exc:
        return Line(
            number,
            None,
            f"malformed row: {exc} (one record per line: a quoted field cannot span lines)",
            text,
        )
    return Line(number, fields, None, text)


def header_of(lines: Iterator[Line], name: str, needed: tuple[str, ...]) -> list[str]:
    """The column names from the first line, or :class:`CsvFormatError` when the file is
    empty, the header is unreadable, a name is blank or repeated, or a needed one is absent."""
    first = next(lines, None)
    if first is None:
        raise CsvFormatError(f"{name}: empty file (no header line)")
    if first.fields is None:
        raise CsvFormatError(f"{name} line {first.number} (header): {first.problem}")
    columns = [c.strip() for c in first.fields]
    for position, column in enumerate(columns, start=1):
        if not column:
            raise CsvFormatError(f"{name}: header column {position} has no name")
        if columns.index(column) != position - 1:
            raise CsvFormatError(f"{name}: header names column {column!r} twice")
    missing = [c for c in needed if c not in columns]
    if missing:
        raise CsvFormatError(f"{name}: missing column(s) {', '.join(missing)}")
    return columns


def field_count_problem(line: Line, columns: list[str]) -> str | None:
    """A row must have exactly the header's fields: extra unnamed fields are a shifted row."""
    assert line.fields is not None
    if len(line.fields) == len(columns):
        return None
    return f"malformed row: {len(line.fields)} fields where the header has {len(columns)}"
