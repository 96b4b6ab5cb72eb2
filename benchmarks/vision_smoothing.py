"""One Euro smoothing defaults, tuned by measurement (motion_comparison.md §3.3).

The authors' procedure, done with numbers instead of by eye: jitter on a still pose against lag on
a fast move, over a grid of (min_cutoff, beta), for the filter as the pipeline runs it
(`vision.smoothing.LandmarkSmoother`, speed scaled by body size like MediaPipe's).

1. Realistic landmark noise: MediaPipe (video mode, no smoothing) on still real photographs
   (scikit-image's astronaut and cameraman) with fresh sensor noise on every frame; its
   landmarks wander by a fraction of a percent of the body size, strongly correlated frame to frame.
2. Motion with known truth: motion-capture clips (`vision.mocap`) filmed at 30 fps, with that noise
   added (AR(1), the measured size and correlation): a person standing still, fast moves
   (punch, kick, spin kick) and the same moves slowed down.
3. Per setting: jitter = RMS error of the filtered landmarks on the still pose (% of body size);
   lag = the delay that best aligns the filtered landmarks with the truth, on the fast moves and on
   the same moves at a quarter speed (where the One Euro cutoff stays low and lags most), in ms;
   slow-move error = RMS error on the slow moves. Only landmarks the camera sees count.

Choice: the least jitter among settings whose lag is at most one frame (33 ms at 30 fps) on fast and
on slow moves, so the skeleton overlay and the coach stay within the design's latency budget
(DESIGN.md, Budgets); near-ties in jitter go to the higher min_cutoff.

Writes benchmarks/results/vision_smoothing.{json,md}.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from vision.backends.mediapipe_solution import SolutionPoseBackend
from vision.mocap import Clip, Humanoid, Noise, Recording, render, standing, with_noise
from vision.samples import PERSON_PHOTOS, photo_bgr
from vision.smoothing import LandmarkSmoother, object_scale

RESULTS = Path(__file__).with_name("results")
FPS = 30.0
SENSOR_NOISE = 3.0  # grey levels, a webcam in a lit workshop
STILL_FRAMES = 90
FAST_CLIPS = ("punch", "kick", "spinkick")
SECONDS = 6.0
MIN_CUTOFFS = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
BETAS = (0.05, 0.5, 2.0, 5.0, 10.0, 20.0, 40.0, 80.0)
JITTER_TIE = 0.10  # jitter within 10 % of the least counts as equal (three noise seeds)
MAX_LAG_MS = 1000 / FPS
MAX_SEARCH_MS = 600
SLOW_FACTOR = 4.0  # the fast moves at a quarter of their speed: a careful reach, a slow lift
PREVIOUS = (1.0, 0.05)  # the defaults before this measurement
MEDIAPIPE_POSE = (0.1, 40.0)  # pose_landmark_filtering.pbtxt, motion_comparison.md §3.3
VISIBLE = 0.5
SEEDS = (0, 1, 2)


def still_photo_landmarks(name: str) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe (video mode, unsmoothed) on one still photo with fresh sensor noise each frame: the
    image and world landmarks of every frame after tracking settles, (frames, 33, 4) and (frames, 33, 3)."""
    image = photo_bgr(name)
    rng = np.random.default_rng(0)
    backend = SolutionPoseBackend(static=False)
    frames = []
    for _ in range(STILL_FRAMES):
        noisy = np.clip(image + rng.normal(0, SENSOR_NOISE, image.shape), 0, 255).astype(np.uint8)
        frames.append(backend.estimate(cv2.cvtColor(noisy, cv2.COLOR_BGR2RGB)))
    backend.close()
    found = [(im, w) for im, w in frames[10:] if im is not None]  # after tracking settles
    return np.array([im for im, _ in found]), np.array([w for _, w in found])


def model_noise() -> dict:
    """Jitter of the real model on still photos: std / body size and lag-1 autocorrelation."""
    stds, correlations = [], []
    for name in PERSON_PHOTOS:
        points, _ = still_photo_landmarks(name)
        seen = points[:, :, 3].mean(axis=0) > VISIBLE
        deviation = (points[:, seen, :2] - points[:, seen, :2].mean(axis=0)).reshape(len(points), -1)
        stds += list(deviation.std(axis=0) / object_scale(points[0]))
        correlations += [np.corrcoef(d[1:], d[:-1])[0, 1] for d in deviation.T]
    return {
        "std_of_body_size": float(np.median(stds)),
        "lag1_correlation": float(np.median(correlations)),
        "photos": list(PERSON_PHOTOS),
    }


