"""`shixun demo`: the station runtime, headless, three times in a row for a demo learner, with a report.

Runs on embedded defaults: a fresh SQLite store in the output folder (never the user's store unless
`--db` is given), the autopilot operator as a learner who practises (skill rising attempt by attempt),
the coach fed a pose stream generated from real motion capture (or `--video FILE` through the vision
pipeline), the live stream published on a loopback port, and each session recorded as MCAP.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.bus.text import Text, UserError
from station_app.cli.context import Context

if TYPE_CHECKING:
    from station_app.runtime.session import PoseFactory

DEMO_LEARNER = "demo-learner"
DEMO_SKILLS = (0.7, 0.8, 0.9)  # the autopilot learner gets better with practice


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="a complete headless session, three times, with an HTML report")
    p.add_argument("--out", metavar="DIR", help="output folder (default: a new temporary folder)")
    p.add_argument("--video", metavar="FILE", help="feed the coach from this video instead of motion capture")
    p.add_argument("--attempts", type=_attempt_count, default=3, metavar="N", help="attempts (default 3)")
    p.add_argument(
        "--learner", default=DEMO_LEARNER, metavar="ID", help=f"learner code (default {DEMO_LEARNER})"
    )
    p.add_argument("--scenario", default="crane.bridge_lift", metavar="ID")
    p.add_argument(
        "--operator",
        metavar="OP",
        help="autopilot[:SKILL] | replay:FILE | idle (default: autopilot, skill 0.7 → 0.8 → 0.9)",
    )
    p.add_argument(
        "--publish", metavar="ENDPOINT", help="connect the live stream to a lab server (default: loopback)"
    )
    p.set_defaults(handler=run)


def _attempt_count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 20:
        raise argparse.ArgumentTypeError("must be from 1 to 20")
    return value


def run(args: argparse.Namespace, ctx: Context) -> int:
    # The runtime (pybullet, MediaPipe, matplotlib) is imported here, so other commands start fast.
    import zmq

    from lab.store.engine import make_engine, make_session_factory, masked
    from lab.store.migrate import current_revision, head_revision, upgrade
    from scenarios.spec import get_spec
    from station_app.cli.progress import ProgressBar
    from station_app.report import debrief_report, write_report
    from station_app.runtime.live import open_publisher
    from station_app.runtime.operators import operator_for
    from station_app.runtime.session import SessionSettings, StationSession

    started = time.perf_counter()
    spec = get_spec(args.scenario)
    video = _video(args.video)
    out = _output_dir(args.out)
    db_url = args.db or _fresh_sqlite(out / "demo.db")
    pose_factory = _pose_factory(video, ctx)
    engine = make_engine(db_url)
    context = zmq.Context()
    try:
        publisher = open_publisher(context, args.publish or "tcp://127.0.0.1:*", bind=not args.publish)
    except UserError:
        context.destroy(linger=0)
        engine.dispose()
        raise
    try:
        if current_revision(engine) != head_revision():
            upgrade(engine)
        factory = make_session_factory(engine)
        ctx.say(
            f"演示：学员 {args.learner}，场景 {spec.title.zh}，数据库 {masked(db_url)}，实时流 {publisher.endpoint}",
            f"demo: learner {args.learner}, scenario {spec.title.en}, store {masked(db_url)}, "
            f"live stream {publisher.endpoint}",
        )
        settings = SessionSettings(
            station="demo-station", recordings_dir=out / "recordings", clips_dir=out / "clips"
        )
        bar = ProgressBar(args.attempts)
        debriefs = []
        for number in range(args.attempts):
            operator_text = args.operator or f"autopilot:{DEMO_SKILLS[min(number, len(DEMO_SKILLS) - 1)]}"
            session = StationSession(
                factory,
                spec,
                args.learner,
                operator_for(operator_text, spec.family),
                pose_factory,
                settings,
                publisher,
            )
            session.listeners.append(bar.follow(session))
            bar.begin(
                Text(
                    zh=f"第 {number + 1} 次练习（{operator_text}）",
                    en=f"attempt {number + 1} ({operator_text})",
                ).get(ctx.lang)
            )
            debrief = session.run()
            bar.end()
            print_lines(
                [
                    f"— {Text(zh=f'第 {number + 1} 次练习', en=f'attempt {number + 1}').get(ctx.lang)} —",
                    *debrief.lines(ctx.lang),
                ]
            )
            debriefs.append(debrief)
        report = write_report(
            debrief_report(debriefs, _title(ctx), _intro(debriefs, ctx), ctx.lang),
            out / "report.html",
            ctx.lang,
        )
    finally:
        publisher.close()
        context.destroy(linger=0)  # closes what a failed connect left open; PUB drops the rest anyway
        engine.dispose()
    wall = round(time.perf_counter() - started, 2)
    summary = {
        "report": str(report),
        "out": str(out),
        "db": masked(db_url),
        "live_stream": publisher.endpoint,
        "wall_s": wall,
        "attempts": [compact(d.to_dict()) for d in debriefs],
    }
    ctx.say(f"报告：{report}（总用时 {wall} s）", f"report: {report} (total {wall} s)")
    ctx.result(summary, str(report))
    return 0


def _output_dir(given: str | None) -> Path:
    if given is None:
        return Path(tempfile.mkdtemp(prefix="shixun-demo-"))
    path = Path(given)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"无法创建输出目录 {path}：{exc.strerror}", f"cannot create output folder {path}: {exc.strerror}"
        ) from None
    return path


def _fresh_sqlite(path: Path) -> str:
    """A new, empty embedded store: a previous demo's database in the same folder is replaced."""
    for old in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            old.unlink()
    return f"sqlite:///{path}"


def _video(given: str | None) -> Path | None:
    if given is not None and not Path(given).is_file():
        raise UserError(f"找不到视频文件：{given}", f"video file not found: {given}")
    return None if given is None else Path(given)


def _pose_factory(video: Path | None, ctx: Context) -> PoseFactory:
    from station_app.cli.vision import pipeline_settings
    from station_app.runtime import poses
    from station_app.runtime.trainee import demo_trainee

    if video is None:
        return demo_trainee
    settings = pipeline_settings(argparse.Namespace(backend=None, task_model=None, no_smoothing=False), ctx)
    return lambda _seconds, _seed: poses.video(video, settings)


def print_lines(lines: list[str]) -> None:
    """Human text goes to stderr, so that stdout carries only the result (JSON with --json)."""
    print("\n".join(lines), file=sys.stderr, flush=True)


def _title(ctx: Context) -> str:
    return Text(zh="实训演示报告", en="Shixun demo report").get(ctx.lang)


def _intro(debriefs: list, ctx: Context) -> str:
    passed = sum(d.passed for d in debriefs)
    return Text(
        zh=f"学员 {debriefs[0].learner} 连续 {len(debriefs)} 次练习，通过 {passed} 次。每次的参数由生成器依据学员历史选择；教练的输入为{debriefs[0].poses.zh}。",
        en=f"Learner {debriefs[0].learner}: {len(debriefs)} attempts in a row, {passed} passed. Each attempt's "
        f"parameters were chosen by the generator from the learner's history; the coach watched "
        f"{debriefs[0].poses.en}.",
    ).get(ctx.lang)


def compact(debrief: dict[str, Any]) -> dict[str, Any]:
    """The JSON summary leaves the 10 Hz sway series out (it is plotted in the report)."""
    return {k: v for k, v in debrief.items() if k != "sway"}
