"""`shixun consent show|grant|withdraw`: a learner's separate consents (live video, keeping clips).

Under-14s need a guardian's consent, recorded by an instructor or admin (`--by guardian`).
Withdrawal takes effect at once; clips are then deleted by the next `shixun purge --apply`.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from station_app.cli.context import Context
from station_app.cli.login import current_actor, now, store

# The store (SQLAlchemy) is imported inside the handlers so that building the parser stays fast;
# the choices below are lab.store.models.ConsentKind and ConsentGiver (a test keeps them equal).
if TYPE_CHECKING:
    from lab.privacy.consent_records import ConsentStatus

KINDS = ("live_video", "store_clips")
GIVERS = ("self", "guardian")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "consent", help="a learner's consents: live video to mentors, keeping clips"
    )
    actions = parser.add_subparsers(dest="consent_action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="which consents are in force")
    show.add_argument("code", metavar="LEARNER")
    show.set_defaults(handler=run_show)
    grant = actions.add_parser("grant", help="record a consent")
    grant.add_argument("code", metavar="LEARNER")
    grant.add_argument("--kind", required=True, choices=KINDS)
    grant.add_argument("--by", required=True, choices=GIVERS, help="who consents")
    grant.set_defaults(handler=run_grant)
    withdraw = actions.add_parser("withdraw", help="withdraw a consent (effective at once)")
    withdraw.add_argument("code", metavar="LEARNER")
    withdraw.add_argument("--kind", required=True, choices=KINDS)
    withdraw.set_defaults(handler=run_withdraw)


def _report(ctx: Context, status: ConsentStatus) -> None:
    yes, no = ("是", "否") if ctx.lang == "zh" else ("yes", "no")
    if ctx.lang == "zh":
        human = f"{status.learner_code}：直播视频 {yes if status.live_video else no}，保存片段 {yes if status.store_clips else no}"
    else:
        human = f"{status.learner_code}: live video {yes if status.live_video else no}, keep clips {yes if status.store_clips else no}"
    ctx.result(status.to_dict(), human)


def run_show(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.access import find_learner
    from lab.privacy import consent_records

    at = now()
    with store(ctx) as db:
        status = consent_records.show(db, current_actor(ctx, db, at), find_learner(db, args.code), at)
    _report(ctx, status)
    return 0


def run_grant(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.access import find_learner
    from lab.privacy import consent_records
    from lab.store.models import ConsentGiver, ConsentKind

    at = now()
    with store(ctx) as db:
        learner = find_learner(db, args.code)
        consent_records.grant(
            db, current_actor(ctx, db, at), learner, ConsentKind(args.kind), ConsentGiver(args.by), at
        )
        status = consent_records.status(learner, at)
    _report(ctx, status)
    return 0


def run_withdraw(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.access import find_learner
    from lab.privacy import consent_records
    from lab.store.models import ConsentKind

    at = now()
    with store(ctx) as db:
        learner = find_learner(db, args.code)
        consent_records.withdraw(db, current_actor(ctx, db, at), learner, ConsentKind(args.kind), at)
        status = consent_records.status(learner, at)
    if args.kind == ConsentKind.STORE_CLIPS:
        ctx.say(
            "已保存的视频片段将在下一次 shixun purge --apply 时删除",
            "stored clips are deleted by the next `shixun purge --apply`",
        )
    else:
        ctx.say("直播视频立即停止；骨架关键点照常", "live video stops at once; keypoints continue")
    _report(ctx, status)
    return 0
