"""The station runtime end to end: real SQLite/PostgreSQL, real pybullet, mocap poses, ZeroMQ, MCAP."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import cv2
import pytest
import zmq
from skimage import data
from sqlalchemy import select

from lab.bus.sockets import Publisher, Receiver
from lab.bus.text import Text, UserError
from lab.bus.topics import Kind, Topic
from lab.recording.mcap_io import read_recording, recording_info
from lab.store.models import Attempt, SessionState, TrainingSession
from sim.operators.command import NEUTRAL, Command
from sim.runner import make_operator
from station_app.runtime.session import SessionError, SessionSettings, StationSession
from station_app.runtime.trainee import demo_trainee


def _session(factory, crane, tmp_path: Path, **kwargs) -> StationSession:
    settings = SessionSettings(
        station="st01", recordings_dir=tmp_path / "recordings", clips_dir=tmp_path / "clips"
    )
    return StationSession(
        factory, crane, "learner-1", make_operator("autopilot:1.0", "crane"), demo_trainee, settings, **kwargs
    )


@pytest.mark.slow
def test_full_session_stores_attempt_records_mcap_streams_and_updates_the_learner(
    sqlite_factory, crane, tmp_path
):
    context = zmq.Context()
    publisher = Publisher(context, "tcp://127.0.0.1:*", bind=True)
    receiver = Receiver(context, publisher.endpoint, [b"state/st01/", b"pose/st01/", b"events/st01/"])
    received: dict[str, int] = {}
    stop = threading.Event()

    def drain() -> None:  # a subscriber that keeps up (a flooded SUB can trip libzmq issue #3937)
        while (message := receiver.recv(timeout_ms=200)) is not None or not stop.is_set():
            if message is not None:
                received[message.topic.kind.value] = received.get(message.topic.kind.value, 0) + 1

    reader = threading.Thread(target=drain)
    seen: list[str] = []
    try:
        session = _session(sqlite_factory, crane, tmp_path, publisher=publisher)
        session.listeners.append(lambda kind, _payload: seen.append(kind))
        probe = Topic(Kind.STATE, "st01", "probe")
        deadline = time.monotonic() + 10
        while not publisher.wanted(probe) and time.monotonic() < deadline:
            time.sleep(0.01)  # the subscription reaches the XPUB asynchronously
        reader.start()
        debrief = session.run()
    finally:
        stop.set()
        if reader.is_alive():
            reader.join()
        receiver.close()
        publisher.close()
        context.term()

    assert seen[0] == "prepared" and seen[1] == "started" and seen[-1] == "finished"
    assert debrief.result["sim_s"] > 10 and debrief.sway
    assert [step for _, step in debrief.steps][:3] == ["pre_lift_check", "hoist", "travel"]
    # The coach judged the generated trainee, with the sim's current step as context.
    assert debrief.coach["frames_judged"] > 100
    assert {e["step_id"] for e in debrief.coach["timeline"]} & {"hoist", "travel", "lower"}
    assert [e for e in debrief.coach["timeline"] if e["kind"] == "step_order"] == []  # steps in order
    # Live on the bus (PUB may drop for a slow subscriber, never add) and all of it in the recording.
    assert set(received) == {"pose", "state", "events"}
    assert all(0 < received[kind] <= sent for kind, sent in debrief.messages.items())
    info = recording_info(debrief.recording)
    assert info["session"] == debrief.session_id
    assert info["messages"] == {k: v for k, v in debrief.messages.items()}
    events = [m.envelope for m in read_recording(debrief.recording, kinds=[Kind.EVENTS])]
    assert events[0].type == "session.start" and events[0].body["params"] == debrief.params
    assert events[-1].type == "session.end" and events[-1].body["score"] == debrief.result["score"]
    assert "learner-1" not in json.dumps([e.body for e in events])  # the session id is the only handle
    states = [m.envelope.body for m in read_recording(debrief.recording, kinds=[Kind.STATE])]
    assert states[-1]["done"] and states[-1]["t"] == pytest.approx(debrief.result["sim_s"])
    assert debrief.privacy == {
        "video_streamed": False,
        "streamed_off_station": False,  # loopback
        "clips_allowed": False,
        "media_files_removed": [],
    }
    # Stored: the attempt (with coach summary) on the finished session; the learner model moved.
    with sqlite_factory() as db:
        attempt = db.get(Attempt, debrief.attempt_id)
        row = db.get(TrainingSession, debrief.session_id)
        assert attempt.passed is debrief.passed and attempt.session_id == row.id
        assert attempt.coach_summary["frames_judged"] == debrief.coach["frames_judged"]
        assert attempt.explanation["summary"] == debrief.explanation["summary"]
        assert row.state is SessionState.FINISHED and row.recording_path == debrief.recording
    assert debrief.skills_after != debrief.skills_before
    assert all(v["theta"] == 0.0 for v in debrief.skills_before.values())  # a new learner starts at the prior


def test_step_by_step_with_commands_from_a_view_then_abort(sqlite_factory, crane, tmp_path):
    session = _session(sqlite_factory, crane, tmp_path)
    with pytest.raises(SessionError):
        session.step()
    prepared = session.prepare()
    assert prepared.explanation["parameters"] and prepared.booking.station_id is None
    session.start()
    assert session.snapshot()["step"] == "pre_lift_check"  # drawable before the first step
    pressed = session.step(Command(estop=True))  # the pre-lift check: press the e-stop …
    released = session.step(NEUTRAL)  # … release it …
    hoisting = [session.step(Command(hoist=1.0)) for _ in range(20)]  # … then hoist
    assert pressed.command.estop and released.state.step == "hoist"
    assert released.snapshot["step"] == "hoist" and released.snapshot["t"] == pytest.approx(released.t)
    assert hoisting[-1].state.rope_m < hoisting[0].state.rope_m
    # Poses (30 fps) are released as sim time reaches them, whatever the control rate.
    poses = [pose.t for tick in (pressed, released, *hoisting) for pose in tick.poses]
    assert poses == sorted(poses) and poses[-1] <= hoisting[-1].t
    assert len(poses) == pytest.approx(hoisting[-1].t * 30, abs=1.5)
    session.abort(Text(zh="测试", en="test"))
    assert not session.running
    with sqlite_factory() as db:
        assert db.get(TrainingSession, prepared.session_id).state is SessionState.ABORTED
        assert db.get(Attempt, prepared.attempt_id).passed is None  # the learner model ignores it


def test_store_part_on_both_databases_and_preview_matches_the_next_plan(store_factory, crane, tmp_path):
    first = _session(store_factory, crane, tmp_path)
    debrief = first.run(max_s=3.0)  # stopped early: scored as not completed, still stored
    assert debrief.result["critical"] == ["not_completed"] and not debrief.passed
    second = _session(store_factory, crane, tmp_path)
    prepared = second.prepare()
    assert prepared.params == {**_physical(debrief.next_plan), "faults": prepared.params["faults"]}
    with store_factory() as db:
        attempts = db.scalars(select(Attempt).order_by(Attempt.id)).all()
        assert [a.passed for a in attempts] == [False, None]
        assert attempts[0].errors == ["not_completed"]
        assert len({a.session_id for a in attempts}) == 2


def _physical(explanation: dict) -> dict:
    return {p["name"]: p["value"] for p in explanation["parameters"]}


def test_media_left_in_the_session_clip_folder_is_removed_without_clip_consent(
    sqlite_factory, crane, tmp_path
):
    session = _session(sqlite_factory, crane, tmp_path)
    prepared = session.prepare()
    clip = tmp_path / "clips" / prepared.session_id / "frame.dat"  # a JPEG under another name
    clip.parent.mkdir(parents=True)
    _, jpeg = cv2.imencode(".jpg", data.astronaut())
    clip.write_bytes(jpeg.tobytes())
    debrief = session.run(max_s=1.0)
    assert debrief.privacy["media_files_removed"] == [str(clip)]
    assert not clip.exists() and Path(debrief.recording).exists()


def test_a_failing_input_aborts_the_session_and_reports_the_original_error(sqlite_factory, crane, tmp_path):
    def broken_camera(_seconds, _seed):
        raise UserError("摄像头已拔出", "camera unplugged")

    session = StationSession(
        sqlite_factory, crane, "learner-2", make_operator("autopilot", "crane"), broken_camera
    )
    with pytest.raises(UserError, match="camera unplugged"):
        session.run()
    with sqlite_factory() as db:
        row = db.scalars(select(TrainingSession)).one()
        assert row.state is SessionState.ABORTED and row.ended_at is not None
