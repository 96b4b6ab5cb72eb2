"""Session recordings (MCAP): damaged or foreign files give RecordingError, never another exception."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
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


def _damaged(seed: int) -> bytes:
    """VALID with up to 8 bytes overwritten (biased towards the header, summary and footer), maybe cut."""
    rng = random.Random(seed)
    content = bytearray(VALID)
    for _ in range(rng.randint(1, 8)):
        position = rng.choice(
            [rng.randrange(len(content)), rng.randrange(200), len(content) - 1 - rng.randrange(400)]
        )
        content[position] = rng.choice([0, 255, rng.randrange(256)])
    return bytes(content[: rng.choice([len(content), rng.randint(0, len(content))])])


def test_truncated_at_every_point() -> None:
    for cut in range(0, len(VALID), 7):
        _read(VALID[:cut])


# Damaged files that once made the reader raise something other than RecordingError (found by a
# search over seeds of `_damaged`); each must now be a one-line RecordingError.
KNOWN_CRASHES = {
    7: "zstandard.ZstdError (corrupt chunk)",
    11: "KeyError in recording_info (metadata without 'session')",
    239: "MemoryError (a record claims a huge length)",
    760: "KeyError (a message index names an unknown channel)",
    1314: "OverflowError (a chunk claims a huge uncompressed size)",
}


@pytest.mark.parametrize("seed", sorted(KNOWN_CRASHES))
def test_damaged_recordings(seed: int) -> None:
    _read(_damaged(seed))


@settings(max_examples=100, deadline=None, derandomize=True)
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
