"""The mentor app end to end, offscreen, against the real lab server on loopback (CurveZMQ, ZAP, the
store as access source) and real station sessions: log in with key bundle and account, see only the
invited live session, follow / pause / scrub / speed, annotate a time range that the station receives,
and replay the session's recording (read with the mcap reader too). Screenshots go to tests/_artifacts/."""

from __future__ import annotations

import cv2
import orjson
import pytest
from mcap.reader import make_reader
from mentor_world import PASSWORDS, MentorLab, listed_when, screenshot, try_login
from PyQt6.QtCore import QPoint, Qt
from skimage.data import astronaut
from sqlalchemy import select

from lab.auth.accounts import actor_of
from lab.bus.topics import Kind, user_zap_id
from lab.recording.mcap_io import read_recording
from lab.store.models import AuditEntry, User
from lab.store.types import utc_now
from station_app.mentor.live import LiveSession, LiveWatch
from station_app.mentor.login import MentorLoginDialog
from station_app.mentor.recorded import recorded_sessions
from station_app.mentor.timeline import Mode
from station_app.mentor.window import MentorSettings, MentorWindow

pytestmark = pytest.mark.slow


def _log_in(qtbot, lab: MentorLab, lang: str = "en") -> MentorLoginDialog:
    dialog = MentorLoginDialog(lab.store, lang, lab.ctx, lab.endpoints, str(lab.bundle))
    qtbot.addWidget(dialog)
    dialog.login.setText("zhou")
    dialog.password.setText(PASSWORDS["zhou"])
    return dialog


def _window(qtbot, lab: MentorLab, lang: str = "en") -> MentorWindow:
    dialog = _log_in(qtbot, lab, lang)
    try_login(qtbot, dialog)
    assert dialog.identity is not None, dialog.error.text()
    window = MentorWindow(dialog.identity, lab.store, MentorSettings(lab.recordings), lang)
    qtbot.addWidget(window)
    window.show()
    listed_when(qtbot, window, bool)  # the lab server's answer, from the request worker
    return window


def caught_up(qtbot, window: MentorWindow, lab: MentorLab, station) -> None:
    """The mentor's view has reached the station's latest sim time. Live pose and state are paced at
    the real-time rate with a second's burst (station_app.runtime.live): a headless drive outruns it
    and its last states are thinned away, so a second passes and one more step goes live first."""
    qtbot.wait(1000)
    lab.drive(1, qtbot)
    target = station.session.state.t - 1.0
    qtbot.waitUntil(lambda: window.timeline.end >= target, timeout=20000)


def test_login_needs_a_bundle_or_an_account_and_they_must_match(qtbot, mentor_lab) -> None:
    dialog = _log_in(qtbot, mentor_lab)
    screenshot(dialog, "mentor_login_en.png")
    dialog.password.setText("wrong")
    try_login(qtbot, dialog)
    assert dialog.identity is None and "wrong login or password" in dialog.error.text()
    dialog.login.setText("")
    dialog.bundle.setText("")
    try_login(qtbot, dialog)
    assert "key bundle or an account" in dialog.error.text()
    dialog.login.setText("wang")  # another person's account with zhou's bundle
    dialog.password.setText(PASSWORDS["wang"])
    dialog.bundle.setText(str(mentor_lab.bundle))
    try_login(qtbot, dialog)
    assert dialog.identity is None and "belongs to another account" in dialog.error.text()
    dialog.login.setText("zhou")
    dialog.password.setText(PASSWORDS["zhou"])
    try_login(qtbot, dialog)
    assert dialog.identity is not None and dialog.identity.link is not None
    with mentor_lab.store() as db:
        zhou = db.scalar(select(User).where(User.login == "zhou"))
    assert dialog.identity.link.identity["user"] == user_zap_id(zhou.id)
    dialog.identity.close()


