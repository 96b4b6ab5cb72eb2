"""Vision throughput: pipeline cost per frame vs the bare model call, and onnx vs MediaPipe.

Same frames for everything, in the same run: the sample video of real photos (vision.samples,
the astronaut moving, then an empty room, then back), scaled to 640x480 like a camera, played twice.
Every configuration runs REPEATS times, interleaved, and the best run counts, so that other processes on
a shared machine disturb the comparison as little as possible. Cost is given two ways: CPU time of the
whole process per frame (all threads, so a model's thread pool is included) and wall time per frame.

1. Pipeline overhead (goal <= 10 %): `PosePipeline.process` (BGR->RGB, backend, landmarks to arrays,
   One Euro smoothing, PoseFrame) against the bare model call on the same frames:
   - MediaPipe: `mp.solutions.pose.Pose.process(rgb)` on frames converted beforehand;
   - onnx: the `InferenceSession.run` calls the backend makes (detector and landmark model).
2. onnx vs MediaPipe with tracking (goal: onnx >= 1.3x faster): both pipelines, video mode.

Writes benchmarks/results/vision_throughput.{json,md}.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np

from hardware.cameras import CapturedFrame
from vision.backends.mediapipe_solution import SolutionPoseBackend
from vision.blazepose.pipeline import OnnxPoseBackend
from vision.pipeline import PosePipeline
from vision.samples import motion_frames
from vision.smoothing import LandmarkSmoother

RESULTS = Path(__file__).with_name("results")
REPEATS = 3
SIZE = (640, 480)


def _frames() -> list[CapturedFrame]:
    images = [cv2.resize(f, SIZE, interpolation=cv2.INTER_LINEAR) for f in motion_frames()] * 2
    return [CapturedFrame(image=image, t=i / 30, index=i) for i, image in enumerate(images)]


class _TimedSession:
    """Wraps an InferenceSession and adds up the wall and CPU time spent inside `run`."""

    def __init__(self, session) -> None:
        self._session = session
        self.wall = self.cpu = 0.0

    def run(self, *args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return self._session.run(*args, **kwargs)
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.process_time() - cpu

    def __getattr__(self, name: str):
        return getattr(self._session, name)


def _measure(setup: Callable[[], Callable[[CapturedFrame], object]], frames: list[CapturedFrame]) -> dict:
    """Per-frame ms of one run (after one warm-up frame): CPU mean, wall mean, wall p50/p95."""
    step = setup()
    step(frames[0])
    walls = []
    cpu = time.process_time()
    for frame in frames:
        start = time.perf_counter()
        step(frame)
        walls.append((time.perf_counter() - start) * 1000)
    cpu_ms = (time.process_time() - cpu) * 1000 / len(frames)
    return {
        "cpu_ms": cpu_ms,
        "wall_ms": float(np.mean(walls)),
        "wall_p50_ms": float(np.median(walls)),
        "wall_p95_ms": float(np.percentile(walls, 95)),
    }


def _best(runs: list[dict]) -> dict:
    best = min(runs, key=lambda r: r["cpu_ms"])
    return {k: round(v, 2) for k, v in best.items()}


def main() -> dict:
    frames = _frames()
    rgb_frames = {f.index: cv2.cvtColor(f.image, cv2.COLOR_BGR2RGB) for f in frames}
    onnx_inner: dict[str, list[dict]] = {"onnx_t1": [], "onnx_t2": []}

    def bare_mediapipe():
        pose = mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=False)
        return lambda frame: pose.process(rgb_frames[frame.index])

    def pipeline_mediapipe():
        pipeline = PosePipeline(SolutionPoseBackend(static=False), LandmarkSmoother(1.0, 0.05))
        return pipeline.process

    def pipeline_onnx(threads: int, key: str):
        def setup():
            backend = OnnxPoseBackend(static=False, threads=threads)
            backend._detector = detector = _TimedSession(backend._detector)
            backend._landmarker = landmarker = _TimedSession(backend._landmarker)
            pipeline = PosePipeline(backend, LandmarkSmoother(1.0, 0.05))
            runs = {"count": 0}

            def step(frame):
                runs["count"] += 1
                if runs["count"] == 2:  # after the warm-up frame
                    for session in (detector, landmarker):
                        session.wall = session.cpu = 0.0
                pipeline.process(frame)
                if runs["count"] == len(frames) + 1:
                    onnx_inner[key].append(
                        {
                            "cpu_ms": (detector.cpu + landmarker.cpu) * 1000 / len(frames),
                            "wall_ms": (detector.wall + landmarker.wall) * 1000 / len(frames),
                        }
                    )

            return step

        return setup

    configs = {
        "mediapipe_bare": bare_mediapipe,
        "mediapipe_pipeline": pipeline_mediapipe,
        "onnx_t1": pipeline_onnx(1, "onnx_t1"),
        "onnx_t2": pipeline_onnx(2, "onnx_t2"),
    }
    runs: dict[str, list[dict]] = {name: [] for name in configs}
    for _ in range(REPEATS):
        for name, setup in configs.items():
            runs[name].append(_measure(setup, frames))
    best = {name: _best(r) for name, r in runs.items()}
    inner = {name: _best(r) for name, r in onnx_inner.items()}

    def ratio(a: float, b: float) -> float:
        return round(a / b, 3)

    results = {
        "frames": len(frames),
        "frame_size": list(SIZE),
        "repeats": REPEATS,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_1m": os.getloadavg()[0],
        },
        "per_frame": best,
        "onnx_session_run": inner,
        "pipeline_overhead": {
            "mediapipe_cpu": ratio(best["mediapipe_pipeline"]["cpu_ms"], best["mediapipe_bare"]["cpu_ms"]),
            "mediapipe_wall": ratio(best["mediapipe_pipeline"]["wall_ms"], best["mediapipe_bare"]["wall_ms"]),
            "onnx_t1_cpu": ratio(best["onnx_t1"]["cpu_ms"], inner["onnx_t1"]["cpu_ms"]),
            "onnx_t1_wall": ratio(best["onnx_t1"]["wall_ms"], inner["onnx_t1"]["wall_ms"]),
            "goal": 1.10,
        },
        "onnx_speedup_vs_mediapipe": {
            "threads_1_cpu": ratio(best["mediapipe_pipeline"]["cpu_ms"], best["onnx_t1"]["cpu_ms"]),
            "threads_1_wall": ratio(best["mediapipe_pipeline"]["wall_ms"], best["onnx_t1"]["wall_ms"]),
            "threads_2_cpu": ratio(best["mediapipe_pipeline"]["cpu_ms"], best["onnx_t2"]["cpu_ms"]),
            "threads_2_wall": ratio(best["mediapipe_pipeline"]["wall_ms"], best["onnx_t2"]["wall_ms"]),
            "goal": 1.3,
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "vision_throughput.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "vision_throughput.md").write_text(_markdown(results))
    return results


def _markdown(r: dict) -> str:
    rows = "\n".join(
        f"| {name} | {v['cpu_ms']:.1f} | {v['wall_ms']:.1f} | {v['wall_p50_ms']:.1f} | {v['wall_p95_ms']:.1f} |"
        for name, v in r["per_frame"].items()
    )
    o, s = r["pipeline_overhead"], r["onnx_speedup_vs_mediapipe"]
    return f"""# Vision throughput

