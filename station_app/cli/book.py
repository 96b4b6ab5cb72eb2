"""`shixun book`: one-off and recurring bookings, listing, approval, check-in and no-show release."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from lab.scheduling.rules import local_span
from station_app.cli.context import Context

# Bookings and the store (SQLAlchemy) are imported inside the handlers, so building the parser
# stays fast.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from lab.store.models import Booking


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "book", help="book stations and rigs; list, approve, check in, release no-shows"
    )
    actions = parser.add_subparsers(dest="book_action", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="book a resource, once or recurring (RFC 5545 RRULE)")
    create.add_argument("equipment", help='equipment name, e.g. "station 3"')
    create.add_argument("--from", dest="start", required=True, metavar="TIME", help="e.g. 2026-11-24 14:00")
    create.add_argument("--to", dest="end", required=True, metavar="TIME", help="end of the (first) booking")
    _party_options(create)
    create.add_argument("--repeat", metavar="RRULE", help="e.g. FREQ=WEEKLY;BYDAY=TU,TH;COUNT=8")
    create.add_argument(
        "--skip-conflicts", action="store_true", help="book the free occurrences, report the rest"
    )
    create.add_argument("--note", default="")
    create.set_defaults(handler=run_create)

    listing = actions.add_parser("list", help="bookings in a period (default: this week)")
    listing.add_argument("--from", dest="start", metavar="DAY", help="first day (default: today)")
    listing.add_argument("--days", type=int, default=7)
    listing.add_argument("--equipment")
    _party_options(listing)
    listing.set_defaults(handler=run_list)

    for name, handler, text in (
        ("cancel", run_cancel, "cancel a booking"),
        ("approve", run_approve, "approve a booking awaiting approval"),
        ("reject", run_reject, "reject a booking awaiting approval"),
        ("checkin", run_checkin, "check in (from 15 min before the start)"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("booking", type=int, help="booking id")
        action.set_defaults(handler=handler)

    release = actions.add_parser("release", help="release no-shows on check-in resources (run every minute)")
    release.set_defaults(handler=run_release)


def _party_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--class", dest="class_code", metavar="CODE")
    parser.add_argument("--learner", metavar="CODE")
    parser.add_argument("--instructor", metavar="LOGIN")


def run_create(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.permissions import Action
    from lab.scheduling import bookings
    from lab.scheduling.registry import get_equipment
    from lab.store.types import utc_now
    from station_app.admin.support import admin_settings, parse_when, store_transaction

    tz = admin_settings(ctx.config).tz
    start, end = parse_when(args.start, tz), parse_when(args.end, tz)
    with store_transaction(ctx, Action.EDIT, f"equipment:{args.equipment}") as session:
        equipment = get_equipment(session, args.equipment)
        parties = bookings.resolve_parties(
            session, args.class_code, args.learner, args.instructor, session.info["actor"].login
        )
        now = utc_now()
        if args.repeat:
            series = bookings.book_series(
                session, equipment, start, end - start, args.repeat, parties,
                now=now, tz=tz, skip_conflicts=args.skip_conflicts, note=args.note,
            )  # fmt: skip
            made, skipped = series.booked, series.skipped
        else:
            made = [bookings.book(session, equipment, start, end, parties, now=now, tz=tz, note=args.note)]
            skipped = []
        data = {
            "booked": [_row(b, tz) for b in made],
            "skipped": [
                {"starts_at": s.isoformat(), "ends_at": e.isoformat(), "reason": why.text.to_dict()}
                for s, e, why in skipped
            ],
        }
    for s, _, why in skipped:
        ctx.say(
            f"跳过 {s.astimezone(tz):%Y-%m-%d}：{why.text.zh}",
            f"skipped {s.astimezone(tz):%Y-%m-%d}: {why.text.en}",
        )
    lines = [f"#{b['id']} {b['equipment']} {b['day']} {b['span']} {b['status']}" for b in data["booked"]]
    ctx.result(data, "\n".join(lines) or "-")
    return 0


def _row(booking: Booking, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": booking.id,
        "equipment": booking.equipment.name if booking.equipment else booking.equipment_id,
        "day": f"{booking.starts_at.astimezone(tz):%Y-%m-%d}",
        "span": local_span(booking.starts_at, booking.ends_at, tz),
        "status": booking.status.value,
        "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(),
    }


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.permissions import Action
    from lab.scheduling import bookings
    from lab.scheduling.registry import get_equipment
    from lab.store.types import utc_now
    from station_app.admin.support import admin_settings, parse_day, store_transaction

    tz = admin_settings(ctx.config).tz
    first = parse_day(args.start) if args.start else utc_now().astimezone(tz).date()
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    with store_transaction(ctx, Action.VIEW, "bookings") as session:
        filters = {}
        if args.equipment:
            filters["equipment_id"] = get_equipment(session, args.equipment).id
        if args.class_code or args.learner or args.instructor:
            parties = bookings.resolve_parties(session, args.class_code, args.learner, args.instructor)
            filters.update(
                class_id=parties.school_class.id if parties.school_class else None,
                learner_id=parties.learner.id if parties.learner else None,
                instructor_id=parties.instructor.id if parties.instructor else None,
            )
        views = bookings.list_bookings(session, start, start + timedelta(days=args.days), **filters)
    lines = [
        f"#{v.id:<5} {v.starts_at.astimezone(tz):%Y-%m-%d %a} {local_span(v.starts_at, v.ends_at, tz):<12} "
        f"{v.equipment:<14} {v.holder.get(ctx.lang):<14} {v.status.value}"
        for v in views
    ]
    ctx.result([v.to_dict() for v in views], "\n".join(lines) or "-")
    return 0


def _change(ctx: Context, booking_id: int, action: Callable[[Session, int], Booking]) -> int:
    from lab.auth.permissions import Action
    from station_app.admin.support import admin_settings, store_transaction

    tz = admin_settings(ctx.config).tz
    with store_transaction(ctx, Action.EDIT, f"booking:{booking_id}") as session:
        row = _row(action(session, booking_id), tz)
    ctx.result(row, f"#{row['id']} {row['day']} {row['span']} {row['status']}")
    return 0


def run_cancel(args: argparse.Namespace, ctx: Context) -> int:
    from lab.scheduling import bookings

    return _change(ctx, args.booking, bookings.cancel)


def run_approve(args: argparse.Namespace, ctx: Context) -> int:
    from lab.scheduling import bookings

    return _change(ctx, args.booking, bookings.approve)


def run_reject(args: argparse.Namespace, ctx: Context) -> int:
    from lab.scheduling import bookings

    return _change(ctx, args.booking, bookings.reject)


def run_checkin(args: argparse.Namespace, ctx: Context) -> int:
    from lab.scheduling import bookings
    from lab.store.types import utc_now

    return _change(
        ctx, args.booking, lambda session, booking_id: bookings.check_in(session, booking_id, utc_now())
    )


def run_release(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.permissions import Action
    from lab.scheduling import bookings
    from lab.store.types import utc_now
    from station_app.admin.support import admin_settings, store_transaction

    tz = admin_settings(ctx.config).tz
    with store_transaction(ctx, Action.EDIT, "bookings:no-shows") as session:
        released = [_row(b, tz) for b in bookings.release_no_shows(session, utc_now())]
    ctx.say(f"已释放 {len(released)} 个未签到预约", f"released {len(released)} no-show bookings")
    ctx.result(
        released, "\n".join(f"#{r['id']} {r['equipment']} {r['day']} {r['span']}" for r in released) or "-"
    )
    return 0
