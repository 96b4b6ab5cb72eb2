"""A standing signaller filmed through the mocap rig with a pose model's jitter, and what the coach reads."""

import math

import numpy as np

from coach.context import FrameContext
from coach.engine import Coach, CoachConfig
from coach.events import CoachEvent
from vision import mocap


def keep(pose, weight):
    return pose


def signal_events(humanoid, standard, arms, start, end, yaw=0.0, seed=0) -> list[CoachEvent]:
    """The signal events, in order, while a standing signaller moves or holds `arms` from `start` to
    `end` seconds (and stands one more second)."""
    episode = mocap.Episode("signal", start, end, keep, time_varying=list(arms))
    rec = mocap.render(
        mocap.standing(),
        end + 1.0,
        camera=mocap.Camera(yaw_deg=yaw),
        episodes=[episode],
        noise=mocap.Noise(),
        seed=seed,
        humanoid=humanoid,
    )
    coach = Coach(CoachConfig(rules=("hand_signal",), signal_set=standard))
    for frame in rec.frames:
        coach.process(frame, FrameContext())
    coach.finish(rec.frames[-1].t)
    return [e for e in coach.events if e.kind == "signal"]


def signals_read(humanoid, standard, arms, start, end, yaw=0.0, seed=0) -> list[str]:
    """The names of `signal_events`."""
    return [e.detail["signal"] for e in signal_events(humanoid, standard, arms, start, end, yaw, seed)]


def circle_path(turns, radius=0.1, n_per_turn=30, jitter=0.0, seed=0):
    """A wrist path (lateral, up, forward) circling horizontally from phase 0, with optional jitter."""
    phase = np.linspace(0.0, 2 * math.pi * turns, max(2, round(n_per_turn * turns)))
    path = np.stack([radius * np.cos(phase), np.zeros_like(phase), radius * np.sin(phase)], axis=1)
    return path + np.random.default_rng(seed).normal(0.0, jitter, path.shape)