def test_live_session_follow_pause_scrub_speed_and_an_annotation_reaches_the_station(
    qtbot, mentor_lab
) -> None:
    lab = mentor_lab
    invited, other = lab.stations["st01"], lab.stations["st02"]
    station_side = lab.station_link("st01")
    window = _window(qtbot, lab)
    listed = listed_when(qtbot, window, bool)
    assert [(s.station, s.session, s.video) for s in listed] == [("st01", invited.id, False)]  # not st02's

    window.session_list.setCurrentRow(0)
    window.open_button.click()
    assert window.watch is not None and window.playhead.mode is Mode.FOLLOWING
    lab.drive(300, qtbot)  # 15 s of sim time
    caught_up(qtbot, window, lab, invited)
    assert window.timeline.poses > 0
    qtbot.waitUntil(lambda: window.playhead.position == window.timeline.end, timeout=5000)
    assert window.scene.snapshot is not None and window.skeleton.pose is not None
    assert "LIVE" in window.badge.text() and "keypoints only" in window.video_state.text()
    screenshot(window, "mentor_live_en.png")

    # pause: the stream goes on filling the timeline, the view stays where it was
    window.play_button.click()
    assert window.playhead.mode is Mode.PAUSED
    held = window.playhead.position
    lab.drive_live(3, qtbot)
    qtbot.waitUntil(lambda: window.timeline.end > held + 2.0, timeout=10000)
    qtbot.wait(100)
    assert window.playhead.position == held and window.scene.snapshot["t"] <= held

    # scrub: a click on the bar moves the playhead there and redraws the scene from that state
    x = int(window.bar.x_of(window.timeline.start + 4.0))
    qtbot.mouseClick(window.bar, Qt.MouseButton.LeftButton, pos=QPoint(x, 30))
    assert window.playhead.position == pytest.approx(
        window.timeline.start + 4.0, abs=1.0
    )  # a pixel or a late message
    assert window.scene.snapshot["t"] == window.timeline.state_at(window.playhead.position)["t"]

    # speed, then playing into the live edge follows live again
    window.speed.setCurrentIndex(window.speed.findData(4.0))
    assert window.playhead.speed == 4.0
    window.play_button.click()
    qtbot.waitUntil(lambda: window.playhead.mode is Mode.FOLLOWING, timeout=10000)

    # a time-range annotation: the station receives it live, and so does every viewer's timeline
    window.bar.select(2.0, 5.5)
    assert window.ranged.isChecked() and window.range_from.value() == 2.0
    window.comment_text.setText("Raise the load before travelling")
    window.send_button.click()
    received = []
    qtbot.waitUntil(lambda: received.extend(station_side.comments()) or bool(received), timeout=10000)
    body = received[0].envelope.body
    assert body["text"] == "Raise the load before travelling"
    assert (body["start"], body["end"]) == (2.0, 5.5)
    assert body["author"] == window.identity.link.identity["user"] and body["role"] == "mentor"
    qtbot.waitUntil(
        lambda: bool(window.timeline.comments) and window.comment_list.count() == 1, timeout=10000
    )
    assert window.status.text() == "comment sent" and "⏳" not in window.comment_list.item(0).text()
    (note,) = window.timeline.comments
    assert (note.annotation.start, note.annotation.end) == (2.0, 5.5)
    screenshot(window, "mentor_annotated_en.png")

    # the uninvited session cannot be subscribed: the relay refuses, nothing of it arrives
    sneak = LiveWatch(window.identity.link, LiveSession("st02", other.id, False))
    lab.drive(60, qtbot)
    caught_up(qtbot, window, lab, invited)
    sneak.poll()
    assert sneak.timeline.states == 0 and sneak.receiver.stats.received == {}
    assert lab.relay.stats["refused"].get("denied_invited", 0) > 0
    sneak.close()

    # the lab server's request endpoint goes away: one status line (tests/mentor/test_mentor_offline.py)
    lab.requests.stop()
    qtbot.waitUntil(lambda: "lab server not answering — retrying" in window.connection.text(), timeout=20000)
    station_side.close()
    window.close()


