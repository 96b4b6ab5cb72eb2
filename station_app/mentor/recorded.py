"""Recorded sessions a person may replay, and their recordings read into a timeline.

What may be replayed is the permission matrix's VIEW on HISTORY (lab.auth): a mentor sees the sessions
and learners they are invited to, for the time of the invitation; opening one is audited. A session
has several recordings (lab.server.archive: the station's own, the lab server's with the comments, and
comments made after the end); all are read and each message counts once. Which sessions, and which
files, is `lab.server.archive`, which the lab server also uses to serve remote mentors.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from lab.auth.access import require, session_subject
from lab.auth.permissions import Action, Actor, Resource
from lab.bus.sockets import Message
from lab.bus.text import UserError
from lab.server.archive import RecordedSession, merged, recorded_sessions, recording_files
from lab.store.models import TrainingSession
from station_app.mentor.timeline import SessionTimeline

__all__ = ["RecordedSession", "load_timeline", "open_recorded", "recorded_sessions", "timeline_of"]


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
    """Read recordings into one timeline (a damaged file is a RecordingError, a UserError)."""
    timeline = SessionTimeline(station, session)
    for message in merged(files, None, None, None):
        timeline.add(message.kind, message.envelope)
    return timeline


def timeline_of(station: str, session: str, messages: Iterable[Message]) -> SessionTimeline:
    """A timeline from messages fetched from the lab server (ViewerLink.replay)."""
    timeline = SessionTimeline(station, session)
    for message in messages:
        timeline.add(message.topic.kind, message.envelope)
    return timeline
