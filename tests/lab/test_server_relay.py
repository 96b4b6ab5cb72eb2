"""Security of the lab relay on real loopback sockets with CurveZMQ and a real ZAP authenticator."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import msgpack
import pytest
import zmq
from zmq.utils.monitor import recv_monitor_message

from lab.auth.permissions import Invitation, Subject
from lab.bus.requests import RequestClient, RequestFailed
from lab.bus.security import CurveClient, CurveKeys, CurveServer, KeyAuthenticator
from lab.bus.sockets import Publisher, Receiver
from lab.bus.station_link import LabEndpoints, StationLink
from lab.bus.topics import Kind, Topic, frame, station_zap_id, user_zap_id
from lab.bus.viewer_link import ViewerEndpoints, ViewerLink
from lab.recording.mcap_io import recording_info
from lab.recording.service import serve_recordings
from lab.server.access import StaticAccess
from lab.server.policy import AccessFacts, Principal, SessionFacts
from lab.server.relay import Relay, RelayEndpoints
from lab.server.requests import RequestServer
from lab.server.timing import RelayTiming

ANY = "tcp://127.0.0.1:*"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POSE, STATE, VIDEO = (Topic(k, "st01", "s1") for k in (Kind.POSE, Kind.STATE, Kind.VIDEO))
ALICE, BOB = 1, 2
LEARNER_NAME = "张伟 Zhang Wei"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Lab:
    """A relay with a station (st01), two mentors (alice invited, bob not), an admin and an instructor."""

    def __init__(self, tmp_path) -> None:
        self.ctx = zmq.Context()
        self.server_keys = CurveKeys.generate()
        self.keys = {name: CurveKeys.generate() for name in ("st01", "st02", "alice", "bob", "admin")}
        self.principals = {
            "st01": Principal(station_zap_id("st01"), "station", station="st01"),
            "st02": Principal(station_zap_id("st02"), "station", station="st02"),
            "alice": Principal(user_zap_id(ALICE), "mentor", user_id=ALICE, login="alice"),
            "bob": Principal(user_zap_id(BOB), "mentor", user_id=BOB, login="bob"),
            "admin": Principal(user_zap_id(9), "admin", user_id=9, login="admin"),
        }
        self.consent = True
        self.invitation = Invitation(
            ALICE, T0 - timedelta(hours=1), T0 + timedelta(hours=1), session_id="s1", may_view_video=True
        )
        self.access = StaticAccess(
            {self.keys[n].public: p for n, p in self.principals.items()}, self._facts()
        )
        self.clock = Clock()
        self.recordings = tmp_path / "recordings"
        self.recording_stop, ready = threading.Event(), threading.Event()
        endpoint = f"inproc://recordings-{id(self)}"
        self.recording = threading.Thread(
            target=serve_recordings, args=(endpoint, self.recordings, self.recording_stop, ready, self.ctx)
        )
        self.recording.start()
        ready.wait()
        self.relay = Relay(
            self.ctx,
            self.access,
            self.server_keys,
            RelayEndpoints(ANY, ANY, ANY),
            record_endpoint=endpoint,
            refresh_s=0.1,
            clock=self.clock,
        )
        self.relay.start()
        self.requests = RequestServer(
            self.ctx,
            self.access,
            self.server_keys,
            ANY,
            self.relay.authenticator,
            self.relay.inject_endpoint,
            clock=self.clock,
        )
        self.requests.start()
        self.station = Station(self, "st01")

    def curve(self, name: str, keys: CurveKeys | None = None) -> CurveClient:
        return CurveClient(keys or self.keys[name], self.server_keys.public)

    def viewer(self, name: str, topics, video: bool = False, keys: CurveKeys | None = None) -> Receiver:
        endpoint = self.relay.endpoints.video if video else self.relay.endpoints.viewers
        kinds = [Kind.VIDEO] if video else None
        extra = {"kinds": kinds} if kinds else {}
        return Receiver(
            self.ctx,
            endpoint,
            topics,
            conflate=video,
            view_prefix=self.principals[name].view_prefix,
            curve=self.curve(name, keys),
            **extra,
        )

    def _facts(self) -> AccessFacts:
        subject = Subject(
            learner_id=42, session_id="s1", live_video_consent=self.consent, invitations=(self.invitation,)
        )
        return AccessFacts({"s1": SessionFacts("st01", subject)})

    def set_facts(self, invitation: Invitation | None = None, consent: bool | None = None) -> None:
        self.invitation = invitation or self.invitation
        self.consent = self.consent if consent is None else consent
        self.access.set_facts(self._facts())

    def stop_recording(self) -> None:
        self.recording_stop.set()
        self.recording.join()

    def client(self, name: str, keys: CurveKeys | None = None) -> RequestClient:
        return RequestClient(self.ctx, self.requests.endpoint, self.curve(name, keys), timeout_ms=2000)

    def close(self) -> None:
        self.station.stop()
        self.requests.stop()
        self.relay.stop()
        self.stop_recording()
        self.ctx.destroy(linger=0)


class Station:
    """A station runtime stand-in: publishes pose + state at 100 Hz, and JPEG only while wanted."""

    def __init__(self, lab: Lab, name: str, topics=(POSE, STATE)) -> None:
        self.lab, self.name, self.topics = lab, name, topics
        self.video_wanted = False
        self.video_sent_after: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        publisher = Publisher(
            self.lab.ctx, self.lab.relay.endpoints.stations, curve=self.lab.curve(self.name)
        )
        video = Publisher(
            self.lab.ctx, self.lab.relay.endpoints.stations, [Kind.VIDEO], curve=self.lab.curve(self.name)
        )
        try:
            while not self._stop.is_set():
                for topic in self.topics:
                    publisher.send(topic, {"t": time.time(), "image": [[0.5, 0.5, 0.0, 1.0]] * 33})
                self.video_wanted = video.wanted(VIDEO)
                if self.video_wanted:
                    video.send(VIDEO, {"jpeg": b"\xff\xd8" + bytes(2000), "format": "jpeg"})
                time.sleep(0.01)
        finally:
            publisher.close()
            video.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def lab(tmp_path):
    setup = Lab(tmp_path)
    yield setup
    setup.close()


def _collect(receiver: Receiver, seconds: float) -> list:
    got, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = receiver.recv(50)
        if message is not None:
            got.append(message)
    return got


def _first(receiver: Receiver, timeout_s: float = 5.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        message = receiver.recv(100)
        if message is not None:
            return message
    return None


def test_curve_server_refuses_to_start_without_a_running_authenticator():
    ctx = zmq.Context()
    try:
        sock = ctx.socket(zmq.XPUB)
        with pytest.raises(RuntimeError, match="authenticator"):
            CurveServer(CurveKeys.generate()).apply(sock, None)
        not_started = KeyAuthenticator(ctx, lambda key: None)
        with pytest.raises(RuntimeError, match="authenticator"):
            CurveServer(CurveKeys.generate()).apply(sock, not_started)
        sock.close()
    finally:
        ctx.destroy(linger=0)


def test_unknown_key_is_refused_at_the_handshake(lab):
    stranger = CurveKeys.generate()
    sock = lab.ctx.socket(zmq.SUB)
    lab.curve("alice", stranger).apply(sock)
    monitor = sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_SUCCEEDED)
    sock.subscribe(b"")
    sock.connect(lab.relay.endpoints.viewers)
    assert monitor.poll(5000)
    event = recv_monitor_message(monitor)
    assert event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH
    assert sock.poll(300) == 0


def test_known_key_succeeds_the_handshake(lab):
    sock = lab.ctx.socket(zmq.SUB)
    lab.curve("bob").apply(sock)
    monitor = sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_SUCCEEDED)
    sock.connect(lab.relay.endpoints.viewers)
    assert monitor.poll(5000)
    assert recv_monitor_message(monitor)["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED


def test_invited_mentor_receives_and_uninvited_mentor_cannot_subscribe(lab):
    alice = lab.viewer("alice", [POSE])
    bob = lab.viewer("bob", [POSE])
    assert _first(alice) is not None
    assert _collect(bob, 1.0) == []
    assert lab.relay.stats["refused"].get("denied_invited", 0) >= 1


def test_no_one_can_subscribe_under_another_users_prefix_or_to_everything(lab):
    alice_prefix = lab.principals["alice"].view_prefix
    raw = lab.ctx.socket(zmq.SUB)
    lab.curve("bob").apply(raw)
    raw.subscribe(alice_prefix)
    raw.subscribe(b"")
    raw.subscribe(b"pose/")
    raw.connect(lab.relay.endpoints.viewers)
    alice = lab.viewer("alice", [POSE])
    assert _first(alice) is not None  # alice's stream is flowing...
    assert raw.poll(1000) == 0  # ...and bob sees none of it
    assert lab.relay.stats["refused"]["not_own_prefix"] >= 3


def test_expired_invitation_stops_the_stream(lab):
    alice = lab.viewer("alice", [POSE])
    assert _first(alice) is not None
    lab.clock.now = lab.invitation.valid_until  # the window is half-open: now it is over
    time.sleep(0.5)  # a few refreshes
    _collect(alice, 0.3)  # drain what was in flight
    assert _collect(alice, 1.0) == []


def test_withdrawn_invitation_stops_the_stream_and_renewal_resumes_it(lab):
    alice = lab.viewer("alice", [POSE])
    assert _first(alice) is not None
    lab.set_facts(invitation=replace(lab.invitation, revoked_at=T0 - timedelta(minutes=1)))
    time.sleep(0.5)
    _collect(alice, 0.3)
    assert _collect(alice, 1.0) == []
    lab.set_facts(invitation=replace(lab.invitation, revoked_at=None))
    assert _first(alice) is not None


def test_withdrawing_video_consent_stops_video_within_2_seconds(lab):
    video = lab.viewer("alice", [VIDEO], video=True)
    first = _first(video)
    assert first is not None and first.envelope.body["jpeg"].startswith(b"\xff\xd8")
    assert lab.station.video_wanted  # the station knows it is live to a mentor
    withdrawn_at = time.time()
    lab.set_facts(consent=False)
    late = [m for m in _collect(video, 3.0) if m.envelope.t_wall > withdrawn_at + 2.0]
    assert late == []
    assert not lab.station.video_wanted  # indicator off: the relay stopped pulling video


def test_an_invitation_starts_the_stream_when_its_window_opens(lab):
    opens = T0 + timedelta(minutes=30)
    lab.set_facts(invitation=replace(lab.invitation, valid_from=opens))
    time.sleep(0.3)
    alice = lab.viewer("alice", [POSE])
    assert _collect(alice, 1.0) == []
    lab.clock.now = opens  # no new facts: time alone opens the window, and the cached refusal goes
    assert _first(alice) is not None


def _settled_decisions(relay: Relay) -> int:
    """The relay's decision count once it has stopped moving (new peers are decided once)."""
    count = relay.stats["grants"]["decisions"]
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        time.sleep(0.5)
        latest = relay.stats["grants"]["decisions"]
        if latest == count:
            return count
        count = latest
    return count


