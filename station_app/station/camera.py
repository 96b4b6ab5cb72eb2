"""The camera picture behind the skeleton view: a video file or camera through the vision pipeline,
whose frames the station also keeps (the latest one) to draw the skeleton over.

The runtime's `poses.video` source has no hook for the pictures, so the station builds the same
source here with the pipeline's `on_frame` callback (requested for the runtime: an `on_frame`
argument to `poses.video`). Pictures stay in this process: nothing here sends or stores pixels.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from hardware.cameras import CapturedFrame
from lab.bus.text import Text
from station_app.runtime.poses import RecordedPoses
from vision.pipeline import PipelineSettings, PoseStream


class CameraFeed:
    """The latest picture (RGB) and a counter, so the view redraws only when a new one came."""

    def __init__(self) -> None:
        self.latest: np.ndarray | None = None
        self.count = 0

    def take(self, frame: CapturedFrame) -> None:
        self.latest = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
        self.count += 1


def video_with_pictures(path: Path | str, settings: PipelineSettings, feed: CameraFeed) -> RecordedPoses:
    """Pose frames from a video or camera (as `station_app.runtime.poses.video`); pictures go to `feed`."""
    stream = PoseStream(str(path), settings)
    stream.on_frame = feed.take
    return RecordedPoses(
        stream,
        Text(zh=f"视频 {path}（{stream.backend_name}）", en=f"video {path} ({stream.backend_name})"),
        stream.close,
    )
