"""Frame sources: cameras by index, video files, RTSP/HTTP streams and folders of images.

`open_source(spec)` turns what the user typed into a source; `LatestFrameGrabber` gives a live
source latest-frame semantics (a slow consumer drops frames and counts them, never builds a queue)
and reconnects a camera that disappears, with back-off, instead of crashing.
"""

from hardware.cameras.grabber import GrabberStatus, LatestFrameGrabber
from hardware.cameras.sources import (
    CameraError,
    CapturedFrame,
    FrameSource,
    ImageFolderSource,
    VideoCaptureSource,
    open_source,
)

__all__ = [
    "CameraError",
    "CapturedFrame",
    "FrameSource",
    "GrabberStatus",
    "ImageFolderSource",
    "LatestFrameGrabber",
    "VideoCaptureSource",
    "open_source",
]