def test_decisions_are_cached_until_facts_change(lab):
    alice = lab.viewer("alice", [POSE, STATE])
    assert _first(alice) is not None
    before = _settled_decisions(lab.relay)
    time.sleep(1.0)  # ten refreshes with nothing new: nothing is decided again
    assert lab.relay.stats["grants"]["decisions"] == before
    lab.set_facts(consent=False)  # any change: every subscription is decided again
    assert _eventually(lambda: lab.relay.stats["grants"]["decisions"] >= before + 2)
    assert _first(alice) is not None  # keypoints do not need the video consent


def test_relay_timing_splits_its_own_time_from_the_wait_before_it(lab):
    lab.relay.timing = RelayTiming()
    alice = lab.viewer("alice", [POSE])
    # The first message may be the join snapshot, which is not forwarded and so not timed: read on
    # until the relay has timed forwarded messages (the station publishes continuously).
    deadline = time.monotonic() + 10.0
    while lab.relay.timing.summary()["messages"] < 5 and time.monotonic() < deadline:
        alice.recv(100)
    summary = lab.relay.timing.summary()
    assert summary["messages"] > 0
    assert summary["upstream_ms"]["p50"] > 0.0
    assert summary["processing_ms"]["p50"] > 0.0
    assert summary["processing_ms"]["p50"] <= summary["processing_ms"]["max"]


