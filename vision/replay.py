"""Replay of a recorded pose-stream file as a live source (for edge nodes, demos and tests)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

from vision.posestream import PoseFrame, read_pose_stream


def replay_pose_stream(
    path: Path, realtime: bool, stop: threading.Event | None = None
) -> tuple[float, Iterator[PoseFrame]]:
    """The file's fps and its frames; with `realtime`, each frame is released at its own time."""
    header, frames = read_pose_stream(path)
    return header.fps, _paced(frames, realtime, stop or threading.Event())


def _paced(frames: Iterator[PoseFrame], realtime: bool, stop: threading.Event) -> Iterator[PoseFrame]:
    start_wall: float | None = None
    first_t = 0.0
    for frame in frames:
        if stop.is_set():
            return
        if realtime:
            if start_wall is None:
                start_wall, first_t = time.monotonic(), frame.t
            delay = (frame.t - first_t) - (time.monotonic() - start_wall)
            if delay > 0 and stop.wait(delay):
                return
        yield frame
