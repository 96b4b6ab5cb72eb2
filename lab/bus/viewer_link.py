"""A viewer's link to the lab server (mentor, instructor, admin apps): find sessions, watch, comment.

The server decides what this user may see; the viewer only asks. It learns its own ZAP User-Id
from the request endpoint (`whoami`), subscribes under its own prefix, and gets a join snapshot of
each topic's last message whenever a subscription is granted. Video gets its own conflated socket
per session, so a slow viewer only ever drops frames (shared/reference/bus_booking_privacy.md §0.3).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import zmq

from lab.bus.envelope import Envelope
from lab.bus.requests import RequestClient, RequestFailed
from lab.bus.security import CurveClient
from lab.bus.sockets import Message, Receiver
from lab.bus.topics import Kind, Topic, view_prefix

DEFAULT_KINDS = (Kind.POSE, Kind.STATE, Kind.EVENTS, Kind.COMMENT)  # keypoints only: no pixels


@dataclass(frozen=True, slots=True)
class ViewerEndpoints:
    """Where the lab server listens (`shixun lab serve` prints them)."""

    viewers: str
    video: str
    requests: str


class ViewerLink:
    def __init__(
        self, ctx: zmq.Context, lab: ViewerEndpoints, curve: CurveClient, timeout_ms: int = 3000
    ) -> None:
        """`timeout_ms` bounds every request (a GUI calls from a worker thread, or keeps it short)."""
        self.ctx, self.lab, self.curve = ctx, lab, curve
        self.requests = RequestClient(ctx, lab.requests, curve, timeout_ms=timeout_ms)
        try:
            self.identity = self.requests.call("whoami")
        except BaseException:
            self.requests.close()  # no half-open link left behind
            raise
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

    def comment(self, station: str, session: str, text: str, span: tuple[float, float] | None = None) -> int:
        """Post a comment, optionally about a time range (start, end in session seconds). On a live
        session the station, other viewers and the recording get it; on a finished one, its recording."""
        extra = {"start": span[0], "end": span[1]} if span is not None else {}
        return int(self.requests.call("comment", station=station, session=session, text=text, **extra)["seq"])

    def recordings(self) -> list[dict[str, Any]]:
        """Finished sessions this user may replay: session, station, scenario, started_at (Unix s)."""
        return list(self.requests.call("recordings")["sessions"])

    def replay(self, session: str, start: float | None = None, end: float | None = None) -> Iterator[Message]:
        """A finished session's recorded messages in [start, end) (Unix s), fetched page by page."""
        cursor: dict[str, Any] = {"start": start, "skip": 0}
        while cursor is not None:
            fields = {"session": session, "skip": cursor["skip"]}
            if cursor["start"] is not None:
                fields["start"] = cursor["start"]
            if end is not None:
                fields["end"] = end
            page = self.requests.call("replay", **fields)
            for item in page["messages"]:
                try:
                    topic = Topic(Kind(item["kind"]), page["station"], session)
                    envelope = Envelope(**item["envelope"])
                except (TypeError, KeyError, ValueError):
                    raise RequestFailed(
                        "实验室服务器的回复无法解析", "the lab server's reply is garbled"
                    ) from None
                yield Message(topic, envelope)
            cursor = page["next"]

    def close(self) -> None:
        self.requests.close()
