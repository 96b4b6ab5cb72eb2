"""`shixun session run`: one session at this station, headless, on the configured store.

The same runtime as `shixun demo` and the station app: booking check, generated parameters with their
explanation, sim, poses (a pose-stream file, a video, an edge box on the bus, or the generated demo
trainee), coach, live stream, recording, stored attempt, debrief.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from lab.bus.text import UserError
from station_app.cli.context import Context

if TYPE_CHECKING:
    import zmq

    from station_app.runtime.session import PoseFactory


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("session", help="run a training session at this station (headless)")
    actions = parser.add_subparsers(dest="session_command", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    p = actions.add_parser("run", help="one attempt for a learner: parameters, sim, coach, store, debrief")
    p.add_argument("--learner", required=True, metavar="ID", help="learner code (created if new)")
    p.add_argument("--scenario", default="crane.bridge_lift", metavar="ID")
    p.add_argument("--station", default="station-01", metavar="NAME", help="this station's equipment name")
    p.add_argument(
        "--operator",
        default="autopilot",
        metavar="OP",
        help="autopilot[:SKILL] | replay:FILE | idle | hand_signals (needs --signals)",
    )
    poses = p.add_mutually_exclusive_group()
    poses.add_argument("--poses", metavar="FILE.jsonl", help="a recorded pose stream")
    poses.add_argument("--video", metavar="FILE", help="a video file through the vision pipeline")
    poses.add_argument("--edge", metavar="STATION", help="pose frames an edge box publishes on the bus")
    poses.add_argument("--demo-trainee", action="store_true", help="poses generated from motion capture")
    p.add_argument("--bus", metavar="ENDPOINT", help="lab server for --edge (default: bus.lab_server)")
    p.add_argument("--publish", metavar="ENDPOINT", help="publish the live stream to this endpoint")
    p.add_argument("--signals", metavar="STANDARD", help="hand-signal standard (gb5082, asme_b30, eu_92_58)")
    p.add_argument("--require-booking", action="store_true", help="refuse to run without a booking")
    p.add_argument("--realtime", action="store_true", help="run at the pace of the clock, not flat out")
    p.add_argument("--max-s", type=float, metavar="S", help="stop the attempt after S simulated seconds")
    p.add_argument("--recordings", metavar="DIR", help="where MCAP recordings go (default: data dir)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    # The runtime (pybullet, MediaPipe, matplotlib) is imported here, so other commands start fast.
    import zmq

    from lab.store.engine import make_engine, make_session_factory
    from lab.store.migrate import current_revision, head_revision, upgrade
    from scenarios.spec import get_spec
    from station_app.cli.demo import compact, print_lines
    from station_app.cli.progress import ProgressBar
    from station_app.runtime.live import open_publisher
    from station_app.runtime.operators import HAND_SIGNALS, operator_for
    from station_app.runtime.session import SessionSettings, StationSession

    if args.max_s is not None and not args.max_s > 0:
        raise UserError("--max-s 必须大于 0", "--max-s must be greater than 0")
    if args.operator == HAND_SIGNALS and not args.signals:
        raise UserError("手势信号操作需要 --signals 标准", "the hand_signals operator needs --signals")
    spec = get_spec(args.scenario)
    operator = operator_for(args.operator, spec.family)
    config = ctx.config
    clips = config.get("privacy", "clips_dir")
    settings = SessionSettings(
        station=args.station,
        require_booking=args.require_booking,
        signal_set=args.signals,
        recordings_dir=Path(args.recordings) if args.recordings else config.data_dir / "recordings",
        clips_dir=Path(clips) if clips else config.data_dir / "clips",
        clip_retention_days=config.get("privacy", "clip_retention_days"),
    )
    context = zmq.Context()
    engine = None
    publisher = None
    try:
        publisher = open_publisher(context, args.publish) if args.publish else None
        engine = make_engine(ctx.db_url)
        if current_revision(engine) != head_revision():
            upgrade(engine)
        poses = _poses(args, ctx, context)
        session = StationSession(
            make_session_factory(engine), spec, args.learner, operator, poses, settings, publisher
        )
        bar = ProgressBar(1)
        session.listeners.append(bar.follow(session))
        bar.begin(f"{args.learner} @ {args.station}")
        debrief = session.run(realtime=args.realtime, max_s=args.max_s)
        bar.end()
    finally:
        if publisher is not None:
            publisher.close()
        context.destroy(linger=0)  # closes what a failed connect left open; PUB drops the rest anyway
        if engine is not None:
            engine.dispose()
    print_lines(debrief.lines(ctx.lang))
    ctx.result(compact(debrief.to_dict()), debrief.recording or debrief.session_id)
    return 0


def _poses(args: argparse.Namespace, ctx: Context, context: zmq.Context) -> PoseFactory | None:
    from station_app.cli.vision import pipeline_settings
    from station_app.runtime import poses
    from station_app.runtime.trainee import demo_trainee

    if args.poses:
        if not Path(args.poses).is_file():
            raise UserError(f"找不到姿态文件：{args.poses}", f"pose stream not found: {args.poses}")
        return lambda _seconds, _seed: poses.pose_file(args.poses)
    if args.video:
        if not Path(args.video).is_file():
            raise UserError(f"找不到视频文件：{args.video}", f"video file not found: {args.video}")
        settings = pipeline_settings(
            argparse.Namespace(backend=None, task_model=None, no_smoothing=False), ctx
        )
        return lambda _seconds, _seed: poses.video(args.video, settings)
    if args.edge:
        endpoint = args.bus or ctx.config.get("bus", "lab_server")
        return lambda _seconds, _seed: poses.edge_box(context, endpoint, args.edge)
    if args.demo_trainee:
        return demo_trainee
    return None
