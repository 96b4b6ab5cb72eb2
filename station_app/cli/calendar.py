"""`shixun calendar`: iCalendar (.ics) per resource, class or learner — exported to a file, or served
as subscription feeds (`serve`) that calendar apps poll; events keep their UIDs across updates."""

from __future__ import annotations

import argparse
import secrets
import sys
from datetime import datetime
from pathlib import Path

from lab.bus.text import UserError
from station_app.cli.context import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "calendar", help="iCalendar export and subscription feeds per resource, class, learner"
    )
    actions = parser.add_subparsers(dest="calendar_action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write an .ics file (or to stdout)")
    whose = export.add_mutually_exclusive_group(required=True)
    whose.add_argument("--equipment", metavar="NAME")
    whose.add_argument("--class", dest="class_code", metavar="CODE")
    whose.add_argument("--learner", metavar="CODE")
    export.add_argument("--from", dest="start", metavar="DAY", help="first day (default: today)")
    export.add_argument("--days", type=int, default=120, help="how far ahead (default: a semester)")
    export.add_argument("--out", metavar="FILE", help="default: stdout")
    export.set_defaults(handler=run_export)

    feeds = actions.add_parser("serve", help="serve subscription feeds over HTTP (token in the URL)")
    feeds.add_argument("--host", default="127.0.0.1", help="default: loopback only")
    feeds.add_argument("--port", type=int, default=8808)
    feeds.add_argument("--token", help="the secret in every feed URL (default: a new random one, printed)")
    feeds.add_argument("--days", type=int, default=120, help="how far ahead each feed reaches")
    feeds.set_defaults(handler=run_serve)


def _positive_days(days: int) -> None:
    if days < 1:
        raise UserError("--days 应为正数", "--days must be positive")


def run_export(args: argparse.Namespace, ctx: Context) -> int:
    # iCalendar and the store (SQLAlchemy) are imported when run, so building the parser stays fast.
    from lab.auth.permissions import Action
    from lab.store.types import utc_now
    from station_app.admin.calendar_feed import feed
    from station_app.admin.support import admin_settings, parse_day, store_transaction

    tz = admin_settings(ctx.config).tz
    _positive_days(args.days)
    first = parse_day(args.start) if args.start else utc_now().astimezone(tz).date()
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    kind, key = next(
        (k, v)
        for k, v in (("equipment", args.equipment), ("class", args.class_code), ("learner", args.learner))
        if v
    )
    with store_transaction(ctx, Action.EXPORT, f"calendar:{kind}:{key}") as session:
        data = feed(session, kind, key, start, args.days, ctx.lang)
    if args.out:
        try:
            Path(args.out).write_bytes(data)
        except OSError as exc:
            raise UserError(
                f"无法写入 {args.out}：{exc.strerror}", f"cannot write {args.out}: {exc.strerror}"
            ) from None
        events = data.count(b"BEGIN:VEVENT")
        ctx.say(f"已导出 {events} 个预约到 {args.out}", f"exported {events} bookings to {args.out}")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def run_serve(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.permissions import Action
    from station_app.admin.calendar_feed import make_server, serve
    from station_app.admin.support import open_store, store_transaction

    _positive_days(args.days)
    with store_transaction(ctx, Action.EXPORT, f"calendar:feeds:{args.host}:{args.port}"):
        pass  # only someone allowed to export calendars may start the feeds; this is audited
    token = args.token or secrets.token_urlsafe(16)
    sessions = open_store(ctx.db_url)
    try:
        server = make_server(sessions, args.host, args.port, token, args.days, ctx.lang)
    except OSError as exc:
        raise UserError(
            f"无法监听 {args.host}:{args.port}：{exc.strerror}",
            f"cannot listen on {args.host}:{args.port}: {exc.strerror}",
        ) from None
    if not args.token:
        ctx.say(f"订阅令牌：{token}", f"subscription token: {token}")
    serve(server, lambda url: ctx.say(f"日历订阅地址：{url}", f"calendar feeds at {url}"))
    return 0
