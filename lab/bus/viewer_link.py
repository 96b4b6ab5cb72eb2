"""A viewer's link to the lab server (mentor, instructor, admin apps): find sessions, watch, comment.

The server decides what this user may see; the viewer only asks. It learns its own ZAP User-Id
from the request endpoint (`whoami`), subscribes under its own prefix, and gets a join snapshot of
each topic's last message whenever a subscription is granted. Video gets its own conflated socket
per session, so a slow viewer only ever drops frames (shared/reference/bus_booking_privacy.md §0.3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import zmq

from lab.bus.requests import RequestClient
from lab.bus.security import CurveClient
from lab.bus.sockets import Receiver
from lab.bus.topics import Kind, Topic, view_prefix

DEFAULT_KINDS = (Kind.POSE, Kind.STATE, Kind.EVENTS, Kind.COMMENT)  # keypoints only: no pixels


@dataclass(frozen=True, slots=True)
class ViewerEndpoints:
    """Where the lab server listens (`shixun lab serve` prints them)."""

    viewers: str
    video: str
    requests: str


class ViewerLink:
    def __init__(self, ctx: zmq.Context, lab: ViewerEndpoints, curve: CurveClient) -> None:
        self.ctx, self.lab, self.curve = ctx, lab, curve
        self.requests = RequestClient(ctx, lab.requests, curve)
        self.identity = self.requests.call("whoami")
        self._prefix = view_prefix(self.identity["user"])

    def sessions(self) -> list[dict[str, Any]]:
        """Live sessions this user may watch now: station, session, and whether video is available."""
        return list(self.requests.call("sessions")["sessions"])

    def watch(self, station: str, session: str, kinds: Iterable[Kind] = DEFAULT_KINDS) -> Receiver:
        """A receiver for a session's non-video topics (the default stream: no pixels, no names)."""
        wanted = [k for k in kinds if k is not Kind.VIDEO]
        topics = [Topic(k, station, session) for k in wanted]
        return Receiver(
            self.ctx, self.lab.viewers, topics, wanted, view_prefix=self._prefix, curve=self.curve
        )

    def watch_video(self, station: str, session: str) -> Receiver:
        """A conflated receiver for one session's JPEG frames (latest frame wins)."""
        topic = Topic(Kind.VIDEO, station, session)
        return Receiver(
            self.ctx,
            self.lab.video,
            [topic],
            [Kind.VIDEO],
            conflate=True,
            view_prefix=self._prefix,
            curve=self.curve,
        )

    def comment(self, station: str, session: str, text: str) -> int:
        """Post a comment to the session (the station, other viewers and the recording get it)."""
        return int(self.requests.call("comment", station=station, session=session, text=text)["seq"])

    def close(self) -> None:
        self.requests.close()
