"""`shixun lab`: run the lab server (relay + recordings), and inspect session recordings."""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lab.bus.text import Text, UserError
from lab.bus.topics import Kind
from station_app.cli.context import Context
from station_app.cli.keys import keys_dir

if TYPE_CHECKING:
    from lab.recording.service import RecordingProcess
    from lab.server.relay import Relay, RelayEndpoints
    from lab.server.requests import RequestServer

# The server (ZeroMQ, SQLAlchemy, Alembic) and recordings (MCAP) are imported inside the functions that
# use them so that building the parser stays fast.


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("lab", help="the lab server and session recordings")
    actions = parser.add_subparsers(dest="lab_action", metavar="ACTION", required=True)
    serve = actions.add_parser(
        "serve",
        help="run the lab server: encrypted relay from stations to authorised viewers, recording every session",
    )
    serve.add_argument("--stations", metavar="URL", help="where stations publish (default: bus.lab_server)")
    serve.add_argument(
        "--viewers", metavar="URL", help="keypoints/state/events for viewers (default: port +2)"
    )
    serve.add_argument("--video", metavar="URL", help="video for viewers (default: port +3)")
    serve.add_argument("--requests", metavar="URL", help="request endpoint (default: bus.request_endpoint)")
    serve.add_argument("--host", help="bind this host instead, e.g. 0.0.0.0 for the whole network")
    serve.add_argument(
        "--recordings", metavar="DIR", help="MCAP folder (default: recordings/lab/ in the data dir)"
    )
    serve.add_argument(
        "--duration", type=float, metavar="S", help="stop after S seconds (default: run until Ctrl-C)"
    )
    serve.set_defaults(handler=run_serve)
    info = actions.add_parser("recording", help="what a session recording (.mcap) holds")
    info.add_argument("file", help="a .mcap session recording")
    info.add_argument(
        "--kind",
        action="append",
        choices=("pose", "state", "events", "comment"),
        help="list messages of this kind",
    )
    info.add_argument("--start", type=float, metavar="T", help="from Unix time T (s), with --kind")
    info.add_argument("--end", type=float, metavar="T", help="before Unix time T (s), with --kind")
    info.set_defaults(handler=run_recording)


def lab_recordings_dir(ctx: Context) -> Path:
    """Where `lab serve` records by default, apart from any station's own recordings/."""
    return ctx.config.data_dir / "recordings" / "lab"


def endpoints(args: argparse.Namespace, stations_default: str) -> RelayEndpoints:
    """Stations' URL from config or flag; viewer and video ports follow it (+2, +3) unless given."""
    from lab.server.relay import RelayEndpoints

    stations = args.stations or stations_default
    parts = urlsplit(stations)
    if parts.scheme != "tcp" or parts.port is None or not parts.hostname:
        raise UserError(
            f"无效的地址 {stations}（示例：tcp://127.0.0.1:5560）",
            f"invalid URL {stations} (e.g. tcp://127.0.0.1:5560)",
        )
    host = args.host or parts.hostname
    return RelayEndpoints(
        stations=f"tcp://{host}:{parts.port}",
        viewers=_with_host(args.viewers, host) or f"tcp://{host}:{parts.port + 2}",
        video=_with_host(args.video, host) or f"tcp://{host}:{parts.port + 3}",
    )


