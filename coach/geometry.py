"""Body angles from world landmarks (metres, hip-centred, MediaPipe axes: x right, y down, z away).

Every angle the coach judges is computed here once per frame, so rules share one set of numbers.
The body frame (up, right, forward) is built from the hips and gravity, which makes the angles
independent of where the camera stands; only *how well* they can be judged depends on the view
(`Posture.view_yaw_deg`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vision.landmarks import Landmark as L

# 3-vectors are plain float tuples: on single vectors Python arithmetic is ~10x cheaper than numpy
# calls, and the coach's whole budget is 1 ms per frame.
Vec = tuple[float, float, float]
UP: Vec = (0.0, -1.0, 0.0)  # MediaPipe world y points down


def sub(a: Sequence[float], b: Sequence[float]) -> Vec:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def mid(a: Sequence[float], b: Sequence[float]) -> Vec:
    return ((a[0] + b[0]) * 0.5, (a[1] + b[1]) * 0.5, (a[2] + b[2]) * 0.5)


def dot(a: Sequence[float], b: Sequence[float]) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def scale(a: Sequence[float], k: float) -> Vec:
    return (a[0] * k, a[1] * k, a[2] * k)


def cross(a: Sequence[float], b: Sequence[float]) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def norm(a: Sequence[float]) -> float:
    return math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])


def unit(v: Sequence[float]) -> Vec:
    n = norm(v)
    return scale(v, 1.0 / n) if n > 1e-9 else (0.0, 0.0, 0.0)


def angle_deg(a: Sequence[float], b: Sequence[float]) -> float:
    """Unsigned angle between two vectors, degrees (0 for a zero vector)."""
    na, nb = norm(a), norm(b)
    if na < 1e-9 or nb < 1e-9:
        return 0.0
    return math.degrees(math.acos(max(-1.0, min(1.0, dot(a, b) / (na * nb)))))


def joint_flexion_deg(p: Sequence[float], joint: Sequence[float], d: Sequence[float]) -> float:
    """180° minus the interior angle at `joint` (0 = straight limb); shared/reference/ergonomics.md §2.1."""
    return 180.0 - angle_deg(sub(p, joint), sub(d, joint))


def _signed_in_plane(v: Vec, ref: Vec, pos: Vec, normal: Vec) -> float:
    """Angle of `v` from `ref` within the plane with `normal`, positive towards `pos`."""
    v = sub(v, scale(normal, dot(v, normal)))
    if dot(v, v) < 1e-12:
        return 0.0
    return math.degrees(math.atan2(dot(v, pos), dot(v, ref)))


@dataclass(frozen=True, slots=True)
class BodyFrame:
    """Gravity-aligned body axes: up, right (person's right), forward (where the pelvis faces)."""

    up: Vec
    right: Vec
    forward: Vec

    @classmethod
    def from_points(cls, w: Sequence[Sequence[float]]) -> BodyFrame:
        """From the hips (the pelvis defines where the body faces)."""
        return cls.from_right(sub(w[L.RIGHT_HIP], w[L.LEFT_HIP]))

    @classmethod
    def from_right(cls, right: Sequence[float]) -> BodyFrame:
        """From any left-to-right body line, levelled to gravity."""
        right = unit(sub(right, scale(UP, dot(right, UP))))
        return cls(up=UP, right=right, forward=unit(cross(UP, right)))


@dataclass(frozen=True, slots=True)
class SideArm:
    upper_arm_flexion_deg: float  # signed, + forward (sagittal projection)
    upper_arm_abduction_deg: float  # frontal-plane elevation away from the body
    upper_arm_elevation_deg: float  # 3D angle between trunk-down and the upper arm (any plane)
    elbow_flexion_deg: float
    wrist_flexion_deg: float


def arm_angles(w: Sequence[Sequence[float]], body: BodyFrame, trunk_up: Vec, left: bool) -> SideArm:
    if left:
        s, e, wr, index, pinky = L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_INDEX, L.LEFT_PINKY
    else:
        s, e, wr, index, pinky = L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_INDEX, L.RIGHT_PINKY
    upper = sub(w[e], w[s])
    down = scale(trunk_up, -1.0)
    trunk_forward = unit(cross(trunk_up, body.right))
    lateral = scale(body.right, -1.0) if left else body.right
    # Upper-arm flexion relative to the trunk in the sagittal plane, abduction in the frontal plane.
    flexion = _signed_in_plane(upper, down, trunk_forward, body.right)
    abduction = 0.0
    frontal = sub(upper, scale(trunk_forward, dot(upper, trunk_forward)))
    if dot(frontal, frontal) > 0.09 * dot(upper, upper):  # the frontal projection is meaningful
        abduction = max(0.0, _signed_in_plane(upper, down, lateral, trunk_forward))
    hand = mid(w[index], w[pinky])
    return SideArm(
        upper_arm_flexion_deg=flexion,
        upper_arm_abduction_deg=abduction,
        upper_arm_elevation_deg=angle_deg(upper, down),
        elbow_flexion_deg=joint_flexion_deg(w[s], w[e], w[wr]),
        wrist_flexion_deg=angle_deg(sub(w[wr], w[e]), sub(hand, w[wr])),
    )


@dataclass(frozen=True, slots=True)
class Posture:
    """The measured angles of one frame, in degrees (the REBA worksheet's inputs and more)."""

    trunk_flexion_deg: float  # + forward, - extension
    trunk_side_flexion_deg: float
    trunk_twist_deg: float  # shoulder line vs hip line about the trunk axis
    neck_flexion_deg: float  # + forward relative to the trunk, before the neutral offset
    neck_side_flexion_deg: float
    knee_flexion_deg_left: float
    knee_flexion_deg_right: float
    foot_height_difference_m: float
    left: SideArm
    right: SideArm
    view_yaw_deg: float  # where the camera sees the trainee from: 0 front, ±90 side, 180 back

    def angles(self) -> dict[str, float]:
        out = {
            "trunk_flexion_deg": self.trunk_flexion_deg,
            "trunk_side_flexion_deg": self.trunk_side_flexion_deg,
            "trunk_twist_deg": self.trunk_twist_deg,
            "neck_flexion_deg": self.neck_flexion_deg,
            "neck_side_flexion_deg": self.neck_side_flexion_deg,
            "knee_flexion_deg_left": self.knee_flexion_deg_left,
            "knee_flexion_deg_right": self.knee_flexion_deg_right,
        }
        for side, arm in (("left", self.left), ("right", self.right)):
            out[f"upper_arm_flexion_deg_{side}"] = arm.upper_arm_flexion_deg
            out[f"upper_arm_abduction_deg_{side}"] = arm.upper_arm_abduction_deg
            out[f"elbow_flexion_deg_{side}"] = arm.elbow_flexion_deg
            out[f"wrist_flexion_deg_{side}"] = arm.wrist_flexion_deg
        out["view_yaw_deg"] = self.view_yaw_deg
        return out


def posture(world: np.ndarray, hip_line: Sequence[float] | None = None) -> Posture:
    """All angles of one frame from its (33, 3) world landmarks.

    `hip_line` (left to right hip, e.g. low-passed over time) replaces this frame's hip line as the
    reference of the trunk twist: the hips are 0.2 m apart, so 3 cm of depth jitter turns a single
    frame's hip line by ~10°, while a twist is the shoulders turning over hips that stay put.
    """
    w = world.tolist()
    body = BodyFrame.from_points(w)
    mid_hip = mid(w[L.LEFT_HIP], w[L.RIGHT_HIP])
    mid_shoulder = mid(w[L.LEFT_SHOULDER], w[L.RIGHT_SHOULDER])
    trunk = sub(mid_shoulder, mid_hip)
    trunk_up = unit(trunk)
    # Trunk flexion = angle(mid-hip→mid-shoulder, gravity-up), signed forward; ergonomics.md §2.1.
    trunk_flexion = _signed_in_plane(trunk, body.up, body.forward, body.right)
    trunk_side = _signed_in_plane(trunk, body.up, body.right, body.forward)
    shoulder_line = sub(w[L.RIGHT_SHOULDER], w[L.LEFT_SHOULDER])
    pelvis = body if hip_line is None else BodyFrame.from_right(hip_line)
    twist = _signed_in_plane(shoulder_line, pelvis.right, pelvis.forward, trunk_up)
    neck = sub(mid(w[L.LEFT_EAR], w[L.RIGHT_EAR]), mid_shoulder)
    trunk_forward = unit(cross(trunk_up, body.right))
    neck_flexion = _signed_in_plane(neck, trunk_up, trunk_forward, body.right)
    neck_side = _signed_in_plane(neck, trunk_up, body.right, trunk_forward)
    return Posture(
        trunk_flexion_deg=trunk_flexion,
        trunk_side_flexion_deg=trunk_side,
        trunk_twist_deg=twist,
        neck_flexion_deg=neck_flexion,
        neck_side_flexion_deg=neck_side,
        knee_flexion_deg_left=joint_flexion_deg(w[L.LEFT_HIP], w[L.LEFT_KNEE], w[L.LEFT_ANKLE]),
        knee_flexion_deg_right=joint_flexion_deg(w[L.RIGHT_HIP], w[L.RIGHT_KNEE], w[L.RIGHT_ANKLE]),
        foot_height_difference_m=abs(dot(sub(w[L.LEFT_ANKLE], w[L.RIGHT_ANKLE]), UP)),
        left=arm_angles(w, body, trunk_up, left=True),
        right=arm_angles(w, body, trunk_up, left=False),
        # World axes follow the camera, so facing the camera means forward = -z.
        view_yaw_deg=math.degrees(math.atan2(body.forward[0], -body.forward[2])),
    )
