"""The permission matrix, walked cell by cell (role × action × resource), plus its scope rules."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from lab.auth.permissions import (
    PERSONAL,
    TOPIC_RESOURCES,
    Action,
    Actor,
    Invitation,
    Resource,
    Subject,
    decide,
    decide_topic,
)
from lab.bus.topics import Kind
from lab.store.models import Role

NOW = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)

# The expected matrix, written out independently of lab.auth.permissions.MATRIX.
# Each cell is four letters for view / export / delete / edit:
# o = the learner's own data, c = learners of the instructor's class, i = invited mentor,
# a = anybody's, . = nobody's.
EXPECTED = """
resource        student instructor mentor admin auditor
live_pose       o...    c...       i...   ....  ....
live_video      o...    c...       i...   ....  ....
history         oo..    cc..       i...   ....  ....
clips           ooo.    c.c.       ....   ..a.  ....
comments        o...    c..c       i..i   ....  ....
learner_record  oo..    cc..       ....   aaaa  ....
consent         o..o    c..c       ....   a..a  aa..
difficulty      ....    c..c       ....   ....  ....
invitations     ....    c.cc       ....   a.aa  ....
equipment       ....    a...       ....   aaaa  ....
accounts        ....    ....       ....   a.aa  a...
audit_log       ....    ....       ....   ....  aa..
retention       ....    ....       ....   a.a.  a...
"""
ACTIONS = (Action.VIEW, Action.EXPORT, Action.DELETE, Action.EDIT)
ROLES = (Role.STUDENT, Role.INSTRUCTOR, Role.MENTOR, Role.ADMIN, Role.AUDITOR)


def _expected() -> dict[tuple[Role, Action, Resource], str]:
    lines = EXPECTED.strip().splitlines()[1:]
    table = {}
    for line in lines:
        resource, *cells = line.split()
        for role, cell in zip(ROLES, cells, strict=True):
            for action, letter in zip(ACTIONS, cell, strict=True):
                table[(role, action, Resource(resource))] = letter
    return table


TABLE = _expected()
ACTOR_ID = 7


def test_the_expected_table_covers_every_cell() -> None:
    assert set(TABLE) == set(itertools.product(ROLES, ACTIONS, Resource))


def _subject_in_scope(letter: str) -> Subject:
    """Data the actor (user 7) is entitled to under `letter`, with video consent and a video invitation."""
    invitation = Invitation(
        ACTOR_ID, NOW - timedelta(hours=1), NOW + timedelta(hours=1), session_id="s1", may_view_video=True
    )
    return Subject(
        learner_id=1,
        learner_user_id=ACTOR_ID if letter == "o" else 99,
        class_instructor_id=ACTOR_ID if letter == "c" else 98,
        session_id="s1",
        live_video_consent=True,
        invitations=(invitation,) if letter == "i" else (),
    )


STRANGER = Subject(
    learner_id=2, learner_user_id=99, class_instructor_id=98, session_id="s2", live_video_consent=True
)


@pytest.mark.parametrize(("role", "action", "resource"), sorted(TABLE, key=str))
def test_matrix_cell(role: Role, action: Action, resource: Resource) -> None:
    letter = TABLE[(role, action, resource)]
    actor = Actor(ACTOR_ID, "someone", role)
    in_scope = decide(actor, action, resource, _subject_in_scope(letter), NOW)
    assert in_scope.allowed == (letter != "."), in_scope.reason
    stranger = decide(actor, action, resource, STRANGER, NOW)
    assert stranger.allowed == (letter == "a"), stranger.reason
    if not in_scope.allowed:
        assert in_scope.reason.zh and in_scope.reason.en


def test_personal_data_needs_a_subject() -> None:
    with pytest.raises(ValueError, match="Subject"):
        decide(Actor(1, "t", Role.INSTRUCTOR), Action.VIEW, Resource.HISTORY, None, NOW)
    assert Resource.AUDIT_LOG not in PERSONAL
    assert decide(Actor(1, "a", Role.AUDITOR), Action.VIEW, Resource.AUDIT_LOG, None, NOW).allowed


def _mentor_subject(**invitation: object) -> Subject:
    fields = {"valid_from": NOW, "valid_until": NOW + timedelta(hours=2), "session_id": "s1", **invitation}
    return Subject(
        learner_id=1, session_id="s1", live_video_consent=True, invitations=(Invitation(ACTOR_ID, **fields),)
    )


MENTOR = Actor(ACTOR_ID, "m", Role.MENTOR)


@pytest.mark.parametrize(
    ("when", "allowed"),
    [
        (NOW - timedelta(seconds=1), False),  # before the invitation
        (NOW, True),
        (NOW + timedelta(hours=2) - timedelta(microseconds=1), True),
        (NOW + timedelta(hours=2), False),  # the window is half-open
    ],
)
def test_mentor_sees_only_during_the_invitation(when: datetime, allowed: bool) -> None:
    assert decide(MENTOR, Action.VIEW, Resource.LIVE_POSE, _mentor_subject(), when).allowed is allowed


def test_revoked_invitation_stops_access_from_revocation_on() -> None:
    subject = _mentor_subject(revoked_at=NOW + timedelta(minutes=30))
    assert decide(MENTOR, Action.VIEW, Resource.HISTORY, subject, NOW + timedelta(minutes=29)).allowed
    assert not decide(MENTOR, Action.VIEW, Resource.HISTORY, subject, NOW + timedelta(minutes=30)).allowed


def test_invitation_to_one_session_does_not_open_another() -> None:
    other_session = Subject(learner_id=1, session_id="s9", invitations=_mentor_subject().invitations)
    assert not decide(MENTOR, Action.VIEW, Resource.LIVE_POSE, other_session, NOW).allowed
    learner_wide = Invitation(ACTOR_ID, NOW, NOW + timedelta(hours=1), learner_id=1)
    any_session = Subject(learner_id=1, session_id="s9", invitations=(learner_wide,))
    assert decide(MENTOR, Action.VIEW, Resource.LIVE_POSE, any_session, NOW).allowed


def test_other_mentors_invitation_does_not_count() -> None:
    subject = _mentor_subject()
    assert not decide(Actor(8, "x", Role.MENTOR), Action.VIEW, Resource.LIVE_POSE, subject, NOW).allowed


def test_mentor_video_needs_both_video_invitation_and_consent() -> None:
    keypoints_only = _mentor_subject(may_view_video=False)
    assert decide(MENTOR, Action.VIEW, Resource.LIVE_POSE, keypoints_only, NOW).allowed
    denied = decide(MENTOR, Action.VIEW, Resource.LIVE_VIDEO, keypoints_only, NOW)
    assert not denied.allowed and "keypoints only" in denied.reason.en
    with_video = _mentor_subject(may_view_video=True)
    assert decide(MENTOR, Action.VIEW, Resource.LIVE_VIDEO, with_video, NOW).allowed
    no_consent = Subject(
        learner_id=1, session_id="s1", live_video_consent=False, invitations=with_video.invitations
    )
    assert not decide(MENTOR, Action.VIEW, Resource.LIVE_VIDEO, no_consent, NOW).allowed


def test_instructor_video_needs_consent_but_the_learner_always_sees_themselves() -> None:
    no_consent = Subject(
        learner_id=1, learner_user_id=5, class_instructor_id=ACTOR_ID, live_video_consent=False
    )
    assert not decide(
        Actor(ACTOR_ID, "t", Role.INSTRUCTOR), Action.VIEW, Resource.LIVE_VIDEO, no_consent, NOW
    ).allowed
    assert decide(
        Actor(ACTOR_ID, "t", Role.INSTRUCTOR), Action.VIEW, Resource.LIVE_POSE, no_consent, NOW
    ).allowed
    assert decide(Actor(5, "s", Role.STUDENT), Action.VIEW, Resource.LIVE_VIDEO, no_consent, NOW).allowed


@pytest.mark.parametrize(
    ("role", "kind", "allowed"),
    [
        (Role.MENTOR, Kind.POSE, True),
        (Role.MENTOR, Kind.STATE, True),
        (Role.MENTOR, Kind.COMMENT, True),
        (Role.MENTOR, Kind.VIDEO, False),  # the invitation below is keypoints-only
        (Role.MENTOR, Kind.HEARTBEAT, False),
        (Role.ADMIN, Kind.HEARTBEAT, True),
        (Role.ADMIN, Kind.POSE, False),
        (Role.INSTRUCTOR, Kind.HEARTBEAT, True),
        (Role.AUDITOR, Kind.EVENTS, False),
        (Role.AUDITOR, Kind.HEARTBEAT, False),
    ],
)
def test_live_topics_follow_the_matrix(role: Role, kind: Kind, allowed: bool) -> None:
    subject = None if kind is Kind.HEARTBEAT else _mentor_subject(may_view_video=False)
    assert decide_topic(Actor(ACTOR_ID, "x", role), kind, subject, NOW).allowed is allowed
    assert set(TOPIC_RESOURCES) == set(Kind)
