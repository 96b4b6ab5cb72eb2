"""Per-frame cost of all coach rules (budget: p95 <= 1 ms, DESIGN.md "Budgets").

Runs the coach with every rule group, a hand-signal set, a danger zone and a reference demonstration
over a mocap stream, and quotes the cost against a reference measured in the same run: the pose
geometry alone (what any rule needs). Writes benchmarks/results/coach_cost.{json,md}.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from coach.context import DangerZone, FrameContext
from coach.engine import Coach, CoachConfig
from coach.geometry import posture
from coach.reba import RebaInputs
from coach.reference import ReferenceDemo
from vision import mocap

RESULTS = Path(__file__).with_name("results")


def main() -> None:
    walk = mocap.Clip.load("walk")
    episode = mocap.Episode("stoop", 4.0, 8.0, mocap.straight_knee_lift())
    rec = mocap.render(walk, 20.0, camera=mocap.Camera(yaw_deg=45), episodes=[episode], noise=mocap.Noise())
    demo = ReferenceDemo.from_frames(mocap.render(walk, 4.0, noise=mocap.Noise(), seed=1).frames)
    zone = DangerZone("press", np.array([[0.8, 0.5], [1.0, 0.5], [1.0, 0.9], [0.8, 0.9]]))
    ctx = FrameContext(step_id="lift", machine_active=True, danger_zones=(zone,), reba=RebaInputs(load_kg=8))
    configs = {
        "rules_only": CoachConfig(),
        "rules_signals": CoachConfig(signal_set="asme_b30"),
        "all_with_reference": CoachConfig(signal_set="asme_b30", reference=demo),
    }
    geometry = []
    for frame in rec.frames:
        t0 = time.perf_counter()
        posture(frame.world)
        geometry.append(time.perf_counter() - t0)
    results = {"frames": len(rec.frames), "geometry_ms": _stats(geometry)}
    for name, config in configs.items():
        coach = Coach(config)
        costs = []
        for frame in rec.frames:
            t0 = time.perf_counter()
            coach.process(frame, ctx)
            costs.append(time.perf_counter() - t0)
        results[name] = {
            **_stats(costs),
            "ratio_p50_to_geometry": float(np.median(costs) / np.median(geometry)),
        }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "coach_cost.json").write_text(json.dumps(results, indent=2))
    lines = [
        "# Coach cost per frame",
        "",
        f"{results['frames']} frames of mocap (walk + stooped lift, jitter).",
        "",
    ]
    lines += ["| configuration | p50 ms | p95 ms | p99 ms | p50 / geometry |", "|---|---|---|---|---|"]
    for name in configs:
        r = results[name]
        lines.append(
            f"| {name} | {r['p50']:.3f} | {r['p95']:.3f} | {r['p99']:.3f} | {r['ratio_p50_to_geometry']:.1f}x |"
        )
    g = results["geometry_ms"]
    lines += [
        "",
        f"Reference (pose geometry alone): p50 {g['p50']:.3f} ms, p95 {g['p95']:.3f} ms. Budget: p95 ≤ 1 ms.",
    ]
    (RESULTS / "coach_cost.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _stats(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1e3
    return {
        "p50": float(np.median(ms)),
        "p95": float(np.percentile(ms, 95)),
        "p99": float(np.percentile(ms, 99)),
    }


if __name__ == "__main__":
    main()
