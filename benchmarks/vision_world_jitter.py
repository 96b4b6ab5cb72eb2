"""Jitter of MediaPipe's world landmarks per axis, in centimetres: is the coach harness's noise real?

The coach accuracy harness (benchmarks/coach_accuracy.py, `vision.mocap.Noise`) jitters world landmarks
by 1.5 cm across and 3 cm in depth. This measures the real model the same way as the smoothing
benchmark does (vision_smoothing.still_photo_landmarks: video mode, unsmoothed, a still photo with
fresh sensor noise each frame) and reports, per photo, the median and p90 over the visible landmarks
of each axis's standard deviation, and the wrists'. A still photo is the model's best case: motion
blur and changing light in a workshop only add to it.

Writes benchmarks/results/vision_world_jitter.{json,md}.
"""

from __future__ import annotations

import json

import numpy as np
from vision_smoothing import RESULTS, VISIBLE, still_photo_landmarks

from vision.landmarks import Landmark as L
from vision.mocap import Noise
from vision.samples import PERSON_PHOTOS

AXES = ("x (across)", "y (up/down)", "z (depth)")


def photo_jitter(name: str) -> dict:
    image, world = still_photo_landmarks(name)
    seen = image[:, :, 3].mean(axis=0) > VISIBLE
    std_cm = world.std(axis=0) * 100  # (33, 3)
    wrists = [i for i in (L.LEFT_WRIST, L.RIGHT_WRIST) if seen[i]]
    return {
        "photo": name,
        "frames": len(world),
        "visible_landmarks": int(seen.sum()),
        "median_cm": np.median(std_cm[seen], axis=0).round(2).tolist(),
        "p90_cm": np.percentile(std_cm[seen], 90, axis=0).round(2).tolist(),
        "wrists_cm": {str(i): std_cm[i].round(2).tolist() for i in wrists},
    }


def main() -> dict:
    noise = Noise()
    results = {
        "harness_cm": [noise.world_sigma_m * 100, noise.world_sigma_m * 100, noise.depth_sigma_m * 100],
        "photos": [photo_jitter(name) for name in PERSON_PHOTOS],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "vision_world_jitter.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "vision_world_jitter.md").write_text(_markdown(results))
    return results


def _markdown(r: dict) -> str:
    def cm(values: list[float]) -> str:
        return " / ".join(f"{v:.2f}" for v in values)

    lines = [
        "# MediaPipe world-landmark jitter per axis",
        "",
        "Video mode, unsmoothed, on still photos with fresh sensor noise each frame (the smoothing",
        f"benchmark's set-up); standard deviation of each landmark per axis, in cm, as {' / '.join(AXES)}.",
        f"The coach harness jitters every landmark by {cm(r['harness_cm'])} cm (AR(1)).",
        "",
        "| photo | frames | visible landmarks | median over landmarks | p90 over landmarks | wrists |",
        "|---|---|---|---|---|---|",
    ]
    for p in r["photos"]:
        wrists = "; ".join(cm(v) for v in p["wrists_cm"].values()) or "not visible"
        lines.append(
            f"| {p['photo']} | {p['frames']} | {p['visible_landmarks']} | {cm(p['median_cm'])} "
            f"| {cm(p['p90_cm'])} | {wrists} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
