"""`shixun mentor`: the enterprise mentor's viewer (PyQt6) — live sessions they are invited to, through
the lab server with their key bundle, and recorded ones from the store with their lab account."""

from __future__ import annotations

import argparse
from pathlib import Path

from station_app.cli.context import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "mentor", help="the mentor's viewer: live and recorded sessions, timeline, comments"
    )
    p.add_argument("--bundle", metavar="DIR", help="your key bundle folder (default: mentor.bundle)")
    p.add_argument("--lab", dest="stations", metavar="URL", help="the lab server (default: bus.lab_server)")
    p.add_argument("--viewers", metavar="URL", help="its keypoint/state endpoint (default: port +2)")
    p.add_argument("--video", metavar="URL", help="its video endpoint (default: port +3)")
    p.add_argument("--requests", metavar="URL", help="its request endpoint (default: bus.request_endpoint)")
    p.add_argument(
        "--recordings", metavar="DIR", help="the lab server's recordings (default: mentor.recordings_dir)"
    )
    p.set_defaults(handler=run, host=None)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from lab.bus.viewer_link import ViewerEndpoints
    from station_app.admin.support import open_store
    from station_app.cli.lab import endpoints, lab_recordings_dir
    from station_app.mentor.app import run as run_app  # Qt loads only for this command
    from station_app.mentor.connection import load_bundle
    from station_app.mentor.window import MentorSettings

    config = ctx.config
    relay = endpoints(args, config.get("bus", "lab_server"))
    viewer_endpoints = ViewerEndpoints(
        relay.viewers, relay.video, args.requests or config.get("bus", "request_endpoint")
    )
    bundle = args.bundle or config.get("mentor", "bundle")
    if bundle:
        load_bundle(bundle)  # a wrong folder is one line before any window opens
    recordings = args.recordings or config.get("mentor", "recordings_dir")
    settings = MentorSettings(Path(recordings) if recordings else lab_recordings_dir(ctx))
    sessions = open_store(ctx.db_url)
    try:
        return run_app(sessions, viewer_endpoints, settings, ctx.lang, bundle)
    finally:
        sessions.kw["bind"].dispose()
