"""What the instructor console reads and writes in the store, as the logged-in instructor.

Every read of a learner's history and every change of difficulty goes through the permission
matrix (`lab.auth.access.require`: an instructor sees and changes only learners of their own
classes) and is audited. No Qt here: the tabs call these and show the results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lab.auth.access import learner_subject, require
from lab.auth.permissions import Action, Actor, Resource
from lab.store import attempts as store
from lab.store.models import Learner, SchoolClass
from lab.store.types import utc_now
from scenarios.overrides import Overrides
from scenarios.paramspace import Space
from station_app.instructor.assignments import assigned_scenario, members_in_scope
from station_app.runtime.store_link import preview_next


@dataclass(frozen=True)
class LearnerRow:
    """One learner in the roster: history summary, current estimates, their trajectory."""

    code: str
    class_code: str
    attempts: int
    passed: int
    last_score: float | None
    skills: dict[str, dict[str, float]]  # skill -> {theta, sd}, after the last attempt
    trajectory: dict[str, list[tuple[float, float]]]  # skill -> (attempt number, theta) incl. the start
    scores: list[tuple[float, float]]  # (attempt number, score)
    assigned: str | None


def my_classes(db: Session, actor: Actor) -> list[SchoolClass]:
    """The classes this instructor teaches (an instructor's roster is exactly these)."""
    return list(
        db.scalars(
            select(SchoolClass).where(SchoolClass.instructor_id == actor.user_id).order_by(SchoolClass.code)
        )
    )


def roster(db: Session, actor: Actor, space: Space) -> list[LearnerRow]:
    """Every learner of the instructor's classes, each read audited as a history view."""
    now = utc_now()
    rows = []
    for school_class in my_classes(db, actor):
        for learner in sorted(school_class.learners, key=lambda x: x.code):
            subject = learner_subject(db, learner, now)
            require(db, actor, Action.VIEW, Resource.HISTORY, subject, f"learner:{learner.code}", now)
            rows.append(_row(db, space, learner, school_class.code))
    return rows


def _row(db: Session, space: Space, learner: Learner, class_code: str) -> LearnerRow:
    state, attempts = store.learner_state(db, space, store.difficulty_model(db, space), learner)
    after = state.to_dict(space.skills)["skills"]
    trajectory: dict[str, list[tuple[float, float]]] = {s: [] for s in space.skills}
    for number, attempt in enumerate(attempts):
        before = (attempt.explanation or {}).get("estimates") or {}
        for skill in space.skills:
            if skill in before:
                trajectory[skill].append((float(number), float(before[skill]["theta"])))
    for skill in space.skills:
        trajectory[skill].append((float(len(attempts)), float(after[skill]["theta"])))
    scores = [(float(i + 1), float(a.score)) for i, a in enumerate(attempts) if a.score is not None]
    return LearnerRow(
        code=learner.code,
        class_code=class_code,
        attempts=len(attempts),
        passed=sum(1 for a in attempts if a.passed),
        last_score=scores[-1][1] if scores else None,
        skills={k: {"theta": round(v["theta"], 3), "sd": round(v["sd"], 3)} for k, v in after.items()},
        trajectory=trajectory,
        scores=scores,
        assigned=assigned_scenario(db, learner),
    )


def current_overrides(
    db: Session, space: Space, learner_code: str | None, class_code: str | None
) -> Overrides:
    """The overrides set for exactly this scope (a learner's own, or the class's), for editing."""
    return store.scope_overrides(db, space.spec.id, learner_code, class_code)


def save_overrides(
    db: Session,
    actor: Actor,
    space: Space,
    overrides: Overrides,
    learner_code: str | None,
    class_code: str | None,
) -> str:
    """Replace the overrides of one learner or one class (checked against the spec, audited)."""
    now = utc_now()
    scope = f"learner:{learner_code}" if learner_code is not None else f"class:{class_code}"
    for learner in members_in_scope(db, actor, learner_code, class_code):
        require(db, actor, Action.EDIT, Resource.DIFFICULTY, learner_subject(db, learner, now), scope, now)
    return store.save_overrides(db, space, overrides, actor.audit_name, learner_code, class_code)


def next_plan(
    sessions: sessionmaker[Session], actor: Actor, space: Space, learner_code: str
) -> dict[str, Any]:
    """The generator's plan and explanation for the learner's next attempt (nothing is stored)."""
    with sessions() as db, db.begin():
        learner = store.require_learner(db, learner_code)
        now = utc_now()
        require(
            db,
            actor,
            Action.VIEW,
            Resource.DIFFICULTY,
            learner_subject(db, learner, now),
            f"learner:{learner_code}",
            now,
        )
    return preview_next(sessions, space, learner_code)
