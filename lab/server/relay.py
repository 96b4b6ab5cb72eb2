"""The lab relay: stations publish in, viewers subscribe out, every subscription authorised per user.

Topology (shared/reference/bus_booking_privacy.md §0.1, §0.5): stations' publishers connect OUT to
the relay's XSUB (no inbound ports on stations); viewers' SUB sockets connect to one of two XPUBs —
`viewers` for keypoints, sim state, coach events, comments and heartbeats, and `video` (HWM 2,
viewers conflate) so a slow mentor only ever drops frames. Every link is CurveZMQ, and the ZAP
authenticator is running before any bind (§1.8.4).

Authorisation: the XPUBs are XPUB_MANUAL. A viewer may only subscribe under its own prefix
`@<ZAP User-Id>/`, and the relay forwards each station frame to a user by prefixing it with that
user's prefix — only for topics `policy.decide` allows NOW. Every `refresh_s` the relay looks at the
facts (invitations, consents, sessions, accounts) reloaded off its thread, and re-decides every
subscription when they changed or an invitation window opened or closed (`policy.next_change`),
so an expired or withdrawn invitation or a withdrawn video consent stops that user's stream
without touching anyone else's. Between changes the decisions are cached: re-deciding hundreds of
subscriptions on every refresh stalled forwarding for tens of milliseconds twice a second.
Upstream, the relay pulls video of a session only while an authorised viewer watches it, which is
what a station's `Publisher.wanted()` (its "live to mentor" indicator) sees.

Join snapshots: the relay keeps the last message of every non-video topic and sends it to a user
whenever one of their subscriptions is (re)granted — after a reconnect too, since the SUB socket
re-subscribes (§0.6: the first messages after a reconnect are lost).

Liveness: the station side uses ZMTP heartbeats (its XSUB is bound, so a re-made link is a fresh
pipe). The viewer side sends no PINGs and no heartbeat TTL: a viewer app that stalls with a full
queue does not read PINGs, and a timed-out link on its connecting SUB aborts it in libzmq 4.3
(#3937, see `lab.bus.sockets`). A slow-but-alive viewer keeps its link (its queue is bounded by
the HWM); TCP keepalive finds a vanished one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import zmq

from lab.bus.envelope import BadMessage, check
from lab.bus.security import CurveKeys, CurveServer, KeyAuthenticator
from lab.bus.sockets import DEFAULT_LINK, LIVE_KINDS, RECEIVER_LINK, LinkSettings, queue_limit
from lab.bus.topics import SEPARATOR, BadTopic, Kind, split_frame
from lab.server.access import AccessSource
from lab.server.audit import LiveAudit, view_action
from lab.server.policy import (
    AccessFacts,
    Principal,
    decide,
    may_publish,
    next_change,
    parse_subscription,
)
from lab.server.timing import RelayTiming

log = logging.getLogger("lab.server.relay")

RECORD_QUEUE = 20_000  # frames (~10 s of a 30-station lab) waiting for the recording process
# Always pulled from stations (recorded, cached for join snapshots); video only on demand; comments
# come from the request endpoint (lab.server.requests), never from stations.
UPSTREAM_ALWAYS = tuple(f"{k.value}/".encode() for k in LIVE_KINDS if k is not Kind.COMMENT)


@dataclass(frozen=True, slots=True)
class RelayEndpoints:
    stations: str = "tcp://127.0.0.1:5560"
    viewers: str = "tcp://127.0.0.1:5562"
    video: str = "tcp://127.0.0.1:5563"


def utc_now() -> datetime:
    return datetime.now(UTC)


class Relay:
    """Run with `start()` / `stop()`; it owns its sockets on its own thread."""

    def __init__(
        self,
        ctx: zmq.Context,
        access: AccessSource,
        keys: CurveKeys,
        endpoints: RelayEndpoints = RelayEndpoints(),
        *,
        record_endpoint: str | None = None,
        audit: LiveAudit | None = None,
        refresh_s: float = 0.5,
        streams: int = 30,
        link: LinkSettings = DEFAULT_LINK,
        clock: Callable[[], datetime] = utc_now,
        timing: RelayTiming | None = None,
    ) -> None:
        self.ctx, self.access, self.record_endpoint, self.audit = ctx, access, record_endpoint, audit
        self.refresh_s, self.streams, self.link, self.clock = refresh_s, streams, link, clock
        # the viewer XPUBs: the receivers' liveness (no heartbeat timeout, TCP keepalive), `link`'s rest
        self.viewer_link = replace(
            link,
            heartbeat_ivl_ms=RECEIVER_LINK.heartbeat_ivl_ms,
            heartbeat_timeout_ms=RECEIVER_LINK.heartbeat_timeout_ms,
            keepalive_idle_s=RECEIVER_LINK.keepalive_idle_s,
            keepalive_intvl_s=RECEIVER_LINK.keepalive_intvl_s,
            keepalive_cnt=RECEIVER_LINK.keepalive_cnt,
        )
        self.timing = timing  # opt-in measurement of the relay's own share of the latency
        self._server = CurveServer(keys)
        self._requested_endpoints = endpoints
        self.endpoints = endpoints  # the bound addresses once started (resolves "*" ports)
        self.inject_endpoint = f"inproc://shixun-relay-inject-{id(self)}"
        self.authenticator: KeyAuthenticator | None = None
        self.stats: dict[str, dict[str, int]] = {}  # a copy published at every refresh
        self._counts: dict[str, Counter[str]] = {
            k: Counter() for k in ("received", "forwarded", "dropped", "refused")
        }
        self._received, self._forwarded = self._counts["received"], self._counts["forwarded"]
        self._decisions = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        # subscription state (relay thread only)
        self._requests: Counter[tuple[bool, bytes]] = Counter()  # (video?, subscription) -> pipes
        self._granted: set[tuple[bool, bytes]] = set()
        self._exact: dict[bytes, list[bytes]] = {}  # topic prefix -> view prefixes
        self._partial: list[tuple[bytes, bytes]] = []  # (wire prefix, view prefix)
        self._upstream_video: set[bytes] = set()
        self._last: dict[bytes, bytes] = {}  # topic prefix -> last frame (join snapshots)
        self._principals: dict[str, Principal | None] = {}
        self._facts = AccessFacts()
        self._next_change: datetime | None = None  # when a decision may change with time alone
        # facts and principals are loaded off the relay thread, so store queries never delay forwarding
        self._loaded: tuple[AccessFacts, dict[str, Principal | None]] | None = None
        self._applied: tuple[AccessFacts, dict[str, Principal | None]] | None = None
        self._known: set[str] = set()
        self._known_lock = threading.Lock()
        self._loader: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the ZAP authenticator, then bind (on the relay thread); raise if binding fails."""
        self.authenticator = KeyAuthenticator(self.ctx, self._zap_user)
        self.authenticator.start()
        self._load()  # the first decisions already use real facts
        self._loader = threading.Thread(target=self._load_forever, name="relay-facts", daemon=True)
        self._loader.start()
        self._thread = threading.Thread(target=self._run, name="relay", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self.stop()
            raise self._error

    def stop(self) -> None:
        self._stop.set()
        for thread in (self._thread, self._loader):
            if thread is not None:
                thread.join()
        if self.authenticator is not None:
            self.authenticator.stop()

    def _zap_user(self, public_key: bytes) -> str | None:
        principal = self.access.principal_for_key(public_key)
        return principal.zap_id if principal is not None else None

    # -- the loop ---------------------------------------------------------------------------
    def _open(self) -> None:
        # per viewer: ~5 s of a full lab's keypoints + state, so a live mentor's hiccup drops nothing
        # while a stalled one costs a bounded ~25 MB (30 stations, 2.7 KB pose frames)
        hwm_live = queue_limit([Kind.POSE, Kind.STATE], self.streams)
        self._xsub = self._server_socket(zmq.XSUB, hwm_live, self.link)
        self._xpub = self._server_socket(zmq.XPUB, hwm_live, self.viewer_link)
        self._xvideo = self._server_socket(zmq.XPUB, queue_limit([Kind.VIDEO]), self.viewer_link)
        for xpub in (self._xpub, self._xvideo):
            xpub.setsockopt(zmq.XPUB_MANUAL, 1)
        self._record: zmq.Socket | None = None
        if self.record_endpoint is not None:
            self._record = self.ctx.socket(zmq.PUSH)
            self._record.sndhwm = RECORD_QUEUE
            self._record.linger = 2000  # at shutdown, hand what is queued to the recorder
            self._record.connect(self.record_endpoint)
        self._inject = self.ctx.socket(zmq.PULL)
        self._inject.linger = 0
        self._inject.bind(self.inject_endpoint)
        requested = self._requested_endpoints
        self._xsub.bind(requested.stations)
        self._xpub.bind(requested.viewers)
        self._xvideo.bind(requested.video)
        self.endpoints = RelayEndpoints(
            *(s.last_endpoint.decode() for s in (self._xsub, self._xpub, self._xvideo))
        )
        for prefix in UPSTREAM_ALWAYS:
            self._xsub.send(b"\x01" + prefix)

    def _server_socket(self, kind: int, hwm: int, link: LinkSettings) -> zmq.Socket:
        sock = self.ctx.socket(kind)
        sock.sndhwm = sock.rcvhwm = hwm
        link.apply(sock)
        self._server.apply(sock, self.authenticator)  # refuses without a running authenticator
        return sock

    def _run(self) -> None:
        try:
            self._open()
        except BaseException as exc:  # reported to start()'s caller
            self._error = exc
            self._ready.set()
            return
        self._refresh()
        self._ready.set()
        poller = zmq.Poller()
        for sock in (self._xsub, self._xpub, self._xvideo, self._inject):
            poller.register(sock, zmq.POLLIN)
        next_refresh = 0.0
        try:
            while not self._stop.is_set():
                ready = dict(poller.poll(100))
                if self._xsub in ready:
                    self._drain(self._xsub, self._on_upstream)
                if self._inject in ready:
                    self._drain(self._inject, lambda m: self._forward(m.bytes, trusted=True))
                for xpub, video in ((self._xpub, False), (self._xvideo, True)):
                    if xpub in ready:
                        self._drain(xpub, lambda m, x=xpub, v=video: self._on_subscription(x, v, m))
                now = time.monotonic()
                if now >= next_refresh:
                    self._refresh()
                    next_refresh = now + self.refresh_s
        finally:
            self._publish_stats()
            for sock in (self._xsub, self._xpub, self._xvideo, self._inject):
                sock.close(linger=0)
            if self._record is not None:
                self._record.close()

    @staticmethod
    def _drain(sock: zmq.Socket, handle: Callable[[zmq.Frame], None], limit: int = 1000) -> None:
        for _ in range(limit):
            try:
                handle(sock.recv(zmq.NOBLOCK, copy=False))
            except zmq.Again:
                return

    # -- station side -----------------------------------------------------------------------
    def _on_upstream(self, message: zmq.Frame) -> None:
        received = time.monotonic() if self.timing is not None else 0.0
        principal = self._principal(_user_id(message))
        sent_at = self._forward(message.bytes, principal=principal)
        if self.timing is not None and sent_at is not None:
            self.timing.add(sent_at, received, time.monotonic())

    def _forward(
        self, data: bytes, principal: Principal | None = None, trusted: bool = False
    ) -> float | None:
        """Validate one frame and send it to every user granted its topic; returns the envelope's
        send time (t_mono) if it was accepted. The hot path: one msgpack parse in C (which also
        refuses pixels outside video), cached topic parsing, no Envelope object, dict lookups."""
        try:
            topic, payload = split_frame(data)
            kind = topic.kind
            fields = check(payload, allow_binary=kind is Kind.VIDEO)  # pixels on video only
        except BadTopic:
            return self._drop("topic")
        except BadMessage as exc:
            return self._drop("pixels_outside_video" if exc.reason == "binary" else exc.reason)
        if not trusted and (principal is None or not may_publish(principal, topic)):
            return self._drop("not_this_station")
        if fields["station"] != topic.station or fields["session"] != topic.session:
            return self._drop("topic")
        self._received[kind] += 1
        wire = data[: len(data) - len(payload)]  # == topic.prefix, without rebuilding it
        video = kind is Kind.VIDEO
        if not video:
            self._last[wire] = data
            if self._record is not None:
                try:
                    self._record.send(data, zmq.NOBLOCK)
                except zmq.Again:
                    self._counts["dropped"]["not_recorded"] += 1
        send = (self._xvideo if video else self._xpub).send
        views = self._exact.get(wire, ())
        for view in views:
            send(view + data, zmq.NOBLOCK)
        sent = len(views)
        for prefix, view in self._partial:
            if wire.startswith(prefix):
                send(view + data, zmq.NOBLOCK)
                sent += 1
        if sent:
            self._forwarded[kind] += sent
        return fields["t_mono"]

    def _drop(self, reason: str) -> None:
        if self._counts["dropped"][reason] == 0:
            log.warning("relay: dropped a message (%s); further ones are only counted", reason)
        self._counts["dropped"][reason] += 1

    # -- viewer side ------------------------------------------------------------------------
    def _on_subscription(self, xpub: zmq.Socket, video: bool, message: zmq.Frame) -> None:
        data = message.bytes
        if not data or data[0] not in (0, 1):
            return
        requested, key = data[1:], (video, data[1:])
        if data[0] == 1:
            principal = self._principal(_user_id(message))
            if principal is None or not requested.startswith(principal.view_prefix):
                self._counts["refused"]["not_own_prefix"] += 1
                return  # never subscribed on the XPUB: nothing can reach this pipe under it
            xpub.setsockopt(zmq.SUBSCRIBE, requested)
            self._requests[key] += 1
            if self._evaluate(key):
                self._grant(key)  # also (re)sends the join snapshot
        elif self._requests[key] > 0:
            xpub.setsockopt(zmq.UNSUBSCRIBE, requested)
            self._requests[key] -= 1
            if self._requests[key] == 0:
                del self._requests[key]
                self._revoke(key)

    def _evaluate(self, key: tuple[bool, bytes]) -> bool:
        self._decisions += 1
        video, requested = key
        zap_id = requested[1 : requested.index(b"/")].decode()
        principal = self._principal(zap_id)
        if principal is None:
            return False
        sub = parse_subscription(principal, requested)
        if sub is None or (sub.kind is Kind.VIDEO) != video:
            self._counts["refused"]["wrong_endpoint"] += 1
            return False
        decision = decide(principal, requested, self._facts, self.clock())
        if not decision:
            self._counts["refused"][decision.reason] += 1
        return decision.allow

    def _grant(self, key: tuple[bool, bytes]) -> None:
        video, requested = key
        view, wire = _split_view(requested)
        if key not in self._granted:
            self._granted.add(key)
            self._index(view, wire, add=True)
            self._audit(view, wire, "start")
            if video and wire not in self._upstream_video:
                self._upstream_video.add(wire)
                self._xsub.send(b"\x01" + wire)
        if not video:  # join snapshot: the last message of every topic this grant covers
            if wire.endswith(SEPARATOR):
                cached = [self._last[wire]] if wire in self._last else []
            else:
                cached = [data for topic, data in self._last.items() if topic.startswith(wire)]
            for data in cached:
                self._xpub.send(view + data, zmq.NOBLOCK)

    def _revoke(self, key: tuple[bool, bytes]) -> None:
        if key not in self._granted:
            return
        self._granted.discard(key)
        video, requested = key
        view, wire = _split_view(requested)
        self._index(view, wire, add=False)
        self._audit(view, wire, "stop")
        if video and not any(v and _split_view(r)[1] == wire for v, r in self._granted):
            self._upstream_video.discard(wire)
            self._xsub.send(b"\x00" + wire)

    def _audit(self, view: bytes, wire: bytes, event: str) -> None:
        """Start and end of a person's view of one session's topic (heartbeats are not personal)."""
        if self.audit is None or not wire.endswith(SEPARATOR):
            return
        topic, _ = split_frame(wire)
        principal = self._principals.get(view[1:-1].decode())
        if principal is not None:
            detail = {"event": event, "station": topic.station, "kind": topic.kind.value}
            self.audit.record(principal, view_action(topic.kind), topic.session, detail)

    def _index(self, view: bytes, wire: bytes, add: bool) -> None:
        """Keep the forwarding index (topic -> viewer prefixes) in step with the grants."""
        if wire.endswith(SEPARATOR):
            views = self._exact.setdefault(wire, [])
            if add:
                views.append(view)
            else:
                views.remove(view)
                if not views:
                    del self._exact[wire]
        elif add:
            self._partial.append((wire, view))
        else:
            self._partial.remove((wire, view))

    def _load(self) -> None:
        """Read facts and every known principal from the access source (loader thread); hand them
        to the relay thread only when they differ from the last ones (it re-decides on each)."""
        with self._known_lock:
            known = tuple(self._known)
        facts = self.access.facts(self.clock())
        loaded = (facts, {zap_id: self.access.principal(zap_id) for zap_id in known})
        if loaded != self._loaded:
            self._loaded = loaded

    def _load_forever(self) -> None:
        while not self._stop.wait(self.refresh_s):
            try:
                self._load()
            except Exception:  # a store hiccup must not end live streaming; the next load retries
                log.exception("relay: loading access facts failed; keeping the previous ones")

    def _refresh(self) -> None:
        """Apply newly loaded facts; re-decide every subscription if they changed or a decision may
        have changed with time (an invitation window opened or closed); publish a stats copy."""
        loaded, now = self._loaded, self.clock()
        changed = loaded is not None and loaded is not self._applied
        if changed:
            self._applied = loaded
            self._facts = loaded[0]
            self._principals.update(loaded[1])
        if changed or (self._next_change is not None and now >= self._next_change):
            self._next_change = next_change(self._facts, now)
            for key in list(self._requests):
                if self._evaluate(key):
                    if key not in self._granted:
                        self._grant(key)
                else:
                    self._revoke(key)
        self._publish_stats()

    def _publish_stats(self) -> None:
        stats = {name: {str(k): n for k, n in counter.items()} for name, counter in self._counts.items()}
        stats["grants"] = {
            "current": len(self._granted),
            "requested": len(self._requests),
            "decisions": self._decisions,
        }
        self.stats = stats

    def _principal(self, zap_id: str | None) -> Principal | None:
        """Cached; a first sight (a new connection) asks the source once, later loads keep it fresh."""
        if not zap_id:
            return None
        if zap_id not in self._principals:
            self._principals[zap_id] = self.access.principal(zap_id)
            with self._known_lock:
                self._known.add(zap_id)
        return self._principals[zap_id]


def _user_id(message: zmq.Frame) -> str | None:
    try:
        return message.get("User-Id")
    except zmq.ZMQError:
        return None


def _split_view(requested: bytes) -> tuple[bytes, bytes]:
    """`@user:3/pose/st01/s1 ` -> (`@user:3/`, `pose/st01/s1 `)."""
    cut = requested.index(b"/") + 1
    return requested[:cut], requested[cut:]
