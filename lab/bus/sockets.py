"""Publisher and receiver helpers with the bus's queue, liveness and shutdown settings.

- High-water marks count MESSAGES, not bytes, and are set before bind/connect; video gets 2, small
  keypoint/state messages more (shared/reference/bus_booking_privacy.md §0.2, §1.8.1). A publisher
  at its HWM drops new messages for that peer only: it never blocks.
- Conflated receivers (ZMQ_CONFLATE, single-frame messages) keep only the latest frame: for video
  (§0.3). A conflated receiver must have one topic, since conflation is per socket.
- ZMTP heartbeats detect frozen links and reconnects back off exponentially (§0.6); linger is short
  so shutdown never hangs on undelivered messages (§1.8.7).
- Receivers (connecting SUBs that a stalled app may stop reading) use `RECEIVER_LINK`: no ZMTP
  heartbeat timeout, TCP keepalive instead. libzmq 4.3 aborts ("Assertion failed: _input_stopped",
  zeromq/libzmq #3937, #4767, fix proposed in PR #4830) when a connecting socket whose receive queue
  is full has its link re-made: while it does not read, it does not read the peer's PINGs either, so
  a heartbeat timeout fires; the session reconnects, and the stale "read again" signal from the old
  link hits the new one. The kernel answers TCP keepalive probes even while the app does not read,
  so a slow-but-alive peer keeps its link and a vanished one is still detected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import zmq

from lab.bus.envelope import BadMessage, Envelope, decode
from lab.bus.security import CurveClient
from lab.bus.stats import ReceiverStats
from lab.bus.topics import BadTopic, Kind, Topic, frame, split_frame

# Per-peer queue limits in messages (§0.2): a stalled video viewer costs at most 2 frames.
QUEUE_LIMIT: dict[Kind, int] = {
    Kind.VIDEO: 2,
    Kind.POSE: 300,
    Kind.STATE: 300,
    Kind.EVENTS: 1000,
    Kind.HEARTBEAT: 10,
    Kind.COMMENT: 1000,
}
LIVE_KINDS = (Kind.POSE, Kind.STATE, Kind.EVENTS, Kind.HEARTBEAT, Kind.COMMENT)


def queue_limit(kinds: Iterable[Kind], streams: int = 1) -> int:
    """HWM for a socket carrying `kinds` from `streams` stations (a relay carries many)."""
    return max(QUEUE_LIMIT[k] for k in kinds) * max(1, streams)


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """ZMTP heartbeats, TCP keepalive and reconnect back-off (§0.6: a frozen link is detected in ~3 s).

    `heartbeat_ivl_ms=0` sends no PINGs; `heartbeat_timeout_ms=0` also sends no TTL in PINGs, so the
    peer never times the link out either. `keepalive_idle_s=0` leaves the OS's TCP keepalive setting.
    """

    heartbeat_ivl_ms: int = 1000
    heartbeat_timeout_ms: int = 3000
    reconnect_ivl_ms: int = 100
    reconnect_ivl_max_ms: int = 5000
    linger_ms: int = 100
    keepalive_idle_s: int = 0
    keepalive_intvl_s: int = 1
    keepalive_cnt: int = 3

    def apply(self, sock: zmq.Socket) -> None:
        sock.heartbeat_ivl = self.heartbeat_ivl_ms
        sock.heartbeat_timeout = self.heartbeat_timeout_ms
        sock.heartbeat_ttl = self.heartbeat_timeout_ms
        sock.reconnect_ivl = self.reconnect_ivl_ms
        sock.reconnect_ivl_max = self.reconnect_ivl_max_ms
        sock.linger = self.linger_ms
        if self.keepalive_idle_s > 0:
            sock.tcp_keepalive = 1
            sock.tcp_keepalive_idle = self.keepalive_idle_s
            sock.tcp_keepalive_intvl = self.keepalive_intvl_s
            sock.tcp_keepalive_cnt = self.keepalive_cnt


DEFAULT_LINK = LinkSettings()
# For links whose receiving end may stop reading (viewers): no ZMTP heartbeat timeout on either side
# (libzmq #3937, see the module docstring); a vanished peer is noticed by the kernel after 3 s idle
# + 3 unanswered probes 1 s apart (~6 s), and the viewer app shows STALE meanwhile.
RECEIVER_LINK = LinkSettings(heartbeat_ivl_ms=0, heartbeat_timeout_ms=0, keepalive_idle_s=3)


def open_socket(
    ctx: zmq.Context,
    kind: int,
    hwm: int,
    link: LinkSettings = DEFAULT_LINK,
    curve: CurveClient | None = None,
) -> zmq.Socket:
    """A socket with HWMs, liveness and (optionally) CURVE set — everything that must precede connect."""
    sock = ctx.socket(kind)
    sock.sndhwm = hwm
    sock.rcvhwm = hwm
    link.apply(sock)
    if curve is not None:
        curve.apply(sock)
    return sock


class Publisher:
    """Publishes envelopes for one station; `send` never blocks.

    It is an XPUB so the station can see what is subscribed upstream: `wanted(topic)` tells it
    whether anyone (the relay, on behalf of an authorised viewer) is asking for a topic — e.g. to
    encode JPEG only while live to a mentor and to show the "live to mentor" indicator.
    """

    def __init__(
        self,
        ctx: zmq.Context,
        endpoint: str,
        kinds: Iterable[Kind] = LIVE_KINDS,
        *,
        bind: bool = False,
        curve: CurveClient | None = None,
        link: LinkSettings = DEFAULT_LINK,
    ) -> None:
        self.socket = open_socket(ctx, zmq.XPUB, queue_limit(kinds), link, curve)
        self._seq: dict[Topic, int] = {}
        self._interest: set[bytes] = set()
        (self.socket.bind if bind else self.socket.connect)(endpoint)
        # A bound "tcp://host:*" gets a free port; `endpoint` is then the real address.
        self.endpoint = self.socket.last_endpoint.decode() if bind else endpoint

    def send(self, topic: Topic, body: dict[str, Any], type: str | None = None) -> Envelope:
        seq = self._seq.get(topic, -1) + 1
        self._seq[topic] = seq
        envelope = Envelope(
            type=type or topic.kind.value, station=topic.station, session=topic.session, seq=seq, body=body
        )
        self.send_frame(frame(topic, envelope.encode()))
        return envelope

    def send_frame(self, data: bytes) -> None:
        """Send one ready frame. PUB semantics: at the HWM the message is dropped for that peer."""
        self.socket.send(data, zmq.NOBLOCK)

    def wanted(self, topic: Topic) -> bool:
        """Whether a current subscription matches `topic` (drains pending (un)subscriptions)."""
        while self.socket.poll(0, zmq.POLLIN):
            message = self.socket.recv()
            if message[:1] == b"\x01":
                self._interest.add(message[1:])
            elif message[:1] == b"\x00":
                self._interest.discard(message[1:])
        wire = topic.prefix
        return any(wire.startswith(prefix) for prefix in self._interest)

    def close(self) -> None:
        self.socket.close()


@dataclass(frozen=True, slots=True)
class Message:
    topic: Topic
    envelope: Envelope


class Receiver:
    """Subscribes to topic prefixes; validates, counts and drops bad messages, never raises on them.

    `view_prefix` is the per-user prefix a lab relay puts in front of every frame it forwards to
    that user (see `lab.server.relay`); it is added to subscriptions and stripped on receipt.
    """

    def __init__(
        self,
        ctx: zmq.Context,
        endpoint: str,
        subscriptions: Iterable[Topic | bytes],
        kinds: Iterable[Kind] = LIVE_KINDS,
        *,
        conflate: bool = False,
        view_prefix: bytes = b"",
        curve: CurveClient | None = None,
        link: LinkSettings = RECEIVER_LINK,
        streams: int = 1,
    ) -> None:
        self.stats = ReceiverStats()
        self._view_prefix = view_prefix
        self._last_seq: dict[Topic, int] = {}
        self.socket = open_socket(ctx, zmq.SUB, queue_limit(kinds, streams), link, curve)
        self.socket.linger = 0
        if conflate:
            self.socket.conflate = True
        for sub in subscriptions:
            self.subscribe(sub)
        self.socket.connect(endpoint)

    def subscribe(self, sub: Topic | bytes) -> None:
        self.socket.subscribe(self._view_prefix + (sub.prefix if isinstance(sub, Topic) else sub))

    def unsubscribe(self, sub: Topic | bytes) -> None:
        self.socket.unsubscribe(self._view_prefix + (sub.prefix if isinstance(sub, Topic) else sub))

    def recv(self, timeout_ms: int = 1000) -> Message | None:
        """The next valid message, or None when none arrived within `timeout_ms`."""
        waited = False
        while True:
            try:
                data = self.socket.recv(zmq.NOBLOCK)  # no poll() per message while data is queued
            except zmq.Again:
                if waited or not self.socket.poll(timeout_ms, zmq.POLLIN):
                    return None
                waited = True
                continue
            message = self.parse(data)
            if message is not None:
                return message

    def parse(self, data: bytes) -> Message | None:
        """Validate one received frame; counts it as received or as dropped (with the reason)."""
        if not data.startswith(self._view_prefix):
            self.stats.drop("topic")
            return None
        try:
            topic, payload = split_frame(data[len(self._view_prefix) :])
            envelope = decode(payload)
        except BadTopic:
            self.stats.drop("topic")
            return None
        except BadMessage as exc:
            self.stats.drop(exc.reason)
            return None
        if (envelope.station, envelope.session) != (topic.station, topic.session):
            self.stats.drop("topic")
            return None
        if self._last_seq.get(topic) == envelope.seq:
            self.stats.drop("duplicate")  # a relay's join snapshot repeats the last message
            return None
        self._last_seq[topic] = envelope.seq
        self.stats.count(str(topic))
        return Message(topic, envelope)

    def close(self) -> None:
        self.socket.close()
