"""Frame sources: one class per kind of input, all yielding BGR frames with capture timestamps.

Live sources (camera index, RTSP/HTTP URL) stamp each frame with `time.monotonic()` when it is
grabbed; recorded sources (video file, image folder) stamp it with media time, so a pose stream
made from a file has the file's timing, however fast or slow the machine is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from lab.bus.text import UserError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
STREAM_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "udp://", "tcp://")


class CameraError(UserError):
    """A source that cannot be opened or read: unplugged camera, missing file, bad URL."""


@dataclass(frozen=True, slots=True)
class CapturedFrame:
    """One picture: BGR pixels as OpenCV gives them, capture time in seconds, sequence number."""

    image: np.ndarray  # (H, W, 3) uint8, BGR
    t: float
    index: int


class FrameSource(Protocol):
    """What the pipeline reads from. `live` sources are wrapped in a LatestFrameGrabber."""

    description: str
    live: bool
    fps: float

    def read(self) -> CapturedFrame | None:
        """The next frame, or None at the end (file) or on a read failure (camera gone)."""
        ...

    def close(self) -> None: ...


class VideoCaptureSource:
    """A camera index, a video file or a network stream, through cv2.VideoCapture."""

    def __init__(self, target: int | str, live: bool, fallback_fps: float = 30.0) -> None:
        self.target = target
        self.live = live
        self.description = f"camera {target}" if isinstance(target, int) else str(target)
        self._capture = _quietly_open(target)
        if not self._capture.isOpened():
            self._capture.release()
            raise CameraError(
                f"无法打开视频源：{self.description}", f"cannot open video source: {self.description}"
            )
        if live:
            # Keep the driver's queue short: stale frames are latency (coach_anchors.md §5.4).
            self._capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        reported = self._capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(reported) if 0 < reported <= 1000 else fallback_fps
        self._index = 0

    def read(self) -> CapturedFrame | None:
        ok, image = self._capture.read()
        if not ok or image is None:
            return None
        t = time.monotonic() if self.live else self._index / self.fps
        frame = CapturedFrame(image=_as_bgr(image), t=t, index=self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        self._capture.release()


class ImageFolderSource:
    """Every image in a folder (or one image file), in name order, at a nominal frame rate."""

    live = False

    def __init__(self, path: Path, fps: float = 1.0) -> None:
        self.description = str(path)
        self.fps = fps
        if path.is_dir():
            self.paths = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            self.paths = [path]
        if not self.paths:
            raise CameraError(f"文件夹中没有图像：{path}", f"no images in folder: {path}")
        self._position = 0

    def read(self) -> CapturedFrame | None:
        if self._position >= len(self.paths):
            return None
        path = self.paths[self._position]
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise CameraError(f"无法读取图像：{path}", f"cannot read image: {path}")
        frame = CapturedFrame(image=image, t=self._position / self.fps, index=self._position)
        self._position += 1
        return frame

    def close(self) -> None:
        self._position = len(self.paths)


def _quietly_open(target: int | str) -> cv2.VideoCapture:
    """Open without OpenCV's own log lines: a failure is reported once, as a CameraError."""
    previous = cv2.getLogLevel()
    cv2.setLogLevel(0)  # 0: silent
    try:
        return cv2.VideoCapture(target)
    finally:
        cv2.setLogLevel(previous)


def _as_bgr(image: np.ndarray) -> np.ndarray:
    """Some cameras deliver grey frames; the pose models want three channels."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return image


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def open_source(spec: str, image_fps: float = 1.0) -> FrameSource:
    """Open what the user named: a camera index ("0"), a URL, a folder, an image or a video file."""
    if spec.isdigit():
        return VideoCaptureSource(int(spec), live=True)
    if spec.lower().startswith(STREAM_SCHEMES):
        return VideoCaptureSource(spec, live=True)
    path = Path(spec)
    if not path.exists():
        raise CameraError(f"找不到输入：{spec}", f"input not found: {spec}")
    if path.is_dir() or is_image_file(path):
        return ImageFolderSource(path, fps=image_fps)
    return VideoCaptureSource(str(path), live=False)


def iterate(source: FrameSource) -> Iterator[CapturedFrame]:
    """Every frame of a recorded source, in order, until its end."""
    while (frame := source.read()) is not None:
        yield frame
