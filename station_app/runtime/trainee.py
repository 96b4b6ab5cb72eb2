"""The demo trainee: a pose stream from real motion capture, for stations without a camera.

A person standing at the crane's control pendant (a still frame of pybullet_data's DeepMimic "walk"
clip) filmed from an oblique angle, so that REBA and the posture rules can judge (a frontal view makes
them abstain). During the attempt they do what trainees do — reach up for the pendant on its hook,
twist to look back along the corridor, lean forward to watch the load going down — at seeded times,
with pose-model-like noise, through `vision.mocap`.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator

import numpy as np

from lab.bus.text import Text
from station_app.runtime.poses import RecordedPoses
from vision import mocap
from vision.posestream import PoseFrame

CAMERA = mocap.Camera(yaw_deg=40.0)
FPS = 30.0
STANDING_AT_S = 0.3  # the frame of the walk clip held as a standing pose
CHUNK_S = 5.0  # frames are rendered in chunks as the session reaches them, never further ahead
# (label, edit, earliest start, latest start in s): what the trainee does, when (seeded within the window)
SCRIPT = (
    ("overhead_reach", lambda rng: mocap.overhead_reach("right", float(rng.uniform(140, 165))), 6.0, 14.0),
    ("twist", lambda rng: mocap.twist(float(rng.uniform(30, 50))), 18.0, 28.0),
    ("stoop", lambda rng: mocap.stoop(float(rng.uniform(55, 75))), 32.0, 42.0),
)


def demo_trainee(seconds: float, seed: int) -> RecordedPoses:
    """Up to `seconds` of the demo trainee, seeded (the same seed gives the same stream)."""
    rng = np.random.default_rng([seed, 11])
    clip = mocap.Clip.load("walk").hold(STANDING_AT_S, seconds)
    episodes = []
    for label, edit, earliest, latest in SCRIPT:
        start = float(rng.uniform(earliest, latest))
        episodes.append(mocap.Episode(label, start, start + float(rng.uniform(2.5, 5.0)), edit(rng)))
    humanoid = mocap.Humanoid()

    def frames() -> Iterator[PoseFrame]:
        for chunk in itertools.count():
            offset = chunk * CHUNK_S
            if offset >= seconds - 1e-9:
                return
            shifted = [dataclasses.replace(e, start=e.start - offset, end=e.end - offset) for e in episodes]
            part = mocap.render(
                clip,
                min(CHUNK_S, seconds - offset),
                FPS,
                CAMERA,
                shifted,
                mocap.Noise(),
                seed=seed * 1009 + chunk,
                humanoid=humanoid,
            )
            for frame in part.frames:
                yield dataclasses.replace(frame, t=frame.t + offset)

    return RecordedPoses(
        frames(),
        Text(
            zh="动作捕捉生成的学员姿态（DeepMimic）",
            en="trainee poses generated from motion capture (DeepMimic)",
        ),
        on_close=humanoid.close,
    )
