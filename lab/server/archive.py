"""Recorded sessions for people who may see them: which, a bounded page of one, and late comments.

Remote mentors have no store account and no file access (issue #8), so the lab server's request
endpoint serves recordings: `recorded` lists the finished sessions a person may replay (VIEW on the
learner's history in the permission matrix, i.e. invited mentors, the class's instructor, the
learner), `page` reads a time range of one with MCAP's indexed reads (shared/reference/
bus_booking_privacy.md §1.9: a 5 s window reads in milliseconds), bounded in messages and bytes so
a reply never grows without limit. Every page read is an audited VIEW (`lab.auth.access.require`).

A session can have several recordings: the station's own (`sessions.recording_path`) and the lab
server's, `<dir>/<station>_<session>[-partN].mcap` (lab.recording.recorder), plus one small file per
comment written after the session ended (`<station>_<session>-comment-<seq>.mcap`, `add_comment`).
The station's and the lab server's files hold the same envelopes; each counts once.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from lab.audit import chain
from lab.auth.access import require, session_subject
from lab.auth.permissions import Action, Actor, Resource, decide
from lab.bus.envelope import Envelope
from lab.bus.text import UserError
from lab.bus.topics import Kind
from lab.recording.mcap_io import (
    RecordedMessage,
    RecordingError,
    SessionWriter,
    read_recording,
    recording_info,
)
from lab.store.models import Learner, MentorInvitation, Role, SchoolClass, SessionState, TrainingSession

log = logging.getLogger("lab.server.archive")
FINISHED = (SessionState.FINISHED, SessionState.ABORTED)
PAGE_MESSAGES = 1000
PAGE_BYTES = 256 * 1024  # a page of a 30 Hz session: ~3 s of pose + state; far below any socket limit


@dataclass(frozen=True, slots=True)
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
        found += sorted(recordings_dir.glob(f"{station}_{row.id}-comment-*.mcap"))
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


def merged(files: Iterable[Path], kinds: Iterable[Kind] | None, start: float | None, end: float | None):
    """Messages of all `files` in time order, each envelope once (by kind, type and seq)."""
    streams = [read_recording(path, kinds, start, end) for path in files]
    seen: set[tuple[str, str, int]] = set()
    for message in heapq.merge(*streams, key=lambda m: m.envelope.t_wall):
        key = (message.kind.value, message.envelope.type, message.envelope.seq)
        if key not in seen:
            seen.add(key)
            yield message


def _readable(files: tuple[Path, ...]) -> tuple[Path, ...]:
    """Files whose index reads: the lab server finishes a session's file only after it idles, so
    right after the end the station's own copy serves alone; damaged ones are left out too."""
    readable = []
    for path in files:
        try:
            recording_info(path)
        except RecordingError:
            log.warning("archive: a recording is unfinished or damaged; replaying the others")
            continue
        readable.append(path)
    return tuple(readable)


def _page(messages: Iterator[RecordedMessage], start: float | None, skip: int) -> dict[str, Any]:
    """At most PAGE_MESSAGES / PAGE_BYTES. `next` is where the following page starts: its `start`
    time, and how many messages at exactly that time this and earlier pages already returned."""
    out: list[dict[str, Any]] = []
    times: list[float] = []
    size = 0
    for index, message in enumerate(messages):
        if index < skip:
            continue
        item = {"kind": message.kind.value, "envelope": message.envelope.as_dict()}
        item_size = len(orjson.dumps(item))
        t = message.envelope.t_wall
        if out and (len(out) >= PAGE_MESSAGES or size + item_size > PAGE_BYTES):
            done = times.count(t) + (skip if t == start else 0)
            return {"messages": out, "next": {"start": t, "skip": done}}
        out.append(item)
        times.append(t)
        size += item_size
    return {"messages": out, "next": None}


class RecordingArchive:
    """The store plus the lab server's recordings folder, as the request endpoint uses them."""

    def __init__(self, sessions: sessionmaker[Session], recordings_dir: Path) -> None:
        self.sessions, self.recordings_dir = sessions, recordings_dir

    def recorded(self, actor: Actor, now: datetime) -> list[dict[str, Any]]:
        """The list names sessions of learners, so looking at it is on record too."""
        with self.sessions.begin() as db:
            found = recorded_sessions(db, actor, now, self.recordings_dir)
            chain.append(db, actor.audit_name, "view:history", "recordings", {"sessions": len(found)}, now)
        return [
            {
                "session": r.session,
                "station": r.station,
                "scenario": r.scenario,
                "started_at": r.started_at.timestamp(),
            }
            for r in found
        ]

    def page(
        self,
        actor: Actor,
        session_id: str,
        now: datetime,
        start: float | None = None,
        end: float | None = None,
        kinds: Iterable[Kind] | None = None,
        skip: int = 0,
    ) -> dict[str, Any]:
        """One bounded page of a finished session's recording in [start, end) (Unix s); audited."""
        with self.sessions.begin() as db:
            row = db.get(TrainingSession, session_id)
            if row is None or row.state not in FINISHED:
                raise UserError(f"没有已结束的会话 {session_id}", f"no finished session {session_id}")
            subject = session_subject(db, session_id, now)
            detail = {"start": start, "end": end, "skip": skip}
            require(db, actor, Action.VIEW, Resource.HISTORY, subject, f"session:{session_id}", now, detail)
            files = recording_files(row, self.recordings_dir)
            station = row.station.name if row.station else "?"
        files = _readable(files)
        if not files:
            raise UserError(f"会话 {session_id} 没有录制文件", f"session {session_id} has no recording")
        return {
            "station": station,
            "session": session_id,
            **_page(merged(files, kinds, start, end), start, skip),
        }

    def finished_subject(self, session_id: str, now: datetime) -> tuple[str, Any] | None:
        """(station, Subject) of a finished session, for comments after the end; None if not finished."""
        with self.sessions() as db:
            row = db.get(TrainingSession, session_id)
            if row is None or row.state not in FINISHED or row.station is None:
                return None
            return row.station.name, session_subject(db, session_id, now)

    def add_comment(self, envelope: Envelope) -> Path:
        """Store a comment made after the session ended next to its recordings (one small MCAP file)."""
        path = self.recordings_dir / f"{envelope.station}_{envelope.session}-comment-{envelope.seq}.mcap"
        with SessionWriter(path, envelope.station, envelope.session) as writer:
            writer.write(Kind.COMMENT, envelope)
        return path
