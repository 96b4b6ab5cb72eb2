"""The purge: find what has outlived its retention period, report it, and (on request) delete it.

What is due, per kind (lab.privacy.retention):
- clips: files under `<clips dir>/<session>/` last modified before the clip cutoff, or whose
  learner no longer consents to keeping clips (withdrawal schedules deletion), or whose session
  is unknown (left behind);
- keypoints and recordings: a session's recording file when the session ended before the cutoff
  (the session row stays, without its recording);
- learner records: learners whose last activity (created, attempt, session) is before the cutoff,
  with all their files, rows and student account;
- audit log: entries before the cutoff (never less than six months), leaving an anchor entry.

`plan_purge` only looks (the dry run); `apply_purge` deletes, and records what it did.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lab.audit import chain
from lab.auth.access import require
from lab.auth.permissions import Action, Actor, Resource
from lab.privacy import files
from lab.privacy.consent_records import clip_storage_allowed
from lab.privacy.learner_data import erase
from lab.privacy.retention import DataKind, RetentionPolicy
from lab.store.models import Attempt, AuditEntry, Learner, TrainingSession

log = logging.getLogger(__name__)  # counts only: no learner codes or names in application logs


@dataclass
class PurgePlan:
    now: datetime
    policy: RetentionPolicy
    clips: list[Path] = field(default_factory=list)
    recordings: dict[str, Path | None] = field(default_factory=dict)  # session id -> file (None: gone)
    learners: list[str] = field(default_factory=list)  # codes
    audit_entries: int = 0

    def counts(self) -> dict[str, int]:
        return {
            DataKind.CLIPS.value: len(self.clips),
            DataKind.KEYPOINTS.value: len(self.recordings),
            DataKind.LEARNER_RECORDS.value: len(self.learners),
            DataKind.AUDIT_LOG.value: self.audit_entries,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "retention_days": {k.value: v for k, v in self.policy.days().items()},
            "due": self.counts(),
            "learners": self.learners,
        }


def plan_purge(
    db: Session, actor: Actor, policy: RetentionPolicy, clips_dir: Path, now: datetime
) -> PurgePlan:
    """What a purge at `now` would delete (refuses a nonsensical policy first). Audited as a view."""
    policy.validate()
    require(db, actor, Action.VIEW, Resource.RETENTION, None, "retention", now)
    cutoff = policy.cutoffs(now)
    plan = PurgePlan(now=now, policy=policy)
    plan.learners = _stale_learners(db, cutoff[DataKind.LEARNER_RECORDS])
    plan.clips = _due_clips(db, clips_dir, cutoff[DataKind.CLIPS], now)
    plan.recordings = _due_recordings(db, cutoff[DataKind.KEYPOINTS])
    through = db.scalar(select(func.max(AuditEntry.seq)).where(AuditEntry.at < cutoff[DataKind.AUDIT_LOG]))
    if through is not None:
        plan.audit_entries = db.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.seq <= through)
        )
    return plan


def apply_purge(db: Session, actor: Actor, plan: PurgePlan, clips_dir: Path) -> dict[str, int]:
    """Delete what `plan` found, in the caller's transaction; the purge itself is audited."""
    require(db, actor, Action.DELETE, Resource.RETENTION, None, "retention", plan.now, plan.to_dict())
    for code in plan.learners:
        learner = db.scalar(select(Learner).where(Learner.code == code))
        if learner is not None:
            erase(db, learner, clips_dir)
    files.remove(plan.clips)
    files.prune_empty_session_dirs(clips_dir)
    files.remove([path for path in plan.recordings.values() if path is not None])
    db.execute(
        update(TrainingSession)
        .where(TrainingSession.id.in_(list(plan.recordings)))
        .values(recording_path=None)
        .execution_options(synchronize_session="fetch")
    )
    db.flush()
    cutoff = plan.policy.cutoffs(plan.now)[DataKind.AUDIT_LOG]
    chain.purge_before(db, cutoff, actor.audit_name, plan.now)
    log.info("purge applied: %s", plan.counts())
    return plan.counts()


def _stale_learners(db: Session, cutoff: datetime) -> list[str]:
    last_attempt = (
        select(Attempt.learner_id, func.max(Attempt.started_at).label("at"))
        .group_by(Attempt.learner_id)
        .subquery()
    )
    last_session = (
        select(TrainingSession.learner_id, func.max(TrainingSession.started_at).label("at"))
        .group_by(TrainingSession.learner_id)
        .subquery()
    )
    rows = db.execute(
        select(Learner.code, Learner.created_at, last_attempt.c.at, last_session.c.at)
        .outerjoin(last_attempt, last_attempt.c.learner_id == Learner.id)
        .outerjoin(last_session, last_session.c.learner_id == Learner.id)
        .order_by(Learner.code)
    )
    return [code for code, *instants in rows if max(t for t in instants if t is not None) < cutoff]


def _due_clips(db: Session, clips_dir: Path, cutoff: datetime, now: datetime) -> list[Path]:
    if not clips_dir.is_dir():
        return []
    due: list[Path] = []
    for path in sorted(p for p in clips_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(clips_dir)
        session = db.get(TrainingSession, relative.parts[0]) if len(relative.parts) > 1 else None
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        if session is None or modified < cutoff or not clip_storage_allowed(session.learner, now):
            due.append(path)
    return due


def _due_recordings(db: Session, cutoff: datetime) -> dict[str, Path | None]:
    ended = func.coalesce(TrainingSession.ended_at, TrainingSession.started_at)
    sessions = db.scalars(
        select(TrainingSession).where(TrainingSession.recording_path.is_not(None), ended < cutoff)
    )
    return {s.id: files.recording_file(s) for s in sessions}
