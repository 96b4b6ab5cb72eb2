"""Session inputs: pose sources (recorded, from an edge box over real ZeroMQ) and the hand-signal operator."""

from __future__ import annotations

import json
import time

import cv2
import numpy as np
import pytest
import zmq
from skimage import data

from lab.bus.sockets import Publisher
from lab.bus.text import Text, UserError
from lab.bus.topics import Kind, Topic
from sim.operators.command import NEUTRAL, Command
from station_app.runtime.live import is_local
from station_app.runtime.operators import operator_for
from station_app.runtime.poses import RecordedPoses, edge_box, video
from station_app.runtime.session import SessionSettings, StationSession
from vision import mocap
from vision.edge import EdgeIdentity, EdgeWorker
from vision.pipeline import PipelineSettings, PoseStream
from vision.posestream import PoseFrame

NOBODY = Text(zh="测试", en="test")


def _frames(times):
    image, world = np.full((33, 4), 0.5), np.zeros((33, 3))
    return [PoseFrame(t=t, image=image, world=world) for t in times]


def test_recorded_poses_start_at_session_zero_and_are_released_once_in_order():
    source = RecordedPoses(_frames([100.0, 100.5, 101.0, 101.5]), NOBODY)
    assert [f.t for f in source.poll(0.0)] == [0.0]
    assert source.poll(0.2) == []
    assert [f.t for f in source.poll(1.2)] == [0.5, 1.0]
    assert [f.t for f in source.poll(9.0)] == [1.5] and source.exhausted


def test_edge_box_poses_over_the_bus_with_garbled_frames_counted_and_skipped():
    context = zmq.Context()
    publisher = Publisher(context, "tcp://127.0.0.1:*", bind=True)
    source = edge_box(context, publisher.endpoint, "edge01")
    topic = Topic(Kind.POSE, "edge01", "s1")
    try:
        deadline = time.monotonic() + 10
        while not publisher.wanted(topic) and time.monotonic() < deadline:
            time.sleep(0.01)
        good = _frames([5.0])[0].to_json()
        for body in (good, {"t": "soon", "image": None, "world": None}, good):
            publisher.send(topic, body)
        received: list[PoseFrame] = []
        while len(received) < 2 and time.monotonic() < deadline:
            received += source.poll(7.5)
            time.sleep(0.01)
    finally:
        source.close()
        publisher.close()
        context.term()
    assert [f.t for f in received] == [7.5, 7.5]  # stamped with the session time of arrival
    assert source.bad_frames == 1 and received[0].image.shape == (33, 4)


def test_hand_signals_drive_the_crane_through_the_coach(sqlite_factory, crane):
    """A signalperson shows GB 5082 "hook down" from 1 s to 4 s: the crane lowers, then stops."""

    def poses(_seconds, _seed):
        signal = mocap.Episode(
            "lower", 1.0, 4.0, lambda pose, w: pose, time_varying=mocap.signal_arm("right", 30)
        )
        rec = mocap.render(mocap.Clip.load("walk").hold(0.0), 6.0, episodes=[signal], noise=mocap.Noise())
        return RecordedPoses(rec.frames, NOBODY)

    settings = SessionSettings(station="st01", signal_set="gb5082", preview_next=False)
    session = StationSession(
        sqlite_factory, crane, "s", operator_for("hand_signals", "crane"), poses, settings
    )
    session.start()
    session.step(Command(estop=True))  # the pre-lift check from the view; signals count from "hoist" on
    session.step(NEUTRAL)
    ticks = []
    while not ticks or ticks[-1].t < 6.0:
        ticks.append(session.step())
    session.abort(NOBODY)
    lowering = [tick.t for tick in ticks if tick.command.hoist < 0]
    assert lowering and 1.0 < lowering[0] < 2.5 and 4.0 < lowering[-1] < 5.5
    assert ticks[-1].command == NEUTRAL
    cues = [e.detail.get("signal") for tick in ticks for e in tick.cues if e.kind == "signal"]
    assert cues == ["lower"]


def test_unknown_operator_is_a_user_error():
    with pytest.raises(UserError, match="unknown operator"):
        operator_for("joystick", "crane")


@pytest.mark.slow
def test_a_video_file_feeds_the_coach_through_real_mediapipe(sqlite_factory, crane, tmp_path):
    """Two seconds of video of a person (skimage's astronaut, panning) at 10 fps: every frame is judged."""
    path = tmp_path / "person.mp4"
    image = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, image.shape[1::-1])
    for shift in range(20):
        writer.write(np.roll(image, 2 * shift, axis=1))
    writer.release()
    settings = SessionSettings(station="st01", preview_next=False)
    session = StationSession(
        sqlite_factory,
        crane,
        "v",
        operator_for("autopilot", "crane"),
        lambda _seconds, _seed: video(path, PipelineSettings()),
        settings,
    )
    debrief = session.run(max_s=2.5)
    assert debrief.messages["pose"] == 20 and debrief.coach["frames_judged"] == 20
    assert "person.mp4" in debrief.poses.en


def test_a_replayed_input_log_drives_the_session(sqlite_factory, crane, tmp_path):
    log = [Command(estop=True), NEUTRAL, *[Command(hoist=1.0)] * 40]
    path = tmp_path / "inputs.jsonl"
    path.write_text("".join(json.dumps(c.to_dict()) + "\n" for c in log), encoding="utf-8")
    session = StationSession(
        sqlite_factory,
        crane,
        "r",
        operator_for(f"replay:{path}", "crane"),
        None,
        SessionSettings(preview_next=False),
    )
    ticks = []
    session.listeners.append(lambda kind, payload: ticks.append(payload) if kind == "tick" else None)
    debrief = session.run(max_s=3.0)
    assert [t.command for t in ticks[: len(log)]] == log and ticks[-1].command == NEUTRAL
    assert [step for _, step in debrief.steps] == ["pre_lift_check", "hoist"]
    assert ticks[len(log) - 1].state.rope_m < ticks[1].state.rope_m
    assert debrief.skipped == [{"zh": "教练（无姿态输入）", "en": "coach (no pose input)"}]


@pytest.mark.parametrize(
    ("endpoint", "local"),
    [
        ("tcp://127.0.0.1:5560", True),
        ("tcp://localhost:5560", True),
        ("tcp://[::1]:5560", True),
        ("ipc:///tmp/lab", True),
        ("tcp://10.0.0.5:5560", False),
        ("tcp://lab-server:5560", False),
    ],
)
def test_what_counts_as_leaving_the_station(endpoint, local):
    assert is_local(endpoint) is local


def test_the_real_edge_worker_feeds_the_station_over_the_bus(tmp_path):
    path = tmp_path / "edge.jsonl"
    mocap.render(mocap.Clip.load("walk").hold(0.0), 1.0).write(path)
    context = zmq.Context()
    publisher = Publisher(context, "tcp://127.0.0.1:*", bind=True)
    source = edge_box(context, publisher.endpoint, "edge02")
    worker = EdgeWorker(PoseStream(str(path), PipelineSettings()), publisher, EdgeIdentity("edge02", "s7"))
    try:
        deadline = time.monotonic() + 10
        while not publisher.wanted(worker.pose_topic) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert worker.run() == 30
        received: list[PoseFrame] = []
        while len(received) < 30 and time.monotonic() < deadline:
            received += source.poll(1.0)
            time.sleep(0.01)
    finally:
        worker.stream.close()
        source.close()
        publisher.close()
        context.destroy(linger=0)
    assert len(received) == 30 and source.bad_frames == 0
