"""Mentor invitations: who may invite, what the mentor then sees and until when; revocation at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from privacy_world import T0, World
from sqlalchemy import select

from lab.auth.access import PermissionDenied, find_learner, session_subject
from lab.auth.invitations import InvitationError, invite, revoke
from lab.auth.permissions import Action, Resource, decide
from lab.store.models import AuditEntry

HOUR = timedelta(hours=1)


def _sees(world: World, resource: Resource, at) -> bool:
    with world.sessions() as db:
        return decide(
            world.mentor, Action.VIEW, resource, session_subject(db, world.session_id, at), at
        ).allowed


def test_instructor_invites_mentor_who_sees_keypoints_until_revoked(world: World) -> None:
    assert not _sees(world, Resource.LIVE_POSE, T0)
    with world.sessions.begin() as db:
        invite(db, world.instructor, "mentor", find_learner(db, world.learner_code), T0, T0 + 2 * HOUR, T0)
    assert _sees(world, Resource.LIVE_POSE, T0 + HOUR) and _sees(world, Resource.HISTORY, T0 + HOUR)
    assert not _sees(world, Resource.LIVE_VIDEO, T0 + HOUR)  # keypoints only
    assert not _sees(world, Resource.LIVE_POSE, T0 + 2 * HOUR)  # expired
    with world.sessions.begin() as db:
        assert (
            revoke(db, world.instructor, "mentor", find_learner(db, world.learner_code), T0 + HOUR / 2) == 1
        )
    assert not _sees(world, Resource.LIVE_POSE, T0 + HOUR)
    with world.sessions() as db:
        entries = list(
            db.scalars(
                select(AuditEntry).where(AuditEntry.resource == "learner:L001").order_by(AuditEntry.seq)
            )
        )
    assert [e.action for e in entries] == ["edit:invitations", "delete:invitations"]
    assert entries[0].detail["mentor"] == "mentor" and entries[0].detail["video"] is False


def test_only_the_class_instructor_or_an_admin_may_invite(world: World) -> None:
    for outsider in (world.other_instructor, world.student, world.auditor, world.mentor):
        with world.sessions.begin() as db, pytest.raises(PermissionDenied):
            invite(db, outsider, "mentor", find_learner(db, world.learner_code), T0, T0 + HOUR, T0)
    with world.sessions.begin() as db:
        invite(
            db,
            world.admin,
            "mentor",
            find_learner(db, world.learner_code),
            T0,
            T0 + HOUR,
            T0,
            session_id="s1",
        )
    assert _sees(world, Resource.COMMENTS, T0)


@pytest.mark.parametrize(
    ("mentor", "hours", "session", "problem"),
    [
        ("teacher", 1, None, "not an active mentor"),
        ("mentor", 0, None, "end after it starts"),
        ("mentor", 24 * 400, None, "at most a year"),
        ("mentor", 1, "no-such-session", "has no session"),
    ],
)
def test_bad_invitations_are_refused(
    world: World, mentor: str, hours: int, session: str | None, problem: str
) -> None:
    with world.sessions.begin() as db, pytest.raises(InvitationError, match=problem):
        invite(
            db, world.admin, mentor, find_learner(db, world.learner_code), T0, T0 + hours * HOUR, T0, session
        )
