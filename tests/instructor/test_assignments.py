"""Scenario assignments in `scenario_assignments` (SQLite and PostgreSQL): the learner's own wins over
the class's, a new one ends the current one, each is an audit entry, and refusals store nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lab.audit import chain
from lab.auth.access import PermissionDenied
from lab.auth.permissions import Actor
from lab.bus.text import UserError
from lab.store.models import AuditEntry, Learner, Role, ScenarioAssignment, SchoolClass, User
from station_app.instructor.assignments import ASSIGN_ACTION, NOTE_MAX, assign, assigned_scenario

CRANE = "crane.bridge_lift"


@pytest.fixture
def wang(sessions: sessionmaker[Session]) -> Actor:
    """Instructor wang teaches class 2A (L001, L002); L003 has no class."""
    with sessions.begin() as db:
        user = User(login="wang", display_name="Wang", role=Role.INSTRUCTOR)
        db.add(user)
        db.flush()
        db.add(
            SchoolClass(
                code="2A",
                name="Crane 2A",
                instructor_id=user.id,
                learners=[Learner(code="L001"), Learner(code="L002")],
            )
        )
        db.add(Learner(code="L003"))
        return Actor(user.id, user.login, user.role)


def _assigned(sessions: sessionmaker[Session], code: str) -> str | None:
    with sessions() as db:
        return assigned_scenario(db, db.scalars(select(Learner).where(Learner.code == code)).one())


def test_learner_over_class_and_a_new_assignment_ends_the_current_one(sessions, wang) -> None:
    with sessions.begin() as db:
        assert assign(db, wang, CRANE, class_code="2A") == "class:2A"
    assert (_assigned(sessions, "L001"), _assigned(sessions, "L002"), _assigned(sessions, "L003")) == (
        CRANE,
        CRANE,
        None,  # no class: a class's assignment never reaches them
    )
    with sessions.begin() as db:
        assign(db, wang, CRANE, learner_code="L001", note="redo the corridor")
        assign(db, wang, CRANE, class_code="2A")  # again: the class's first one ends
    with sessions() as db:
        rows = list(db.scalars(select(ScenarioAssignment).order_by(ScenarioAssignment.id)))
        assert [(r.class_id is not None, r.note, r.created_by, r.ended_at is None) for r in rows] == [
            (True, None, "instructor:wang", False),
            (False, "redo the corridor", "instructor:wang", True),
            (True, None, "instructor:wang", True),
        ]
        assert rows[0].ended_at == rows[2].created_at
        entries = list(db.scalars(select(AuditEntry).where(AuditEntry.action == ASSIGN_ACTION)))
        assert [(e.resource, e.detail) for e in entries] == [
            ("class:2A", {"scenario": CRANE}),
            ("learner:L001", {"scenario": CRANE, "note": "redo the corridor"}),
            ("class:2A", {"scenario": CRANE}),
        ]
        assert chain.verify(db).ok
    assert _assigned(sessions, "L001") == CRANE


def test_refusals_store_no_assignment(sessions, wang) -> None:
    with sessions.begin() as db:
        outsider = User(login="li", display_name="Li", role=Role.INSTRUCTOR)
        db.add(outsider)
        db.flush()
        li = Actor(outsider.id, outsider.login, outsider.role)
    refusals = [
        (wang, {"scenario_id": "no.such", "class_code": "2A"}, UserError),
        (wang, {"scenario_id": CRANE}, UserError),
        (wang, {"scenario_id": CRANE, "class_code": "NOCLASS"}, UserError),
        (wang, {"scenario_id": CRANE, "learner_code": "L001", "note": "x" * (NOTE_MAX + 1)}, UserError),
        (li, {"scenario_id": CRANE, "class_code": "2A"}, UserError),  # not li's class
        (li, {"scenario_id": CRANE, "learner_code": "L001"}, PermissionDenied),
    ]
    for actor, kwargs, error in refusals:
        with pytest.raises(error), sessions() as db, db.begin():
            assign(db, actor, **kwargs)
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(ScenarioAssignment)) == 0
        assert chain.verify(db).ok
