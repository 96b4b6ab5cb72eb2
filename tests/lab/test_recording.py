"""MCAP recordings: written per session, read back by the mcap library, time-range reads via the index."""

from __future__ import annotations

import json

import pytest
from mcap.reader import make_reader

from lab.bus.envelope import Envelope
from lab.bus.topics import Kind, Topic
from lab.recording.mcap_io import RecordingError, SessionWriter, read_recording, recording_info
from lab.recording.recorder import Recorder

T0 = 1_800_000_000.0


def _envelope(kind: Kind, seq: int, t: float, body: dict | None = None) -> Envelope:
    return Envelope(
        type=kind.value, station="st01", session="s1", seq=seq, body=body or {"i": seq}, t_wall=t, t_mono=t
    )


def _write_minute(path):
    with SessionWriter(path, "st01", "s1") as writer:
        for i in range(60 * 30):
            t = T0 + i / 30
            writer.write(Kind.POSE, _envelope(Kind.POSE, i, t, {"t": i / 30, "image": None, "world": None}))
            if i % 3 == 0:
                writer.write(Kind.STATE, _envelope(Kind.STATE, i // 3, t, {"load_m": [0.0, 1.0, 2.0]}))
        writer.write(
            Kind.EVENTS, _envelope(Kind.EVENTS, 0, T0 + 30, {"rule": "reba", "zh": "弯腰", "en": "bend"})
        )


def test_recording_opens_with_the_mcap_reader_with_json_schema_channels(tmp_path):
    path = tmp_path / "s1.mcap"
    _write_minute(path)
    with path.open("rb") as stream:
        reader = make_reader(stream)
        summary = reader.get_summary()
        topics = {c.topic: c for c in summary.channels.values()}
        assert set(topics) == {"/pose", "/state", "/events", "/comment"}
        assert all(c.message_encoding == "json" for c in topics.values())
        assert {s.encoding for s in summary.schemas.values()} == {"jsonschema"}
        assert all(json.loads(s.data)["type"] == "object" for s in summary.schemas.values())
        assert summary.statistics.message_count == 1800 + 600 + 1
        first = next(reader.iter_messages(topics=["/events"]))[2]
        assert json.loads(first.data)["body"]["zh"] == "弯腰"


def test_time_range_read_returns_exactly_the_window(tmp_path):
    path = tmp_path / "s1.mcap"
    _write_minute(path)
    window = list(read_recording(path, [Kind.POSE], start=T0 + 10, end=T0 + 15))
    assert len(window) == 150
    assert all(T0 + 10 <= m.envelope.t_wall < T0 + 15 for m in window)
    assert [m.envelope.seq for m in window] == list(range(300, 450))
    assert {m.kind for m in read_recording(path, start=T0 + 29.9, end=T0 + 30.1)} == {
        Kind.POSE,
        Kind.STATE,
        Kind.EVENTS,
    }


def test_info_comes_from_the_summary(tmp_path):
    path = tmp_path / "s1.mcap"
    _write_minute(path)
    info = recording_info(path)
    assert info["station"] == "st01" and info["session"] == "s1"
    assert info["messages"]["pose"] == 1800 and info["messages"]["events"] == 1
    assert info["start"] == pytest.approx(T0) and info["end"] == pytest.approx(T0 + 1799 / 30)


@pytest.mark.parametrize("content", [b"", b"not an mcap file at all", b"\x89MCAP0\r\n" + b"\x00" * 20])
def test_bad_files_are_one_line_errors(tmp_path, content):
    path = tmp_path / "bad.mcap"
    path.write_bytes(content)
    with pytest.raises(RecordingError):
        recording_info(path)
    with pytest.raises(RecordingError):
        list(read_recording(path))


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(RecordingError):
        recording_info(tmp_path / "absent.mcap")


def test_recorder_writes_one_file_per_session_and_skips_unrecorded_kinds(tmp_path):
    recorder = Recorder(tmp_path)
    for session in ("s1", "s2"):
        for i in range(10):
            envelope = Envelope(type="pose", station="st01", session=session, seq=i, body={"i": i})
            recorder.record(Topic(Kind.POSE, "st01", session), envelope)
        video = Envelope(type="video", station="st01", session=session, seq=0, body={"jpeg": b"\xff"})
        recorder.record(Topic(Kind.VIDEO, "st01", session), video)
    recorder.close()
    assert sorted(p.name for paths in recorder.paths.values() for p in paths) == [
        "st01_s1.mcap",
        "st01_s2.mcap",
    ]
    info = recording_info(tmp_path / "st01_s2.mcap")
    assert info["session"] == "s2" and info["messages"]["pose"] == 10
    assert "video" not in info["messages"]


def test_recording_process_writes_what_the_relay_pushes(tmp_path):
    import zmq

    from lab.bus.topics import frame
    from lab.recording.service import RecordingProcess

    service = RecordingProcess(tmp_path / "rec")
    service.start()
    ctx = zmq.Context()
    push = ctx.socket(zmq.PUSH)
    push.connect(service.endpoint)
    topic = Topic(Kind.STATE, "st02", "s7")
    for i in range(25):
        push.send(
            frame(topic, Envelope(type="state", station="st02", session="s7", seq=i, body={"i": i}).encode())
        )
    push.send(b"garbage without a topic")  # ignored, not fatal
    push.close(linger=2000)
    ctx.term()
    service.stop()
    info = recording_info(tmp_path / "rec" / "st02_s7.mcap")
    assert info["messages"] == {"state": 25}
