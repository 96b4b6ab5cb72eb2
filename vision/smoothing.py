"""One Euro filter over landmarks, visibility-aware (motion_comparison.md §3.3).

Casiez et al. 2012: a low-pass whose cutoff rises with speed, so a still joint does not jitter and a
moving one does not lag. The formulation is MediaPipe's (`util/filtering/one_euro_filter.cc`): the
speed is taken from the previous raw value and divided by the object's size (value scaling), so one
beta suits near and far persons; the onnx backend uses the same filter for its tracking ROI, exactly
as MediaPipe does. Visibility-aware: a landmark the model cannot see (low visibility, the occlusion
complaint in coach_anchors.md §1.8) follows its new value only in proportion to its visibility,
and visibility itself is low-passed.
"""

from __future__ import annotations

import math

import numpy as np

VISIBILITY_ALPHA = 0.1  # MediaPipe's visibility low-pass, motion_comparison.md §3.3
DERIVATIVE_CUTOFF = 1.0  # Hz, the paper's d_cutoff
MIN_VISIBILITY_WEIGHT = 0.1
RESET_AFTER_S = 0.5  # a longer gap (person lost, camera stalled) starts the filter afresh
# Pose-landmark defaults, measured by benchmarks/vision_smoothing.py (results/vision_smoothing.md): the
# least jitter on a still pose that lags at most one frame at 30 fps on fast and slow moves. The
# configuration's [vision] min_cutoff / beta defaults are these values (a test keeps them equal).
MIN_CUTOFF = 0.1  # Hz
BETA = 20.0  # per body size per second (speed is divided by the object's size)


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


def object_scale(points: np.ndarray) -> float:
    """Mean of the bounding box's width and height (MediaPipe's GetObjectScale), never zero."""
    extent = points[:, :2].max(axis=0) - points[:, :2].min(axis=0)
    return max(float(extent.mean()), 1e-6)


class OneEuroFilter:
    """Vectorised One Euro filter: every element of the array is filtered independently."""

    def __init__(self, min_cutoff: float, beta: float, derivative_cutoff: float = DERIVATIVE_CUTOFF) -> None:
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.derivative_cutoff = derivative_cutoff
        self.reset()

    def reset(self) -> None:
        self._raw: np.ndarray | None = None
        self._value = np.zeros(0)
        self._derivative = np.zeros(0)
        self._t = 0.0

    def __call__(
        self, t: float, value: np.ndarray, scale: float = 1.0, weight: np.ndarray | float = 1.0
    ) -> np.ndarray:
        """Filtered `value` at time `t`; `scale` is the object size, `weight` in [0, 1] damps updates."""
        if self._raw is None or not (0 < t - self._t <= RESET_AFTER_S):
            self._raw, self._value, self._derivative, self._t = (
                value.copy(),
                value.copy(),
                np.zeros_like(value),
                t,
            )
            return value.copy()
        dt = t - self._t
        derivative = (value - self._raw) / scale / dt
        self._derivative += _alpha(self.derivative_cutoff, dt) * (derivative - self._derivative)
        cutoff = self.min_cutoff + self.beta * np.abs(self._derivative)
        self._value += weight * _alpha(cutoff, dt) * (value - self._value)
        self._raw, self._t = value.copy(), t
        return self._value.copy()


class LandmarkSmoother:
    """Smooths a person's image and world landmarks between frames of one stream."""

    def __init__(self, min_cutoff: float, beta: float) -> None:
        self._image = OneEuroFilter(min_cutoff, beta)
        self._world = OneEuroFilter(min_cutoff, beta)
        self._visibility: np.ndarray | None = None
        self._t = 0.0

    def reset(self) -> None:
        self._image.reset()
        self._world.reset()
        self._visibility = None

    def __call__(self, t: float, image: np.ndarray, world: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not (0 < t - self._t <= RESET_AFTER_S):
            self.reset()
        self._t = t
        visibility = image[:, 3]
        if self._visibility is None:
            self._visibility = visibility.copy()
        else:
            self._visibility += VISIBILITY_ALPHA * (visibility - self._visibility)
        weight = np.clip(visibility, MIN_VISIBILITY_WEIGHT, 1.0)[:, np.newaxis]
        smoothed = np.empty_like(image)
        smoothed[:, :3] = self._image(t, image[:, :3], scale=object_scale(image), weight=weight)
        smoothed[:, 3] = self._visibility
        world_smoothed = self._world(t, world, scale=object_scale(world), weight=weight)
        return smoothed, world_smoothed
