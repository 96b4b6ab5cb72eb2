"""Camera (or file) to pose frames: the one BGR->RGB conversion, the backend, the smoother.

Recorded inputs (video file, image folder) are read frame by frame, none skipped; live inputs
(camera, stream) go through a LatestFrameGrabber, so a slow machine drops frames instead of
falling behind. Image folders run the backend in static mode (no tracking, no smoothing).
A `.jsonl` input is a recorded pose stream and is replayed without any model.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2

from hardware.cameras import CapturedFrame, GrabberStatus, LatestFrameGrabber, open_source
from hardware.cameras.sources import ImageFolderSource, iterate
from vision.backends import PoseBackend, create_backend
from vision.posestream import PoseFrame
from vision.replay import replay_pose_stream
from vision.smoothing import BETA, MIN_CUTOFF, LandmarkSmoother
from vision.stats import RunStats

GRAB_TIMEOUT_S = 0.5


@dataclass(frozen=True)
class PipelineSettings:
    """Plain values the front end reads from configuration (lower layers never read config).

    The defaults serve callers without a configuration (tests, benchmarks, scripts); the smoothing
    ones are vision.smoothing's measured values, which the configuration's defaults repeat.
    """

    backend: str = "mediapipe"
    task_model: Path | None = None
    onnx_provider: str = "CPUExecutionProvider"
    onnx_model_dir: Path | None = None
    threads: int = 2
    smoothing: bool = True
    min_cutoff: float = MIN_CUTOFF
    beta: float = BETA


class PosePipeline:
    """One frame in, one pose frame out."""

    def __init__(self, backend: PoseBackend, smoother: LandmarkSmoother | None) -> None:
        self.backend = backend
        self.smoother = smoother

    @classmethod
    def create(cls, settings: PipelineSettings, static: bool) -> PosePipeline:
        backend = create_backend(
            settings.backend,
            static=static,
            task_model=settings.task_model,
            onnx_provider=settings.onnx_provider,
            onnx_model_dir=settings.onnx_model_dir,
            threads=settings.threads,
        )
        smoother = None
        if settings.smoothing and not static:
            smoother = LandmarkSmoother(settings.min_cutoff, settings.beta)
        return cls(backend, smoother)

    def process(self, frame: CapturedFrame) -> PoseFrame:
        rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
        image, world = self.backend.estimate(rgb)
        if image is None or world is None:
            if self.smoother is not None:
                self.smoother.reset()
            return PoseFrame(t=frame.t, image=None, world=None)
        if self.smoother is not None:
            image, world = self.smoother(frame.t, image, world)
        return PoseFrame(t=frame.t, image=image, world=world)

    def close(self) -> None:
        self.backend.close()


class PoseStream:
    """Pose frames from what the user named; `stats` is updated as frames are produced."""

    def __init__(
        self,
        spec: str,
        settings: PipelineSettings,
        *,
        stop: threading.Event | None = None,
        realtime_replay: bool = False,
        on_camera_status: Callable[[GrabberStatus], None] | None = None,
    ) -> None:
        self.stats = RunStats()
        self._stop = stop or threading.Event()
        self._on_camera_status = on_camera_status
        self.on_idle: Callable[[], None] | None = None  # called on each grab timeout of a live source
        self.on_frame: Callable[[CapturedFrame], None] | None = None  # each picture, after its pose
        self._pipeline: PosePipeline | None = None
        self.camera_status: GrabberStatus | None = None
        self.description = spec
        if spec.lower().endswith(".jsonl"):
            self.fps, self._frames = replay_pose_stream(Path(spec), realtime_replay, self._stop)
            self.backend_name = "replay"
            self.live = False
            return
        source = open_source(spec)
        self.fps = source.fps
        self.description = source.description
        self.live = source.live
        try:
            self._pipeline = PosePipeline.create(settings, static=isinstance(source, ImageFolderSource))
        except BaseException:
            source.close()
            raise
        self.backend_name = self._pipeline.backend.name
        if source.live:
            self._frames = self._live(source, spec)
        else:
            self._frames = self._recorded(source)

    def __iter__(self) -> Iterator[PoseFrame]:
        self.stats.started = time.monotonic()  # fps counts frames, not model loading
        for pose in self._frames:
            if self._pipeline is None:
                self.stats.add(0.0, pose.has_person)
            yield pose
            if self._stop.is_set():
                break

    def close(self) -> None:
        self._stop.set()
        self._frames.close()
        if self._pipeline is not None:
            self._pipeline.close()

    def _recorded(self, source) -> Iterator[PoseFrame]:
        assert self._pipeline is not None
        try:
            for frame in iterate(source):
                started = time.monotonic()
                pose = self._pipeline.process(frame)
                self.stats.add(time.monotonic() - started, pose.has_person)
                if self.on_frame is not None:
                    self.on_frame(frame)
                yield pose
        finally:
            source.close()

    def _live(self, source, spec: str) -> Iterator[PoseFrame]:
        assert self._pipeline is not None
        grabber = LatestFrameGrabber(source, lambda: open_source(spec), on_status=self._on_camera_status)
        with grabber:
            while not self._stop.is_set():
                frame = grabber.get(GRAB_TIMEOUT_S)
                self.camera_status = grabber.status
                if frame is None:
                    if self.on_idle is not None:
                        self.on_idle()  # e.g. keep heartbeats going while the camera is away
                    continue
                pose = self._pipeline.process(frame)
                self.stats.dropped = grabber.status.frames_dropped
                self.stats.add(time.monotonic() - frame.t, pose.has_person)  # capture to pose
                if self.on_frame is not None:
                    self.on_frame(frame)
                yield pose
