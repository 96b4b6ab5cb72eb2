"""Comparison with an instructor's reference demonstration by dynamic time warping.

Features are joint angles, not normalised per sequence: amplitude is the error
(shared/reference/motion_comparison.md §3.1, "practical recipe"). Every `every_s` seconds the student's
last `window_s` seconds are aligned to the demonstration (of the same step when the demonstration is
annotated with steps) by subsequence DTW (open begin and end on the demonstration; dtaidistance, C).
Each body part (trunk and legs, left arm, right arm) is aligned separately, so that one part's error does
not warp another's; along each path the mean per-joint residual localises the deviation, and a joint
beyond tolerance becomes an event.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from dtaidistance import dtw_ndim

from coach.events import CoachEvent
from coach.geometry import posture
from coach.rules import Features
from coach.temporal import Gate, Timing
from lab.bus.text import Text, UserError
from vision.posestream import PoseFrame

# (feature, joint name zh/en, words for student > demo, student < demo)
FEATURES: tuple[tuple[str, Text, Text, Text], ...] = (
    ("trunk_flexion_deg", Text("躯干", "trunk"), Text("多前屈", "bent further"), Text("少前屈", "bent less")),
    (
        "knee_flexion_deg_left",
        Text("左膝", "left knee"),
        Text("多弯曲", "bent more"),
        Text("少弯曲", "bent less"),
    ),
    (
        "knee_flexion_deg_right",
        Text("右膝", "right knee"),
        Text("多弯曲", "bent more"),
        Text("少弯曲", "bent less"),
    ),
    (
        "upper_arm_flexion_deg_left",
        Text("左上臂", "left upper arm"),
        Text("高", "higher"),
        Text("低", "lower"),
    ),
    (
        "upper_arm_flexion_deg_right",
        Text("右上臂", "right upper arm"),
        Text("高", "higher"),
        Text("低", "lower"),
    ),
    (
        "elbow_flexion_deg_left",
        Text("左肘", "left elbow"),
        Text("多弯曲", "bent more"),
        Text("少弯曲", "bent less"),
    ),
    (
        "elbow_flexion_deg_right",
        Text("右肘", "right elbow"),
        Text("多弯曲", "bent more"),
        Text("少弯曲", "bent less"),
    ),
)
FEATURE_NAMES = tuple(f[0] for f in FEATURES)
# Body parts aligned separately (per-body-part DTW, motion_comparison.md §3.1 "mnmDTW"):
# trunk and legs, left arm, right arm.
JOINT_GROUPS = ([0, 1, 2], [3, 5], [4, 6])


def feature_vector(angles: dict[str, float]) -> np.ndarray:
    return np.array([angles[name] for name in FEATURE_NAMES])


@dataclass(frozen=True)
class ReferenceDemo:
    """A demonstration as feature vectors per frame, with the step each frame belongs to (or None)."""

    features: np.ndarray  # (n, len(FEATURES)) degrees
    steps: tuple[str | None, ...]

    @classmethod
    def from_frames(
        cls, frames: Sequence[PoseFrame], step_marks: Sequence[tuple[float, str]] = ()
    ) -> ReferenceDemo:
        """Build from a recorded pose stream; `step_marks` are (start time, step id) in time order."""
        rows, steps = [], []
        marks = sorted(step_marks)
        for frame in frames:
            if frame.world is None:
                continue
            rows.append(feature_vector(posture(frame.world).angles()))
            current = [step for start, step in marks if start <= frame.t]
            steps.append(current[-1] if current else None)
        if len(rows) < 10:
            raise UserError(
                "参考示范太短（至少需要 10 帧有人的画面）",
                "the reference demonstration is too short (needs at least 10 frames with a person)",
            )
        return cls(features=np.asarray(rows), steps=tuple(steps))

    def segment(self, step_id: str | None) -> np.ndarray:
        if step_id is None or step_id not in self.steps:
            return self.features
        mask = np.array([s == step_id for s in self.steps])
        return self.features[mask]


def align(query: np.ndarray, reference: np.ndarray) -> list[tuple[int, int]]:
    """Subsequence DTW: the warping path of `query` against the best-matching part of `reference`."""
    n, m = len(query), len(reference)
    _, paths = dtw_ndim.warping_paths(query, reference, psi=(0, 0, m, m), use_c=True)
    last = paths[n, 1:]
    j = int(np.argmin(np.where(last >= 0, last, np.inf))) + 1
    i = n
    path = [(i - 1, j - 1)]
    while i > 1:
        options = (
            (paths[i - 1, j - 1], paths[i - 1, j], paths[i, j - 1])
            if j > 1
            else (np.inf, paths[i - 1, j], np.inf)
        )
        step = int(np.argmin([o if o >= 0 else np.inf for o in options]))
        if step == 0:
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            j -= 1
        path.append((i - 1, j - 1))
    path.reverse()
    return path


class ReferenceComparer:
    """Per-joint deviation events from a sliding-window alignment with the demonstration."""

    def __init__(
        self, demo: ReferenceDemo, window_s: float = 2.0, every_s: float = 1.0, tolerance_deg: float = 25.0
    ) -> None:
        self.demo = demo
        self.window_s = window_s
        self.every_s = every_s
        self.tolerance_deg = tolerance_deg
        self._buffer: deque[tuple[float, np.ndarray]] = deque()
        self._next = 0.0
        timing = Timing(
            enter=tolerance_deg, exit=tolerance_deg * 0.8, min_duration=0.0, min_clear=0.0, cooldown=3.0
        )
        self._gates = [Gate(timing) for _ in FEATURES]

    def update(self, f: Features, step_id: str | None) -> list[CoachEvent]:
        self._buffer.append((f.t, feature_vector(f.posture.angles())))
        while self._buffer and self._buffer[0][0] < f.t - self.window_s:
            self._buffer.popleft()
        if f.t < self._next or len(self._buffer) < 5:
            return []
        self._next = f.t + self.every_s
        query = np.stack([v for _, v in self._buffer])
        reference = self.demo.segment(step_id)
        residual = np.zeros(len(FEATURES))
        for group in JOINT_GROUPS:  # per body part, so one part's error does not warp another's
            qi, ri = np.array(align(query[:, group], reference[:, group])).T
            residual[group] = (query[qi][:, group] - reference[ri][:, group]).mean(axis=0)
        events = []
        for k, gate in enumerate(self._gates):
            if gate.update(f.t, abs(float(residual[k]))) == "start":
                events.append(self._event(f, k, float(residual[k]), step_id))
        return events

    def _event(self, f: Features, k: int, residual: float, step_id: str | None) -> CoachEvent:
        _, joint, more, less = FEATURES[k]
        how = more if residual > 0 else less
        where_zh = f"（步骤“{step_id}”）" if step_id else ""
        where_en = f" in step '{step_id}'" if step_id else ""
        return CoachEvent(
            rule_id="reference.deviation",
            kind="deviation",
            severity="info",
            body_part=joint.en.replace(" ", "_"),
            onset=f.t - self.window_s,
            detected_at=f.t,
            end=f.t,
            value=abs(residual),
            threshold=self.tolerance_deg,
            unit="deg",
            step_id=step_id,
            cue=Text(
                zh=f"{joint.zh}比示范{how.zh} {abs(residual):.0f}°{where_zh}。",
                en=f"{joint.en.capitalize()} {how.en} than the demonstration by {abs(residual):.0f}°{where_en}.",
            ),
            detail={"feature": FEATURE_NAMES[k]},
        )
