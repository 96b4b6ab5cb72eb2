"""A session's outgoing messages: the same envelope goes live on the bus and into the MCAP recording.

Envelopes are stamped on the session clock (start + session time), not on the wall clock at sending,
so a headless run that is much faster than real time records a timeline that replays at the pace the
learner lived it, and live and recorded copies of a message are identical. Only keypoints, sim state
and coach events are sent; this module has no path for pixels.

The live copy of pose and state is paced on the wall clock (a token bucket per kind, at the real-time
rate): a headless session runs ~10x faster than real time, and a subscriber that falls that far
behind fills its queue, stops reading its socket, misses ZMTP heartbeats and is reconnected, and on that
reconnect libzmq 4.3 aborts the subscriber's process ("Assertion failed: _input_stopped", libzmq issues
#3937 and #4767, fixed by PR #4830). At real-time rates a subscriber has the bus's queue of 300-1000
messages, i.e. 10-30 s, before that can happen. The recording keeps every message, and events and the
final state are never thinned.
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

# Live pacing per kind: (messages per second, burst). The real-time rate (camera 30 fps, control 20 Hz)
# with a second's worth of burst, so a real-time session is never thinned and a faster one never puts more
# on the bus than a real station does (the load the lab relay and viewers are dimensioned for).
LIVE_PACE: dict[Kind, tuple[float, int]] = {Kind.POSE: (30.0, 30), Kind.STATE: (20.0, 20)}


class TokenBucket:
    """At most `rate` per second on average, `burst` at once (wall clock)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, float(burst)
        self.tokens, self.last = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


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
        self._pace = {kind: TokenBucket(*pace) for kind, pace in LIVE_PACE.items()}
        self.sent: dict[str, int] = {}  # recorded (every message), by kind
        self.published: dict[str, int] = {}  # sent live (pose and state paced), by kind

    def topic(self, kind: Kind) -> Topic:
        return Topic(kind, self.station, self.session)

    def emit(
        self, kind: Kind, t: float, body: dict[str, Any], type: str | None = None, force: bool = False
    ) -> Envelope:
        """Record the message and publish it live (pose and state only as the pace allows, unless `force`)."""
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
        if self.publisher is not None and (force or kind not in self._pace or self._pace[kind].take()):
            self.publisher.send_frame(frame(self.topic(kind), envelope.encode()))
            self.published[kind.value] = self.published.get(kind.value, 0) + 1
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
