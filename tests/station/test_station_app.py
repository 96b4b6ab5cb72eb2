"""The station app offscreen with pytest-qt, on a real SQLite store, real pybullet, the real coach fed
by the motion-capture trainee, and a real MCAP recording: log in, start, operate with the keyboard,
let the autopilot finish, debrief, replay; zh/en switch; the off-station indicator; a refused start.
Screenshots go to tests/_artifacts/."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import pytest
import zmq
from lab_world import PASSWORDS, screenshot
from PyQt6.QtCore import Qt
from qt_login_world import login_dialog, try_login
from skimage import data
from sqlalchemy import select

from lab.bus.envelope import Envelope
from lab.bus.sockets import Message
from lab.bus.topics import Kind, Topic
from lab.store.models import Attempt, Learner, SessionState, TrainingSession
from scenarios.spec import get_spec
from sim.operators.command import Command
from station_app.runtime.live import open_publisher
from station_app.runtime.session import SessionSettings
from station_app.runtime.trainee import demo_trainee
from station_app.station.app import TITLE, admit
from station_app.station.camera import CameraFeed, video_with_pictures
from station_app.station.window import StationSetup, StationWindow, comment_text
from vision.pipeline import PipelineSettings

CRANE = get_spec("crane.bridge_lift")


def _window(qtbot, lab_store, tmp_path: Path, operator: str = "autopilot", **settings) -> StationWindow:
    setup = StationSetup(
        lab_store, CRANE, "L001", operator, demo_trainee, SessionSettings(recordings_dir=tmp_path, **settings)
    )
    window = StationWindow(setup, "en")
    qtbot.addWidget(window)
    window.show()
    return window


def test_only_students_with_a_learner_record_log_in(qtbot, lab_store) -> None:
    dialog = login_dialog(qtbot, lab_store, TITLE, admit)
    try_login(dialog, "li", "wrong")
    assert dialog.actor is None and "wrong login or password" in dialog.error.text()
    try_login(dialog, "wang", PASSWORDS["wang"])
    assert dialog.actor is None and "only student accounts" in dialog.error.text()
    try_login(dialog, "li", PASSWORDS["li"])
    assert dialog.actor is not None and dialog.actor.login == "li"


def test_keyboard_levers_override_the_operator_only_while_held(qtbot, lab_store, tmp_path: Path) -> None:
    window = _window(qtbot, lab_store, tmp_path, operator="idle")
    assert window.command() is None  # nothing held: the session's own operator acts
    qtbot.keyPress(window, Qt.Key.Key_Up)
    qtbot.keyPress(window, Qt.Key.Key_S)
    assert window.command() == Command(bridge=0.5, hoist=-0.5)  # notch 2 of 4 at start
    qtbot.keyPress(window, Qt.Key.Key_4)
    assert window.command() == Command(bridge=1.0, hoist=-1.0)
    qtbot.keyRelease(window, Qt.Key.Key_Up)
    qtbot.keyRelease(window, Qt.Key.Key_S)
    assert window.command() is None
    qtbot.keyPress(window, Qt.Key.Key_Space)
    assert window.command() == Command(estop=True)
    qtbot.keyRelease(window, Qt.Key.Key_Space)


def test_the_3d_overlay_follows_the_language_switch(qtbot, lab_store, tmp_path: Path) -> None:
    window = _window(qtbot, lab_store, tmp_path, operator="idle")
    assert window.scene.lang == "en"
    window.switch.setCurrentIndex(0)
    assert window.scene.lang == "zh"
    window.switch.setCurrentIndex(1)
    assert window.scene.lang == "en"


@pytest.mark.slow
def test_a_complete_attempt_start_operate_debrief_replay(qtbot, lab_store, tmp_path: Path) -> None:
    window = _window(qtbot, lab_store, tmp_path)
    qtbot.mouseClick(window.start_button, Qt.MouseButton.LeftButton)
    window.control_timer.stop()  # the test steps the session itself, as fast as it can
    session = window.session
    assert session is not None and session.running and window.pages.currentIndex() == 0
    assert "Data stays on this station" in window.stream.text()

    # Operate: the pre-lift check with the e-stop key, then hoist by hand; the checklist follows.
    qtbot.keyPress(window, Qt.Key.Key_Space)
    window.tick()
    qtbot.keyRelease(window, Qt.Key.Key_Space)
    qtbot.keyPress(window, Qt.Key.Key_W)
    for _ in range(10):
        window.tick()
    qtbot.keyRelease(window, Qt.Key.Key_W)
    assert session.state.step == "hoist" and session.state.hoist_v > 0
    assert window.checklist.item(0).text().startswith("✔") and window.checklist.item(1).text().startswith("▶")

    # The autopilot takes over; a cue from the coach reaches the banner and the skeleton on the way.
    shot_taken = False
    cue_seen = None
    while session.running:
        window.tick()
        if window.banner.cue is not None and cue_seen is None:
            cue_seen = window.banner.cue
        if (
            not shot_taken
            and session.running
            and session.state.step == "travel"
            and window.banner.cue is not None
        ):
            screenshot(window, "station_run_en.png")
            shot_taken = True
    assert cue_seen is not None and cue_seen.en in {c["cue"]["en"] for c in session.debrief.coach["timeline"]}

    # Debrief: stored attempt, verdict, explanation, sway plot, replay from the recording.
    debrief = session.debrief
    assert window.pages.currentIndex() == 1
    view = window.debrief_view
    assert ("PASSED" if debrief.passed else "FAILED") in view.verdict.text()
    assert debrief.explanation["summary"]["en"] in view.summary.toPlainText()
    assert view.sway.series and len(next(iter(view.sway.series.values()))) == len(debrief.sway)
    with lab_store() as db:
        attempt = db.get(Attempt, debrief.attempt_id)
        assert attempt.passed is not None and attempt.score == pytest.approx(debrief.result["score"])
        assert db.get(TrainingSession, debrief.session_id).state is SessionState.FINISHED
    assert Path(debrief.recording).is_file()
    replay = view.replay
    assert replay is not None and view.slider.maximum() == len(replay.states) - 1 > 100
    view.slider.setValue(view.slider.maximum())
    assert view.scene.snapshot["done"] is True and view.scene.snapshot["t"] == pytest.approx(
        debrief.result["sim_s"]
    )
    first_cue = min(replay.cues, key=lambda c: c["detected_at"])
    index = next(i for i, s in enumerate(replay.states) if s["t"] >= first_cue["detected_at"])
    view.slider.setValue(index)
    assert view.cue.cue is not None and view.skeleton.pose is not None
    screenshot(window, "station_debrief_en.png")

    # zh: every panel re-renders in Chinese.
    window.switch.setCurrentIndex(0)
    assert window.language.lang == "zh"
    assert ("通过" in view.verdict.text()) or ("未通过" in view.verdict.text())
    assert debrief.explanation["summary"]["zh"] in view.summary.toPlainText()
    screenshot(window, "station_debrief_zh.png")

    # The next attempt starts from the debrief, with parameters generated after this one.
    qtbot.mouseClick(view.again, Qt.MouseButton.LeftButton)
    window.control_timer.stop()
    assert window.pages.currentIndex() == 0 and window.session is not session
    assert window.session.prepared.attempt_id != debrief.attempt_id
    for _ in range(40):
        window.tick()
    assert "大车" in window.help.text()
    screenshot(window, "station_run_zh.png")
    window.close()
    with lab_store() as db:  # closing mid-attempt aborts it: not scored, the learner model ignores it
        row = db.get(TrainingSession, window.session.prepared.session_id)
        assert row.state is SessionState.ABORTED


def test_the_indicator_shows_whenever_the_stream_can_leave_the_station(
    qtbot, lab_store, tmp_path: Path
) -> None:
    context = zmq.Context()
    publisher = open_publisher(context, "tcp://192.0.2.7:5560")  # a lab server elsewhere (TEST-NET-1)
    try:
        window = _window(qtbot, lab_store, tmp_path)
        window.setup.publisher = publisher
        window.start_attempt()
        window.control_timer.stop()
        assert window.session.off_station
        assert "Streaming off this station" in window.stream.text()
        window.switch.setCurrentIndex(0)
        assert "正在向工位外传输" in window.stream.text()
        screenshot(window, "station_streaming_zh.png")
        window.close()
    finally:
        publisher.close()
        context.term()


def test_a_refused_start_is_one_line_in_the_window(qtbot, lab_store, tmp_path: Path) -> None:
    window = _window(qtbot, lab_store, tmp_path, require_booking=True)
    qtbot.mouseClick(window.start_button, Qt.MouseButton.LeftButton)
    assert window.session is None and window.start_button.isEnabled()
    assert window.status.text() == "⚠ station station-01 is not registered, so no booking can be checked"
    with lab_store() as db:
        learner = db.scalar(select(Learner).where(Learner.code == "L001"))
        assert db.scalars(select(Attempt).where(Attempt.learner_id == learner.id)).first() is None


def test_camera_view_draws_the_skeleton_over_the_picture(qtbot, lab_store, tmp_path: Path) -> None:
    """A video through real MediaPipe: the station shows each picture with its skeleton over it."""
    photo = data.astronaut()
    video = tmp_path / "astronaut.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 20.0, photo.shape[1::-1])
    for _ in range(12):
        writer.write(cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    writer.release()
    feed = CameraFeed()
    setup = StationSetup(
        lab_store,
        CRANE,
        "L001",
        "autopilot",
        lambda _seconds, _seed: video_with_pictures(video, PipelineSettings(), feed),
        SessionSettings(recordings_dir=tmp_path),
        camera=feed,
    )
    window = StationWindow(setup, "en")
    qtbot.addWidget(window)
    window.show()
    window.start_attempt()
    window.control_timer.stop()
    for _ in range(12):
        window.tick()
    assert feed.count >= 10 and window.skeleton.image is not None
    assert window.skeleton.image.width() == photo.shape[1]
    assert window.skeleton.pose is not None and window.skeleton.pose.has_person
    screenshot(window, "station_camera_en.png")
    window.close()
    with lab_store() as db:  # pictures are shown, never recorded: the recording has keypoints only
        recording = db.get(TrainingSession, window.session.prepared.session_id).recording_path
    assert recording is not None and not list(tmp_path.glob("*.jpg"))


def test_instructor_changes_and_comments_reach_the_station(qtbot, lab_store, tmp_path: Path) -> None:
    """What the lab server forwards on the session's comment topic (as StationLink.comments gives it):
    the runtime applies an instructor's wind change, the station shows it and a mentor's comment."""
    arrived: list[Message] = []

    def inbox() -> list[Message]:
        taken = list(arrived)
        arrived.clear()
        return taken

    setup = StationSetup(
        lab_store, CRANE, "L001", "autopilot", None, SessionSettings(recordings_dir=tmp_path), inbox=inbox
    )
    window = StationWindow(setup, "en")
    qtbot.addWidget(window)
    window.show()
    window.start_attempt()
    window.control_timer.stop()
    session = window.session.prepared.session_id
    topic = Topic(Kind.COMMENT, "station-01", session)
    change = {"action": "set_wind", "wind_mps": 8.0, "author": "user:2", "role": "instructor"}
    arrived.append(Message(topic, Envelope("control", "station-01", session, 1, change)))
    window.tick()
    assert window.messages.text().endswith("wind set to 8.0 m/s")
    assert math.hypot(*window.last_tick.snapshot["wind_mps"]) >= 8.0 - 1e-6  # the scene blows harder
    comment = {"author": "user:3", "role": "mentor", "text": "Slow down before the corner"}
    arrived.append(Message(topic, Envelope("comment", "station-01", session, 2, comment)))
    window.tick()
    assert window.messages.text() == "💬 Slow down before the corner"
    ranged = {**comment, "text": "Too fast here", "start": 72.0, "end": 78.5}
    arrived.append(Message(topic, Envelope("comment", "station-01", session, 3, ranged)))
    window.tick()
    assert window.messages.text() == "💬 [01:12.0–01:18.5] Too fast here"
    bad = {"action": "inject_fault", "fault": "no_such_fault", "author": "user:2", "role": "instructor"}
    arrived.append(Message(topic, Envelope("control", "station-01", session, 4, bad)))
    window.tick()  # refused by the scene: the station says so and runs on
    assert "refused (fault no_such_fault injected)" in window.messages.text() and window.session.running
    window.switch.setCurrentIndex(0)
    screenshot(window, "station_change_zh.png")
    window.close()


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ({"text": "Hook high", "start": 5, "end": 9.5}, "[00:05.0–00:09.5] Hook high"),
        ({"text": "Hook high", "start": 5.0}, "Hook high"),  # half a range is no range
        ({"text": "Hook high", "start": 5.0, "end": "9"}, "Hook high"),
        ({"text": "Hook high", "start": True, "end": 9.0}, "Hook high"),
        ({"text": 7, "start": 5.0, "end": 9.0}, ""),  # garbled: nothing, and the station runs on
        ({"start": 5.0, "end": 9.0}, ""),
    ],
)
def test_comment_text_shows_a_range_only_when_both_ends_are_numbers(body: dict, shown: str) -> None:
    assert comment_text(body) == shown
