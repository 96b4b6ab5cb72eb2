"""`shixun coach eval`: run the coach offline over a pose stream; events and per-frame REBA."""

from __future__ import annotations

import argparse
from typing import Any

from station_app.cli.context import Context

# The hand-signal standards of coach.signals.SIGNAL_SETS, written out so that building the parser does
# not import the coach (a test keeps the two equal).
SIGNAL_STANDARDS = ("asme_b30", "eu_92_58", "gb5082", "iso16715")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("coach", help="motion coach: evaluate a pose stream offline")
    sub = p.add_subparsers(dest="coach_command", metavar="SUBCOMMAND", parser_class=type(p))
    sub.required = True
    e = sub.add_parser("eval", help="print coach events and per-frame REBA for a pose stream")
    e.add_argument("--input", required=True, metavar="POSES.jsonl", help="pose stream (shixun.pose/1)")
    e.add_argument("--rules", metavar="SET", help="comma-separated rule ids or groups (default: all)")
    e.add_argument(
        "--scenario", metavar="ID", help="take the per-step rules and step order from a scenario spec"
    )
    e.add_argument("--signals", metavar="STANDARD", choices=SIGNAL_STANDARDS, help="hand-signal set")
    e.add_argument("--reference", metavar="FILE", help="pose stream of an instructor's demonstration")
    e.add_argument("--context", metavar="FILE", help="JSON: steps, machine_active, danger_zones, reba inputs")
    e.add_argument(
        "--thresholds", metavar="FILE", help='JSON {rule_id: {"enter": deg, "exit": deg, ...}} for a class'
    )
    e.add_argument("--out", metavar="FILE", help="also write the full result as JSON to FILE")
    e.add_argument("--no-frames", action="store_true", help="leave the per-frame REBA out of the output")
    e.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from station_app.coach_eval import run as evaluate  # deferred: NumPy, SciPy and the coach

    return evaluate(args, ctx)
