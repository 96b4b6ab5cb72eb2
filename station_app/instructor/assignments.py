"""Which scenario a learner trains next: an instructor's assignment to the learner or their class.

Assignments are appended to the audit log (`scenario.assign`, resource `learner:<code>` or
`class:<code>`), like the generator overrides: the newest entry wins, the learner's over the class's,
and every change is on record with who made it. No Qt here; the station reads it, the console writes it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lab.audit import chain
from lab.auth.access import learner_subject, require
from lab.auth.permissions import Action, Actor, Resource
from lab.bus.text import UserError
from lab.store.attempts import require_learner
from lab.store.models import AuditEntry, Learner, SchoolClass
from lab.store.types import utc_now
from scenarios.spec import catalog

ASSIGN_ACTION = "scenario.assign"


def assign(
    db: Session,
    actor: Actor,
    scenario_id: str,
    learner_code: str | None = None,
    class_code: str | None = None,
) -> str:
    """Assign a catalog scenario to one learner or a whole class (the instructor must teach them)."""
    if scenario_id not in catalog():
        raise UserError(f"未知场景 {scenario_id}", f"unknown scenario {scenario_id}")
    if (learner_code is None) == (class_code is None):
        raise UserError("请指定学员或班级之一", "give exactly one of a learner or a class")
    now = utc_now()
    members = members_in_scope(db, actor, learner_code, class_code)
    resource = f"learner:{learner_code}" if learner_code is not None else f"class:{class_code}"
    for member in members:  # the instructor must be allowed to change each member's difficulty
        require(db, actor, Action.EDIT, Resource.DIFFICULTY, learner_subject(db, member, now), resource, now)
    chain.append(db, actor.audit_name, ASSIGN_ACTION, resource, {"scenario": scenario_id}, now)
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
    """The learner's own assignment, else their class's, else None."""
    scopes = [f"learner:{learner.code}"]
    if learner.school_class is not None:
        scopes.append(f"class:{learner.school_class.code}")
    for resource in scopes:
        entry = db.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == ASSIGN_ACTION, AuditEntry.resource == resource)
            .order_by(AuditEntry.seq.desc())
        ).first()
        if entry is not None:
            return str(entry.detail["scenario"])
    return None
