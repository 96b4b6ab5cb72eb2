"""`shixun vision`: pose estimation to a pose-stream file, ONNX export, camera calibration."""

from __future__ import annotations

import argparse
from pathlib import Path

from station_app.cli.context import Context
from vision.backends import BACKENDS
from vision.pipeline import PipelineSettings, PoseStream
from vision.posestream import PoseStreamHeader, PoseStreamWriter


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "vision", help="pose estimation from a camera, video, images or a pose stream"
    )
    commands = parser.add_subparsers(dest="vision_command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="estimate poses and write a pose-stream file")
    add_source_arguments(run)
    run.add_argument("--out", metavar="FILE", help="pose-stream file to write (.jsonl)")
    run.set_defaults(handler=run_command)

    export = commands.add_parser(
        "export-onnx", help="convert MediaPipe's BlazePose models to ONNX (needs [export])"
    )
    export.add_argument("--out", metavar="DIR", help="output folder (default: models/ in the data dir)")
    export.set_defaults(handler=export_command)


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared with `shixun edge run`."""
    parser.add_argument(
        "--source",
        required=True,
        help="camera index, video file, RTSP/HTTP URL, image folder, or pose stream (.jsonl)",
    )
    parser.add_argument("--backend", choices=BACKENDS, help="pose backend (default: vision.backend)")
    parser.add_argument(
        "--task-model", metavar="FILE", help="MediaPipe PoseLandmarker .task model (Tasks API)"
    )
    parser.add_argument("--no-smoothing", action="store_true", help="turn the One Euro filter off")
    parser.add_argument("--max-frames", type=_positive_int, metavar="N", help="stop after N frames")
    parser.add_argument("--realtime", action="store_true", help="replay a pose stream at its own pace")


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def pipeline_settings(args: argparse.Namespace, ctx: Context) -> PipelineSettings:
    """Configuration and flags as plain values for the vision layer."""
    get = ctx.config.get
    task_model = args.task_model or get("vision", "task_model")
    model_dir = get("vision", "onnx_model_dir")
    return PipelineSettings(
        backend=args.backend or get("vision", "backend"),
        task_model=Path(task_model) if task_model else None,
        onnx_provider=get("vision", "onnx_provider"),
        onnx_model_dir=Path(model_dir) if model_dir else None,
        threads=get("vision", "threads"),
        smoothing=get("vision", "smoothing") and not args.no_smoothing,
        min_cutoff=get("vision", "min_cutoff"),
        beta=get("vision", "beta"),
    )


def run_command(args: argparse.Namespace, ctx: Context) -> int:
    stream = PoseStream(args.source, pipeline_settings(args, ctx), realtime_replay=args.realtime)
    writer = None
    if args.out:
        header = PoseStreamHeader(fps=stream.fps, extra={"backend": stream.backend_name})
        writer = PoseStreamWriter(args.out, header)
    interrupted = False
    try:
        for pose in stream:
            if writer is not None:
                writer.write(pose)
            if args.max_frames is not None and stream.stats.frames >= args.max_frames:
                break
    except KeyboardInterrupt:
        interrupted = True  # every written line was flushed: the file is a valid, truncated stream
    finally:
        stream.close()
        if writer is not None:
            writer.close()
    summary = {"source": stream.description, "backend": stream.backend_name, **stream.stats.summary()}
    if args.out:
        summary["out"] = args.out
    latency = summary["latency_ms"]
    ctx.result(
        summary,
        f"{summary['frames']} frames ({summary['frames_with_person']} with a person), "
        f"{summary['fps']} fps, latency p50 {latency['p50']} ms, p95 {latency['p95']} ms, "
        f"dropped {summary['dropped']}",
    )
    if interrupted:
        raise KeyboardInterrupt
    return 0


def export_command(args: argparse.Namespace, ctx: Context) -> int:
    from vision.blazepose.export import export_models

    out_dir = Path(args.out) if args.out else ctx.config.data_dir / "models"
    written = export_models(out_dir)
    ctx.say(
        f"已导出到 {out_dir}；设置 vision.onnx_model_dir 以使用这些模型",
        f"exported to {out_dir}; set vision.onnx_model_dir to use these models",
    )
    ctx.result({"models": [str(p) for p in written]}, "\n".join(str(p) for p in written))
    return 0
