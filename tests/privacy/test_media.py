"""Finding images and videos on disk: the check a station runs after a session with clip retention 0."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import cv2
import pytest
from mcap.writer import Writer
from privacy_world import T0, World
from skimage import data

from lab.bus.envelope import Envelope
from lab.bus.topics import Kind
from lab.privacy.media import find_media_files, is_media_file
from lab.privacy.purge import apply_purge, plan_purge
from lab.privacy.retention import AUDIT_FLOOR_DAYS, RetentionPolicy
from lab.recording.mcap_io import SessionWriter


@pytest.fixture(scope="module")
def jpeg_bytes() -> bytes:
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    assert ok
    return encoded.tobytes()


def _keypoint_recording(path: Path) -> Path:
    with SessionWriter(path, station="st01", session="s1") as writer:
        writer.write(Kind.POSE, Envelope("pose", "st01", "s1", 1, {"t": 0.0, "image": None, "world": None}))
    return path


def _video_recording(path: Path, jpeg: bytes) -> Path:
    with path.open("wb") as handle:
        writer = Writer(handle)
        writer.start()
        schema = writer.register_schema("foxglove.CompressedImage", "jsonschema", b"{}")
        channel = writer.register_channel("/video", "json", schema)
        writer.add_message(channel, log_time=0, publish_time=0, data=jpeg[:64])
        writer.finish()
    return path


def test_finds_images_and_videos_by_name_and_by_content(tmp_path: Path, jpeg_bytes: bytes) -> None:
    media = {
        tmp_path / "frame.jpg": jpeg_bytes,
        tmp_path / "renamed" / "frame.bin": jpeg_bytes,  # a JPEG whatever its name
        tmp_path / "clip.avi": b"RIFF\x00\x00\x00\x00AVI LIST",
        tmp_path / "deep" / "x" / "capture.dat": b"\x00\x00\x00\x20ftypisom" + bytes(20),
        tmp_path / "cam.raw": b"\x1aE\xdf\xa3" + bytes(12),
    }
    harmless = {
        tmp_path / "poses.jsonl": b'{"format": "shixun.pose/1"}\n',
        tmp_path / "notes.txt": "不是图片".encode(),
        tmp_path / "empty": b"",
    }
    for path, content in {**media, **harmless}.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    video = _video_recording(tmp_path / "with-video.mcap", jpeg_bytes)
    keypoints = _keypoint_recording(tmp_path / "keypoints.mcap")
    found = set(find_media_files([tmp_path, tmp_path / "missing"]))
    assert found == {*media, video}
    assert not is_media_file(keypoints)


def test_unreadable_recording_counts_as_media(tmp_path: Path) -> None:
    broken = tmp_path / "cut.mcap"
    broken.write_bytes(b"\x89MCAP0\r\n" + bytes(10))
    assert is_media_file(broken)


def test_no_media_left_after_a_purge_with_clip_retention_zero(world: World, jpeg_bytes: bytes) -> None:
    """The station-side half of "no image or video file on disk after a session with clip retention 0"."""
    frame = world.clips_dir / world.session_id / "frame-0001.jpg"
    frame.write_bytes(jpeg_bytes)
    just_now = T0 + timedelta(hours=1)  # the session ended at T0 + 20 min; the frame was saved then
    os.utime(frame, (just_now.timestamp() - 2400, just_now.timestamp() - 2400))
    policy = RetentionPolicy(
        clips_days=0, keypoints_days=30, learner_records_days=365, audit_days=AUDIT_FLOOR_DAYS
    )
    assert len(find_media_files([world.clips_dir])) == 2
    with world.sessions.begin() as db:
        apply_purge(
            db, world.admin, plan_purge(db, world.admin, policy, world.clips_dir, just_now), world.clips_dir
        )
    assert find_media_files([world.clips_dir, world.recording.parent]) == []
    assert world.recording.exists()  # keypoints stay
