"""A station's link to the lab server: what the station runtime uses to go live.

- Keypoints, sim state, coach events and heartbeats go out on one publisher (queue limits per kind,
  `lab.bus.sockets`); JPEG frames on their own publisher with a queue of 2.
- `live_to_mentor(session)` is true while the relay pulls this session's video, which it does only
  while an authorised viewer watches it with consent in force — the station's "LIVE TO MENTOR"
  indicator (shared/reference/bus_booking_privacy.md §3.3 tier T0) and the condition for encoding
  JPEG at all: `send_video` drops the frame otherwise, so raw video never leaves unasked.
- Comments addressed to the station arrive on `comments()`.
All connections go out from the station (no inbound ports) and use CurveZMQ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import zmq

from lab.bus.security import CurveClient
from lab.bus.sockets import LIVE_KINDS, Message, Publisher, Receiver
from lab.bus.topics import NO_SESSION, Kind, Topic, station_zap_id, view_prefix


@dataclass(frozen=True, slots=True)
class LabEndpoints:
    """Where the lab server listens (`shixun lab serve` prints them)."""

    stations: str
    viewers: str


class StationLink:
    def __init__(self, ctx: zmq.Context, station: str, lab: LabEndpoints, curve: CurveClient) -> None:
        self.station = station
        self._live = Publisher(ctx, lab.stations, LIVE_KINDS, curve=curve)
        self._video = Publisher(ctx, lab.stations, [Kind.VIDEO], curve=curve)
        self._comments = Receiver(
            ctx,
            lab.viewers,
            [f"{Kind.COMMENT.value}/{station}/".encode()],
            [Kind.COMMENT],
            view_prefix=view_prefix(station_zap_id(station)),
            curve=curve,
        )

    def send(self, kind: Kind, session: str, body: dict[str, Any]) -> None:
        """Publish one message of a live kind (pose, state, events, heartbeat); never blocks."""
        if kind in (Kind.VIDEO, Kind.COMMENT):
            raise ValueError(f"{kind.value} is not sent with send()")
        self._live.send(Topic(kind, self.station, session), body)

    def heartbeat(self, body: dict[str, Any]) -> None:
        self._live.send(Topic(Kind.HEARTBEAT, self.station, NO_SESSION), body)

    def live_to_mentor(self, session: str) -> bool:
        return self._video.wanted(Topic(Kind.VIDEO, self.station, session))

    def send_video(self, session: str, jpeg: bytes, **meta: Any) -> bool:
        """Send one JPEG frame if someone authorised is watching; False (frame dropped) otherwise."""
        if not self.live_to_mentor(session):
            return False
        self._video.send(Topic(Kind.VIDEO, self.station, session), {"format": "jpeg", "data": jpeg, **meta})
        return True

    def comments(self, timeout_ms: int = 0) -> list[Message]:
        """Comments that have arrived (waiting up to `timeout_ms` for the first one)."""
        received = []
        message = self._comments.recv(timeout_ms)
        while message is not None:
            received.append(message)
            message = self._comments.recv(0)
        return received

    def close(self) -> None:
        for part in (self._live, self._video, self._comments):
            part.close()
