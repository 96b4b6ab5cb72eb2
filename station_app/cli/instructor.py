"""`shixun instructor`: the instructor console (PyQt6): roster with skill estimates and progress,
difficulty overrides with the generator's explanation, scenario assignments, and — with CURVE keys
for the lab server — the live grid of the lab's stations with fault and wind requests."""

from __future__ import annotations

import argparse

from station_app.cli.context import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("instructor", help="the instructor console (roster, difficulty, live lab)")
    p.add_argument("--scenario", default="crane.bridge_lift", metavar="ID", help="the scenario to manage")
    p.add_argument(
        "--key", metavar="FILE", help="your CURVE key (.key_secret) for the lab server's live view"
    )
    p.add_argument("--server-key", metavar="FILE", help="the lab server's public CURVE key (.key)")
    p.add_argument(
        "--viewers",
        metavar="ENDPOINT",
        help="the lab server's viewer endpoint (default: tcp://127.0.0.1:5562)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    import zmq

    from lab.bus.security import CurveClient, CurveKeys
    from lab.bus.text import UserError
    from lab.bus.viewer_link import ViewerEndpoints, ViewerLink
    from lab.server.relay import RelayEndpoints
    from scenarios.paramspace import Space
    from scenarios.spec import get_spec
    from station_app.admin.support import open_store
    from station_app.instructor.app import run as run_app

    if bool(args.key) != bool(args.server_key):
        raise UserError("--key 与 --server-key 需同时给出", "--key and --server-key must be given together")
    space = Space(get_spec(args.scenario))
    context = zmq.Context()
    link = None
    sessions = open_store(ctx.db_url)
    try:
        if args.key:
            curve = CurveClient(CurveKeys.load(args.key), CurveKeys.load(args.server_key).public)
            defaults = RelayEndpoints()
            endpoints = ViewerEndpoints(
                args.viewers or defaults.viewers, defaults.video, ctx.config.get("bus", "request_endpoint")
            )
            link = ViewerLink(context, endpoints, curve)
        return run_app(sessions, space, link, ctx.lang)
    finally:
        if link is not None:
            link.close()
        context.term()
        sessions.kw["bind"].dispose()
