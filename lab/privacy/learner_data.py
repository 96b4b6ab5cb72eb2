"""One learner's data: export it all (PIPL Art. 45) or delete it all (Art. 47), audited.

The export is a zip: `learner.json` (profile, account, consents, sessions, attempts, bookings,
mentor invitations, the instructor's overrides and scenario assignments for this learner, and who
accessed this learner's data according to the audit log), plus the session recordings, plus the
clips when the person exporting may export clips.
Deletion removes the files, then the learner row (the store cascades to attempts, sessions,
consents, bookings, invitations, overrides and assignments) and the learner's own student account.
"""

from __future__ import annotations

import json
import logging
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lab.auth.access import learner_subject, require
from lab.auth.permissions import Action, Actor, Resource, decide
from lab.bus.text import UserError
from lab.privacy import files
from lab.store.models import (
    AdaptiveOverride,
    AuditEntry,
    Booking,
    Learner,
    MentorInvitation,
    Role,
    ScenarioAssignment,
    TrainingSession,
    User,
)

EXPORT_FORMAT = "shixun.learner-export/1"
log = logging.getLogger(__name__)  # internal ids only: no codes or names in application logs


@dataclass
class LearnerExport:
    data: dict[str, Any]
    recordings: dict[str, Path] = field(default_factory=dict)  # name inside the zip -> file
    clips: dict[str, Path] = field(default_factory=dict)

    def write_zip(self, out: Path) -> None:
        try:
            with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(
                    "learner.json", json.dumps(self.data, ensure_ascii=False, indent=2, default=str)
                )
                for name, path in {**self.recordings, **self.clips}.items():
                    archive.write(path, name)
        except OSError as exc:
            raise UserError(
                f"无法写入导出文件 {out}：{exc.strerror}", f"cannot write the export {out}: {exc.strerror}"
            ) from None


def export_learner(
    db: Session, actor: Actor, learner: Learner, clips_dir: Path, now: datetime
) -> LearnerExport:
    subject = learner_subject(db, learner, now)
    target = f"learner:{learner.code}"
    with_clips = decide(actor, Action.EXPORT, Resource.CLIPS, subject, now).allowed
    require(db, actor, Action.EXPORT, Resource.LEARNER_RECORD, subject, target, now, {"clips": with_clips})
    log.info("export of learner id %d by user id %d", learner.id, actor.user_id)
    sessions = _sessions(db, learner)
    export = LearnerExport(data=_describe(db, learner, sessions, now))
    for session in sessions:
        recording = files.recording_file(session)
        if recording is not None:
            export.recordings[f"recordings/{session.id}/{recording.name}"] = recording
        if with_clips:
            for clip in files.clip_files(clips_dir, session.id):
                export.clips[
                    f"clips/{session.id}/{clip.relative_to(files.clip_dir(clips_dir, session.id))}"
                ] = clip
    return export


def learner_files(db: Session, learner: Learner, clips_dir: Path) -> list[Path]:
    """Every file on disk that holds this learner's data."""
    found: list[Path] = []
    for session in _sessions(db, learner):
        recording = files.recording_file(session)
        found.extend([recording] if recording else [])
        found.extend(files.clip_files(clips_dir, session.id))
    return found


def delete_learner(
    db: Session, actor: Actor, learner: Learner, clips_dir: Path, now: datetime
) -> dict[str, int]:
    """Delete everything about the learner; returns counts (also written to the audit log)."""
    subject = learner_subject(db, learner, now)
    counts = _counts(db, learner, clips_dir)
    require(
        db, actor, Action.DELETE, Resource.LEARNER_RECORD, subject, f"learner:{learner.code}", now, counts
    )
    erase(db, learner, clips_dir)
    log.info("learner id %d deleted by user id %d", learner.id, actor.user_id)
    return counts


def erase(db: Session, learner: Learner, clips_dir: Path) -> None:
    """Remove the learner's files and rows, without asking or auditing (the caller has done both)."""
    files.remove(learner_files(db, learner, clips_dir))
    files.prune_empty_session_dirs(clips_dir)
    account = learner.user
    db.delete(learner)
    if account is not None and account.role is Role.STUDENT:
        db.delete(account)
    db.flush()