def test_video_needs_an_invitation_that_allows_it(lab):
    lab.set_facts(invitation=replace(lab.invitation, may_view_video=False))
    time.sleep(0.3)
    video = lab.viewer("alice", [VIDEO], video=True)
    assert _collect(video, 1.0) == []
    assert not lab.station.video_wanted


def test_video_is_not_served_on_the_keypoint_endpoint(lab):
    wrong = lab.viewer("alice", [VIDEO])
    assert _collect(wrong, 1.0) == []


def test_default_stream_carries_no_pixels_and_no_learner_name(lab):
    raw = lab.ctx.socket(zmq.SUB)
    lab.curve("alice").apply(raw)
    view = lab.principals["alice"].view_prefix
    for topic in (POSE, STATE, Topic(Kind.EVENTS, "st01", "s1"), Topic(Kind.COMMENT, "st01", "s1")):
        raw.subscribe(view + topic.prefix)
    raw.connect(lab.relay.endpoints.viewers)
    # a faulty station tries to slip pixels into the keypoint stream
    sneaky = Publisher(lab.ctx, lab.relay.endpoints.stations, curve=lab.curve("st01"))
    frames = []
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        sneaky.send(POSE, {"t": 0.0, "thumbnail": b"\x89PNG" + bytes(100)})
        if raw.poll(20):
            frames.append(raw.recv())
    sneaky.close()
    assert frames, "the default stream delivered nothing"
    for data in frames:
        assert LEARNER_NAME.encode() not in data
        envelope = msgpack.unpackb(data.split(b" ", 1)[1])
        assert "thumbnail" not in envelope["body"]
        assert not any(isinstance(v, bytes) for v in envelope["body"].values())
    assert lab.relay.stats["dropped"]["pixels_outside_video"] > 0


