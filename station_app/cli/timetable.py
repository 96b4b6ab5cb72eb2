"""`shixun timetable`: propose a week's practice timetable with CP-SAT, then accept it into bookings.

The planner (and OR-Tools with it) and the store (SQLAlchemy) are imported by the handlers, so
building the parser stays fast."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from lab.bus.text import UserError
from station_app.cli.context import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "timetable", help="propose a week's practice timetable (CP-SAT) and accept it"
    )
    actions = parser.add_subparsers(dest="timetable_action", metavar="ACTION", required=True)

    prop = actions.add_parser(
        "propose",
        help="more station time where skill estimates lag, within capabilities, availability and blackouts",
    )
    prop.add_argument("--week", required=True, metavar="MONDAY", help="e.g. 2026-11-30")
    prop.add_argument(
        "--instructors", required=True, metavar="FILE", help="qualifications and availability (TOML/JSON)"
    )
    prop.add_argument(
        "--classes", metavar="CODES", help="comma-separated class codes (lags from the learner model)"
    )
    prop.add_argument("--scenarios", metavar="IDS", help="comma-separated scenario ids (with --classes)")
    prop.add_argument(
        "--needs", metavar="FILE", help='instead: [{"party": "class:2A", "scenario": ID, "lag": 0.7}]'
    )
    prop.add_argument("--base", type=int, default=1, help="required sessions per class and scenario")
    prop.add_argument("--extra", type=int, default=3, help="at most this many extra sessions per need")
    prop.add_argument("--seconds", type=float, help="solver time limit (default: config)")
    prop.add_argument("--out", metavar="FILE", help="write the proposal here for review and `accept`")
    prop.set_defaults(handler=run_propose)

    acc = actions.add_parser("accept", help="book a reviewed proposal")
    acc.add_argument("proposal", metavar="FILE")
    acc.set_defaults(handler=run_accept)


def _csv(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _needs_from_file(data: Any) -> list:
    from lab.scheduling.demand import Need
    from lab.scheduling.planner import BadPlanInput

    if not isinstance(data, list) or not data:
        raise BadPlanInput("需求文件应为非空列表", "the needs file must be a non-empty list")
    needs = []
    for item in data:
        try:
            party, scenario, lag = str(item["party"]), str(item["scenario"]), float(item["lag"])
        except (KeyError, TypeError, ValueError):
            raise BadPlanInput(f"需求条目格式错误：{item}", f"malformed need: {item}") from None
        if not party.startswith(("class:", "learner:")) or not 0 <= lag <= 1:
            raise BadPlanInput(
                f"需求条目 {item}：party 以 class: 或 learner: 开头，lag 在 0–1 之间",
                f"need {item}: party starts with class: or learner:, lag is within 0–1",
            )
        needs.append(Need(party, scenario, lag))
    return needs


def run_propose(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.permissions import Action
    from lab.scheduling.demand import needs_from_estimates, requests_from_needs
    from lab.scheduling.planner import (
        estimates_from_store,
        parse_instructors,
        proposal_to_dict,
        stations_for_week,
    )
    from lab.scheduling.timetable import propose
    from station_app.admin.support import admin_settings, parse_day, read_data_file, store_transaction

    settings = admin_settings(ctx.config)
    grid = settings.grid(parse_day(args.week))
    if bool(args.needs) == bool(args.classes):
        raise UserError(
            "请给出 --classes（及 --scenarios）或 --needs 之一",
            "give either --classes (with --scenarios) or --needs",
        )
    with store_transaction(ctx, Action.EDIT, f"timetable:{args.week}") as session:
        stations = stations_for_week(session, grid)
        instructors = parse_instructors(session, read_data_file(args.instructors), grid)
        if args.needs:
            needs, class_of = _needs_from_file(read_data_file(args.needs)), {}
        else:
            scenarios = _csv(args.scenarios)
            if not scenarios:
                raise UserError("--classes 需要同时给出 --scenarios", "--classes needs --scenarios too")
            estimates, class_of = estimates_from_store(session, _csv(args.classes), scenarios)
            needs = needs_from_estimates(estimates, class_of)
    requests = requests_from_needs(needs, class_of, base_sessions=args.base, max_extra=args.extra)
    ctx.say(
        f"为 {len(requests)} 个课次排课（{len(stations)} 个工位，{len(instructors)} 位教师）…",
        f"placing {len(requests)} sessions ({len(stations)} stations, {len(instructors)} instructors)…",
    )
    proposal = propose(
        requests, stations, instructors, grid,
        seconds=args.seconds or settings.solver_seconds, seed=settings.solver_seed, workers=settings.solver_workers,
    )  # fmt: skip
    data = proposal_to_dict(proposal, grid)
    # Class lags only: a learner's own estimate is personal data (an individual session says enough).
    data["needs"] = [
        {"party": n.party, "scenario": n.scenario, "lag": round(n.lag, 3)}
        for n in needs
        if n.party.startswith("class:")
    ]
    if args.out:
        Path(args.out).write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    ctx.say(
        f"{proposal.seconds:.1f} 秒内的最佳方案（{proposal.status}）：排入 {len(proposal.placements)} 个，未排 {len(proposal.unplaced)} 个",
        f"best found in {proposal.seconds:.1f} s ({proposal.status}): {len(proposal.placements)} placed, "
        f"{len(proposal.unplaced)} not placed",
    )
    lines = [
        f"{e['starts_at'][:16].replace('T', ' ')}–{e['ends_at'][11:16]}  {e['station']:<14} {e['instructor']:<10} "
        f"{e['parties'][0]:<14} {e['scenario']}{'' if e['required'] else ' +'}"
        for e in data["entries"]
    ]
    ctx.result(data, "\n".join(lines) or "-")
    return 0


def run_accept(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth.permissions import Action
    from lab.scheduling.planner import accept
    from lab.store.types import utc_now
    from station_app.admin.support import admin_settings, read_data_file, store_transaction

    settings = admin_settings(ctx.config)
    proposal = read_data_file(args.proposal)
    with store_transaction(
        ctx, Action.EDIT, f"timetable:{proposal.get('week') if isinstance(proposal, dict) else '?'}"
    ) as session:
        result = accept(session, proposal, now=utc_now(), tz=settings.tz)
        booked = [b.id for b in result.booked]
    for entry, why in result.skipped:
        ctx.say(
            f"跳过 {entry.get('session')}：{why.text.zh}", f"skipped {entry.get('session')}: {why.text.en}"
        )
    ctx.say(f"已预约 {len(booked)} 个课次", f"booked {len(booked)} sessions")
    ctx.result(
        {
            "booked": booked,
            "skipped": [{"session": e.get("session"), "reason": w.text.to_dict()} for e, w in result.skipped],
        },
        " ".join(f"#{b}" for b in booked) or "-",
    )
    return 0
