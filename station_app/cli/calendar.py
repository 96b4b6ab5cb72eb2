"""`shixun calendar export`: an iCalendar (.ics) file per resource, class or learner, for calendar apps.

Subscribing: write the file where the calendar app can read it (a shared folder or web root) and
re-run the export on a schedule; events keep their UIDs, so subscribers see updates in place.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path

from lab.auth.permissions import Action
from lab.bus.text import Text, UserError
from lab.scheduling.bookings import list_bookings, resolve_parties
from lab.scheduling.ical import to_ical
from lab.scheduling.registry import get_equipment
from lab.store.types import utc_now
from station_app.admin.support import admin_settings, parse_day, store_transaction
from station_app.cli.context import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("calendar", help="iCalendar export per resource, class or learner")
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


def run_export(args: argparse.Namespace, ctx: Context) -> int:
    tz = admin_settings(ctx.config).tz
    if args.days < 1:
        raise UserError("--days 应为正数", "--days must be positive")
    first = parse_day(args.start) if args.start else utc_now().astimezone(tz).date()
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    whose = args.equipment or args.class_code or args.learner
    with store_transaction(ctx, Action.EXPORT, f"calendar:{whose}") as session:
        if args.equipment:
            equipment = get_equipment(session, args.equipment)
            filters, title = (
                {"equipment_id": equipment.id},
                Text(f"{equipment.name} 预约", f"{equipment.name} bookings"),
            )
        else:
            parties = resolve_parties(session, class_code=args.class_code, learner_code=args.learner)
            if parties.school_class:
                code = parties.school_class.code
                filters, title = (
                    {"class_id": parties.school_class.id},
                    Text(f"班级 {code} 实训", f"class {code} practice"),
                )
            else:
                code = parties.learner.code
                filters, title = (
                    {"learner_id": parties.learner.id},
                    Text(f"学员 {code} 实训", f"learner {code} practice"),
                )
        views = list_bookings(session, start, start + timedelta(days=args.days), **filters)
    data = to_ical(views, title, ctx.lang, utc_now())
    if args.out:
        try:
            Path(args.out).write_bytes(data)
        except OSError as exc:
            raise UserError(
                f"无法写入 {args.out}：{exc.strerror}", f"cannot write {args.out}: {exc.strerror}"
            ) from None
        ctx.say(f"已导出 {len(views)} 个预约到 {args.out}", f"exported {len(views)} bookings to {args.out}")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0
