"""A small school for the privacy tests: every role, two classes, a session with a recording and a clip."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from lab.auth.permissions import Actor
from lab.store.models import (
    Attempt,
    Consent,
    ConsentGiver,
    ConsentKind,
    Learner,
    Role,
    SchoolClass,
    TrainingSession,
    User,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class World:
    """A small school: every role, two classes, learners with sessions, a recording and a clip."""

    sessions: sessionmaker[Session]
    clips_dir: Path
    admin: Actor
    auditor: Actor
    instructor: Actor
    other_instructor: Actor
    mentor: Actor
    student: Actor
    learner_code: str  # the student's learner record, in the instructor's class
    other_learner_code: str  # in the other instructor's class
    session_id: str  # the student's session at T0
    recording: Path
    clip: Path


def _user(db: Session, login: str, role: Role) -> Actor:
    user = User(login=login, display_name=f"Name-of-{login}", role=role, created_at=T0)
    db.add(user)
    db.flush()
    return Actor(user.id, login, role)


def build_world(sessions: sessionmaker[Session], tmp_path: Path) -> World:
    clips_dir = tmp_path / "clips"
    with sessions.begin() as db:
        admin = _user(db, "root", Role.ADMIN)
        instructor = _user(db, "teacher", Role.INSTRUCTOR)
        other = _user(db, "teacher2", Role.INSTRUCTOR)
        students = _user(db, "stu", Role.STUDENT)
        actors = {
            "auditor": _user(db, "dpo", Role.AUDITOR),
            "mentor": _user(db, "mentor", Role.MENTOR),
        }
        class_a = SchoolClass(code="A1", name="Crane A", instructor_id=instructor.user_id, created_at=T0)
        class_b = SchoolClass(code="B1", name="Crane B", instructor_id=other.user_id, created_at=T0)
        learner = Learner(code="L001", user_id=students.user_id, school_class=class_a, created_at=T0)
        other_learner = Learner(code="L002", school_class=class_b, created_at=T0)
        db.add_all([class_a, class_b, learner, other_learner])
        db.flush()
        recording = tmp_path / "recordings" / "s1.mcap"
        recording.parent.mkdir()
        recording.write_bytes(b"keypoints")
        session = TrainingSession(
            id="s1", learner_id=learner.id, scenario_id="crane.bridge_lift", started_at=T0,
            ended_at=T0 + timedelta(minutes=20), recording_path=str(recording),
        )  # fmt: skip
        db.add(session)
        db.add(Attempt(learner_id=learner.id, session_id="s1", scenario_id="crane.bridge_lift", seed=1,
                       passed=True, score=0.8, started_at=T0))  # fmt: skip
        db.add(
            Consent(
                learner=learner, kind=ConsentKind.STORE_CLIPS, granted_by=ConsentGiver.SELF, granted_at=T0
            )
        )
    clip = clips_dir / "s1" / "clip-0001.mp4"
    clip.parent.mkdir(parents=True)
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(32))
    os.utime(clip, (T0.timestamp(), T0.timestamp()))
    return World(
        sessions, clips_dir, admin, actors["auditor"], instructor, other, actors["mentor"], students,
        "L001", "L002", "s1", recording, clip,
    )  # fmt: skip
