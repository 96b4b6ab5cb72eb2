"""`shixun station`: the student's station app (PyQt6) over the station runtime.

The student logs in (lab.auth); the attempt's scenario is the one their instructor assigned (else
`--scenario`); parameters come from the generator; poses from a pose-stream file, a video, an edge
box on the bus or the generated demo trainee (the skeleton view shows them); keyboard and, with
`--gamepad`, a Linux joystick device drive the crane.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from station_app.cli.context import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("station", help="the student's station app (scene, coach cues, debrief)")
    p.add_argument("--station", default="station-01", metavar="NAME", help="this station's equipment name")
    p.add_argument("--scenario", default="crane.bridge_lift", metavar="ID", help="when none is assigned")
    p.add_argument(
        "--operator",
        default="idle",
        metavar="OP",
        help="who drives when no key/stick is held: idle (default) | autopilot[:SKILL] | replay:FILE",
    )
    poses = p.add_mutually_exclusive_group()
    poses.add_argument("--poses", metavar="FILE.jsonl", help="a recorded pose stream")
    poses.add_argument(
        "--video", metavar="FILE|INDEX", help="a video file or a camera index (its picture is shown)"
    )
    poses.add_argument("--edge", metavar="STATION", help="pose frames an edge box publishes on the bus")
    poses.add_argument("--demo-trainee", action="store_true", help="poses generated from motion capture")
    p.add_argument("--bus", metavar="ENDPOINT", help="lab server for --edge (default: bus.lab_server)")
    p.add_argument("--publish", metavar="ENDPOINT", help="publish the live stream to this endpoint")
    p.add_argument(
        "--key", metavar="FILE", help="this station's CURVE key (.key_secret) for a secured lab server"
    )
    p.add_argument("--server-key", metavar="FILE", help="the lab server's public CURVE key (.key)")
    p.add_argument(
        "--viewers",
        metavar="ENDPOINT",
        help="with --key: the lab server's viewer endpoint, where instructor changes and comments come from",
    )
    p.add_argument("--gamepad", metavar="DEVICE", help="a joystick device (/dev/input/js0) or 'auto'")
    p.add_argument("--require-booking", action="store_true", help="refuse to run without a booking")
    p.add_argument("--recordings", metavar="DIR", help="where MCAP recordings go (default: data dir)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from hardware.inputs import Gamepad, find_gamepads
    from lab.bus.text import UserError
    from scenarios.spec import get_spec

    get_spec(args.scenario)  # bad input is one line before the runtime (pybullet, MediaPipe) loads
    if bool(args.key) != bool(args.server_key):
        raise UserError("--key 与 --server-key 需同时给出", "--key and --server-key must be given together")
    if args.key and not args.publish:
        raise UserError("--key 需与 --publish 一起使用", "--key is used with --publish")
    if args.gamepad == "auto":
        devices = find_gamepads()
        if not devices:
            raise UserError("没有找到手柄（/dev/input/js*）", "no gamepad found (/dev/input/js*)")
        gamepads = [Gamepad.open(devices[0])]
    else:
        gamepads = [Gamepad.open(args.gamepad)] if args.gamepad else []
    try:
        return _run_app(args, ctx, gamepads)
    finally:
        for pad in gamepads:
            pad.close()


def _run_app(args: argparse.Namespace, ctx: Context, gamepads: list) -> int:
    import zmq

    from lab.bus.security import CurveClient, CurveKeys
    from lab.bus.sockets import Publisher
    from lab.bus.station_link import LabEndpoints, StationLink
    from lab.bus.text import UserError
    from lab.server.relay import RelayEndpoints
    from scenarios.spec import get_spec
    from station_app.admin.support import open_store
    from station_app.cli.session import _poses
    from station_app.cli.vision import pipeline_settings
    from station_app.runtime.live import open_publisher
    from station_app.runtime.operators import operator_for
    from station_app.runtime.session import SessionSettings
    from station_app.station.app import run as run_app
    from station_app.station.app import scenario_for
    from station_app.station.camera import CameraFeed, video_with_pictures
    from station_app.station.window import StationSetup

    config = ctx.config
    clips = config.get("privacy", "clips_dir")
    settings = SessionSettings(
        station=args.station,
        require_booking=args.require_booking,
        recordings_dir=Path(args.recordings) if args.recordings else config.data_dir / "recordings",
        clips_dir=Path(clips) if clips else config.data_dir / "clips",
        clip_retention_days=config.get("privacy", "clip_retention_days"),
    )
    context = zmq.Context()
    sessions = open_store(ctx.db_url)
    publisher = link = None
    try:
        if args.key:  # a secured lab server: CurveZMQ with this station's key
            curve = CurveClient(CurveKeys.load(args.key), CurveKeys.load(args.server_key).public)
            publisher = Publisher(context, args.publish, curve=curve)
            viewers = args.viewers or RelayEndpoints().viewers
            link = StationLink(context, args.station, LabEndpoints(args.publish, viewers), curve)
        elif args.publish:
            publisher = open_publisher(context, args.publish)
        camera = CameraFeed() if args.video else None
        if camera is not None:
            if not Path(args.video).is_file() and not args.video.isdigit():
                raise UserError(f"找不到视频文件：{args.video}", f"video file not found: {args.video}")
            pipeline = pipeline_settings(
                argparse.Namespace(backend=None, task_model=None, no_smoothing=False), ctx
            )
            poses = lambda _seconds, _seed: video_with_pictures(args.video, pipeline, camera)  # noqa: E731
        else:
            poses = _poses(args, ctx, context)

        def make_setup(learner: str) -> StationSetup:
            spec = get_spec(scenario_for(sessions, learner, args.scenario))
            operator_for(args.operator, spec.family)  # checked now: a bad operator is one line
            inbox = link.comments if link is not None else None  # instructor changes, mentor comments
            return StationSetup(
                sessions, spec, learner, args.operator, poses, settings, publisher, gamepads, camera, inbox
            )

        return run_app(sessions, make_setup, ctx.lang)
    finally:
        for part in (publisher, link):
            if part is not None:
                part.close()
        context.term()
        sessions.kw["bind"].dispose()
