"""The relay's authorisation as a pure function: the transport rules around the permission matrix."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.auth.permissions import Invitation, Subject
from lab.bus.topics import Kind, Topic
from lab.server.policy import (
    AccessFacts,
    Principal,
    SessionFacts,
    decide,
    may_comment,
    may_publish,
    next_change,
    parse_subscription,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
MENTOR = Principal("user:1", "mentor", user_id=1, login="m1")
OTHER_MENTOR = Principal("user:2", "mentor", user_id=2, login="m2")
INSTRUCTOR = Principal("user:3", "instructor", user_id=3, login="t")
ADMIN = Principal("user:4", "admin", user_id=4, login="a")
STUDENT = Principal("user:5", "student", user_id=5, login="s")
AUDITOR = Principal("user:6", "auditor", user_id=6, login="d")
STATION = Principal("station:st01", "station", station="st01")
INVITE = Invitation(1, NOW - HOUR, NOW + HOUR, session_id="s1", may_view_video=True)
SUBJECT = Subject(
    learner_id=42,
    learner_user_id=5,
    class_instructor_id=3,
    session_id="s1",
    live_video_consent=True,
    invitations=(INVITE,),
)


def facts(subject: Subject = SUBJECT) -> AccessFacts:
    return AccessFacts({"s1": SessionFacts("st01", subject)})


def sub(principal: Principal, kind: Kind, station: str = "st01", session: str = "s1") -> bytes:
    return principal.view_prefix + Topic(kind, station, session).prefix


@pytest.mark.parametrize("kind", [Kind.POSE, Kind.STATE, Kind.EVENTS, Kind.COMMENT, Kind.VIDEO])
def test_invited_mentor_may_receive_every_session_kind(kind):
    assert decide(MENTOR, sub(MENTOR, kind), facts(), NOW)


@pytest.mark.parametrize("principal", [OTHER_MENTOR, ADMIN, AUDITOR, STATION])
def test_others_may_not_receive_the_session(principal):
    assert not decide(principal, sub(principal, Kind.POSE), facts(), NOW)


def test_the_learner_may_watch_their_own_session():
    assert decide(STUDENT, sub(STUDENT, Kind.POSE), facts(), NOW)


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
    assert bool(decide(MENTOR, sub(MENTOR, Kind.POSE), facts(), now)) is allowed


def test_revocation_takes_effect_from_its_time():
    revoked = facts(replace(SUBJECT, invitations=(replace(INVITE, revoked_at=NOW),)))
    assert decide(MENTOR, sub(MENTOR, Kind.POSE), revoked, NOW - timedelta(seconds=1))
    denied = decide(MENTOR, sub(MENTOR, Kind.POSE), revoked, NOW)
    assert not denied and "invitation" in denied.text.en


def test_video_needs_both_the_invitation_and_consent():
    no_video_invite = facts(replace(SUBJECT, invitations=(replace(INVITE, may_view_video=False),)))
    assert not decide(MENTOR, sub(MENTOR, Kind.VIDEO), no_video_invite, NOW)
    no_consent = facts(replace(SUBJECT, live_video_consent=False))
    assert "consent" in decide(MENTOR, sub(MENTOR, Kind.VIDEO), no_consent, NOW).text.en
    assert not decide(INSTRUCTOR, sub(INSTRUCTOR, Kind.VIDEO), no_consent, NOW)
    assert decide(MENTOR, sub(MENTOR, Kind.POSE), no_consent, NOW)  # keypoints stay available


def test_mentor_needs_exact_topics_of_a_live_session_on_its_station():
    assert (
        decide(MENTOR, MENTOR.view_prefix + b"pose/", facts(), NOW).reason == "session_data_needs_exact_topic"
    )
    assert not decide(MENTOR, MENTOR.view_prefix + b"pose/st01/", facts(), NOW)
    assert decide(MENTOR, sub(MENTOR, Kind.POSE, station="st02"), facts(), NOW).reason == "unknown_session"
    assert decide(MENTOR, sub(MENTOR, Kind.POSE, session="s9"), facts(), NOW).reason == "unknown_session"


def test_nobody_subscribes_under_another_prefix_or_to_everything():
    assert not decide(OTHER_MENTOR, sub(MENTOR, Kind.POSE), facts(), NOW)
    for requested in (b"", b"@", b"pose/st01/s1 ", MENTOR.view_prefix, MENTOR.view_prefix + b"\xff"):
        assert not decide(MENTOR, requested, facts(), NOW)


def test_instructor_sees_own_class_sessions_and_all_heartbeats():
    assert decide(INSTRUCTOR, sub(INSTRUCTOR, Kind.STATE), facts(), NOW)
    other_class = facts(replace(SUBJECT, class_instructor_id=99))
    assert not decide(INSTRUCTOR, sub(INSTRUCTOR, Kind.STATE), other_class, NOW)
    assert decide(INSTRUCTOR, INSTRUCTOR.view_prefix + b"heartbeat/", facts(), NOW)


def test_admin_sees_heartbeats_only():
    assert decide(ADMIN, ADMIN.view_prefix + b"heartbeat/", facts(), NOW)
    assert decide(ADMIN, ADMIN.view_prefix + b"heartbeat/st01/", facts(), NOW)
    assert not decide(ADMIN, ADMIN.view_prefix + b"pose/", facts(), NOW)
    assert not decide(AUDITOR, AUDITOR.view_prefix + b"heartbeat/", facts(), NOW)


def test_station_subscribes_only_to_its_own_comments():
    assert decide(STATION, STATION.view_prefix + b"comment/st01/", facts(), NOW)
    assert decide(STATION, sub(STATION, Kind.COMMENT), facts(), NOW)
    assert not decide(STATION, STATION.view_prefix + b"comment/st02/", facts(), NOW)
    assert not decide(STATION, STATION.view_prefix + b"comment/", facts(), NOW)


def test_commenting_is_for_invited_mentors_and_the_class_instructor():
    session = facts().sessions["s1"]
    assert may_comment(MENTOR, session, NOW)
    assert may_comment(INSTRUCTOR, session, NOW)
    for principal in (OTHER_MENTOR, STUDENT, ADMIN, STATION):
        assert not may_comment(principal, session, NOW)
    assert not may_comment(MENTOR, session, NOW + HOUR)


def test_parse_subscription_shapes():
    assert parse_subscription(MENTOR, sub(MENTOR, Kind.POSE)).exact
    partial = parse_subscription(MENTOR, MENTOR.view_prefix + b"heartbeat/st01/")
    assert (partial.kind, partial.station, partial.exact) == (Kind.HEARTBEAT, "st01", False)
    assert parse_subscription(MENTOR, MENTOR.view_prefix + b"pose/st01") is None


def test_only_a_station_publishes_under_its_own_id():
    topic = Topic(Kind.POSE, "st01", "s1")
    assert may_publish(STATION, topic)
    assert not may_publish(replace(STATION, station="st02"), topic)
    assert not may_publish(MENTOR, topic)
    assert not may_publish(
        STATION, Topic(Kind.COMMENT, "st01", "s1")
    )  # comments come from the request endpoint


def test_next_change_is_the_first_invitation_boundary_after_now():
    later = Invitation(2, NOW + 2 * HOUR, NOW + 3 * HOUR, session_id="s1")
    revoked = replace(INVITE, revoked_at=NOW + timedelta(minutes=5))
    assert next_change(facts(replace(SUBJECT, invitations=(INVITE, later))), NOW) == NOW + HOUR
    assert next_change(facts(replace(SUBJECT, invitations=(revoked,))), NOW) == NOW + timedelta(minutes=5)
    assert next_change(facts(replace(SUBJECT, invitations=(INVITE,))), NOW + HOUR) is None
    assert next_change(AccessFacts(), NOW) is None


MINUTES = st.sampled_from(range(-60, 61, 15)).map(lambda m: NOW + timedelta(minutes=m))
INVITATIONS = st.builds(
    lambda start, length, **fields: Invitation(valid_from=start, valid_until=start + length, **fields),
    start=MINUTES,
    length=st.sampled_from([timedelta(minutes=m) for m in (15, 30, 60)]),
    mentor_id=st.just(MENTOR.user_id),
    session_id=st.just("s1"),
    may_view_video=st.booleans(),
    revoked_at=st.none() | MINUTES,
)


@settings(max_examples=300)
@given(
    invitations=st.lists(INVITATIONS, min_size=1, max_size=2),
    consent=st.booleans(),
    kind=st.sampled_from([Kind.POSE, Kind.VIDEO]),
    now=MINUTES,
)
def test_no_decision_changes_before_next_change(invitations, consent, kind, now):
    """What lets the relay cache its decisions between fact changes: time alone changes none
    before `next_change` (invited mentors: the only time-dependent rights)."""
    world = facts(replace(SUBJECT, invitations=tuple(invitations), live_video_consent=consent))
    until = next_change(world, now) or now + 4 * HOUR
    step = timedelta(minutes=5)
    moments = [now + k * step for k in range((until - now) // step + 1) if now + k * step < until]
    moments.append(until - timedelta(microseconds=1))
    requested = sub(MENTOR, kind)
    expected = bool(decide(MENTOR, requested, world, now))
    assert all(bool(decide(MENTOR, requested, world, moment)) == expected for moment in moments)
