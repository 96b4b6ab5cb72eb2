"""Session recordings (MCAP): damaged or foreign files give RecordingError, never another exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from lab.bus.envelope import Envelope
from lab.bus.topics import Kind
from lab.recording.mcap_io import RecordingError, SessionWriter, read_recording, recording_info


def _valid_recording() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s1.mcap"
        with SessionWriter(path, station="st01", session="s1") as writer:
            for seq in range(20):
                body = {"t": seq / 30, "image": None, "world": None}
                writer.write(
                    Kind.POSE, Envelope("pose", "st01", "s1", seq, body, t_mono=seq, t_wall=1.7e9 + seq)
                )
                writer.write(
                    Kind.EVENTS, Envelope("coach.event", "st01", "s1", seq, {"rule": "r"}, t_wall=1.7e9 + seq)
                )
        return path.read_bytes()


VALID = _valid_recording()


def _read(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rec.mcap"
        path.write_bytes(content)
        for reader in (lambda: recording_info(path), lambda: list(read_recording(path))):
            try:
                reader()
            except RecordingError as exc:
                assert exc.text.zh and exc.text.en


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_damaged_recordings(data: st.DataObject) -> None:
    content = bytearray(VALID)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(content) - 1))
        content[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(content)))
    _read(bytes(content[:cut]))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
@example(b"\x89MCAP0\r\n")
@example(VALID[:64])
def test_foreign_bytes(content: bytes) -> None:
    _read(content)


def test_the_valid_recording_reads_back() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rec.mcap"
        path.write_bytes(VALID)
        assert recording_info(path)["messages"] == {"pose": 20, "events": 20}
        assert len(list(read_recording(path, kinds=[Kind.POSE]))) == 20
