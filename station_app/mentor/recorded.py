"""Recorded sessions a person may replay, and their recordings read into a timeline.

What may be replayed is the permission matrix's VIEW on HISTORY (lab.auth): a mentor sees the sessions
and learners they are invited to, for the time of the invitation; opening one is audited. A session
can have two recordings: the station's own (`sessions.recording_path`) and the lab server's, which
also holds the comments (`<recordings dir>/<station>_<session>[-partN].mcap`, lab.recording.recorder);
both are read and each message counts once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lab.auth.access import require, session_subject
from lab.auth.permissions import Action, Actor, Resource, decide
from lab.bus.text import UserError
from lab.recording.mcap_io import read_recording
from lab.store.models import Learner, MentorInvitation, Role, SchoolClass, SessionState, TrainingSession
from station_app.mentor.timeline import SessionTimeline

FINISHED = (SessionState.FINISHED, SessionState.ABORTED)


@dataclass(frozen=True)
class RecordedSession:
    session: str
    station: str
    scenario: str
    started_at: datetime
    files: tuple[Path, ...]


def recording_files(row: TrainingSession, recordings_dir: Path | None) -> tuple[Path, ...]:
    station = row.station.name if row.station is not None else None
    found = []
    if station is not None and recordings_dir is not None and recordings_dir.is_dir():
        found += sorted(recordings_dir.glob(f"{station}_{row.id}.mcap"))
        found += sorted(recordings_dir.glob(f"{station}_{row.id}-part*.mcap"))
    if row.recording_path and Path(row.recording_path).is_file():
        found.append(Path(row.recording_path))
    return tuple(dict.fromkeys(p.resolve() for p in found))


def _candidates(db: Session, actor: Actor) -> list[TrainingSession]:
    """Sessions the person could be in scope for (the matrix decides each)."""
    query = select(TrainingSession).where(TrainingSession.state.in_(FINISHED))
    if actor.role is Role.MENTOR:
        invited = select(MentorInvitation).where(MentorInvitation.mentor_id == actor.user_id)
        rows = db.scalars(invited).all()
        sessions = {r.session_id for r in rows if r.session_id}
        learners = {r.learner_id for r in rows if r.learner_id}
        query = query.where(or_(TrainingSession.id.in_(sessions), TrainingSession.learner_id.in_(learners)))
    elif actor.role is Role.INSTRUCTOR:
        taught = (
            select(Learner.id)
            .join(SchoolClass, Learner.class_id == SchoolClass.id)
            .where(SchoolClass.instructor_id == actor.user_id)
        )
        query = query.where(TrainingSession.learner_id.in_(taught))
    return list(db.scalars(query.order_by(TrainingSession.started_at.desc())))


def recorded_sessions(
    db: Session, actor: Actor, now: datetime, recordings_dir: Path | None
) -> list[RecordedSession]:
    """Finished sessions with a recording that `actor` may replay now, newest first."""
    visible = []
    for row in _candidates(db, actor):
        if not decide(actor, Action.VIEW, Resource.HISTORY, session_subject(db, row.id, now), now):
            continue
        files = recording_files(row, recordings_dir)
        if files:
            visible.append(
                RecordedSession(
                    row.id, row.station.name if row.station else "?", row.scenario_id, row.started_at, files
                )
            )
    return visible


def open_recorded(
    db: Session, actor: Actor, session_id: str, now: datetime, recordings_dir: Path | None
) -> SessionTimeline:
    """The whole recorded session, if `actor` may replay it (audited either way; call in a transaction)."""
    subject = session_subject(db, session_id, now)
    require(db, actor, Action.VIEW, Resource.HISTORY, subject, f"session:{session_id}", now)
    row = db.get(TrainingSession, session_id)
    assert row is not None  # session_subject raised otherwise
    files = recording_files(row, recordings_dir)
    if not files:
        raise UserError(f"会话 {session_id} 没有录制文件", f"session {session_id} has no recording")
    return load_timeline(row.station.name if row.station else "?", session_id, files)


def load_timeline(station: str, session: str, files: tuple[Path, ...]) -> SessionTimeline:
    """Read recordings into one timeline (a damaged file is a RecordingError, a UserError).

    The station's and the lab server's recordings hold the same envelopes: each counts once.
    """
    timeline = SessionTimeline(station, session)
    seen: set[tuple[str, str, int]] = set()
    for path in files:
        for message in read_recording(path):
            key = (message.kind.value, message.envelope.type, message.envelope.seq)
            if key not in seen:
                seen.add(key)
                timeline.add(message.kind, message.envelope)
    return timeline
