"""`shixun learner add|invite|revoke|export|delete`: a learner's record, who may watch, and all their data.

`export` writes a zip (learner.json, recordings, and clips when the person may export clips);
`delete` shows what would go and deletes only with `--yes`. Both are audited.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from pathlib import Path

from lab.bus.text import UserError
from station_app.cli.context import Context
from station_app.cli.login import current_actor, now, store
from station_app.cli.purge import clips_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "learner", help="a learner's record: add, export all data, delete all data"
    )
    actions = parser.add_subparsers(dest="learner_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="register a learner by pseudonymous code (admin)")
    add.add_argument("code", metavar="CODE")
    add.add_argument("--class", dest="class_code", metavar="CLASS", help="code of an existing class")
    add.add_argument("--user", metavar="LOGIN", help="the learner's own student account")
    add.add_argument("--under-14", action="store_true", help="needs a guardian's consent (PIPL Art. 31)")
    add.set_defaults(handler=run_add)
    export = actions.add_parser("export", help="every piece of the learner's data, as a zip")
    export.add_argument("code", metavar="CODE")
    export.add_argument("--out", required=True, type=Path, metavar="FILE.zip")
    export.set_defaults(handler=run_export)
    invite = actions.add_parser("invite", help="let an enterprise mentor watch this learner's sessions")
    invite.add_argument("code", metavar="CODE")
    invite.add_argument("--mentor", required=True, metavar="LOGIN")
    invite.add_argument("--session", metavar="ID", help="only this session (default: all of the learner's)")
    invite.add_argument(
        "--start", type=_instant, metavar="ISO", help="e.g. 2026-11-24T09:00+08:00 (default: now)"
    )
    invite.add_argument("--hours", type=float, default=2.0, help="how long the invitation lasts (default 2)")
    invite.add_argument(
        "--video", action="store_true", help="video too, while live-video consent is in force"
    )
    invite.set_defaults(handler=run_invite)
    revoke = actions.add_parser("revoke", help="end a mentor's invitations to this learner at once")
    revoke.add_argument("code", metavar="CODE")
    revoke.add_argument("--mentor", required=True, metavar="LOGIN")
    revoke.set_defaults(handler=run_revoke)
    delete = actions.add_parser("delete", help="delete every piece of the learner's data (admin)")
    delete.add_argument("code", metavar="CODE")
    delete.add_argument("--yes", action="store_true", help="really delete (default: only show what would go)")
    delete.set_defaults(handler=run_delete)


def _instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected an ISO date-time such as 2026-11-24T09:00+08:00") from None
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError("give the time zone offset, e.g. 2026-11-24T09:00+08:00")
    return instant


def run_add(args: argparse.Namespace, ctx: Context) -> int:
    # The store (SQLAlchemy) is imported when run, so building the parser stays fast.
    from sqlalchemy import select

    from lab.auth.access import learner_subject, require
    from lab.auth.accounts import find_user
    from lab.auth.permissions import Action, Resource
    from lab.store.models import Learner, SchoolClass

    at = now()
    with store(ctx) as db:
        actor = current_actor(ctx, db, at)
        if db.scalar(select(Learner.id).where(Learner.code == args.code)) is not None:
            raise UserError(f"学员编号 {args.code} 已存在", f"learner code {args.code} exists already")
        learner = Learner(code=args.code, under_14=args.under_14, created_at=at)
        if args.class_code:
            learner.school_class = db.scalar(select(SchoolClass).where(SchoolClass.code == args.class_code))
            if learner.school_class is None:
                raise UserError(
                    f"没有编号为 {args.class_code} 的班级", f"no class with code {args.class_code}"
                )
        if args.user:
            learner.user = find_user(db, args.user)
        db.add(learner)
        db.flush()
        require(
            db,
            actor,
            Action.EDIT,
            Resource.LEARNER_RECORD,
            learner_subject(db, learner, at),
            f"learner:{args.code}",
            at,
        )
    ctx.result({"code": args.code}, args.code)
    return 0


def run_export(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.access import find_learner
    from lab.privacy.learner_data import export_learner

    if args.out.exists():
        raise UserError(f"{args.out} 已存在，不会覆盖", f"{args.out} exists; not overwriting it")
    at = now()
    with store(ctx) as db:
        actor = current_actor(ctx, db, at)
        export = export_learner(db, actor, find_learner(db, args.code), clips_dir(ctx), at)
        export.write_zip(args.out)  # inside the transaction: no audit record without the file
    data = {"out": str(args.out), "recordings": len(export.recordings), "clips": len(export.clips)}
    ctx.result(data, str(args.out))
    return 0


def run_delete(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.access import find_learner, learner_subject, require
    from lab.auth.permissions import Action, Resource
    from lab.privacy.learner_data import delete_learner, learner_files

    at = now()
    with store(ctx) as db:
        actor = current_actor(ctx, db, at)
        learner = find_learner(db, args.code)
        if not args.yes:
            require(
                db,
                actor,
                Action.DELETE,
                Resource.LEARNER_RECORD,
                learner_subject(db, learner, at),
                f"learner:{args.code}",
                at,
                {"dry_run": True},
            )
            data = {
                "code": args.code,
                "deleted": False,
                "files": len(learner_files(db, learner, clips_dir(ctx))),
            }
        else:
            data = {
                "code": args.code,
                "deleted": True,
                **delete_learner(db, actor, learner, clips_dir(ctx), at),
            }
    if ctx.lang == "zh":
        human = (
            f"已删除学员 {args.code} 的全部数据"
            if args.yes
            else f"将删除学员 {args.code} 的全部数据（{data['files']} 个文件）；加 --yes 才会删除"
        )
    else:
        human = (
            f"deleted every piece of data of learner {args.code}"
            if args.yes
            else f"would delete all data of learner {args.code} ({data['files']} files); add --yes to delete"
        )
    ctx.result(data, human)
    return 0


def run_invite(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.access import find_learner
    from lab.auth.invitations import invite

    if not 0 < args.hours <= 24 * 365:
        raise UserError("--hours 应在 0 到 8760 之间", "--hours must be more than 0 and at most 8760")
    at = now()
    start = args.start or at
    with store(ctx) as db:
        learner = find_learner(db, args.code)
        end = start + timedelta(hours=args.hours)
        invitation = invite(
            db, current_actor(ctx, db, at), args.mentor, learner, start, end, at, args.session, args.video
        )
        data = {
            "id": invitation.id,
            "mentor": args.mentor,
            "learner": args.code,
            "session": args.session,
            "valid_from": start.isoformat(),
            "valid_until": end.isoformat(),
            "video": args.video,
        }
    ctx.result(data, f"{args.mentor} → {args.code}: {data['valid_from']} – {data['valid_until']}")
    return 0


def run_revoke(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.access import find_learner
    from lab.auth.invitations import revoke

    at = now()
    with store(ctx) as db:
        count = revoke(db, current_actor(ctx, db, at), args.mentor, find_learner(db, args.code), at)
    human = f"已撤销 {count} 个邀请" if ctx.lang == "zh" else f"revoked {count} invitation(s)"
    ctx.result({"mentor": args.mentor, "learner": args.code, "revoked": count}, human)
    return 0
