"""A session's outgoing messages: the same envelope goes live on the bus and into the MCAP recording.

Envelopes are stamped on the session clock (start + session time), not on the wall clock at sending,
so a headless run that is much faster than real time records a timeline that replays at the pace the
learner lived it, and live and recorded copies of a message are identical. Only keypoints, sim state
and coach events are sent; this module has no path for pixels.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import zmq

from lab.bus.envelope import Envelope
from lab.bus.sockets import Publisher
from lab.bus.text import UserError
from lab.bus.topics import Kind, Topic, frame
from lab.recording.mcap_io import SessionWriter


def open_publisher(context: zmq.Context, endpoint: str, bind: bool = False) -> Publisher:
    """The station's live-stream publisher; a malformed or unusable endpoint is a UserError."""
    try:
        return Publisher(context, endpoint, bind=bind)
    except zmq.ZMQError as exc:
        raise UserError(
            f"无法{'绑定' if bind else '连接'}实时流地址 {endpoint}：{exc}",
            f"cannot {'bind' if bind else 'connect'} the live stream to {endpoint}: {exc}",
        ) from None


class SessionOutput:
    """Publish (if a publisher is given) and record (if a path is given) one session's messages."""

    def __init__(
        self,
        station: str,
        session: str,
        publisher: Publisher | None = None,
        recording_path: Path | None = None,
    ) -> None:
        self.station, self.session = station, session
        self.publisher = publisher
        self.recording_path = recording_path
        self._writer = SessionWriter(recording_path, station, session) if recording_path else None
        self._seq: dict[Kind, int] = {}
        self._wall0, self._mono0 = time.time(), time.monotonic()
        self.sent: dict[str, int] = {}

    def topic(self, kind: Kind) -> Topic:
        return Topic(kind, self.station, self.session)

    def emit(self, kind: Kind, t: float, body: dict[str, Any], type: str | None = None) -> Envelope:
        seq = self._seq[kind] = self._seq.get(kind, -1) + 1
        envelope = Envelope(
            type=type or kind.value,
            station=self.station,
            session=self.session,
            seq=seq,
            body=body,
            t_mono=self._mono0 + t,
            t_wall=self._wall0 + t,
        )
        if self.publisher is not None:
            self.publisher.send_frame(frame(self.topic(kind), envelope.encode()))
        if self._writer is not None:
            self._writer.write(kind, envelope)
        self.sent[kind.value] = self.sent.get(kind.value, 0) + 1
        return envelope

    @property
    def off_station(self) -> bool:
        """Whether anything this session sends can leave the machine (the view shows an indicator)."""
        return self.publisher is not None and not is_local(self.publisher.endpoint)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def is_local(endpoint: str) -> bool:
    """Loopback TCP, IPC and in-process endpoints never leave the machine."""
    transport, _, address = endpoint.partition("://")
    if transport in ("ipc", "inproc"):
        return True
    host = address.rsplit(":", 1)[0].strip("[]")
    return transport == "tcp" and (host in ("localhost", "::1") or host.startswith("127."))
