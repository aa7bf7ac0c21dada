"""The FIX tag=value codec: frames it writes are well-formed, frames it reads are verified, and
a byte stream split or garbled anywhere never raises out of the reader nor hides a good frame."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bounded_contexts.execution.adapters.venues.fix44.codec import (
    FixDecodeError,
    FixMessage,
    FrameReader,
    checksum,
    decode,
    encode,
)

HEARTBEAT = [(35, "0"), (49, "A"), (56, "B"), (34, "7"), (52, "20261204-12:00:00.000")]

values = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=20
)
bodies = st.lists(st.tuples(st.integers(1, 9999).filter(lambda t: t not in (8, 9, 10, 35)), values))


def test_an_encoded_heartbeat_has_the_body_length_and_checksum_the_standard_defines() -> None:
    frame = encode(HEARTBEAT)
    body = b"35=0\x0149=A\x0156=B\x0134=7\x0152=20261204-12:00:00.000\x01"
    assert frame.startswith(b"8=FIX.4.4\x019=%d\x01" % len(body) + body)
    assert frame.endswith(b"10=%03d\x01" % checksum(frame[:-7]))


def test_decoding_an_encoded_message_gives_its_fields_back_in_order() -> None:
    message = decode(encode([*HEARTBEAT, (58, "a=b c"), (448, "P1"), (448, "P2")]))
    assert message.msg_type == "0"
    assert message[58] == "a=b c"
    assert message.get(448) == "P1"  # the first of a repeated tag by lookup
    assert [v for t, v in message.fields if t == 448] == ["P1", "P2"]  # all of them in order


@given(bodies)
def test_any_message_survives_encode_then_decode(body: list[tuple[int, str]]) -> None:
    fields = [(35, "8"), *body]
    assert list(decode(encode(fields)).fields)[2:-1] == fields


@given(st.lists(bodies, min_size=1, max_size=5), st.data())
def test_the_reader_finds_every_frame_however_the_stream_is_split(
    messages: list[list[tuple[int, str]]], data: st.DataObject
) -> None:
    stream = b"".join(encode([(35, "8"), *body]) for body in messages)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    reader, got = FrameReader(), []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        got += reader.feed(stream[start:end])
    assert all(isinstance(item, FixMessage) for item in got)
    assert [list(m.fields)[3:-1] for m in got] == [body for body in messages]  # type: ignore[union-attr]


@given(st.binary(max_size=60).filter(lambda b: b"8=FIX" not in b and not b.endswith(b"8=FI")))
def test_garbage_between_frames_is_reported_and_the_next_frame_still_read(garbage: bytes) -> None:
    reader = FrameReader()
    items = reader.feed(encode(HEARTBEAT) + garbage + encode([*HEARTBEAT[:3], (34, "8")]))
    messages = [i for i in items if isinstance(i, FixMessage)]
    assert [m[34] for m in messages] == ["7", "8"]
    errors = [i for i in items if isinstance(i, FixDecodeError)]
    assert (len(errors) > 0) == (len(garbage) > 0)


def test_a_frame_with_a_wrong_checksum_is_a_named_error_and_the_stream_goes_on() -> None:
    good = encode(HEARTBEAT)
    bad = good.replace(b"49=A", b"49=X")
    items = FrameReader().feed(bad + good)
    assert isinstance(items[0], FixDecodeError)
    assert "CheckSum(10)" in str(items[0])
    assert isinstance(items[1], FixMessage) and items[1][34] == "7"


def test_a_body_length_that_lies_is_a_named_error_and_the_stream_resynchronises() -> None:
    good = encode(HEARTBEAT)
    lying = good.replace(b"9=", b"9=1", 1)  # says 10x longer than it is
    reader = FrameReader()
    items = reader.feed(lying + good + good)
    assert any(isinstance(i, FixDecodeError) and "BodyLength" in str(i) for i in items)
    assert sum(isinstance(i, FixMessage) for i in items) >= 1


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b"9=5\x0135=0\x0110=000\x01", "8=FIX"),
        (b"8=FIX.4.4\x019=x\x0135=0\x0110=000\x01", "BodyLength"),
        (b"8=FIX.4.4\x019=5\x0135=0\x01junk\x0110=000\x01", "malformed field"),
        (b"8=FIX.4.4\x019=5\x0149=A\x0135=0\x0110=000\x01", "8, 9, 35"),
    ],
)
def test_decoding_a_malformed_frame_names_what_is_wrong(frame: bytes, reason: str) -> None:
    with pytest.raises(FixDecodeError, match=reason):
        decode(frame)


def test_a_huge_body_length_is_garbage_not_something_to_wait_for() -> None:
    items = FrameReader().feed(b"8=FIX.4.4\x019=999999999\x0135=0\x01" + encode(HEARTBEAT))
    assert isinstance(items[0], FixDecodeError)
    assert isinstance(items[-1], FixMessage)


def test_a_value_holding_soh_or_nothing_is_refused_when_encoding() -> None:
    with pytest.raises(ValueError, match="SOH"):
        encode([(35, "0"), (58, "a\x01b")])
    with pytest.raises(ValueError, match="non-empty"):
        encode([(35, "0"), (58, "")])
