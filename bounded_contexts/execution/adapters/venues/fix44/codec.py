"""FIX tag=value framing: encode with BodyLength(9) and CheckSum(10), decode and verify.

A message is an ordered list of ``(tag, value)`` pairs, kept in order so that repeating
groups survive a round trip untouched (we send none; we read none beyond their first entry).
Values are ASCII text without SOH: the data fields that may carry SOH (RawData(96) and its
kind) are not supported and are rejected as garbled.

:class:`FrameReader` cuts a TCP byte stream into frames. Anything that is not a well-formed
frame becomes a :class:`FixDecodeError` in its output (never an exception out of ``feed``),
and the reader resynchronises on the next ``8=FIX`` — so a hostile or garbled peer can cost
us that frame, never the session. Per the FIX session protocol a garbled frame is ignored
without consuming a sequence number: the next good frame then shows a gap, which the session
heals with a ResendRequest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

SOH = b"\x01"
BEGIN_STRING = "FIX.4.4"
MAX_BODY_LENGTH = 1 << 20
"""A BodyLength(9) above 1 MiB is taken as garbage, not waited for."""

_START = b"8=FIX"
_TRAILER_LENGTH = 7  # b"10=123\x01"


class FixDecodeError(ValueError):
    """A frame that is not well-formed FIX: says what was wrong and shows its start."""

    def __init__(self, reason: str, raw: bytes = b"") -> None:
        shown = raw[:80].replace(SOH, b"|").decode("ascii", "replace")
        super().__init__(f"{reason}: {shown!r}" if raw else reason)
        self.reason = reason
        self.raw = raw


class FixMessage:
    """A decoded message: its fields in order, and the first value of each tag by lookup."""

    __slots__ = ("_first", "fields")

    def __init__(self, fields: Sequence[tuple[int, str]]) -> None:
        self.fields: tuple[tuple[int, str], ...] = tuple(fields)
        first: dict[int, str] = {}
        for tag, value in self.fields:
            first.setdefault(tag, value)
        self._first = first

    @property
    def msg_type(self) -> str:
        return self._first.get(35, "")

    def get(self, tag: int, default: str | None = None) -> str | None:
        return self._first.get(tag, default)

    def __getitem__(self, tag: int) -> str:
        try:
            return self._first[tag]
        except KeyError:
            raise KeyError(f"tag {tag} is missing from a {self.msg_type!r} message") from None

    def __contains__(self, tag: object) -> bool:
        return tag in self._first

    def body(self) -> list[tuple[int, str]]:
        """The fields after the standard header and before the trailer."""
        return [(t, v) for t, v in self.fields if t not in HEADER_TAGS and t != 10]

    def __repr__(self) -> str:
        return "FixMessage(" + "|".join(f"{t}={v}" for t, v in self.fields) + ")"


HEADER_TAGS = frozenset({8, 9, 35, 49, 56, 34, 52, 43, 97, 122, 115, 128, 50, 57, 142, 143})
"""Standard header tags we know (others go with the body, which is harmless for resends)."""


def checksum(data: bytes) -> int:
    return sum(data) % 256


def encode_fields(fields: Iterable[tuple[int, str]]) -> bytes:
    """``tag=value<SOH>`` for each field; a value holding SOH or empty is refused."""
    parts = []
    for tag, value in fields:
        if not value or "\x01" in value:
            raise ValueError(f"tag {tag}: a FIX value must be non-empty and hold no SOH")
        parts.append(f"{tag}={value}\x01")
    return "".join(parts).encode("ascii")


def encode(fields: Iterable[tuple[int, str]], begin_string: str = BEGIN_STRING) -> bytes:
    """A complete frame: ``8``, ``9`` computed over ``fields`` (which start with 35), the
    fields, and ``10``."""
    return frame(encode_fields(fields), begin_string)


def frame(body: bytes, begin_string: str = BEGIN_STRING) -> bytes:
    """Wrap encoded fields (from MsgType(35) on) in BeginString, BodyLength and CheckSum."""
    head = b"8=%s\x019=%d\x01" % (begin_string.encode("ascii"), len(body))
    framed = head + body
    return framed + b"10=%03d\x01" % checksum(framed)


def decode(frame: bytes) -> FixMessage:
    """One complete frame, verified: begin string, BodyLength(9), MsgType(35) third, every
    field ``tag=value`` with a numeric tag, CheckSum(10) last and right."""
    if not frame.startswith(b"8=FIX") or not frame.endswith(SOH):
        raise FixDecodeError("a frame must start with 8=FIX and end with SOH", frame)
    parts = frame[:-1].split(SOH)
    fields: list[tuple[int, str]] = []
    for part in parts:
        tag, sep, value = part.partition(b"=")
        if not sep or not tag.isdigit() or not value:
            raise FixDecodeError(f"malformed field {part[:30]!r}", frame)
        try:
            fields.append((int(tag), value.decode("ascii")))
        except UnicodeDecodeError:
            raise FixDecodeError(f"non-ASCII value in tag {int(tag)}", frame) from None
    if len(fields) < 4 or fields[1][0] != 9 or fields[2][0] != 35 or fields[-1][0] != 10:
        raise FixDecodeError("fields must run 8, 9, 35, …, 10", frame)
    if not fields[1][1].isdigit():
        raise FixDecodeError("BodyLength(9) is not a number", frame)
    head_length = len(parts[0]) + len(parts[1]) + 2
    body_length = len(frame) - head_length - _TRAILER_LENGTH
    if int(fields[1][1]) != body_length:
        raise FixDecodeError(f"BodyLength(9) says {fields[1][1]}, the body is {body_length}", frame)
    declared = fields[-1][1]
    actual = checksum(frame[:-_TRAILER_LENGTH])
    if len(declared) != 3 or not declared.isdigit() or int(declared) != actual:
        raise FixDecodeError(f"CheckSum(10) says {declared}, the frame sums to {actual:03d}", frame)
    return FixMessage(fields)


class FrameReader:
    """Reassembles frames from a byte stream (TCP delivers them split and joined at will).

    ``feed`` returns what became complete: decoded messages, and a :class:`FixDecodeError` for
    each stretch of garbage or garbled frame, in stream order."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[FixMessage | FixDecodeError]:
        self._buffer += data
        out: list[FixMessage | FixDecodeError] = []
        while True:
            item = self._next()
            if item is None:
                return out
            out.append(item)

    def _skip_to_start(self, offset: int) -> FixDecodeError | None:
        """Drop bytes before the next frame start at or after ``offset``; say so if any."""
        start = self._buffer.find(_START, offset)
        cut = start if start >= 0 else max(offset, len(self._buffer) - len(_START) + 1)
        dropped = bytes(self._buffer[:cut])
        del self._buffer[:cut]
        return FixDecodeError("bytes outside any frame", dropped) if dropped else None

    def _next(self) -> FixMessage | FixDecodeError | None:
        buffer = self._buffer
        if not buffer.startswith(_START):
            skipped = self._skip_to_start(0)
            if skipped is not None:
                return skipped
            if not buffer.startswith(_START):
                return None
        first = buffer.find(SOH)
        if first < 0:
            return self._garbled_if(len(buffer) > 32, "no SOH after BeginString(8)")
        second = buffer.find(SOH, first + 1)
        if second < 0:
            return self._garbled_if(len(buffer) - first > 16, "BodyLength(9) never ends")
        length_field = bytes(buffer[first + 1 : second])
        if not length_field.startswith(b"9=") or not length_field[2:].isdigit():
            return self._garbled("BodyLength(9) must follow BeginString(8)")
        body_length = int(length_field[2:])
        if body_length > MAX_BODY_LENGTH:
            return self._garbled(f"BodyLength(9) {body_length} is beyond {MAX_BODY_LENGTH}")
        end = second + 1 + body_length + _TRAILER_LENGTH
        if len(buffer) < end:
            return None
        frame = bytes(buffer[:end])
        if not frame[end - _TRAILER_LENGTH :].startswith(b"10="):
            return self._garbled("CheckSum(10) is not where BodyLength(9) says")
        del buffer[:end]
        try:
            return decode(frame)
        except FixDecodeError as error:
            return error

    def _garbled_if(self, condition: bool, reason: str) -> FixDecodeError | None:
        return self._garbled(reason) if condition else None

    def _garbled(self, reason: str) -> FixDecodeError:
        """Drop this would-be frame's start and everything up to the next one."""
        raw = bytes(self._buffer[:80])
        self._skip_to_start(1)
        return FixDecodeError(reason, raw)
