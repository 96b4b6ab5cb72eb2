"""Which scenario a learner trains next: an instructor's assignment to the learner or their class.

Assignments are rows of `scenario_assignments`: a new one ends the scope's current one, the learner's
own current assignment wins over their class's. Every assignment is also appended to the audit log
(`scenario.assign`, resource `learner:<code>` or `class:<code>`), so each change is on record with who
made it. No Qt here; the station reads it, the console writes it.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lab.audit import chain
from lab.auth.access import learner_subject, require
from lab.auth.permissions import Action, Actor, Resource
from lab.bus.text import UserError
from lab.store.attempts import require_learner
from lab.store.models import Learner, ScenarioAssignment, SchoolClass
from lab.store.types import utc_now
from scenarios.spec import catalog

ASSIGN_ACTION = "scenario.assign"
NOTE_MAX = 500  # the column's length (lab.store.models.ScenarioAssignment.note)


def assign(
    db: Session,
    actor: Actor,
    scenario_id: str,
    learner_code: str | None = None,
    class_code: str | None = None,
    note: str | None = None,
) -> str:
    """Assign a catalog scenario to one learner or a whole class (the instructor must teach them).

    The audit entry is appended first: on PostgreSQL its lock serialises concurrent assignments, so
    ending the current one and adding the new one never race."""
    if scenario_id not in catalog():
        raise UserError(f"未知场景 {scenario_id}", f"unknown scenario {scenario_id}")
    if (learner_code is None) == (class_code is None):
        raise UserError("请指定学员或班级之一", "give exactly one of a learner or a class")
    if note is not None and len(note) > NOTE_MAX:
        raise UserError(f"备注最多 {NOTE_MAX} 个字符", f"the note has at most {NOTE_MAX} characters")
    now = utc_now()
    members = members_in_scope(db, actor, learner_code, class_code)
    resource = f"learner:{learner_code}" if learner_code is not None else f"class:{class_code}"
    for member in members:  # the instructor must be allowed to change each member's difficulty
        require(db, actor, Action.EDIT, Resource.DIFFICULTY, learner_subject(db, member, now), resource, now)
    detail = {"scenario": scenario_id} | ({"note": note} if note else {})
    chain.append(db, actor.audit_name, ASSIGN_ACTION, resource, detail, now)
    if learner_code is not None:
        learner_id, class_id = members[0].id, None
        same_scope = ScenarioAssignment.learner_id == learner_id
    else:
        learner_id, class_id = None, db.scalar(select(SchoolClass.id).where(SchoolClass.code == class_code))
        same_scope = ScenarioAssignment.class_id == class_id
    db.execute(
        update(ScenarioAssignment)
        .where(same_scope, ScenarioAssignment.ended_at.is_(None))
        .values(ended_at=now)
    )
    db.add(
        ScenarioAssignment(
            learner_id=learner_id,
            class_id=class_id,
            scenario_id=scenario_id,
            note=note or None,
            created_by=actor.audit_name,
            created_at=now,
        )
    )
    db.flush()
    return resource


def members_in_scope(
    db: Session, actor: Actor, learner_code: str | None, class_code: str | None
) -> list[Learner]:
    """The learner, or the learners of a class the instructor teaches (UserError otherwise)."""
    if learner_code is not None:
        return [require_learner(db, learner_code)]
    school_class = db.scalar(select(SchoolClass).where(SchoolClass.code == class_code))
    if school_class is None:
        raise UserError(f"未知班级 {class_code}", f"unknown class {class_code}")
    if school_class.instructor_id != actor.user_id:
        raise UserError(f"您不是班级 {class_code} 的教师", f"you do not teach class {class_code}")
    return list(school_class.learners)


def assigned_scenario(db: Session, learner: Learner) -> str | None:
    """The learner's own current assignment, else their class's, else None."""
    scopes = [ScenarioAssignment.learner_id == learner.id]
    if learner.class_id is not None:
        scopes.append(ScenarioAssignment.class_id == learner.class_id)
    for scope in scopes:
        found = db.scalar(
            select(ScenarioAssignment.scenario_id).where(scope, ScenarioAssignment.ended_at.is_(None))
        )
        if found is not None:
            return found
    return None
