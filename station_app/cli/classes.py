"""`shixun class add|list`: the teaching classes learners belong to and bookings are made for.

Who may do it is the permission matrix's answer (`lab.auth.permissions`), which has no row of its
own for classes: naming a class's instructor gives that instructor CLASS scope over its learners,
so adding a class is a permission change (EDIT on accounts: admins); listing classes is lab
organisation, like equipment and bookings (VIEW on equipment: admins and instructors). Both are
checked and audited by `lab.auth.access.require`.
"""

from __future__ import annotations

import argparse

from lab.bus.text import UserError
from station_app.cli.context import Context
from station_app.cli.login import current_actor, now, store

# The store and its permission checks (SQLAlchemy, argon2) are imported inside the handlers so that
# building the parser stays fast.


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("class", help="teaching classes: add, list")
    actions = parser.add_subparsers(dest="class_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a class (admin), optionally with its instructor")
    add.add_argument("code", metavar="CODE", help="short code, e.g. 2A")
    add.add_argument("--name", required=True, metavar="NAME", help="e.g. 'Crane operation 2A'")
    add.add_argument("--instructor", metavar="LOGIN", help="the instructor account in charge of the class")
    add.set_defaults(handler=run_add)
    listing = actions.add_parser("list", help="classes, their instructors and number of learners")
    listing.set_defaults(handler=run_list)


def _checked_text(value: str, limit: int, zh_what: str, en_what: str) -> str:
    text = value.strip()
    if not 0 < len(text) <= limit:
        raise UserError(f"{zh_what}须为 1–{limit} 个字符", f"the {en_what} must have 1-{limit} characters")
    return text


def run_add(args: argparse.Namespace, ctx: Context) -> int:
    from sqlalchemy import select

    from lab.auth.access import require
    from lab.auth.accounts import find_user
    from lab.auth.permissions import Action, Resource
    from lab.store.models import Role, SchoolClass

    code = _checked_text(args.code, SchoolClass.code.type.length, "班级编号", "class code")
    name = _checked_text(args.name, SchoolClass.name.type.length, "班级名称", "class name")
    at = now()
    with store(ctx) as db:
        actor = current_actor(ctx, db, at)
        require(db, actor, Action.EDIT, Resource.ACCOUNTS, None, f"class:{code}", at, {"op": "class_add"})
        if db.scalar(select(SchoolClass.id).where(SchoolClass.code == code)) is not None:
            raise UserError(f"班级编号 {code} 已存在", f"class code {code} exists already")
        instructor = None
        if args.instructor:
            instructor = find_user(db, args.instructor)
            if instructor.role is not Role.INSTRUCTOR:
                raise UserError(
                    f"{args.instructor} 不是教师账号（角色 {instructor.role.value}）",
                    f"{args.instructor} is not an instructor account (role {instructor.role.value})",
                )
        db.add(SchoolClass(code=code, name=name, instructor=instructor, created_at=at))
    data = {"code": code, "name": name, "instructor": instructor.login if instructor else None}
    ctx.result(data, code)
    return 0


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    from sqlalchemy import func, select

    from lab.auth.access import require
    from lab.auth.permissions import Action, Resource
    from lab.store.models import Learner, SchoolClass

    at = now()
    with store(ctx) as db:
        actor = current_actor(ctx, db, at)
        require(db, actor, Action.VIEW, Resource.EQUIPMENT, None, "classes", at)
        learners = select(Learner.class_id, func.count().label("n")).group_by(Learner.class_id).subquery()
        rows = db.execute(
            select(SchoolClass, func.coalesce(learners.c.n, 0))
            .outerjoin(learners, learners.c.class_id == SchoolClass.id)
            .order_by(SchoolClass.code)
        ).all()
        classes = [
            {
                "code": school_class.code,
                "name": school_class.name,
                "instructor": school_class.instructor.login if school_class.instructor else None,
                "learners": int(count),
            }
            for school_class, count in rows
        ]
    human = "\n".join(f"{c['code']}\t{c['name']}\t{c['instructor'] or '—'}\t{c['learners']}" for c in classes)
    ctx.result(classes, human)
    return 0
