"""The edge-box worker: pose frames from a camera, published on the bus, with heartbeats.

Only keypoints leave the box (DESIGN.md, "Security and privacy"); the worker has no code path that
publishes pixels. Heartbeats carry fps, capture-to-pose latency percentiles, dropped frames, camera
state and CPU load, once per interval, also while the camera is away (the grabber keeps retrying).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from lab.bus.sockets import Publisher
from lab.bus.topics import Kind, Topic
from vision.pipeline import PoseStream

DEGRADED_FPS = 10.0


@dataclass(frozen=True)
class EdgeIdentity:
    station: str
    session: str


class EdgeWorker:
    """Runs one PoseStream and publishes its frames and heartbeats through one Publisher."""

    def __init__(
        self, stream: PoseStream, publisher: Publisher, identity: EdgeIdentity, heartbeat_s: float = 1.0
    ) -> None:
        self.stream = stream
        self.publisher = publisher
        self.pose_topic = Topic(Kind.POSE, identity.station, identity.session)
        self.heartbeat_topic = Topic(Kind.HEARTBEAT, identity.station, identity.session)
        self.heartbeat_s = heartbeat_s
        self._next_heartbeat = 0.0
        self.heartbeats_sent = 0
        stream.on_idle = self.maybe_heartbeat

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
        connected = camera is None or camera.connected
        fps = round(stats.fps, 2)
        if not connected:
            status = "error"
        elif fps < DEGRADED_FPS and stats.frames > 0 and self.stream.live:
            status = "degraded"
        else:
            status = "ok"
        return {
            "device": "edge",
            "status": status,
            "source": self.stream.description,
            "backend": self.stream.backend_name,
            "frames": stats.frames,
            "fps": fps,
            "latency_ms": stats.latency_percentiles(),
            "dropped": stats.dropped,
            "camera_connected": connected,
            "camera_error": None if camera is None else camera.last_error,
            "reconnects": 0 if camera is None else camera.reconnects,
            "cpu_process": stats.cpu_load(),
            "cpu_load_1m": round(os.getloadavg()[0] / (os.cpu_count() or 1), 3),
        }
