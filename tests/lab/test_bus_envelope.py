"""Envelope and topic validation: every bad input is a BadMessage/BadTopic, never another exception."""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.bus.envelope import SCHEMA_VERSION, BadMessage, Envelope, check, decode
from lab.bus.text import UserError
from lab.bus.topics import BadTopic, Kind, Topic, frame, split_frame


def _envelope(**changes) -> dict:
    base = Envelope(type="pose", station="st01", session="s1", seq=3, body={"a": [1, 2.5, None]})
    fields = {
        "v": base.v,
        "type": base.type,
        "station": base.station,
        "session": base.session,
        "seq": base.seq,
        "t_mono": base.t_mono,
        "t_wall": base.t_wall,
        "body": base.body,
    }
    fields.update(changes)
    return fields


def test_round_trip_keeps_every_field_including_bytes_bodies():
    original = Envelope(
        type="video", station="st01", session="s1", seq=7, body={"jpeg": b"\xff\xd8", "q": 75}
    )
    assert decode(original.encode()) == original


@pytest.mark.parametrize(
    "changes",
    [
        {"seq": -1},
        {"seq": 1.5},
        {"type": ""},
        {"type": "Pose Frame"},
        {"station": 5},
        {"body": [1, 2]},
        {"t_wall": "now"},
        {"extra": 1},
        {"v": True},  # msgpack true is not schema version 1
        {"t_mono": None},
    ],
)
def test_malformed_fields_are_garbled(changes):
    with pytest.raises(BadMessage) as caught:
        decode(msgpack.packb(_envelope(**changes)))
    assert caught.value.reason == "garbled"


def test_other_schema_version_is_reported_as_version():
    with pytest.raises(BadMessage) as caught:
        decode(msgpack.packb(_envelope(v=SCHEMA_VERSION + 1)))
    assert caught.value.reason == "version"
    assert isinstance(caught.value, UserError)


def test_missing_field_is_garbled():
    fields = _envelope()
    del fields["t_mono"]
    with pytest.raises(BadMessage, match="garbled"):
        decode(msgpack.packb(fields))


@settings(deadline=None)  # no timing in tests: a loaded CI machine must not fail this
@given(st.binary(max_size=300))
def test_random_bytes_never_raise_anything_but_bad_message(data):
    try:
        decode(data)
    except BadMessage as exc:
        assert exc.reason in ("garbled", "version")


def test_topic_prefixes_do_not_match_longer_ids():
    s1, s10 = Topic(Kind.POSE, "st01", "s1"), Topic(Kind.POSE, "st01", "s10")
    assert not frame(s10, b"x").startswith(s1.prefix)
    assert split_frame(frame(s1, b"payload")) == (s1, b"payload")


@pytest.mark.parametrize(
    "data", [b"no-separator", b"pose/st01 x", b"bogus/st01/s1 x", b"pose/st/01/s1 x", b"\xff/a/b x"]
)
def test_bad_topics_are_refused(data):
    with pytest.raises(BadTopic):
        split_frame(data)


@pytest.mark.parametrize("station", ["", "a b", "a/b", "x" * 65])
def test_ids_with_separators_are_refused(station):
    with pytest.raises(BadTopic):
        Topic(Kind.POSE, station)


def test_binary_can_be_refused_where_pixels_do_not_belong():
    with_pixels = Envelope(type="pose", station="st01", session="s1", seq=0, body={"thumb": b"\x89PNG"})
    assert decode(with_pixels.encode()).body["thumb"] == b"\x89PNG"
    with pytest.raises(BadMessage) as caught:
        decode(with_pixels.encode(), allow_binary=False)
    assert caught.value.reason == "binary"
    clean = Envelope(type="pose", station="st01", session="s1", seq=0, body={"image": [[0.1, 0.2]]})
    assert decode(clean.encode(), allow_binary=False) == clean
    with pytest.raises(BadMessage) as caught:
        decode(b"\xc1", allow_binary=False)
    assert caught.value.reason == "garbled"


def test_check_validates_like_decode_without_building_the_envelope():
    envelope = Envelope(type="pose", station="st01", session="s1", seq=3, body={"image": [[0.1, 0.2]]})
    assert check(envelope.encode(), allow_binary=False) == envelope.as_dict()
    pixels = Envelope(type="pose", station="st01", session="s1", seq=0, body={"thumb": b"\x89PNG"})
    for data, reason in (
        (pixels.encode(), "binary"),
        (b"\xc1", "garbled"),
        (msgpack.packb({**envelope.as_dict(), "v": 2}), "version"),
    ):
        with pytest.raises(BadMessage) as caught:
            check(data, allow_binary=False)
        assert caught.value.reason == reason