def test_a_station_cannot_publish_as_another_station(lab):
    alice = lab.viewer("alice", [Topic(Kind.EVENTS, "st01", "s1")])
    impostor = Publisher(lab.ctx, lab.relay.endpoints.stations, curve=lab.curve("st02"))
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        impostor.send(Topic(Kind.EVENTS, "st01", "s1"), {"rule": "forged"})
        time.sleep(0.02)
    impostor.close()
    assert _collect(alice, 0.3) == []
    assert lab.relay.stats["dropped"]["not_this_station"] > 0


def test_joining_viewer_gets_the_last_state_as_a_snapshot(lab):
    deadline = time.monotonic() + 5.0
    while lab.relay.stats["received"].get("state", 0) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    lab.station.stop()  # nothing new will be published
    time.sleep(0.2)
    late = lab.viewer("alice", [STATE])
    snapshot = _first(late, 3.0)
    assert snapshot is not None and snapshot.topic == STATE


def test_admin_sees_heartbeats_but_no_learner_data(lab):
    beat = Topic(Kind.HEARTBEAT, "st01")
    admin = lab.viewer("admin", [b"heartbeat/", POSE])
    publisher = Publisher(lab.ctx, lab.relay.endpoints.stations, curve=lab.curve("st01"))
    got = []
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and not got:
        publisher.send(beat, {"fps": 30.0})
        got = _collect(admin, 0.05)
    publisher.close()
    assert got and {m.topic.kind for m in got} == {Kind.HEARTBEAT}
    assert all(m.topic.kind is Kind.HEARTBEAT for m in _collect(admin, 0.5))


