"""The lab both apps are tested in: a migrated SQLite store with a class, its instructor and two
students with learner records, and where screenshots go. Imported by the station and instructor conftests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lab.auth.accounts import actor_of, create_user
from lab.store.models import Learner, Role, SchoolClass
from lab.store.types import utc_now
from station_app.admin.support import open_store

ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"
PASSWORDS = {
    "root": "correct horse battery staple",
    "wang": "teach-cranes-2026",
    "li": "lift-it-safely",
    "zhao": "zhao-student-pw",
}


@pytest.fixture
def lab_store(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    sessions = open_store(sqlite_url)
    now = utc_now()
    with sessions.begin() as db:
        root = actor_of(create_user(db, None, "root", "Root", Role.ADMIN, PASSWORDS["root"], now))
        wang = create_user(db, root, "wang", "Wang", Role.INSTRUCTOR, PASSWORDS["wang"], now)
        li = create_user(db, root, "li", "Li", Role.STUDENT, PASSWORDS["li"], now)
        zhao = create_user(db, root, "zhao", "Zhao", Role.STUDENT, PASSWORDS["zhao"], now)
        db.add(SchoolClass(code="2A", name="Crane 2A", instructor_id=wang.id))
        db.flush()
        class_id = db.scalar(select(SchoolClass.id).where(SchoolClass.code == "2A"))
        db.add_all(
            [
                Learner(code="L001", class_id=class_id, user_id=li.id),
                Learner(code="L002", class_id=class_id, user_id=zhao.id),
            ]
        )
    yield sessions
    sessions.kw["bind"].dispose()


def screenshot(widget, name: str) -> Path:
    """Save what the widget shows for a reviewer (tests/_artifacts is gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    assert widget.grab().save(str(path)), path
    return path
