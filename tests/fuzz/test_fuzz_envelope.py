"""Bus messages: any bytes give an Envelope or BadMessage; any frame gives a topic or BadTopic."""

from __future__ import annotations

import msgpack
from fuzz_values import VALUES, mutated
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from lab.bus.envelope import BadMessage, Envelope, decode
from lab.bus.topics import BadTopic, split_frame

VALID = Envelope("pose", "st01", "s1", 7, {"t": 1.5, "image": None}, t_mono=1.0, t_wall=1.7e9).as_dict()


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.binary(max_size=512))
@example(b"\x91" * 100_000)  # deeply nested arrays
@example(b"\xdf\xff\xff\xff\xff")  # a map claiming 4 G entries
def test_decode_random_bytes(data: bytes) -> None:
    try:
        decode(data)
    except BadMessage as exc:
        assert exc.reason in ("garbled", "version", "binary")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(mutated(VALID), st.booleans())
def test_decode_mutated_envelopes(obj: object, allow_binary: bool) -> None:
    try:
        data = msgpack.packb(obj, use_bin_type=True)
    except (OverflowError, ValueError, TypeError):
        assume(False)  # not representable in msgpack: no receiver can see it
    try:
        envelope = decode(data, allow_binary=allow_binary)
    except BadMessage:
        return
    assert envelope.v == 1 and isinstance(envelope.body, dict)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.dictionaries(st.text(max_size=8), VALUES, max_size=4), st.integers(0, 2**63 - 1))
def test_valid_envelopes_round_trip(body: dict, seq: int) -> None:
    envelope = Envelope("state", "st02", "sess-9", seq, body, t_mono=2.0, t_wall=3.0)
    try:
        encoded = envelope.encode()
    except (ValueError, OverflowError, TypeError):  # not representable in msgpack: nothing to decode
        return
    assert decode(encoded).encode() == encoded  # compared as bytes: NaN is not equal to itself


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.binary(max_size=200) | st.text(max_size=100).map(str.encode))
@example(b"pose/st01/s1 payload")
@example(b"video/" + b"a" * 70 + b"/s " + b"x")
def test_split_frame(data: bytes) -> None:
    try:
        topic, payload = split_frame(data)
    except BadTopic:
        return
    assert data == topic.prefix + payload
