"""`shixun audit verify|head|show`: check the hash chain, anchor its head, read the log (auditor)."""

from __future__ import annotations

import argparse
import re

from lab.bus.text import UserError
from station_app.cli.context import Context
from station_app.cli.login import current_actor, now, store

_HEAD = re.compile(r"(\d{1,18}):([0-9a-f]{64})")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="the hash-chained audit log (auditor)")
    actions = parser.add_subparsers(dest="audit_action", metavar="ACTION", required=True)
    verify = actions.add_parser("verify", help="check the chain; report the first broken or missing entry")
    verify.add_argument(
        "--expect-head",
        metavar="SEQ:HASH",
        type=_head,
        help="a head kept outside (from `audit head`) that must still be there",
    )
    verify.set_defaults(handler=run_verify)
    actions.add_parser(
        "head", help="the newest entry as SEQ:HASH, to keep outside the database"
    ).set_defaults(handler=run_head)
    show = actions.add_parser("show", help="the newest entries")
    show.add_argument("--last", type=int, default=20, metavar="N", help="how many (default 20)")
    show.set_defaults(handler=run_show)


def _head(text: str) -> tuple[int, str]:
    match = _HEAD.fullmatch(text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError("expected SEQ:HASH (a number, a colon, 64 hex digits)")
    return int(match[1]), match[2]


# The store (SQLAlchemy) is imported inside the handlers: building the parser must stay fast.
def run_verify(args: argparse.Namespace, ctx: Context) -> int:
    from lab.audit import chain
    from lab.auth.access import require
    from lab.auth.permissions import Action, Resource

    at = now()
    with store(ctx) as db:
        actor = current_actor(ctx, db, at)
        result = chain.verify(db, expect_head=args.expect_head)  # checked before our own entry is added
        require(db, actor, Action.VIEW, Resource.AUDIT_LOG, None, "audit_log", at, {"verify": result.ok})
    if result.ok:
        human = (
            f"审计日志完好：{result.checked} 条，链头 {result.head_seq}"
            if ctx.lang == "zh"
            else f"audit log intact: {result.checked} entries, head {result.head_seq}"
        )
    else:
        assert result.reason is not None
        human = ("审计日志已损坏：" if ctx.lang == "zh" else "audit log BROKEN: ") + result.reason.get(
            ctx.lang
        )
    ctx.result(result.to_dict(), human)
    return 0 if result.ok else 1


def run_head(args: argparse.Namespace, ctx: Context) -> int:
    from lab.audit import chain
    from lab.auth.access import require
    from lab.auth.permissions import Action, Resource

    at = now()
    with store(ctx) as db:
        actor = current_actor(ctx, db, at)
        require(db, actor, Action.VIEW, Resource.AUDIT_LOG, None, "audit_log", at, {"head": True})
        last = chain.head(db)
        data = {"seq": last.seq, "hash": last.hash}
    ctx.result(data, f"{data['seq']}:{data['hash']}")
    return 0


def run_show(args: argparse.Namespace, ctx: Context) -> int:
    from sqlalchemy import select

    from lab.auth.access import require
    from lab.auth.permissions import Action, Resource
    from lab.store.models import AuditEntry

    if not 1 <= args.last <= 100_000:
        raise UserError("--last 应在 1 到 100000 之间", "--last must be from 1 to 100000")
    at = now()
    with store(ctx) as db:
        actor = current_actor(ctx, db, at)
        require(db, actor, Action.VIEW, Resource.AUDIT_LOG, None, "audit_log", at, {"last": args.last})
        entries = list(db.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(args.last)))[::-1]
        rows = [
            {
                "seq": e.seq,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "resource": e.resource,
                "detail": e.detail,
            }
            for e in entries
        ]
    lines = [f"{r['seq']:>6} {r['at'][:19]} {r['actor']:<24} {r['action']:<28} {r['resource']}" for r in rows]
    ctx.result(rows, "\n".join(lines))
    return 0
