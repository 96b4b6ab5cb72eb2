"""`shixun edge run`: the headless edge-box worker (camera -> poses -> bus, with heartbeats)."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import TYPE_CHECKING

from lab.bus.text import UserError
from lab.bus.topics import NO_SESSION, Kind, check_id
from station_app.cli.context import Context
from station_app.cli.vision import add_source_arguments, camera_reporter, pipeline_settings

if TYPE_CHECKING:
    import zmq

    from lab.bus.security import CurveClient
    from lab.bus.sockets import Publisher
    from vision.edge import EdgeIdentity

# ZeroMQ, CURVE and the pose pipeline (OpenCV, NumPy) are imported inside the handler's functions so
# that building the parser stays fast.


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("edge", help="edge-box pose worker")
    commands = parser.add_subparsers(dest="edge_command", metavar="COMMAND", required=True)
    run = commands.add_parser("run", help="publish pose frames and heartbeats on the bus (keypoints only)")
    add_source_arguments(run)
    run.add_argument("--station", required=True, help="station id this camera belongs to")
    run.add_argument("--session", default=NO_SESSION, help="session id (default: none)")
    run.add_argument("--endpoint", help="lab server to publish to (default: bus.lab_server)")
    run.add_argument("--heartbeat", type=float, default=1.0, metavar="S", help="seconds between heartbeats")
    run.add_argument(
        "--key", metavar="FILE", help="this box's CURVE key (.key_secret) for a secured lab server"
    )
    run.add_argument("--server-key", metavar="FILE", help="the lab server's public CURVE key (.key)")
    run.add_argument(
        "--stream-video",
        action="store_true",
        help="offer JPEG video to authorised, consented viewers (needs privacy.stream_video = true)",
    )
    run.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace, ctx: Context) -> int:
    import zmq

    from lab.bus.security import CurveClient, CurveKeys
    from vision.edge import EdgeIdentity

    identity = EdgeIdentity(check_id(args.station, "station"), check_id(args.session, "session"))
    if not args.heartbeat > 0:
        raise UserError("--heartbeat 应为正数", "--heartbeat must be a positive number")
    if bool(args.key) != bool(args.server_key):
        raise UserError("--key 与 --server-key 需同时给出", "--key and --server-key must be given together")
    if args.stream_video and not ctx.config.get("privacy", "stream_video"):
        raise UserError(
            "配置未允许视频流（privacy.stream_video = false）：画面不会离开本机",
            "video streaming is off in the configuration (privacy.stream_video = false): pixels stay on this box",
        )
    curve = None
    if args.key:
        curve = CurveClient(CurveKeys.load(args.key), CurveKeys.load(args.server_key).public)
    endpoint = args.endpoint or ctx.config.get("bus", "lab_server")
    with zmq.Context() as context:
        publishers = _open_publishers(context, endpoint, curve, args.stream_video)
        try:
            return _publish(args, ctx, identity, endpoint, *publishers)
        finally:
            for publisher in publishers:
                if publisher is not None:
                    publisher.close()


def _open_publishers(
    context: zmq.Context, endpoint: str, curve: CurveClient | None, stream_video: bool
) -> tuple[Publisher, Publisher | None]:
    """The keypoint publisher and, if streaming is allowed, the video one; a bad endpoint is one line."""
    import zmq

    from lab.bus.sockets import Publisher

    opened: list[Publisher] = []
    try:
        opened.append(Publisher(context, endpoint, curve=curve))
        if stream_video:
            opened.append(Publisher(context, endpoint, [Kind.VIDEO], curve=curve))
    except zmq.ZMQError as exc:
        for publisher in opened:
            publisher.close()
        raise UserError(
            f"无效的实验室服务器地址 {endpoint}：{exc}", f"invalid lab server endpoint {endpoint}: {exc}"
        ) from None
    return opened[0], opened[1] if stream_video else None


def _publish(
    args: argparse.Namespace,
    ctx: Context,
    identity: EdgeIdentity,
    endpoint: str,
    publisher: Publisher,
    video: Publisher | None,
) -> int:
    from vision.edge import EdgeWorker
    from vision.pipeline import PoseStream

    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())  # a service manager's stop
    try:
        stream = PoseStream(
            args.source,
            pipeline_settings(args, ctx),
            stop=stop,
            realtime_replay=args.realtime,
            on_camera_status=camera_reporter(ctx),
        )
        worker = EdgeWorker(stream, publisher, identity, heartbeat_s=args.heartbeat, video=video)
        if video is None:
            ctx.say(
                f"边缘节点：{stream.description} → {endpoint}（仅关键点）",
                f"edge node: {stream.description} -> {endpoint} (keypoints only)",
            )
        else:
            ctx.say(
                f"边缘节点：{stream.description} → {endpoint}（关键点；视频仅在授权观看时发送）",
                f"edge node: {stream.description} -> {endpoint} (keypoints; video only while an authorised viewer watches)",
            )
        try:
            sent = worker.run(max_frames=args.max_frames)
        finally:
            stream.close()
    finally:
        signal.signal(signal.SIGTERM, previous)
    summary = {
        "frames_published": sent,
        "heartbeats": worker.heartbeats_sent,
        "video_frames": worker.video_frames_sent,
        **stream.stats.summary(),
    }
    ctx.result(summary, f"{sent} pose frames and {worker.heartbeats_sent} heartbeats published")
    return 0