def _smooth(recording: Recording, min_cutoff: float, beta: float) -> np.ndarray:
    smoother = LandmarkSmoother(min_cutoff, beta)
    return np.array([smoother(f.t, f.image, f.world)[0] for f in recording.frames])


def _truth(clean: Recording) -> tuple[np.ndarray, np.ndarray, float]:
    image = np.array([f.image for f in clean.frames])
    return image[:, :, :2], image[:, :, 3] >= VISIBLE, object_scale(image[0])


def rms_error(noisy: Recording, clean: Recording, min_cutoff: float, beta: float) -> float:
    """RMS error of the filtered landmarks against the truth, % of body size (after 1 s to settle)."""
    truth, seen, scale = _truth(clean)
    error = _smooth(noisy, min_cutoff, beta)[:, :, :2] - truth
    settled = slice(int(FPS), None)
    return float(np.sqrt(np.mean(np.square(error[settled][seen[settled]]))) / scale * 100)


def _delayed(truth: np.ndarray, delays_s: np.ndarray) -> np.ndarray:
    """truth(t - d) for every delay d, linearly interpolated: (delays, frames, landmarks, 2)."""
    frames = np.arange(len(truth)) - delays_s[:, np.newaxis] * FPS
    frames = np.clip(frames, 0, len(truth) - 1)
    low = np.floor(frames).astype(int)
    high = np.minimum(low + 1, len(truth) - 1)
    weight = (frames - low)[:, :, np.newaxis, np.newaxis]
    return truth[low] * (1 - weight) + truth[high] * weight


def lag_ms(noisy: Recording, clean: Recording, min_cutoff: float, beta: float) -> float:
    """The delay d that minimises the RMS of filtered(t) - truth(t - d), in ms (1 ms steps)."""
    truth, seen, _ = _truth(clean)
    filtered = _smooth(noisy, min_cutoff, beta)[:, :, :2]
    settled = slice(int(FPS), None)  # the filter starts on the first frame: skip a second
    delays = np.arange(0, MAX_SEARCH_MS + 1) / 1000
    error = np.square(filtered[np.newaxis] - _delayed(truth, delays)).sum(axis=-1)
    mask = seen[np.newaxis, settled]
    mean = (error[:, settled] * mask).sum(axis=(1, 2)) / mask.sum()
    return float(np.argmin(mean))


def slowed(clip: Clip, factor: float) -> Clip:
    """The same movement `factor` times slower."""
    return Clip(name=f"{clip.name}/{factor:g}", poses=clip.poses, times=clip.times * factor)


