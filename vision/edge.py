"""The edge-box worker: pose frames from a camera, published on the bus, with heartbeats.

Only keypoints leave the box by default (DESIGN.md, "Security and privacy"). Pixels are published only
when the worker is given a video publisher (the box's configuration allows streaming) AND someone is
subscribed to this station's video topic at that moment, which the lab relay allows only for an
authorised viewer of a session whose student consented; otherwise not a single frame is encoded.
Heartbeats go to `heartbeat/<station>/-` once per interval, also while the camera is
away (the grabber keeps retrying), with the metrics `lab.health.status` judges: `fps` and
`dropped_frames` over the interval, `latency_ms` (capture-to-pose p95), `cpu_percent`, `disk_free_gb`,
plus the camera's state.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass

import cv2

from hardware.cameras import CapturedFrame
from lab.bus.sockets import Publisher
from lab.bus.topics import NO_SESSION, Kind, Topic
from vision.pipeline import PoseStream


@dataclass(frozen=True)
class EdgeIdentity:
    station: str
    session: str


class EdgeWorker:
    """Runs one PoseStream and publishes its frames and heartbeats through one Publisher."""

    def __init__(
        self,
        stream: PoseStream,
        publisher: Publisher,
        identity: EdgeIdentity,
        heartbeat_s: float = 1.0,
        video: Publisher | None = None,
        jpeg_quality: int = 75,
    ) -> None:
        self.stream = stream
        self.publisher = publisher
        self.pose_topic = Topic(Kind.POSE, identity.station, identity.session)
        self.heartbeat_topic = Topic(Kind.HEARTBEAT, identity.station, NO_SESSION)
        self.heartbeat_s = heartbeat_s
        self._next_heartbeat = 0.0
        self._last_beat = (time.monotonic(), 0, 0)  # time, frames, dropped at the previous heartbeat
        self.heartbeats_sent = 0
        stream.on_idle = self.maybe_heartbeat
        self.video = video
        self.video_topic = Topic(Kind.VIDEO, identity.station, identity.session)
        self.jpeg_quality = jpeg_quality
        self.video_frames_sent = 0
        if video is not None:
            stream.on_frame = self.maybe_send_video

    def run(self, max_frames: int | None = None) -> int:
        """Publish until the stream ends, is stopped, or `max_frames` were sent; returns frames sent."""
        sent = 0
        for pose in self.stream:
            self.publisher.send(self.pose_topic, pose.to_json())
            sent += 1
            self.maybe_heartbeat()
            if max_frames is not None and sent >= max_frames:
                break
        self.send_heartbeat()
        return sent

    def maybe_send_video(self, frame: CapturedFrame) -> None:
        """JPEG of the frame, only while an (authorised, relay-checked) viewer is subscribed."""
        if self.video is None or not self.video.wanted(self.video_topic):
            return
        ok, jpeg = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if ok:
            self.video.send(self.video_topic, {"t": frame.t, "format": "jpeg", "jpeg": jpeg.tobytes()})
            self.video_frames_sent += 1

    def maybe_heartbeat(self) -> None:
        """Called after each frame and on every idle tick of the camera."""
        if time.monotonic() >= self._next_heartbeat:
            self.send_heartbeat()

    def send_heartbeat(self) -> None:
        self.publisher.send(self.heartbeat_topic, self.heartbeat_body())
        self.heartbeats_sent += 1
        self._next_heartbeat = time.monotonic() + self.heartbeat_s

    def heartbeat_body(self) -> dict[str, object]:
        stats = self.stream.stats
        camera = self.stream.camera_status
        now = time.monotonic()
        last_time, last_frames, last_dropped = self._last_beat
        self._last_beat = (now, stats.frames, stats.dropped)
        elapsed = now - last_time
        connected = camera is None or camera.connected
        return {
            "device": "edge",
            "source": self.stream.description,
            "backend": self.stream.backend_name,
            "fps": round((stats.frames - last_frames) / elapsed, 2) if elapsed > 0 else 0.0,
            "latency_ms": stats.latency_percentiles()["p95"],
            "latency_p50_ms": stats.latency_percentiles()["p50"],
            "dropped_frames": stats.dropped - last_dropped,
            "frames": stats.frames,
            "cpu_percent": round(stats.cpu_load() * 100, 1),
            "disk_free_gb": round(shutil.disk_usage("/").free / 1e9, 2),
            "camera_connected": connected,
            "camera_error": None if camera is None else camera.last_error,
            "reconnects": 0 if camera is None else camera.reconnects,
        }
