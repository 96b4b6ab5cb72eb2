"""Watching one live session through the lab server: its messages into a timeline, its video frames.

The lab server decides what this user may receive (lab.server.relay): keypoints, sim state, coach
events and comments by default; JPEG video only when the learner consented and the invitation allows
it (the session list says so). Receivers are polled without blocking from the GUI's timer, a bounded
number of messages at a time, so a burst never freezes the window; the video socket is conflated, so
a slow viewer only ever drops frames (shared/reference/bus_booking_privacy.md §0.3).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from lab.bus.sockets import Receiver
from lab.bus.viewer_link import ViewerLink
from station_app.mentor.timeline import LIVE_KEEP_S, SessionTimeline

MAX_PER_POLL = 2000  # messages taken per GUI tick (a full lab sends ~2,000/s)


@dataclass(frozen=True)
class LiveSession:
    station: str
    session: str
    video: bool  # the server would send video to this user now


class LiveWatch:
    def __init__(self, link: ViewerLink, live: LiveSession) -> None:
        self.live = live
        self.timeline = SessionTimeline(live.station, live.session, keep_s=LIVE_KEEP_S)
        self.receiver: Receiver = link.watch(live.station, live.session)
        self.video: Receiver | None = link.watch_video(live.station, live.session) if live.video else None
        self.last_wall: float | None = None  # when the newest message was sent (its t_wall)
        self.frame: np.ndarray | None = None  # the newest video frame, RGB
        self.frame_wall: float | None = None

    def poll(self) -> int:
        """Take what has arrived (never waits); returns how many messages were taken."""
        taken = 0
        while taken < MAX_PER_POLL and (message := self.receiver.recv(0)) is not None:
            self.timeline.add(message.topic.kind, message.envelope)
            self.last_wall = max(self.last_wall or 0.0, message.envelope.t_wall)
            taken += 1
        if self.video is not None and (message := self.video.recv(0)) is not None:
            rgb = decode_jpeg(message.envelope.body.get("data"))
            if rgb is not None:
                self.frame, self.frame_wall = rgb, time.time()
        return taken

    def set_video(self, allowed: bool, link: ViewerLink) -> None:
        """Follow the server's answer: open video when it becomes allowed, drop it when withdrawn."""
        if allowed and self.video is None:
            self.video = link.watch_video(self.live.station, self.live.session)
        elif not allowed and self.video is not None:
            self.video.close()
            self.video, self.frame, self.frame_wall = None, None, None

    def age_s(self, now: float | None = None) -> float | None:
        """How old the newest message is (the staleness badge)."""
        return None if self.last_wall is None else max(0.0, (now or time.time()) - self.last_wall)

    def close(self) -> None:
        self.receiver.close()
        if self.video is not None:
            self.video.close()


def decode_jpeg(data: object) -> np.ndarray | None:
    """An RGB image from JPEG bytes; None for anything that is not a decodable image."""
    if not isinstance(data, bytes | bytearray) or not data:
        return None
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
