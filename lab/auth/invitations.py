"""Mentor invitations: the only way an enterprise mentor sees anything (a permission change, audited).

An invitation covers one session or all of one learner's sessions, over [valid_from, valid_until),
keypoints only unless `may_view_video` (and even then only while live-video consent is in force).
Instructors invite to their own classes' learners, admins to any; revoking ends access at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lab.auth.access import learner_subject, require
from lab.auth.accounts import find_user
from lab.auth.permissions import Action, Actor, Resource
from lab.bus.text import UserError
from lab.store.models import Learner, MentorInvitation, Role, TrainingSession

MAX_INVITATION = timedelta(days=365)


class InvitationError(UserError):
    pass


def invite(
    db: Session,
    by: Actor,
    mentor_login: str,
    learner: Learner,
    valid_from: datetime,
    valid_until: datetime,
    now: datetime,
    session_id: str | None = None,
    may_view_video: bool = False,
) -> MentorInvitation:
    """Invite a mentor to `learner`'s sessions (or only to `session_id`, which must be theirs)."""
    mentor = find_user(db, mentor_login)
    if mentor.role is not Role.MENTOR or mentor.disabled_at is not None:
        raise InvitationError(
            f"{mentor_login} 不是有效的企业导师账户", f"{mentor_login} is not an active mentor account"
        )
    if not valid_from < valid_until <= valid_from + MAX_INVITATION:
        raise InvitationError(
            "邀请的结束时间须晚于开始时间，且不超过一年",
            "an invitation must end after it starts, and last at most a year",
        )
    if session_id is not None:
        session = db.get(TrainingSession, session_id)
        if session is None or session.learner_id != learner.id:
            raise InvitationError(
                f"学员 {learner.code} 没有会话 {session_id}",
                f"learner {learner.code} has no session {session_id}",
            )
    detail = {
        "mentor": mentor.login,
        "session": session_id,
        "from": valid_from.isoformat(),
        "until": valid_until.isoformat(),
        "video": may_view_video,
    }
    subject = learner_subject(db, learner, now)
    require(db, by, Action.EDIT, Resource.INVITATIONS, subject, f"learner:{learner.code}", now, detail)
    invitation = MentorInvitation(
        mentor_id=mentor.id,
        session_id=session_id,
        learner_id=None if session_id else learner.id,
        invited_by_id=by.user_id,
        valid_from=valid_from,
        valid_until=valid_until,
        may_view_video=may_view_video,
        created_at=now,
    )
    db.add(invitation)
    db.flush()
    return invitation


def revoke(db: Session, by: Actor, mentor_login: str, learner: Learner, now: datetime) -> int:
    """Revoke every invitation of the mentor to this learner or their sessions; returns how many."""
    mentor = find_user(db, mentor_login)
    sessions = select(TrainingSession.id).where(TrainingSession.learner_id == learner.id)
    invitations = list(
        db.scalars(
            select(MentorInvitation).where(
                MentorInvitation.mentor_id == mentor.id,
                (MentorInvitation.learner_id == learner.id) | MentorInvitation.session_id.in_(sessions),
                MentorInvitation.revoked_at.is_(None),
                MentorInvitation.valid_until > now,
            )
        )
    )
    subject = learner_subject(db, learner, now)
    detail = {"mentor": mentor.login, "revoked": len(invitations)}
    require(db, by, Action.DELETE, Resource.INVITATIONS, subject, f"learner:{learner.code}", now, detail)
    for invitation in invitations:
        invitation.revoked_at = now
    db.flush()
    return len(invitations)