def test_sessions_are_recorded_as_mcap(lab, tmp_path):
    alice = lab.viewer("alice", [POSE])
    assert _first(alice) is not None
    lab.station.stop()
    lab.relay.stop()
    lab.stop_recording()
    info = recording_info(lab.recordings / "st01_s1.mcap")
    assert info["messages"]["pose"] > 0 and info["messages"]["state"] > 0
    assert lab.relay.stats["received"]["pose"] == info["messages"]["pose"]  # every accepted frame recorded


def test_garbled_upstream_messages_are_dropped_and_counted(lab):
    alice = lab.viewer("alice", [POSE])
    assert _first(alice) is not None
    bad = Publisher(lab.ctx, lab.relay.endpoints.stations, curve=lab.curve("st01"))
    time.sleep(0.3)
    for data in (b"pose/st01 x", frame(POSE, b"\xc1"), frame(POSE, msgpack.packb({"v": 7}))):
        bad.send_frame(data)
    bad.send(POSE, {"ok": True})
    time.sleep(0.5)
    bad.close()
    dropped = lab.relay.stats["dropped"]
    assert dropped.get("topic", 0) >= 1 and dropped.get("garbled", 0) >= 1 and dropped.get("version", 0) >= 1
    assert _first(alice) is not None  # the relay is still forwarding


def test_whoami_and_sessions_follow_the_policy(lab):
    alice, bob = lab.client("alice"), lab.client("bob")
    assert alice.call("whoami")["user"] == "user:1"
    assert alice.call("sessions")["sessions"] == [{"station": "st01", "session": "s1", "video": True}]
    assert bob.call("sessions")["sessions"] == []


def test_mentor_comment_reaches_the_station_viewers_and_recording(lab):
    station_inbox = Receiver(
        lab.ctx,
        lab.relay.endpoints.viewers,
        [b"comment/st01/"],
        view_prefix=lab.principals["st01"].view_prefix,
        curve=lab.curve("st01"),
    )
    alice_view = lab.viewer("alice", [Topic(Kind.COMMENT, "st01", "s1")])
    time.sleep(0.3)  # subscriptions reach the relay
    reply = lab.client("alice").call(
        "comment", station="st01", session="s1", text="注意吊钩摆动 watch the sway"
    )
    got = _first(station_inbox)
    assert got.envelope.body == {"author": "user:1", "role": "mentor", "text": "注意吊钩摆动 watch the sway"}
    assert got.envelope.seq == reply["seq"]
    assert _first(alice_view).envelope.body["text"].startswith("注意")
    lab.station.stop()
    lab.relay.stop()
    lab.stop_recording()
    assert recording_info(lab.recordings / "st01_s1.mcap")["messages"]["comment"] == 1


@pytest.mark.parametrize(
    ("who", "fields", "message"),
    [
        ("bob", {"station": "st01", "session": "s1", "text": "hi"}, "no invitation in force"),
        ("admin", {"station": "st01", "session": "s1", "text": "hi"}, "may not edit comments"),
        ("alice", {"station": "st02", "session": "s1", "text": "hi"}, "no such live session"),
        ("alice", {"station": "st01", "session": "s1", "text": "   "}, "characters"),
        ("alice", {"station": "st 01", "session": "s1", "text": "hi"}, "station"),
        ("alice", {"station": "st01", "session": "s1", "text": "x" * 2001}, "characters"),
    ],
)
def test_refused_comments_are_one_line_errors(lab, who, fields, message):
    with pytest.raises(RequestFailed, match=message):
        lab.client(who).call("comment", **fields)


