"""One Euro smoothing: less jitter when still, little lag when moving, visibility-aware, resets."""

from __future__ import annotations

import numpy as np
import pytest

from station_app.config import DEFAULTS
from vision.pipeline import PipelineSettings
from vision.smoothing import BETA, MIN_CUTOFF, LandmarkSmoother, OneEuroFilter

FPS = 30.0


def _run(filter_: OneEuroFilter, values: np.ndarray) -> np.ndarray:
    return np.array([filter_(i / FPS, np.array([v]))[0] for i, v in enumerate(values)])


def test_a_constant_signal_passes_unchanged() -> None:
    out = _run(OneEuroFilter(1.0, 0.05), np.full(30, 0.42))
    np.testing.assert_allclose(out, 0.42)


def test_jitter_of_a_still_point_is_reduced() -> None:
    noisy = 0.5 + np.random.default_rng(1).normal(0, 0.01, 300)
    out = _run(OneEuroFilter(1.0, 0.0), noisy)
    assert out[30:].std() < noisy[30:].std() / 3


def test_beta_reduces_lag_when_moving_fast() -> None:
    ramp = np.linspace(0.0, 1.0, 30)  # a full frame width per second
    slow = _run(OneEuroFilter(1.0, 0.0), ramp)
    fast = _run(OneEuroFilter(1.0, 5.0), ramp)
    assert abs(ramp[-1] - fast[-1]) < abs(ramp[-1] - slow[-1]) / 2


def test_a_gap_in_time_restarts_the_filter() -> None:
    filter_ = OneEuroFilter(1.0, 0.0)
    filter_(0.0, np.array([0.0]))
    assert filter_(1.0 / FPS, np.array([1.0]))[0] < 0.5
    assert filter_(2.0, np.array([0.7]))[0] == 0.7  # 2 s later: a new track, no memory


def _person(x: float, visibility: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    image = np.zeros((33, 4))
    image[:, 0] = x + np.linspace(0, 0.2, 33)
    image[:, 1] = np.linspace(0.2, 0.9, 33)
    image[:, 3] = visibility
    world = np.zeros((33, 3))
    world[:, 1] = np.linspace(-0.8, 0.9, 33)
    world[:, 0] = x
    return image, world


def test_hidden_landmarks_follow_a_jump_more_slowly_than_visible_ones() -> None:
    visibility = np.where(np.arange(33) < 16, 0.95, 0.1)
    smoother = LandmarkSmoother(min_cutoff=1.0, beta=0.05)
    smoother(0.0, *_person(0.3, visibility))
    image, world = smoother(1 / FPS, *_person(0.4, visibility))
    moved = image[:, 0] - _person(0.3, visibility)[0][:, 0]
    assert moved[:16].min() > 3 * moved[16:].max() > 0
    assert world.shape == (33, 3) and world[:16, 0].min() > world[16:, 0].max()


def test_visibility_is_low_passed() -> None:
    smoother = LandmarkSmoother(min_cutoff=1.0, beta=0.05)
    smoother(0.0, *_person(0.3, np.full(33, 1.0)))
    image, _ = smoother(1 / FPS, *_person(0.3, np.full(33, 0.0)))
    np.testing.assert_allclose(image[:, 3], 0.9)  # one step of alpha 0.1


def test_the_configured_defaults_are_the_tuned_ones() -> None:
    """One set of numbers: config, pipeline and smoothing agree (benchmarks/vision_smoothing.py)."""
    assert (DEFAULTS["vision"]["min_cutoff"], DEFAULTS["vision"]["beta"]) == (MIN_CUTOFF, BETA)
    assert (PipelineSettings().min_cutoff, PipelineSettings().beta) == (MIN_CUTOFF, BETA)


def test_tuned_defaults_halve_model_like_jitter_on_a_still_point() -> None:
    """Correlated noise like the real model's (AR(1), 0.4 % of body size): RMS error at most 0.6 x."""
    rng = np.random.default_rng(3)
    rho, noise, state = 0.6, np.zeros(300), 0.0
    for i in range(len(noise)):
        state = rho * state + rng.normal() * 0.004 * np.sqrt(1 - rho * rho)
        noise[i] = state
    out = _run(OneEuroFilter(MIN_CUTOFF, BETA), 0.5 + noise)
    assert np.sqrt(np.mean((out[30:] - 0.5) ** 2)) < 0.6 * np.sqrt(np.mean(noise[30:] ** 2))


@pytest.mark.parametrize("speed", [0.5, 2.0])  # body sizes per second: a steady reach, a swing
def test_tuned_defaults_lag_less_than_a_frame_on_a_move(speed: float) -> None:
    ramp = speed * np.arange(60) / FPS
    out = _run(OneEuroFilter(MIN_CUTOFF, BETA), ramp)
    lag_frames = (ramp[-1] - out[-1]) / speed * FPS
    assert 0 <= lag_frames < 1.0
