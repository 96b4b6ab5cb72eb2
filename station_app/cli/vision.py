"""`shixun vision`: pose estimation to a pose-stream file, ONNX export, camera calibration."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lab.bus.text import UserError
from station_app.cli.context import Context

if TYPE_CHECKING:
    from hardware.cameras import GrabberStatus
    from vision.pipeline import PipelineSettings

# The pipeline, cameras and pose backends (OpenCV, NumPy, MediaPipe) are imported inside the
# functions that use them so that building the parser stays fast; BACKENDS is
# vision.backends.BACKENDS (a test keeps them equal).
BACKENDS = ("mediapipe", "onnx")


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

    calibrate = commands.add_parser(
        "calibrate", help="camera intrinsics and floor plane from checkerboard images"
    )
    calibrate.add_argument("--camera", required=True, help="camera id (the file is <id>.json)")
    calibrate.add_argument("--images", required=True, metavar="DIR", help="folder of checkerboard views")
    calibrate.add_argument("--pattern", default="9x6", help="inner corners, COLUMNSxROWS (default 9x6)")
    calibrate.add_argument("--square", type=float, default=0.025, metavar="M", help="square size in metres")
    calibrate.add_argument("--floor-image", metavar="FILE", help="one view with the board lying on the floor")
    calibrate.add_argument(
        "--out", metavar="DIR", help="where to store it (default: cameras/ in the data dir)"
    )
    calibrate.set_defaults(handler=calibrate_command)


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
    from vision.pipeline import PipelineSettings

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


def camera_reporter(ctx: Context) -> Callable[[GrabberStatus], None]:
    """One line on stderr whenever a live camera goes away, fails to reopen, or comes back."""

    def report(status: GrabberStatus) -> None:
        if status.connected:
            ctx.say(
                f"摄像头已恢复（第 {status.reconnects} 次重连）",
                f"camera back (reconnect {status.reconnects})",
            )
        else:
            ctx.say(
                f"摄像头不可用，正在重试：{status.last_error}",
                f"camera unavailable, retrying: {status.last_error}",
            )

    return report


def run_command(args: argparse.Namespace, ctx: Context) -> int:
    from vision.pipeline import PoseStream
    from vision.posestream import PoseStreamHeader, PoseStreamWriter

    stream = PoseStream(
        args.source,
        pipeline_settings(args, ctx),
        realtime_replay=args.realtime,
        on_camera_status=camera_reporter(ctx),
    )
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
        f"dropped {summary['dropped']} ({summary['backend']})",
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


def calibrate_command(args: argparse.Namespace, ctx: Context) -> int:
    import cv2

    from hardware.cameras.sources import ImageFolderSource, iterate
    from vision.calibration import Checkerboard, calibrate_intrinsics, save_calibration, with_floor

    board = Checkerboard.parse(args.pattern, args.square)
    views = [frame.image for frame in iterate(ImageFolderSource(Path(args.images)))]
    calibration = calibrate_intrinsics(args.camera, views, board)
    if args.floor_image:
        floor = cv2.imread(args.floor_image, cv2.IMREAD_COLOR)
        if floor is None:
            raise UserError(f"无法读取图像：{args.floor_image}", f"cannot read image: {args.floor_image}")
        calibration = with_floor(calibration, floor, board)
    out_dir = Path(args.out) if args.out else ctx.config.data_dir / "cameras"
    path = save_calibration(calibration, out_dir)
    summary = {
        "camera": calibration.camera,
        "views": len(views),
        "rms_px": round(calibration.rms_px, 3),
        "focal_px": [round(float(v), 1) for v in (calibration.matrix[0, 0], calibration.matrix[1, 1])],
        "floor": calibration.has_floor,
        "file": str(path),
    }
    ctx.result(summary, f"camera {calibration.camera}: rms {summary['rms_px']} px, saved to {path}")
    return 0