def test_unknown_and_garbled_requests_are_answered_not_fatal(lab):
    alice = lab.client("alice")
    with pytest.raises(RequestFailed, match="unknown operation"):
        alice.call("format_disk")
    raw = lab.ctx.socket(zmq.REQ)
    lab.curve("alice").apply(raw)
    raw.connect(lab.requests.endpoint)
    raw.send(b"\xc1 not msgpack")
    assert raw.poll(3000)
    assert msgpack.unpackb(raw.recv())["ok"] is False
    assert alice.call("whoami")["ok"]  # still serving


def test_unknown_key_gets_no_answer(lab):
    with pytest.raises(RequestFailed, match="did not answer"):
        lab.client("alice", CurveKeys.generate()).call("whoami")


def test_stations_cannot_publish_comments(lab):
    alice = lab.viewer("alice", [Topic(Kind.COMMENT, "st01", "s1")])
    station = Publisher(lab.ctx, lab.relay.endpoints.stations, curve=lab.curve("st01"))
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        station.send(Topic(Kind.COMMENT, "st01", "s1"), {"text": "forged"})
        time.sleep(0.02)
    station.close()
    assert _collect(alice, 0.3) == []


def test_viewer_and_station_reconnect_after_a_relay_restart(lab):
    """Reconnect back-off brings both sides back; the viewer's re-subscription gets a fresh grant."""
    alice = lab.viewer("alice", [STATE])
    assert _first(alice) is not None
    endpoints = lab.relay.endpoints
    lab.requests.stop()
    lab.relay.stop()
    _collect(alice, 0.5)  # whatever was in flight
    assert _collect(alice, 0.5) == []  # the relay is down
    lab.relay = Relay(lab.ctx, lab.access, lab.server_keys, endpoints, refresh_s=0.1, clock=lab.clock)
    lab.relay.start()
    lab.requests.stop = lambda: None  # already stopped
    back = _first(alice, timeout_s=10.0)
    assert back is not None and back.topic == STATE


def _eventually(condition, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_station_link_sends_video_only_while_live_to_mentor_and_gets_comments(lab):
    endpoints = LabEndpoints(lab.relay.endpoints.stations, lab.relay.endpoints.viewers)
    link = StationLink(lab.ctx, "st01", endpoints, lab.curve("st01"))
    try:
        time.sleep(0.3)
        assert not link.live_to_mentor("s1") and not link.send_video("s1", b"\xff\xd8")
        video = lab.viewer("alice", [VIDEO], video=True)
        assert _eventually(lambda: link.live_to_mentor("s1"))
        frames = []
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline and not any(
            m.envelope.body.get("source") == "link" for m in frames
        ):
            assert link.send_video("s1", b"\xff\xd8" + bytes(100), source="link")
            frames += _collect(video, 0.05)
        assert any(m.envelope.body.get("source") == "link" for m in frames)
        lab.set_facts(consent=False)
        assert _eventually(lambda: not link.live_to_mentor("s1"))
        assert not link.send_video("s1", b"\xff\xd8")
        time.sleep(0.3)  # the station's comment subscription reaches the relay
        lab.client("alice").call("comment", station="st01", session="s1", text="good lift")
        comments = link.comments(3000)
        assert [c.envelope.body["text"] for c in comments] == ["good lift"]
    finally:
        link.close()


def test_viewer_link_finds_watches_and_comments(lab):
    endpoints = ViewerEndpoints(lab.relay.endpoints.viewers, lab.relay.endpoints.video, lab.requests.endpoint)
    alice = ViewerLink(lab.ctx, endpoints, lab.curve("alice"))
    bob = ViewerLink(lab.ctx, endpoints, lab.curve("bob"))
    try:
        [session] = alice.sessions()
        assert session == {"station": "st01", "session": "s1", "video": True}
        assert bob.sessions() == []
        stream = alice.watch("st01", "s1")
        assert _first(stream) is not None
        video = alice.watch_video("st01", "s1")
        assert _first(video).envelope.body["jpeg"].startswith(b"\xff\xd8")
        assert alice.comment("st01", "s1", "nice") >= 0
        assert _collect(bob.watch("st01", "s1"), 1.0) == []
    finally:
        alice.close()
        bob.close()
