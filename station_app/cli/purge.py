"""`shixun purge [--apply]`: delete what has outlived its retention period (dry run by default).

Retention per data kind comes from the `[privacy]` settings; nonsensical settings (audit log under
six months, clips kept longer than keypoints, ...) are refused before anything is looked at.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lab.privacy.retention import RetentionPolicy
from station_app.cli.context import Context
from station_app.cli.login import current_actor, now, store

_ZH = {
    "clips": "视频片段",
    "keypoints": "关键点与录制",
    "learner_records": "学员档案",
    "audit_log": "审计记录",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "purge", help="delete data past its retention period (dry run unless --apply; admin)"
    )
    parser.add_argument("--apply", action="store_true", help="really delete (default: only report)")
    parser.set_defaults(handler=run)


def retention_policy(ctx: Context) -> RetentionPolicy:
    get = ctx.config.get
    return RetentionPolicy(
        clips_days=get("privacy", "clip_retention_days"),
        keypoints_days=get("privacy", "keypoint_retention_days"),
        learner_records_days=get("privacy", "learner_record_retention_days"),
        audit_days=get("privacy", "audit_retention_days"),
    ).validate()


def clips_dir(ctx: Context) -> Path:
    configured = ctx.config.get("privacy", "clips_dir")
    return Path(configured) if configured else ctx.config.data_dir / "clips"


def run(args: argparse.Namespace, ctx: Context) -> int:
    from lab.privacy.purge import apply_purge, plan_purge  # the store (SQLAlchemy): only when run

    policy = retention_policy(ctx)
    at = now()
    folder = clips_dir(ctx)
    with store(ctx) as db:
        actor = current_actor(ctx, db, at)
        plan = plan_purge(db, actor, policy, folder, at)
        counts = apply_purge(db, actor, plan, folder) if args.apply else plan.counts()
    data = {**plan.to_dict(), "applied": args.apply}
    days = data["retention_days"]
    if ctx.lang == "zh":
        head = "已删除" if args.apply else "将删除（试运行，加 --apply 才会删除）"
        lines = [head] + [f"  {_ZH[kind]}：{n}（保留 {days[kind]} 天）" for kind, n in counts.items()]
    else:
        head = "deleted" if args.apply else "would delete (dry run; add --apply to delete)"
        lines = [head] + [f"  {kind}: {n} (kept {days[kind]} days)" for kind, n in counts.items()]
    ctx.result(data, "\n".join(lines))
    return 0
