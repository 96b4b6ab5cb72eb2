"""The mentor's timeline and playhead (pure): session clock, ring, cues as ranges, comments and
time-range annotations, follow / play / pause / scrub / speed."""

from __future__ import annotations

import pytest

from lab.bus.envelope import Envelope
from lab.bus.topics import Kind
from station_app.mentor.annotations import annotation_of, clock, span
from station_app.mentor.timeline import Mode, Playhead, SessionTimeline

WALL0 = 1_790_000_000.0  # the session's start on the wall clock


def _env(
    kind: str, t: float, body: dict, seq: int, type: str | None = None, t_wall: float | None = None
) -> Envelope:
    return Envelope(
        type or kind, "st01", "s1", seq, body, t_mono=t, t_wall=WALL0 + t if t_wall is None else t_wall
    )


def _state(t: float, seq: int) -> Envelope:
    return _env("state", t, {"t": t, "step": "travel", "axes": {"sway_x_deg": 3.0, "sway_y_deg": 4.0}}, seq)


def _cue(t: float, seq: int, end: float | None, type: str = "coach.cue") -> Envelope:
    body = {
        "rule_id": "overhead_reach", "kind": "violation", "severity": "warning", "body_part": "right_arm",
        "onset": 4.5, "detected_at": 5.0, "end": end, "cue": {"zh": "手臂不要举过头", "en": "Arm below the head"},
    }  # fmt: skip
    return _env("events", t, body, seq, type=type)


def test_states_cues_and_comments_on_the_session_clock() -> None:
    timeline = SessionTimeline("st01", "s1")
    for i in range(100):
        assert timeline.add(Kind.STATE, _state(i * 0.1, i))
    timeline.add(Kind.EVENTS, _cue(5.0, 0, None))
    assert [c.rule_id for c in timeline.cues_at(6.0)] == ["overhead_reach"]
    timeline.add(Kind.EVENTS, _cue(7.0, 1, 7.0, type="coach.end"))
    assert timeline.cues_at(6.0) and not timeline.cues_at(7.5) and len(timeline.cues) == 1
    assert timeline.next_cue_after(1.0) == 5.0 and timeline.next_cue_after(5.0) is None
    comment = {"author": "user:3", "role": "mentor", "text": "keep it low", "start": 2.0, "end": 3.5}
    timeline.add(Kind.COMMENT, _env("comment", 0, comment, 77, t_wall=WALL0 + 8.0))
    (only,) = timeline.comments
    assert timeline.comment_time(only) == pytest.approx(8.0)
    assert (only.annotation.start, only.annotation.end, only.annotation.text) == (2.0, 3.5, "keep it low")
    assert timeline.state_at(4.25)["t"] == pytest.approx(4.2)
    assert timeline.sway(0.0, 0.0) == [(0.0, 5.0)]


def test_bad_bodies_are_counted_not_raised() -> None:
    timeline = SessionTimeline("st01", "s1")
    timeline.add(Kind.STATE, _state(0.0, 0))
    for kind, type, body in (
        (Kind.STATE, "state", {"no": "t"}),
        (Kind.POSE, "pose", {"t": 1.0, "image": [[0, 0]]}),
        (Kind.EVENTS, "coach.cue", {"rule_id": "x"}),
        (Kind.COMMENT, "comment", {"author": "a", "role": "r", "text": 5}),
    ):
        assert not timeline.add(kind, _env(kind.value, 1.0, body, 9, type=type))
    assert timeline.skipped == 4
    start = _env("events", 0.0, {"scenario": "crane.bridge_lift"}, 10, type="session.start")
    control = _env(
        "comment", 1.0, {"action": "set_wind", "author": "user:2", "role": "instructor"}, 11, type="control"
    )
    assert not timeline.add(Kind.EVENTS, start) and not timeline.add(Kind.COMMENT, control)
    assert (
        timeline.skipped == 4 and not timeline.cues and not timeline.comments
    )  # other messages, not bad ones


def test_a_live_ring_keeps_the_last_minutes_only() -> None:
    timeline = SessionTimeline("st01", "s1", keep_s=10.0)
    for i in range(300):
        timeline.add(Kind.STATE, _state(i * 0.1, i))
    assert timeline.end == pytest.approx(29.9)
    assert 18.0 <= timeline.start <= 19.9 + 1e-9


def test_playhead_follows_pauses_scrubs_and_plays_at_speed() -> None:
    timeline = SessionTimeline("st01", "s1")
    for i in range(101):
        timeline.add(Kind.STATE, _state(i * 0.1, i))
    head = Playhead(mode=Mode.FOLLOWING)
    assert head.advance(0.03, timeline, live=True) == pytest.approx(10.0)
    head.seek(2.0, timeline)  # scrubbing leaves follow mode
    assert head.mode is Mode.PAUSED and head.advance(1.0, timeline, live=True) == 2.0
    head.set_speed(4.0)
    head.mode = Mode.PLAYING
    assert head.advance(0.5, timeline, live=True) == pytest.approx(4.0)
    head.advance(10.0, timeline, live=True)  # played into the live edge: following again
    assert head.mode is Mode.FOLLOWING and head.position == pytest.approx(10.0)
    head.mode = Mode.PLAYING
    head.advance(10.0, timeline, live=False)  # a recording stops at its end
    assert head.mode is Mode.PAUSED
    head.seek(-5.0, timeline)
    assert head.position == 0.0
    with pytest.raises(ValueError):
        head.set_speed(3.0)


def test_annotation_ranges_come_from_the_body_and_plain_comments_have_none() -> None:
    assert span(75.5, 72.0) == (72.0, 75.5)
    ranged = annotation_of({"text": "lower the load slowly", "start": 72.0, "end": 75.5})
    assert (ranged.text, ranged.start, ranged.end) == ("lower the load slowly", 72.0, 75.5)
    assert annotation_of({"text": "well done [00:01.0–00:02.0]"}).start is None
    assert annotation_of({"text": "x", "start": 1.0, "end": "soon"}).start is None
    with pytest.raises(ValueError):
        annotation_of({"text": None})
    assert clock(-3) == "00:00.0" and clock(61.25) == "01:01.2"
