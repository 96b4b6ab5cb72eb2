"""Latest-frame semantics and reconnection of live sources.

The live source here is a real OpenCV capture of a video file marked live (it delivers as fast as it
can decode, like a camera faster than the consumer); the disappearing camera is a FrameSource of our
own that stops delivering, so the grabber's reconnect logic runs for real.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from hardware.cameras import CameraError, CapturedFrame, GrabberStatus, LatestFrameGrabber, VideoCaptureSource


@pytest.fixture
def long_video(tmp_path: Path) -> Path:
    path = tmp_path / "long.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (64, 48))
    for i in range(200):
        writer.write(np.full((48, 64, 3), i, np.uint8))
    writer.release()
    return path


def test_a_slow_consumer_gets_the_newest_frames_and_drops_are_counted(long_video: Path) -> None:
    source = VideoCaptureSource(str(long_video), live=True)
    seen: list[CapturedFrame] = []
    with LatestFrameGrabber(source, lambda: VideoCaptureSource(str(long_video), live=True)) as grabber:
        while len(seen) < 5:
            frame = grabber.get(timeout=5.0)
            assert frame is not None
            seen.append(frame)
            time.sleep(0.05)  # a consumer much slower than decoding
        status = grabber.status
    indices = [f.index for f in seen]
    assert indices == sorted(indices) and len(set(indices)) == len(indices)
    assert indices[-1] - indices[0] > len(indices)  # frames were skipped, not queued
    assert status.frames_dropped > 0
    assert status.frames_dropped + len(seen) <= status.frames_captured


def test_get_returns_none_when_no_new_frame_arrives() -> None:
    source = _FlakySource(frames_before_failure=1)
    with LatestFrameGrabber(source, _failing_reopen(times=1000), backoff_initial=0.01) as grabber:
        assert grabber.get(timeout=2.0) is not None
        assert grabber.get(timeout=0.05) is None


class _FlakySource:
    """A camera that delivers a few frames and then stops (unplugged)."""

    live = True
    fps = 30.0
    description = "flaky camera"

    def __init__(self, frames_before_failure: int) -> None:
        self.remaining = frames_before_failure
        self.closed = False

    def read(self) -> CapturedFrame | None:
        if self.remaining == 0:
            return None
        self.remaining -= 1
        time.sleep(0.002)  # a camera delivers at its own pace
        return CapturedFrame(np.zeros((4, 4, 3), np.uint8), time.monotonic(), 0)

    def close(self) -> None:
        self.closed = True


def _failing_reopen(times: int, then: _FlakySource | None = None):
    calls = {"n": 0}

    def reopen() -> _FlakySource:
        calls["n"] += 1
        if calls["n"] <= times or then is None:
            raise CameraError("摄像头不可用", "camera unavailable")
        return then

    return reopen


def test_a_camera_that_disappears_is_reported_and_reopened_with_back_off() -> None:
    first = _FlakySource(frames_before_failure=2)
    second = _FlakySource(frames_before_failure=10**9)
    statuses: list[GrabberStatus] = []
    reconnected = threading.Event()

    def on_status(status: GrabberStatus) -> None:
        statuses.append(status)
        if status.connected and status.reconnects:
            reconnected.set()

    reopen = _failing_reopen(times=3, then=second)
    with LatestFrameGrabber(
        first, reopen, backoff_initial=0.01, backoff_max=0.04, on_status=on_status
    ) as grabber:
        assert reconnected.wait(timeout=10.0)
        assert grabber.get(timeout=2.0) is not None  # frames flow again from the new source
        assert grabber.status.connected and grabber.status.reconnects == 1
    assert first.closed
    assert statuses[0].connected is False and statuses[0].last_error == "source stopped delivering frames"
    failures = [s for s in statuses if s.last_error == "camera unavailable"]
    assert len(failures) == 3  # each failed reopen is reported, none is raised
    assert statuses[-1] == GrabberStatus(
        True, statuses[-1].frames_captured, statuses[-1].frames_dropped, 1, None
    )
