"""The authorisation decision as a pure function: role x kind x invitation state x time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from lab.bus.topics import Kind, Topic
from lab.server.policy import (
    AccessFacts,
    Invitation,
    Principal,
    SessionFacts,
    decide,
    may_publish,
    parse_subscription,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
MENTOR = Principal("user:1", "mentor", user_id=1)
OTHER_MENTOR = Principal("user:2", "mentor", user_id=2)
INSTRUCTOR = Principal("user:3", "instructor", user_id=3)
ADMIN = Principal("user:4", "admin", user_id=4)
STUDENT = Principal("user:5", "student", user_id=5)
AUDITOR = Principal("user:6", "auditor", user_id=6)
STATION = Principal("station:st01", "station", station="st01")
SESSION = SessionFacts("s1", "st01", learner_id=42, video_consent=True, instructor_ids=frozenset({3}))
INVITE = Invitation(1, NOW - HOUR, NOW + HOUR, session="s1", may_view_video=True)
FACTS = AccessFacts({"s1": SESSION}, (INVITE,))


def sub(principal: Principal, kind: Kind, station: str = "st01", session: str = "s1") -> bytes:
    return principal.view_prefix + Topic(kind, station, session).prefix


@pytest.mark.parametrize("kind", [Kind.POSE, Kind.STATE, Kind.EVENTS, Kind.COMMENT, Kind.VIDEO])
def test_invited_mentor_may_see_every_session_kind(kind):
    assert decide(MENTOR, sub(MENTOR, kind), FACTS, NOW)


@pytest.mark.parametrize("principal", [OTHER_MENTOR, ADMIN, STUDENT, AUDITOR, STATION])
def test_others_may_not_see_the_session(principal):
    assert not decide(principal, sub(principal, Kind.POSE), FACTS, NOW)


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (NOW - HOUR - timedelta(seconds=1), False),
        (NOW - HOUR, True),
        (NOW + HOUR - timedelta(seconds=1), True),
        (NOW + HOUR, False),
    ],
)
def test_invitation_window_is_half_open(now, allowed):
    assert bool(decide(MENTOR, sub(MENTOR, Kind.POSE), FACTS, now)) is allowed


def test_revocation_takes_effect_from_its_time():
    facts = AccessFacts({"s1": SESSION}, (replace(INVITE, revoked_at=NOW),))
    assert decide(MENTOR, sub(MENTOR, Kind.POSE), facts, NOW - timedelta(seconds=1))
    assert decide(MENTOR, sub(MENTOR, Kind.POSE), facts, NOW).reason == "no_active_invitation"


def test_learner_scoped_invitation_covers_that_learners_sessions_only():
    learner_invite = replace(INVITE, session=None, learner_id=42)
    other = SessionFacts("s2", "st02", learner_id=7)
    facts = AccessFacts({"s1": SESSION, "s2": other}, (learner_invite,))
    assert decide(MENTOR, sub(MENTOR, Kind.POSE), facts, NOW)
    assert not decide(MENTOR, sub(MENTOR, Kind.POSE, "st02", "s2"), facts, NOW)


def test_video_needs_both_the_invitation_and_consent():
    no_video_invite = AccessFacts({"s1": SESSION}, (replace(INVITE, may_view_video=False),))
    assert decide(MENTOR, sub(MENTOR, Kind.VIDEO), no_video_invite, NOW).reason == "invitation_without_video"
    no_consent = AccessFacts({"s1": replace(SESSION, video_consent=False)}, (INVITE,))
    assert decide(MENTOR, sub(MENTOR, Kind.VIDEO), no_consent, NOW).reason == "no_video_consent"
    assert decide(MENTOR, sub(MENTOR, Kind.POSE), no_consent, NOW)  # keypoints stay available


def test_mentor_needs_exact_topics_and_the_right_station():
    assert not decide(MENTOR, MENTOR.view_prefix + b"pose/", FACTS, NOW)
    assert not decide(MENTOR, MENTOR.view_prefix + b"pose/st01/", FACTS, NOW)
    assert decide(MENTOR, sub(MENTOR, Kind.POSE, station="st02"), FACTS, NOW).reason == "unknown_session"
    assert decide(MENTOR, sub(MENTOR, Kind.POSE, session="s9"), FACTS, NOW).reason == "unknown_session"


def test_nobody_subscribes_under_another_prefix_or_to_everything():
    assert not decide(OTHER_MENTOR, sub(MENTOR, Kind.POSE), FACTS, NOW)
    for requested in (b"", b"@", b"pose/st01/s1 ", MENTOR.view_prefix, MENTOR.view_prefix + b"\xff"):
        assert not decide(MENTOR, requested, FACTS, NOW)


def test_instructor_sees_own_class_sessions_and_all_heartbeats():
    assert decide(INSTRUCTOR, sub(INSTRUCTOR, Kind.STATE), FACTS, NOW)
    other_class = AccessFacts({"s1": replace(SESSION, instructor_ids=frozenset({99}))})
    assert decide(INSTRUCTOR, sub(INSTRUCTOR, Kind.STATE), other_class, NOW).reason == "not_their_class"
    assert decide(INSTRUCTOR, INSTRUCTOR.view_prefix + b"heartbeat/", FACTS, NOW)


def test_admin_sees_heartbeats_only():
    assert decide(ADMIN, ADMIN.view_prefix + b"heartbeat/", FACTS, NOW)
    assert decide(ADMIN, ADMIN.view_prefix + b"heartbeat/st01/", FACTS, NOW)
    assert not decide(ADMIN, ADMIN.view_prefix + b"pose/", FACTS, NOW)


def test_station_subscribes_only_to_its_own_comments():
    assert decide(STATION, STATION.view_prefix + b"comment/st01/", FACTS, NOW)
    assert decide(STATION, sub(STATION, Kind.COMMENT), FACTS, NOW)
    assert not decide(STATION, STATION.view_prefix + b"comment/st02/", FACTS, NOW)
    assert not decide(STATION, STATION.view_prefix + b"comment/", FACTS, NOW)


def test_parse_subscription_shapes():
    assert parse_subscription(MENTOR, sub(MENTOR, Kind.POSE)).exact
    partial = parse_subscription(MENTOR, MENTOR.view_prefix + b"heartbeat/st01/")
    assert (partial.kind, partial.station, partial.exact) == (Kind.HEARTBEAT, "st01", False)
    assert partial.wire == b"heartbeat/st01/"
    assert parse_subscription(MENTOR, MENTOR.view_prefix + b"pose/st01") is None


def test_only_a_station_publishes_under_its_own_id():
    topic = Topic(Kind.POSE, "st01", "s1")
    assert may_publish(STATION, topic)
    assert not may_publish(replace(STATION, station="st02"), topic)
    assert not may_publish(MENTOR, topic)
    assert not may_publish(
        STATION, Topic(Kind.COMMENT, "st01", "s1")
    )  # comments come from the request endpoint
