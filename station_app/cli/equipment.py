"""`shixun equipment`: the registry (stations, cameras, edge boxes, rigs), blackouts and device health."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from typing import Any

from lab.bus.text import UserError
from lab.scheduling.rules import local_span
from station_app.cli.context import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "equipment", help="register equipment, set rules and blackouts, see device health"
    )
    actions = parser.add_subparsers(dest="equipment_action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="register a station, camera, edge box, rig or other resource")
    add.add_argument("kind", help="station, camera, edge_box, rig or other")
    add.add_argument("name", help='unique name, e.g. "station 3"')
    _describe_options(add)
    add.set_defaults(handler=run_add)

    listing = actions.add_parser("list", help="all equipment with status and capabilities")
    listing.add_argument("--kind", help="only this kind")
    listing.set_defaults(handler=run_list)

    change = actions.add_parser("set", help="change location, status, scenarios, rules or bus id")
    change.add_argument("name")
    _describe_options(change)
    change.add_argument("--status", help="available, unavailable or hidden")
    change.add_argument("--reason", help="why (e.g. maintenance)")
    change.add_argument("--bus-id", help="the id the device uses on the bus, e.g. st03")
    change.set_defaults(handler=run_set)

    train = actions.add_parser("train", help="mark learners (codes) or users (logins) as trained on it")
    train.add_argument("name")
    train.add_argument("who", nargs="+")
    train.add_argument("--remove", action="store_true", help="withdraw instead")
    train.set_defaults(handler=run_train)

    blackout = actions.add_parser("blackout", help="a maintenance window during which it cannot be booked")
    blackout.add_argument("name")
    blackout.add_argument("--from", dest="start", required=True, metavar="TIME", help="e.g. 2026-11-24 13:00")
    blackout.add_argument("--to", dest="end", required=True, metavar="TIME")
    blackout.add_argument("--reason", default="")
    blackout.add_argument(
        "--cancel-bookings", action="store_true", help="cancel bookings it hits (default: list them)"
    )
    blackout.set_defaults(handler=run_blackout)

    health = actions.add_parser("health", help="online/degraded/offline per device, and alerts")
    health.set_defaults(handler=run_health)

    beat = actions.add_parser("heartbeat", help="record a heartbeat by hand (stations send them on the bus)")
    beat.add_argument("name", help="equipment name or bus id")
    beat.add_argument("body", help='JSON, e.g. {"fps": 30, "latency_ms": 40, "cpu_percent": 50}')
    beat.set_defaults(handler=run_heartbeat)


def _describe_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--location")
    parser.add_argument("--scenarios", help="comma-separated scenario ids it can run")
    parser.add_argument(
        "--rule", action="append", default=[], metavar="KEY=VALUE", help="booking rule, repeatable"
    )


def _scenarios(text: str | None) -> list[str] | None:
    return None if text is None else [s.strip() for s in text.split(",") if s.strip()]


def _human(item: dict[str, Any]) -> str:
    reason = f" ({item['status_reason']})" if item["status_reason"] else ""
    scenarios = ",".join(item["scenarios"]) or "-"
    return f"{item['id']:>3}  {item['kind']:<8} {item['name']:<16} {item['location']:<12} {item['status']}{reason}  [{scenarios}]"


def run_add(args: argparse.Namespace, ctx: Context) -> int:
    # The registry and the store (SQLAlchemy) are imported when run, so building the parser stays fast.
    from lab.auth.permissions import Action
    from lab.scheduling import registry
    from station_app.admin.support import parse_rule_pairs, store_transaction

    with store_transaction(ctx, Action.EDIT, f"equipment:{args.name}") as session:
        item = registry.add_equipment(
            session, registry.parse_kind(args.kind), args.name, args.location or "",
            _scenarios(args.scenarios) or [], parse_rule_pairs(args.rule),
        )  # fmt: skip
        data = registry.equipment_dict(item)
    ctx.result(data, _human(data))
    return 0


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.permissions import Action
    from lab.scheduling import registry
    from station_app.admin.support import store_transaction

    with store_transaction(ctx, Action.VIEW, "equipment") as session:
        kind = registry.parse_kind(args.kind) if args.kind else None
        items = [registry.equipment_dict(e) for e in registry.list_equipment(session, kind)]
    ctx.result(items, "\n".join(_human(i) for i in items) or "-")
    return 0


def run_set(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.permissions import Action
    from lab.health.monitor import set_bus_id
    from lab.scheduling import registry
    from station_app.admin.support import parse_rule_pairs, store_transaction

    with store_transaction(ctx, Action.EDIT, f"equipment:{args.name}") as session:
        item = registry.get_equipment(session, args.name)
        if args.location is not None:
            item.location = args.location
        if args.status is not None:
            registry.set_status(item, registry.parse_status(args.status), args.reason)
        if args.scenarios is not None:
            registry.set_scenarios(item, _scenarios(args.scenarios) or [])
        if args.rule:
            registry.set_rules(item, parse_rule_pairs(args.rule))
        if args.bus_id:
            set_bus_id(item, args.bus_id)
        session.flush()
        data = registry.equipment_dict(item)
    ctx.result(data, _human(data) + "\n" + json.dumps(data["rules"], ensure_ascii=False))
    return 0


def run_train(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.permissions import Action
    from lab.scheduling import registry
    from station_app.admin.support import store_transaction

    with store_transaction(ctx, Action.EDIT, f"equipment:{args.name}") as session:
        people = registry.set_trained(registry.get_equipment(session, args.name), args.who, not args.remove)
    ctx.result({"equipment": args.name, "trained": sorted(people)}, ", ".join(sorted(people)) or "-")
    return 0


def run_blackout(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.permissions import Action
    from lab.scheduling import registry
    from station_app.admin.support import admin_settings, parse_when, store_transaction

    tz = admin_settings(ctx.config).tz
    start, end = parse_when(args.start, tz), parse_when(args.end, tz)
    with store_transaction(ctx, Action.EDIT, f"equipment:{args.name}") as session:
        item = registry.get_equipment(session, args.name)
        blackout, hit = registry.add_blackout(session, item, start, end, args.reason, args.cancel_bookings)
        affected = [{"booking": b.id, "span": local_span(b.starts_at, b.ends_at, tz)} for b in hit]
    verb = ("已取消", "cancelled") if args.cancel_bookings else ("受影响", "affected")
    ctx.say(
        f"{args.name} 维护时段已登记；{verb[0]}的预约：{len(hit)}",
        f"{args.name} blackout added; bookings {verb[1]}: {len(hit)}",
    )
    ctx.result(
        {"blackout": blackout.id, "bookings": affected, "cancelled": args.cancel_bookings},
        "\n".join(f"#{a['booking']} {a['span']}" for a in affected) or "-",
    )
    return 0


def run_health(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.permissions import Action
    from lab.health.monitor import booked_down, health_report
    from lab.store.types import utc_now
    from station_app.admin.support import admin_settings, store_transaction

    settings = admin_settings(ctx.config)
    now = utc_now()
    with store_transaction(ctx, Action.VIEW, "equipment:health") as session:
        report = health_report(session, now, settings.thresholds)
        alerts = booked_down(session, now, settings.thresholds, settings.tz, lookahead=timedelta(minutes=30))
    lines = []
    for device in report:
        seen = f"{device.last_seen.astimezone(settings.tz):%m-%d %H:%M:%S}" if device.last_seen else "-"
        problems = "; ".join(p.get(ctx.lang) for p in device.problems)
        lines.append(f"{device.equipment:<16} {device.state.value:<9} {seen}  {problems}")
    lines += [f"! {a.message.get(ctx.lang)}" for a in alerts]
    ctx.result(
        {"devices": [d.to_dict() for d in report], "alerts": [a.to_dict() for a in alerts]}, "\n".join(lines)
    )
    return 0


def run_heartbeat(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.permissions import Action
    from lab.health.monitor import record_heartbeat
    from lab.store.types import utc_now
    from station_app.admin.support import admin_settings, store_transaction

    try:
        body = json.loads(args.body)
    except json.JSONDecodeError:
        raise UserError("心跳内容不是有效的 JSON", "the heartbeat body is not valid JSON") from None
    settings = admin_settings(ctx.config)
    with store_transaction(ctx, Action.EDIT, f"equipment:{args.name}") as session:
        row = record_heartbeat(session, args.name, body, utc_now(), settings.thresholds)
        data = {"equipment": args.name, "status": row.status.value, "metrics": row.metrics}
    ctx.result(data, f"{args.name}: {row.status.value}")
    return 0