def _counts(db: Session, learner: Learner, clips_dir: Path) -> dict[str, int]:
    sessions = _sessions(db, learner)
    return {
        "sessions": len(sessions),
        "attempts": len(learner.attempts),
        "consents": len(learner.consents),
        "files": len(learner_files(db, learner, clips_dir)),
    }


def _sessions(db: Session, learner: Learner) -> list[TrainingSession]:
    return list(
        db.scalars(
            select(TrainingSession)
            .where(TrainingSession.learner_id == learner.id)
            .order_by(TrainingSession.started_at)
        )
    )


def _describe(
    db: Session, learner: Learner, sessions: list[TrainingSession], now: datetime
) -> dict[str, Any]:
    account: User | None = learner.user
    bookings = db.scalars(select(Booking).where(Booking.learner_id == learner.id))
    covers = (MentorInvitation.learner_id == learner.id) | MentorInvitation.session_id.in_(
        [s.id for s in sessions]
    )
    invitations = db.scalars(select(MentorInvitation).where(covers))
    overrides = db.scalars(
        select(AdaptiveOverride)
        .where(AdaptiveOverride.learner_id == learner.id)
        .order_by(AdaptiveOverride.id)
    )
    assignments = db.scalars(
        select(ScenarioAssignment)
        .where(ScenarioAssignment.learner_id == learner.id)
        .order_by(ScenarioAssignment.id)
    )
    accesses = db.scalars(
        select(AuditEntry).where(AuditEntry.resource == f"learner:{learner.code}").order_by(AuditEntry.seq)
    )
    return {
        "format": EXPORT_FORMAT,
        "exported_at": now.isoformat(),
        "learner": {
            "code": learner.code,
            "class": learner.school_class.code if learner.school_class else None,
            "birth_year": learner.birth_year,
            "under_14": learner.under_14,
            "created_at": learner.created_at,
        },
        "account": {"login": account.login, "display_name": account.display_name, "role": account.role.value}
        if account
        else None,
        "consents": [
            {
                "kind": c.kind.value,
                "granted_by": c.granted_by.value,
                "granted_at": c.granted_at,
                "withdrawn_at": c.withdrawn_at,
            }
            for c in learner.consents
        ],
        "sessions": [
            {
                "id": s.id,
                "scenario": s.scenario_id,
                "station": s.station.name if s.station else None,
                "state": s.state.value,
                "started_at": s.started_at,
                "ended_at": s.ended_at,
            }
            for s in sessions
        ],
        "attempts": [
            {
                "id": a.id,
                "session": a.session_id,
                "scenario": a.scenario_id,
                "params": a.params,
                "seed": a.seed,
                "passed": a.passed,
                "score": a.score,
                "sub_scores": a.sub_scores,
                "metrics": a.metrics,
                "errors": a.errors,
                "coach_summary": a.coach_summary,
                "explanation": a.explanation,
                "started_at": a.started_at,
                "finished_at": a.finished_at,
            }
            for a in learner.attempts
        ],
        "bookings": [
            {
                "equipment": b.equipment.name,
                "starts_at": b.starts_at,
                "ends_at": b.ends_at,
                "status": b.status.value,
            }
            for b in bookings
        ],
        "mentor_invitations": [
            {
                "mentor": i.mentor.login,
                "session": i.session_id,
                "valid_from": i.valid_from,
                "valid_until": i.valid_until,
                "may_view_video": i.may_view_video,
                "revoked_at": i.revoked_at,
            }
            for i in invitations
        ],
        "adaptive_overrides": [
            {
                "scenario": o.scenario_id,
                "overrides": o.overrides,
                "updated_by": o.updated_by,
                "updated_at": o.updated_at,
            }
            for o in overrides
        ],
        "scenario_assignments": [
            {
                "scenario": a.scenario_id,
                "note": a.note,
                "created_by": a.created_by,
                "created_at": a.created_at,
                "ended_at": a.ended_at,
            }
            for a in assignments
        ],
        "accesses": [{"at": e.at, "by": e.actor, "action": e.action} for e in accesses],
    }