def test_a_recording_written_by_a_real_session_opens_with_mcap_and_replays(qtbot, mentor_lab) -> None:
    lab = mentor_lab
    invited = lab.stations["st01"]
    window = _window(qtbot, lab, lang="zh")
    assert window.scene.lang == "zh"  # the 3D scene's corner overlay follows the window's language
    window.session_list.setCurrentRow(0)
    window.open_button.click()
    lab.drive(500, qtbot)  # 25 s: the demo trainee reaches up for the pendant (a coach cue)
    caught_up(qtbot, window, lab, invited)
    window.comment_text.setText("注意摆角")
    window.send_button.click()
    qtbot.waitUntil(
        lambda: bool(window.timeline.comments) and window.comment_list.count() == 1, timeout=10000
    )
    for station in lab.stations.values():
        station.session.finish()
    lab.finish_recordings()

    # the lab server's recording: plain mcap reader, JSON-schema channels, the comment included
    (path,) = sorted(lab.recordings.glob(f"st01_{invited.id}*.mcap"))
    with path.open("rb") as stream:
        reader = make_reader(stream)
        summary = reader.get_summary()
        topics = {c.topic: summary.schemas[c.schema_id] for c in summary.channels.values()}
        assert {t: s.encoding for t, s in topics.items()} == dict.fromkeys(
            ("/pose", "/state", "/events", "/comment"), "jsonschema"
        )
        comments = [orjson.loads(m.data) for _, c, m in reader.iter_messages(topics=["/comment"])]
    assert [c["body"]["text"] for c in comments] == ["注意摆角"]

    # the mentor replays it: listed as recorded (st02's is not), opened (audited), played and scrubbed
    window.refresh_sessions()
    listed = listed_when(qtbot, window, lambda items: not any(isinstance(s, LiveSession) for s in items))
    recorded = [s for s in listed if not isinstance(s, LiveSession)]
    assert [(s.station, s.session) for s in recorded] == [("st01", invited.id)]
    assert len(recorded[0].files) == 2  # the station's own recording and the lab server's
    window.session_list.setCurrentRow(0)
    window.open_button.click()
    timeline = window.timeline
    assert window.watch is None and timeline.states > 400 and timeline.poses > 300
    own = lab.tmp / "st01-recordings" / f"st01_{invited.id}.mcap"  # the station's: every state
    assert timeline.states == sum(1 for _ in read_recording(own, [Kind.STATE]))  # each state once
    assert [c.annotation.text for c in timeline.comments] == ["注意摆角"]
    assert window.playhead.mode is Mode.PAUSED and window.playhead.position == timeline.start
    window.speed.setCurrentIndex(window.speed.findData(4.0))
    window.play_button.click()
    qtbot.waitUntil(lambda: window.playhead.position > timeline.start + 2.0, timeout=10000)
    window.play_button.click()
    assert timeline.cues, "the demo trainee's overhead reach gives a coach cue"
    window.next_alert.click()
    at = window.playhead.position
    assert at == pytest.approx(timeline.cues[0].detected_at)
    assert window.banner.cue is not None and window.banner.cue == timeline.worst_cue_at(at).text
    assert "回放" in window.badge.text()
    screenshot(window, "mentor_replay_zh.png")
    with lab.store() as db:
        actions = db.scalars(select(AuditEntry.action).where(AuditEntry.actor == "mentor:zhou")).all()
    assert "view:history" in actions and "edit:comments" in actions
    with lab.store() as db:  # the class's instructor may replay both learners' sessions
        wang = actor_of(db.scalar(select(User).where(User.login == "wang")))
        assert {s.station for s in recorded_sessions(db, wang, utc_now(), lab.recordings)} == {"st01", "st02"}
    window.close()


def test_video_only_with_consent_and_a_video_invitation_and_gone_when_consent_is_withdrawn(
    qtbot, mentor_lab
) -> None:
    lab = mentor_lab
    invited = lab.stations["st01"]
    lab.video_consent("L001", given=True)
    lab.invite("zhou", invited.id, video=True)
    jpeg = cv2.imencode(".jpg", cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 75])[
        1
    ]
    station_side = lab.station_link("st01")
    window = _window(qtbot, lab)
    (live,) = listed_when(qtbot, window, bool)
    assert live.video
    window.session_list.setCurrentRow(0)
    window.open_button.click()

    def stream_until(condition) -> None:
        for _ in range(400):
            lab.drive(2, qtbot)
            station_side.send_video(invited.id, jpeg.tobytes())  # dropped unless an authorised viewer watches
            qtbot.wait(5)
            if condition():
                return
        raise AssertionError("condition not reached")

    stream_until(lambda: window.skeleton.image is not None)
    assert window.skeleton.image.width() == 512 and "video (consented)" in window.video_state.text()
    screenshot(window, "mentor_video_en.png")

    lab.video_consent("L001", given=False)
    stream_until(lambda: "video withdrawn" in window.video_state.text())
    assert window.skeleton.image is None and window.watch.video is None
    qtbot.waitUntil(lambda: not station_side.live_to_mentor(invited.id), timeout=5000)
    reached = window.timeline.end
    stream_until(lambda: window.timeline.end > reached + 1.0)  # keypoints go on
    station_side.close()
    window.close()
