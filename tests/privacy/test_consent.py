"""Consent: separate kinds, guardians for under-14s, keypoints-only without it, withdrawal at once."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from privacy_world import T0, World
from sqlalchemy import select

from lab.auth.access import PermissionDenied, session_subject
from lab.auth.permissions import Action, Invitation, Resource, decide
from lab.privacy import consent_records
from lab.privacy.consent import ConsentError, in_force
from lab.store.models import AuditEntry, Consent, ConsentGiver, ConsentKind, Learner, MentorInvitation

LIVE, CLIPS = ConsentKind.LIVE_VIDEO, ConsentKind.STORE_CLIPS


def _learner(db, code: str) -> Learner:
    return db.scalar(select(Learner).where(Learner.code == code))


def test_rules_in_force() -> None:
    self_grant = Consent(
        kind=LIVE, granted_by=ConsentGiver.SELF, granted_at=T0, withdrawn_at=T0 + timedelta(days=1)
    )
    assert not in_force([self_grant], LIVE, False, T0 - timedelta(seconds=1))  # not yet granted
    assert in_force([self_grant], LIVE, False, T0)
    assert not in_force([self_grant], CLIPS, False, T0)  # kinds are separate
    assert not in_force([self_grant], LIVE, False, T0 + timedelta(days=1))  # withdrawn
    assert not in_force([self_grant], LIVE, True, T0)  # an under-14's own consent does not count
    guardian = Consent(kind=LIVE, granted_by=ConsentGiver.GUARDIAN, granted_at=T0, withdrawn_at=None)
    assert in_force([self_grant, guardian], LIVE, True, T0 + timedelta(days=2))


def test_under_14_needs_a_guardian_recorded_by_staff(world: World) -> None:
    with world.sessions.begin() as db:
        learner = _learner(db, world.learner_code)
        learner.under_14 = True
    with world.sessions.begin() as db, pytest.raises(ConsentError, match="guardian"):
        consent_records.grant(
            db, world.student, _learner(db, world.learner_code), LIVE, ConsentGiver.SELF, T0
        )
    with world.sessions.begin() as db, pytest.raises(ConsentError, match="recorded by an instructor"):
        consent_records.grant(
            db, world.student, _learner(db, world.learner_code), LIVE, ConsentGiver.GUARDIAN, T0
        )
    with world.sessions.begin() as db:
        consent_records.grant(
            db, world.instructor, _learner(db, world.learner_code), LIVE, ConsentGiver.GUARDIAN, T0
        )
    with world.sessions() as db:
        status = consent_records.status(_learner(db, world.learner_code), T0)
        assert status.live_video and status.under_14
        assert not status.store_clips  # the seeded clip consent was the learner's own: not valid under 14


def test_other_instructor_cannot_record_consent_and_it_is_on_record(world: World) -> None:
    with world.sessions.begin() as db, pytest.raises(PermissionDenied):
        consent_records.grant(
            db, world.other_instructor, _learner(db, world.learner_code), LIVE, ConsentGiver.SELF, T0
        )
    with world.sessions() as db:
        assert (
            db.scalar(select(AuditEntry.action).where(AuditEntry.actor == "instructor:teacher2"))
            == "denied:edit:consent"
        )


def test_withdrawal_stops_live_video_at_once_and_keypoints_keep_flowing(world: World) -> None:
    with world.sessions.begin() as db:
        learner = _learner(db, world.learner_code)
        consent_records.grant(db, world.student, learner, LIVE, ConsentGiver.SELF, T0)
        db.add(MentorInvitation(mentor_id=world.mentor.user_id, session_id=world.session_id, valid_from=T0,
                                valid_until=T0 + timedelta(hours=2), may_view_video=True))  # fmt: skip
    during = T0 + timedelta(minutes=10)
    with world.sessions() as db:
        subject = session_subject(db, world.session_id, during)
        assert decide(world.mentor, Action.VIEW, Resource.LIVE_VIDEO, subject, during).allowed
    withdrawn_at = T0 + timedelta(minutes=11)
    with world.sessions.begin() as db:
        assert (
            consent_records.withdraw(db, world.student, _learner(db, world.learner_code), LIVE, withdrawn_at)
            == 1
        )
    with world.sessions() as db:
        subject = session_subject(db, world.session_id, withdrawn_at)
        for viewer in (world.mentor, world.instructor):
            assert not decide(viewer, Action.VIEW, Resource.LIVE_VIDEO, subject, withdrawn_at).allowed
            assert decide(viewer, Action.VIEW, Resource.LIVE_POSE, subject, withdrawn_at).allowed
            assert decide(viewer, Action.VIEW, Resource.HISTORY, subject, withdrawn_at).allowed
        assert not consent_records.live_video_allowed(_learner(db, world.learner_code), withdrawn_at)
        actions = list(
            db.scalars(
                select(AuditEntry.detail).where(AuditEntry.action == "edit:consent").order_by(AuditEntry.seq)
            )
        )
    assert actions == [{"kind": "live_video", "by": "self"}, {"withdraw": "live_video"}]


def test_training_works_without_any_consent(world: World) -> None:
    """No video consent: the station keeps keypoints, stores no clips, and everyone still sees the skeleton."""
    with world.sessions() as db:
        learner = _learner(db, world.other_learner_code)  # has never consented to anything
        assert not consent_records.live_video_allowed(learner, T0)
        assert not consent_records.clip_storage_allowed(learner, T0)
        subject = session_subject(db, world.session_id, T0)
    assert decide(world.instructor, Action.VIEW, Resource.LIVE_POSE, subject, T0).allowed
    mentor_invited = Invitation(
        world.mentor.user_id, T0, T0 + timedelta(hours=1), session_id=world.session_id
    )
    subject = dataclasses.replace(subject, invitations=(mentor_invited,))
    assert decide(world.mentor, Action.VIEW, Resource.LIVE_POSE, subject, T0).allowed


def test_nothing_to_withdraw_and_double_grant_are_clear_errors(world: World) -> None:
    with world.sessions.begin() as db, pytest.raises(ConsentError, match="no consent in force"):
        consent_records.withdraw(db, world.student, _learner(db, world.learner_code), LIVE, T0)
    with world.sessions.begin() as db, pytest.raises(ConsentError, match="already in force"):
        consent_records.grant(
            db, world.student, _learner(db, world.learner_code), CLIPS, ConsentGiver.SELF, T0
        )
