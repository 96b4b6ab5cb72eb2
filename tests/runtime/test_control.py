"""Instructor changes on a running session: the method, the bus path (real ZeroMQ), the record."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import zmq

from lab.bus.envelope import Envelope
from lab.bus.sockets import Publisher, Receiver
from lab.bus.station_link import LabEndpoints, StationLink
from lab.bus.text import UserError
from lab.bus.topics import Kind, Topic, frame, station_zap_id, view_prefix
from lab.recording.mcap_io import read_recording
from lab.store.models import Attempt
from sim.runner import make_operator, run_attempt
from station_app.report import debrief_report, render_html
from station_app.runtime.session import SessionSettings, StationSession


def _session(factory, crane, tmp_path: Path, **kwargs) -> StationSession:
    settings = SessionSettings(station="st01", recordings_dir=tmp_path / "rec", preview_next=False)
    return StationSession(
        factory, crane, "learner-1", make_operator("autopilot:1.0", "crane"), None, settings, **kwargs
    )


def test_changes_are_applied_recorded_stored_and_re_simulate_the_attempt(store_factory, crane, tmp_path):
    session = _session(store_factory, crane, tmp_path)
    seen = []
    session.listeners.append(lambda kind, payload: seen.append(payload) if kind == "control" else None)
    session.start()
    for _ in range(40):
        session.step()
    wind = session.apply_change(
        {"action": "set_wind", "wind_mps": 9.0, "gust_mps": 2.0}, "user:7", "instructor"
    )
    with pytest.raises(UserError, match="no fault 'meteor'"):
        session.apply_change({"action": "inject_fault", "fault": "meteor"}, "user:7", "instructor")
    for _ in range(40):
        session.step()
    fault = session.apply_change({"action": "inject_fault", "fault": "hoist_brake_slip"})
    assert wind["t"] == pytest.approx(2.0) and fault["t"] == pytest.approx(4.0)
    debrief = _finish_at(session, 12.0)
    assert debrief.result["changes"] == [wind, fault]
    assert [e["accepted"] for e in seen] == [True, False, True]
    assert seen[0] == wind | {"author": "user:7", "role": "instructor", "request_seq": None, "accepted": True}
    assert seen[1]["error"]["en"].startswith("the scenario has no fault 'meteor'")
    recorded = [m.envelope for m in read_recording(debrief.recording, kinds=[Kind.EVENTS])]
    assert [e.body for e in recorded if e.type == "session.control"] == seen
    with store_factory() as db:
        assert db.get(Attempt, debrief.attempt_id).metrics["changes"] == [wind, fault]
    # The learner's debrief and the report say what the instructor changed, and when.
    assert "  4.0 s 时教师注入故障 hoist_brake_slip" in debrief.lines("zh")
    html = render_html(debrief_report([debrief], "report", "", "en"), "en")
    assert "at 2.0 s the instructor set the wind to 9 m/s, gusts 2 m/s" in html
    # The stored params, seed and changes re-simulate the attempt exactly.
    again = run_attempt(
        crane, debrief.params, make_operator("autopilot:1.0", "crane"), debrief.seed, duration=12.0,
        changes=debrief.result["changes"],
    )  # fmt: skip
    assert again["metrics"] == debrief.result["metrics"] and again["score"] == debrief.result["score"]


def test_instructor_requests_over_the_bus_reach_the_running_session(sqlite_factory, crane, tmp_path):
    """The lab server passes a request on as a `control` envelope on the session's comment topic, to the
    station's prefix; the station's StationLink receives it and the runtime applies it."""
    context = zmq.Context()
    relay_out = Publisher(context, "tcp://127.0.0.1:*", [Kind.COMMENT], bind=True)  # the relay's viewer side
    relay_in = context.socket(zmq.XSUB)  # where station publishers connect
    relay_in.linger = 0
    port = relay_in.bind_to_random_port("tcp://127.0.0.1")
    link = StationLink(
        context, "st01", LabEndpoints(f"tcp://127.0.0.1:{port}", relay_out.endpoint), curve=None
    )
    station_out = Publisher(context, "tcp://127.0.0.1:*", bind=True)
    viewer = Receiver(context, station_out.endpoint, [b"events/st01/"], [Kind.EVENTS])
    prefix = view_prefix(station_zap_id("st01"))
    seqs = iter(range(100, 200))

    def to_station(session: str, type: str, body: dict) -> None:
        envelope = Envelope(type=type, station="st01", session=session, seq=next(seqs), body=body)
        relay_out.send_frame(prefix + frame(Topic(Kind.COMMENT, "st01", session), envelope.encode()))

    got: dict[str, list] = {"control": [], "comment": []}
    try:
        assert relay_out.socket.poll(10000, zmq.POLLIN)  # the station subscribes under its own prefix
        assert relay_out.socket.recv() == b"\x01" + prefix + b"comment/st01/"
        session = _session(sqlite_factory, crane, tmp_path, publisher=station_out, inbox=link.comments)
        session.listeners.append(lambda kind, p: got[kind].append(p) if kind in got else None)
        sid = session.prepare().session_id
        _wait(lambda: station_out.wanted(Topic(Kind.EVENTS, "st01", sid)))
        session.start()
        by = {"author": "user:7", "role": "instructor"}
        to_station(sid, "control", {"action": "inject_fault", "fault": "drive_lag", **by})
        to_station(sid, "comment", {"text": "watch the sway", **by})
        to_station("other", "control", {"action": "set_wind", "wind_mps": 1.0, **by})  # not this session
        to_station(sid, "control", {"action": "set_wind", "wind_mps": 99.0, **by})  # out of range
        to_station(sid, "control", {"action": "set_wind", "wind_mps": 6.0, **by})
        deadline = time.monotonic() + 20
        while len(got["control"]) < 3 and time.monotonic() < deadline:
            session.step()
            time.sleep(0.002)
        debrief = _finish_at(session, 5.0)
        live = []
        while (message := viewer.recv(timeout_ms=500)) is not None:
            live += [message.envelope] if message.envelope.type == "session.control" else []
    finally:
        link.close()
        for part in (viewer, relay_out, station_out, relay_in):
            part.close()
        context.term()
    assert [(e["action"], e["accepted"]) for e in got["control"]] == [
        ("inject_fault", True),
        ("set_wind", False),
        ("set_wind", True),
    ]
    assert got["control"][0]["request_seq"] == 100 and got["control"][0]["author"] == "user:7"
    assert "wind_mps" in got["control"][1]["error"]["en"]
    assert [m.envelope.body["text"] for m in got["comment"]] == ["watch the sway"]
    assert [c["action"] for c in debrief.result["changes"]] == ["inject_fault", "set_wind"]
    assert [e.body for e in live] == got["control"]  # live, for the instructor and the audit


def _wait(ready) -> None:
    deadline = time.monotonic() + 10
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.01)  # subscriptions reach an XPUB asynchronously


def _finish_at(session: StationSession, t: float):
    """Step on to session time `t` (as a view's timer would), then score: the attempt stopped there."""
    while not session.done and session.state.t < t - 1e-9:
        session.step()
    return session.finish()