def _with_host(url: str | None, host: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme != "tcp" or parts.port is None:
        raise UserError(f"无效的地址 {url}", f"invalid URL {url}")
    return f"tcp://{host or parts.hostname}:{parts.port}"


def run_serve(args: argparse.Namespace, ctx: Context) -> int:
    import zmq

    from lab.recording.service import RecordingProcess
    from lab.server.archive import RecordingArchive
    from lab.server.audit import StoreLiveAudit
    from lab.server.health import LabHealth
    from lab.server.keyring import load_server_keys
    from lab.server.relay import Relay
    from lab.server.requests import RequestServer
    from lab.server.store_access import StoreAccess
    from lab.store.engine import make_engine, make_session_factory
    from lab.store.migrate import current_revision, head_revision
    from station_app.admin.support import admin_settings

    if args.duration is not None and args.duration <= 0:
        raise UserError("--duration 必须为正数", "--duration must be positive")
    bind = endpoints(args, ctx.config.get("bus", "lab_server"))
    requests_url = _with_host(args.requests or ctx.config.get("bus", "request_endpoint"), args.host)
    server_keys = load_server_keys(keys_dir(ctx))
    engine = make_engine(ctx.db_url, create=False)
    zctx = zmq.Context(io_threads=2)  # CURVE for ~10k messages/s: crypto on two I/O threads (bus_load.py)
    recorder: RecordingProcess | None = None
    relay: Relay | None = None
    requests: RequestServer | None = None
    health = LabHealth(make_session_factory(engine), admin_settings(ctx.config).thresholds)
    access = health.access(StoreAccess(engine))  # + heartbeats into the store, no-shows released
    audit = StoreLiveAudit(engine)
    try:
        if current_revision(engine) != head_revision():
            raise UserError(
                "数据库结构不是最新（先运行 shixun db upgrade）",
                "the store schema is not up to date (run `shixun db upgrade`)",
            )
        recordings = Path(args.recordings) if args.recordings else lab_recordings_dir(ctx)
        recorder = RecordingProcess(recordings)
        recorder.start()
        relay = Relay(zctx, access, server_keys, bind, record_endpoint=recorder.endpoint, audit=audit)
        try:
            relay.start()
            requests = RequestServer(
                zctx,
                access,
                server_keys,
                requests_url,
                relay.authenticator,
                relay.inject_endpoint,
                audit=audit,
                archive=RecordingArchive(make_session_factory(engine), recordings),  # remote replay
            )
            requests.start()
            health.start(zctx, relay.endpoints.viewers, server_keys.public)
        except zmq.ZMQError as exc:
            raise UserError(f"无法监听端口：{exc}", f"cannot bind: {exc}") from None
        ctx.say(
            f"实验室服务器运行中：工位 {relay.endpoints.stations}，观看 {relay.endpoints.viewers}，视频 {relay.endpoints.video}，请求 {requests.endpoint}；服务器公钥 {server_keys.public.decode()}",
            f"lab server running: stations {relay.endpoints.stations}, viewers {relay.endpoints.viewers}, "
            f"video {relay.endpoints.video}, requests {requests.endpoint}; server public key {server_keys.public.decode()}",
        )
        deadline = None if args.duration is None else time.monotonic() + args.duration
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        health.stop()
        if requests is not None:
            requests.stop()
        if relay is not None:
            relay.stop()
        if recorder is not None:
            recorder.stop()
        audit.close()
        zctx.destroy(linger=0)
        engine.dispose()
    stats = relay.stats if relay is not None else {}
    received = sum(stats.get("received", {}).values())
    ctx.result(
        {
            "endpoints": {**asdict(relay.endpoints), "requests": requests.endpoint}
            if relay and requests
            else {},
            "stats": stats,
        },
        Text(
            zh=f"实验室服务器已停止；共转发 {received} 条消息",
            en=f"lab server stopped; {received} messages relayed",
        ).get(ctx.lang),
    )
    return 0


def run_recording(args: argparse.Namespace, ctx: Context) -> int:
    from lab.recording.mcap_io import read_recording, recording_info

    info = recording_info(args.file)
    if not args.kind:
        span = f"{info['start']}–{info['end']}" if info["start"] is not None else "—"
        counts = ", ".join(f"{k}: {n}" for k, n in sorted(info["messages"].items()))
        ctx.result(
            info,
            Text(
                zh=f"工位 {info['station']}，会话 {info['session']}，时间 {span}；{counts}",
                en=f"station {info['station']}, session {info['session']}, time {span}; {counts}",
            ).get(ctx.lang),
        )
        return 0
    messages = [
        {
            "kind": m.kind.value,
            "t_wall": m.envelope.t_wall,
            "seq": m.envelope.seq,
            "type": m.envelope.type,
            "body": m.envelope.body,
        }
        for m in read_recording(args.file, [Kind(k) for k in args.kind], args.start, args.end)
    ]
    ctx.result(messages)
    return 0