{r["frames"]} frames of {r["frame_size"][0]}x{r["frame_size"][1]} (the sample video of real photos, twice),
best of {r["repeats"]} interleaved runs; {r["machine"]["cpus"]} CPUs, load {r["machine"]["load_1m"]:.1f} at the end.
CPU = process CPU time per frame (all threads); wall = elapsed time per frame.

| configuration | CPU ms | wall ms | wall p50 | wall p95 |
|---|---|---|---|---|
{rows}

onnx `InferenceSession.run` share (t=1): {r["onnx_session_run"]["onnx_t1"]["cpu_ms"]:.1f} ms CPU,
{r["onnx_session_run"]["onnx_t1"]["wall_ms"]:.1f} ms wall per frame.

**Pipeline overhead** (pipeline / bare model call; goal <= {o["goal"]}):
MediaPipe {o["mediapipe_cpu"]} (CPU), {o["mediapipe_wall"]} (wall);
onnx {o["onnx_t1_cpu"]} (CPU), {o["onnx_t1_wall"]} (wall) — the onnx "bare call" is the sessions' run time,
so its overhead includes the whole graph reimplemented in Python (crop, NMS, projection, refinement).

**onnx vs MediaPipe with tracking** (MediaPipe time / onnx time; goal >= {s["goal"]}):
1 thread {s["threads_1_cpu"]} (CPU), {s["threads_1_wall"]} (wall);
2 threads {s["threads_2_cpu"]} (CPU), {s["threads_2_wall"]} (wall).
"""


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
