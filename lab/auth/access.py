"""The store-access layer of authorisation: gather the facts, ask the matrix, write the audit record.

Every decision about personal data, and every change of anything, is appended to the audit log
in the caller's transaction (allowed) or committed on its own before the refusal is raised
(denied), so refused attempts are on record too. Call `require` before changing anything.
Audit entries name people by `role:login` and learners by their pseudonymous code, never by name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lab.audit import chain
from lab.auth.permissions import PERSONAL, Action, Actor, Decision, Invitation, Resource, Subject, decide
from lab.bus.text import UserError
from lab.privacy.consent import in_force
from lab.store.models import ConsentKind, Learner, MentorInvitation, TrainingSession


class PermissionDenied(UserError):
    """The matrix says no (the message says why, in both languages)."""


class UnknownLearner(UserError):
    pass


def audited(action: Action, resource: Resource) -> bool:
    """Personal data, accounts, the audit log and retention are audited on every access; all changes are."""
    return (
        resource in PERSONAL
        or resource in (Resource.ACCOUNTS, Resource.AUDIT_LOG, Resource.RETENTION)
        or action is not Action.VIEW
    )


def require(
    db: Session,
    actor: Actor,
    action: Action,
    resource: Resource,
    subject: Subject | None,
    target: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> Decision:
    """Allow and audit, or audit the refusal, commit it, and raise PermissionDenied."""
    decision = decide(actor, action, resource, subject, now)
    if decision.allowed:
        if audited(action, resource):
            chain.append(db, actor.audit_name, f"{action}:{resource}", target, detail, now)
        return decision
    chain.append(
        db, actor.audit_name, f"denied:{action}:{resource}", target, {"scope": decision.scope.value}, now
    )
    db.commit()
    raise PermissionDenied(decision.reason.zh, decision.reason.en)


def find_learner(db: Session, code: str) -> Learner:
    learner = db.scalar(select(Learner).where(Learner.code == code))
    if learner is None:
        raise UnknownLearner(f"没有编号为 {code} 的学员", f"no learner with code {code}")
    return learner


def learner_subject(db: Session, learner: Learner, now: datetime, session_id: str | None = None) -> Subject:
    """The facts about one learner (and optionally one of their sessions) that decide scope."""
    covers = MentorInvitation.learner_id == learner.id
    if session_id is not None:
        covers = covers | (MentorInvitation.session_id == session_id)
    invitations = db.scalars(select(MentorInvitation).where(covers))
    return Subject(
        learner_id=learner.id,
        learner_user_id=learner.user_id,
        class_instructor_id=learner.school_class.instructor_id if learner.school_class else None,
        session_id=session_id,
        live_video_consent=in_force(learner.consents, ConsentKind.LIVE_VIDEO, learner.under_14, now),
        invitations=tuple(_invitation(i) for i in invitations),
    )


def session_subject(db: Session, session_id: str, now: datetime) -> Subject:
    """The facts for a session's data (a live stream, a replay, its comments)."""
    session = db.get(TrainingSession, session_id)
    if session is None:
        raise UserError(f"没有编号为 {session_id} 的实训会话", f"no training session {session_id}")
    return learner_subject(db, session.learner, now, session_id=session_id)


def _invitation(row: MentorInvitation) -> Invitation:
    return Invitation(
        mentor_id=row.mentor_id,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        session_id=row.session_id,
        learner_id=row.learner_id,
        may_view_video=row.may_view_video,
        revoked_at=row.revoked_at,
    )