def main() -> dict:
    noise_measured = model_noise()
    humanoid = Humanoid()
    try:
        still = render(standing(SECONDS), SECONDS, FPS, humanoid=humanoid)
        clips = [Clip.load(name) for name in FAST_CLIPS]
        fast = {c.name: render(c, SECONDS, FPS, humanoid=humanoid) for c in clips}
        slow = {c.name: render(slowed(c, SLOW_FACTOR), SECONDS, FPS, humanoid=humanoid) for c in clips}
    finally:
        humanoid.close()
    body = object_scale(still.frames[0].image)
    noise = Noise(
        image_sigma=noise_measured["std_of_body_size"] * body,
        correlation=noise_measured["lag1_correlation"],
    )
    still_noisy = [with_noise(still, noise, seed) for seed in SEEDS]
    fast_noisy = {name: with_noise(clip, noise, 0) for name, clip in fast.items()}
    slow_noisy = {name: with_noise(clip, noise, 0) for name, clip in slow.items()}
    passthrough = (1e6, 0.0)  # a cutoff so high that nothing is filtered
    raw_jitter = float(np.mean([rms_error(n, still, *passthrough) for n in still_noisy]))
    raw_slow = float(np.mean([rms_error(slow_noisy[k], slow[k], *passthrough) for k in slow]))
    grid = []
    for min_cutoff in MIN_CUTOFFS:
        for beta in BETAS:
            lags = {name: lag_ms(fast_noisy[name], clip, min_cutoff, beta) for name, clip in fast.items()}
            slow_lags = {
                name: lag_ms(slow_noisy[name], clip, min_cutoff, beta) for name, clip in slow.items()
            }
            slow_errors = [rms_error(slow_noisy[name], clip, min_cutoff, beta) for name, clip in slow.items()]
            grid.append(
                {
                    "min_cutoff": min_cutoff,
                    "beta": beta,
                    "still_jitter_pct": round(
                        float(np.mean([rms_error(n, still, min_cutoff, beta) for n in still_noisy])), 3
                    ),
                    "slow_error_pct": round(float(np.mean(slow_errors)), 3),
                    "fast_lag_ms": lags,
                    "worst_fast_lag_ms": max(lags.values()),
                    "slow_lag_ms": slow_lags,
                    "worst_slow_lag_ms": max(slow_lags.values()),
                }
            )
            print(grid[-1], flush=True)
    acceptable = [g for g in grid if max(g["worst_fast_lag_ms"], g["worst_slow_lag_ms"]) <= MAX_LAG_MS]
    least = min(g["still_jitter_pct"] for g in acceptable)
    tied = [g for g in acceptable if g["still_jitter_pct"] <= least * (1 + JITTER_TIE)]
    chosen = max(tied, key=lambda g: (g["min_cutoff"], -g["still_jitter_pct"]))

    def find(setting: tuple[float, float]) -> dict | None:
        return next((g for g in grid if (g["min_cutoff"], g["beta"]) == setting), None)

    results = {
        "fps": FPS,
        "model_noise": noise_measured,
        "noise_added": {"image_sigma": noise.image_sigma, "correlation": noise.correlation},
        "raw_still_jitter_pct": round(raw_jitter, 3),
        "raw_slow_error_pct": round(raw_slow, 3),
        "max_lag_ms": round(MAX_LAG_MS, 1),
        "chosen": chosen,
        "previous_defaults": find(PREVIOUS),
        "mediapipe_pose_defaults": find(MEDIAPIPE_POSE),
        "grid": grid,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "vision_smoothing.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "vision_smoothing.md").write_text(_markdown(results))
    return results


def _markdown(r: dict) -> str:
    def row(g: dict) -> str:
        lags = ", ".join(f"{v:.0f}" for v in g["fast_lag_ms"].values())
        return (
            f"| {g['min_cutoff']} | {g['beta']} | {g['still_jitter_pct']:.2f} "
            f"| {g['worst_slow_lag_ms']:.0f} | {g['slow_error_pct']:.2f} | {lags} |"
        )

    def line(label: str, g: dict) -> str:
        return (
            f"{label} ({g['min_cutoff']} / {g['beta']}): still jitter {g['still_jitter_pct']:.2f} %, "
            f"worst lag {g['worst_fast_lag_ms']:.0f} ms fast, {g['worst_slow_lag_ms']:.0f} ms slow; "
            f"slow-move error {g['slow_error_pct']:.2f} %."
        )

    c, n = r["chosen"], r["model_noise"]
    table = "\n".join(row(g) for g in r["grid"])
    return f"""# Vision smoothing: One Euro defaults

Noise of the real model: MediaPipe (video mode, unsmoothed) on still photos ({", ".join(n["photos"])}, 512x512)
with fresh sensor noise each frame moves landmarks by {n["std_of_body_size"] * 100:.2f} % of body size (std),
lag-1 correlation {n["lag1_correlation"]:.2f}. That noise is added to motion-capture clips at {r["fps"]:.0f} fps.
Unfiltered: a still pose is off by {r["raw_still_jitter_pct"]:.2f} % of body size (RMS), the slow moves
({", ".join(FAST_CLIPS)} at 1/{SLOW_FACTOR:g} speed) by {r["raw_slow_error_pct"]:.2f} %.

Rule: the least still jitter among settings that lag by at most one frame ({r["max_lag_ms"]} ms) on the fast
and on the slow moves (lag = the delay that best aligns filtered and true landmarks); jitter within
{JITTER_TIE:.0%} of the least counts as a tie, and a tie goes to the higher min_cutoff (it follows slow
drifts sooner).

**Chosen: min_cutoff {c["min_cutoff"]}, beta {c["beta"]}**: still jitter {c["still_jitter_pct"]:.2f} % of body size
({c["still_jitter_pct"] / r["raw_still_jitter_pct"]:.2f} of unfiltered); worst lag {c["worst_fast_lag_ms"]:.0f} ms on fast
moves, {c["worst_slow_lag_ms"]:.0f} ms on slow ones; slow-move error {c["slow_error_pct"]:.2f} %.

{line("Previous defaults", r["previous_defaults"])}
{line("MediaPipe's pose defaults", r["mediapipe_pose_defaults"])}

| min_cutoff | beta | still jitter (% body) | slow-move worst lag ms | slow-move error (% body) | fast-move lag ms ({", ".join(FAST_CLIPS)}) |
|---|---|---|---|---|---|
{table}
"""


if __name__ == "__main__":
    main()
