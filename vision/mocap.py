"""Pose streams from real human motion: DeepMimic motion-capture clips played through forward kinematics.

pybullet_data ships DeepMimic clips (`data/motions/humanoid3d_*.txt`) for its `humanoid/humanoid.urdf`.
Each clip frame is [duration, root position (3), root rotation (w, x, y, z), then per joint: chest,
neck, right hip, right knee (1 angle), right ankle, right shoulder, right elbow (1), left hip, left knee
(1), left ankle, left shoulder, left elbow (1)] in the character's frame: x forward, y up, z right.
We pose the humanoid in a pybullet DIRECT client, read its joint centres, place BlazePose's 33 landmarks
on them (face, hand and foot points as fixed offsets in the head, forearm and foot frames), and film it
with a pinhole camera: image landmarks are normalised to [0, 1] with visibility lowered when a point is
out of frame or hidden behind the torso; world landmarks are metres, hip-centred, in MediaPipe's axes
(x right in the image, y down, z away from the camera).

Controlled perturbations (stoop, straight-knee lift, overhead reach, twist, a crane hand signal, jitter,
occlusion) are applied in joint space or on the landmarks, so the coach's accuracy can be measured on
labelled sequences built from real motion.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pybullet
import pybullet_data
from matplotlib.path import Path as MplPath
from pybullet_utils import bullet_client

from lab.bus.text import UserError
from vision.landmarks import NUM_LANDMARKS
from vision.landmarks import Landmark as L
from vision.posestream import PoseFrame, PoseStreamHeader, PoseStreamWriter

MOTIONS_DIR = Path(pybullet_data.getDataPath()) / "data" / "motions"
URDF = "humanoid/humanoid.urdf"
SCALE = 0.25  # the DeepMimic humanoid URDF is modelled 4x; 0.25 gives a 1.62 m person

# Joint order of a clip frame after the root, with the pybullet joint index each drives.
_CLIP_LAYOUT: tuple[tuple[str, int, int], ...] = (  # name, pybullet joint, number of values
    ("chest", 1, 4),
    ("neck", 2, 4),
    ("right_hip", 9, 4),
    ("right_knee", 10, 1),
    ("right_ankle", 11, 4),
    ("right_shoulder", 3, 4),
    ("right_elbow", 4, 1),
    ("left_hip", 12, 4),
    ("left_knee", 13, 1),
    ("left_ankle", 14, 4),
    ("left_shoulder", 6, 4),
    ("left_elbow", 7, 1),
)
_LINK = {name: joint for name, joint, _ in _CLIP_LAYOUT} | {"right_wrist": 5, "left_wrist": 8}

# Landmarks as (link, offset in that link's frame, metres). Head centre is 0.175 m above the neck joint.
_HEAD = np.array([0.0, 0.175, 0.0])
_OFFSETS: dict[L, tuple[str, tuple[float, float, float]]] = {
    L.NOSE: ("neck", (0.10, 0.165, 0.0)),
    L.LEFT_EYE_INNER: ("neck", (0.09, 0.20, -0.015)),
    L.LEFT_EYE: ("neck", (0.085, 0.20, -0.03)),
    L.LEFT_EYE_OUTER: ("neck", (0.075, 0.20, -0.045)),
    L.RIGHT_EYE_INNER: ("neck", (0.09, 0.20, 0.015)),
    L.RIGHT_EYE: ("neck", (0.085, 0.20, 0.03)),
    L.RIGHT_EYE_OUTER: ("neck", (0.075, 0.20, 0.045)),
    L.LEFT_EAR: ("neck", (0.0, 0.18, -0.075)),
    L.RIGHT_EAR: ("neck", (0.0, 0.18, 0.075)),
    L.MOUTH_LEFT: ("neck", (0.085, 0.13, -0.025)),
    L.MOUTH_RIGHT: ("neck", (0.085, 0.13, 0.025)),
    L.LEFT_PINKY: ("left_wrist", (-0.02, -0.085, 0.0)),
    L.RIGHT_PINKY: ("right_wrist", (-0.02, -0.085, 0.0)),
    L.LEFT_INDEX: ("left_wrist", (0.025, -0.095, 0.0)),
    L.RIGHT_INDEX: ("right_wrist", (0.025, -0.095, 0.0)),
    L.LEFT_THUMB: ("left_wrist", (0.035, -0.045, 0.01)),
    L.RIGHT_THUMB: ("right_wrist", (0.035, -0.045, -0.01)),
    L.LEFT_HEEL: ("left_ankle", (-0.04, -0.05, 0.0)),
    L.RIGHT_HEEL: ("right_ankle", (-0.04, -0.05, 0.0)),
    L.LEFT_FOOT_INDEX: ("left_ankle", (0.13, -0.05, 0.0)),
    L.RIGHT_FOOT_INDEX: ("right_ankle", (0.13, -0.05, 0.0)),
}
_JOINT_LANDMARKS: dict[L, str] = {
    L.LEFT_SHOULDER: "left_shoulder",
    L.RIGHT_SHOULDER: "right_shoulder",
    L.LEFT_ELBOW: "left_elbow",
    L.RIGHT_ELBOW: "right_elbow",
    L.LEFT_WRIST: "left_wrist",
    L.RIGHT_WRIST: "right_wrist",
    L.LEFT_HIP: "left_hip",
    L.RIGHT_HIP: "right_hip",
    L.LEFT_KNEE: "left_knee",
    L.RIGHT_KNEE: "right_knee",
    L.LEFT_ANKLE: "left_ankle",
    L.RIGHT_ANKLE: "right_ankle",
}
# Points that can hide behind the torso: arms and hands, legs and feet.
_LIMB_POINTS = (*range(L.LEFT_ELBOW, L.LEFT_HIP), *range(L.LEFT_KNEE, NUM_LANDMARKS))


def available_clips() -> list[str]:
    """Names of the humanoid clips shipped with pybullet_data (e.g. "walk", "punch")."""
    return sorted(p.stem.removeprefix("humanoid3d_") for p in MOTIONS_DIR.glob("humanoid3d_*.txt"))


@dataclass(frozen=True)
class Clip:
    """A motion clip: one pose per key frame and the time each key frame starts."""

    name: str
    poses: np.ndarray  # (n, 43): root position, root quaternion (w, x, y, z), joint values
    times: np.ndarray  # (n,) seconds

    @property
    def duration(self) -> float:
        return float(self.times[-1])

    @classmethod
    def load(cls, name: str) -> Clip:
        path = MOTIONS_DIR / f"humanoid3d_{name}.txt"
        if not path.exists():
            raise UserError(
                f"没有名为 {name} 的动作片段（可用：{', '.join(available_clips())}）",
                f"no motion clip named {name} (available: {', '.join(available_clips())})",
            )
        frames = np.asarray(json.loads(path.read_text())["Frames"], dtype=np.float64)
        times = np.concatenate([[0.0], np.cumsum(frames[:-1, 0])])
        return cls(name=name, poses=frames[:, 1:], times=times)

    def hold(self, t: float, seconds: float = 1.0) -> Clip:
        """A still clip: this clip's pose at time t (a trainee standing, e.g. to give hand signals)."""
        pose = self.sample(t)
        return Clip(name=f"{self.name}@{t:g}", poses=np.stack([pose, pose]), times=np.array([0.0, seconds]))

    def sample(self, t: float) -> np.ndarray:
        """The pose at time t (looping), quaternions slerped and angles interpolated."""
        t = t % self.duration if self.duration > 0 else 0.0
        i = int(np.searchsorted(self.times, t, side="right") - 1)
        i = min(max(i, 0), len(self.times) - 2)
        a = (t - self.times[i]) / max(self.times[i + 1] - self.times[i], 1e-9)
        p0, p1 = self.poses[i], self.poses[i + 1]
        out = p0 + (p1 - p0) * a
        for start in _quaternion_slots():
            out[start : start + 4] = _slerp(p0[start : start + 4], p1[start : start + 4], a)
        return out


def standing(seconds: float = 1.0) -> Clip:
    """A person standing at ease (walk clip's first root pose, legs straight, arms hanging at the sides).

    The base for hand-signal sequences: a signaller stands still; jitter comes from `Noise`.
    """
    pose = Clip.load("walk").sample(0.0)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        for joint in ("hip", "ankle"):
            pose[joint_slice(f"{side}_{joint}")] = (1.0, 0.0, 0.0, 0.0)
        pose[joint_slice(f"{side}_knee")] = 0.0
        pose[joint_slice(f"{side}_shoulder")] = quat_wxyz((1, 0, 0), sign * 6.0)
        pose[joint_slice(f"{side}_elbow")] = 0.15
    pose[joint_slice("chest")] = (1.0, 0.0, 0.0, 0.0)
    pose[joint_slice("neck")] = (1.0, 0.0, 0.0, 0.0)
    return Clip(name="standing", poses=np.stack([pose, pose]), times=np.array([0.0, seconds]))


def _quaternion_slots() -> list[int]:
    slots, index = [3], 7
    for _, _, width in _CLIP_LAYOUT:
        if width == 4:
            slots.append(index)
        index += width
    return slots


def _slerp(q0: np.ndarray, q1: np.ndarray, a: float) -> np.ndarray:
    dot = float(q0 @ q1)
    if dot < 0.0:
        q1, dot = -q1, -dot
    if dot > 0.9995:
        q = q0 + (q1 - q0) * a
        return q / np.linalg.norm(q)
    theta = math.acos(dot)
    return (math.sin((1 - a) * theta) * q0 + math.sin(a * theta) * q1) / math.sin(theta)


def quat_wxyz(axis: Sequence[float], angle_deg: float) -> np.ndarray:
    """Rotation about `axis` (character frame: x forward, y up, z right) as (w, x, y, z)."""
    axis = np.asarray(axis, dtype=np.float64) / np.linalg.norm(axis)
    half = math.radians(angle_deg) / 2
    return np.concatenate([[math.cos(half)], axis * math.sin(half)])


def quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product of two (w, x, y, z) quaternions."""
    w1, x1, y1, z1 = a
    w2, x2, y2, z2 = b
    return np.array(
        [
            w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
            w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
            w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
            w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
        ]
    )


def joint_slice(name: str) -> slice:
    """Where joint `name`'s values sit in a pose vector (after the 7 root values)."""
    index = 7
    for joint, _, width in _CLIP_LAYOUT:
        if joint == name:
            return slice(index, index + width)
        index += width
    raise KeyError(name)


@contextlib.contextmanager
def _quiet_stdio() -> Iterator[None]:
    """Silence C-level writes to stdout/stderr (so `--json` output stays clean)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


class Humanoid:
    """The DeepMimic humanoid in its own pybullet DIRECT client; poses in, 33 landmarks (metres, y up) out."""

    def __init__(self) -> None:
        with _quiet_stdio():  # pybullet's C code prints banners and URDF warnings on stdout
            self._client = bullet_client.BulletClient(connection_mode=pybullet.DIRECT)
            self._client.setAdditionalSearchPath(pybullet_data.getDataPath())
            self._body = self._client.loadURDF(URDF, [0, 0, 0], globalScaling=SCALE, useFixedBase=False)

    def close(self) -> None:
        self._client.disconnect()

    def __enter__(self) -> Humanoid:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def landmarks(self, pose: np.ndarray) -> np.ndarray:
        """(33, 3) landmark positions in the character's world frame (x forward, y up, z right)."""
        c = self._client
        root_q = pose[3:7]
        c.resetBasePositionAndOrientation(self._body, pose[0:3].tolist(), [*root_q[1:], root_q[0]])
        index = 7
        for _, joint, width in _CLIP_LAYOUT:
            values = pose[index : index + width]
            if width == 4:
                c.resetJointStateMultiDof(self._body, joint, [*values[1:], values[0]])
            else:
                c.resetJointState(self._body, joint, float(values[0]))
            index += width
        states = c.getLinkStates(self._body, list(_LINK.values()), computeForwardKinematics=True)
        frames = {
            name: (np.asarray(s[4]), np.asarray(c.getMatrixFromQuaternion(s[5])).reshape(3, 3))
            for name, s in zip(_LINK, states, strict=True)
        }
        out = np.zeros((NUM_LANDMARKS, 3))
        for landmark, link in _JOINT_LANDMARKS.items():
            out[landmark] = frames[link][0]
        for landmark, (link, offset) in _OFFSETS.items():
            position, rotation = frames[link]
            out[landmark] = position + rotation @ np.asarray(offset)
        return out


@dataclass(frozen=True)
class Camera:
    """A pinhole camera looking horizontally at the trainee.

    `yaw_deg` is where it stands around the trainee's starting facing direction: 0 in front, 90 at
    the trainee's right side, -90 at the left. Distance and height in metres; horizontal field of view
    and aspect ratio as a webcam's.
    """

    yaw_deg: float = 0.0
    distance_m: float = 3.0
    height_m: float = 1.1
    hfov_deg: float = 60.0
    aspect: float = 4 / 3

    def axes(self) -> tuple[np.ndarray, np.ndarray]:
        """Camera centre and rotation (rows: image right, image down, viewing direction) in the world."""
        yaw = math.radians(self.yaw_deg)
        toward_camera = np.array([math.cos(yaw), 0.0, math.sin(yaw)])  # character frame x forward, z right
        centre = toward_camera * self.distance_m + np.array([0.0, self.height_m, 0.0])
        view = -toward_camera
        down = np.array([0.0, -1.0, 0.0])
        right = np.cross(down, view)
        return centre, np.stack([right, down, view])

    @property
    def focal(self) -> tuple[float, float]:
        """Focal lengths in normalised image units (x, y)."""
        fx = 0.5 / math.tan(math.radians(self.hfov_deg) / 2)
        return fx, fx * self.aspect

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """Points (n, 3) from the character frame to camera axes: x right, y down, z forward."""
        centre, rotation = self.axes()
        return (points - centre) @ rotation.T

    def to_image(self, cam: np.ndarray) -> np.ndarray:
        """Camera-axes points (n, 3) to normalised image coordinates (n, 2)."""
        fx, fy = self.focal
        depth = np.maximum(cam[:, 2], 0.05)
        return np.stack([0.5 + fx * cam[:, 0] / depth, 0.5 + fy * cam[:, 1] / depth], axis=1)

    def floor_homography(self) -> np.ndarray:
        """The calibration a station would measure: normalised image point on the floor -> floor metres.

        Floor axes are the character frame's x (the trainee's starting forward) and z (right), at y = 0.
        """
        floor = np.array([[-1.0, 0.0, -1.0], [1.0, 0.0, -1.0], [1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]])
        image = self.to_image(self.to_camera(floor))
        rows, rhs = [], []
        for (u, v), (x, _, z) in zip(image, floor, strict=True):  # direct linear transform, h33 = 1
            rows += [[u, v, 1, 0, 0, 0, -u * x, -v * x], [0, 0, 0, u, v, 1, -u * z, -v * z]]
            rhs += [x, z]
        return np.append(np.linalg.solve(np.asarray(rows), np.asarray(rhs)), 1.0).reshape(3, 3)

    def film(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image landmarks (33, 4) and world landmarks (33, 3) of landmark positions in the character frame."""
        cam = self.to_camera(points)
        hip = (cam[L.LEFT_HIP] + cam[L.RIGHT_HIP]) / 2
        image = np.empty((NUM_LANDMARKS, 4))
        image[:, :2] = self.to_image(cam)
        # MediaPipe's image z: depth relative to the hips, in image-width units.
        image[:, 2] = (cam[:, 2] - hip[2]) * self.focal[0] / max(hip[2], 0.05)
        image[:, 3] = _visibility(image, cam)
        return image, cam - hip


def _visibility(image: np.ndarray, cam: np.ndarray) -> np.ndarray:
    """1.0 for a point the camera sees; 0.05 outside the frame, 0.2 behind the torso or a turned head."""
    vis = np.ones(NUM_LANDMARKS)
    outside = (image[:, 0] < 0) | (image[:, 0] > 1) | (image[:, 1] < 0) | (image[:, 1] > 1)
    torso = MplPath(image[[L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.RIGHT_HIP, L.LEFT_HIP], :2])
    torso_depth = cam[[L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.RIGHT_HIP, L.LEFT_HIP], 2].mean()
    for i in _LIMB_POINTS:
        if cam[i, 2] > torso_depth + 0.08 and torso.contains_point(image[i, :2]):
            vis[i] = 0.2
    if cam[L.NOSE, 2] > (cam[L.LEFT_EAR, 2] + cam[L.RIGHT_EAR, 2]) / 2:  # face turned away
        vis[: L.LEFT_SHOULDER] = 0.2
    vis[outside] = 0.05
    return vis


# A perturbation edits a pose vector at time t with weight w in [0, 1] (its envelope).
PoseEdit = Callable[[np.ndarray, float], np.ndarray]


def _rotate_joint(pose: np.ndarray, joint: str, axis: Sequence[float], angle_deg: float) -> None:
    s = joint_slice(joint)
    pose[s] = quat_mul(pose[s], quat_wxyz(axis, angle_deg))


def _pitch_pelvis(pose: np.ndarray, forward_deg: float) -> None:
    """Tip the pelvis (and so the trunk) forward about the hip axis, keeping the legs where they were."""
    pose[3:7] = quat_mul(pose[3:7], quat_wxyz((0, 0, 1), -forward_deg))
    for hip in ("left_hip", "right_hip"):
        s = joint_slice(hip)
        pose[s] = quat_mul(quat_wxyz((0, 0, 1), forward_deg), pose[s])


def stoop(trunk_deg: float = 70.0) -> PoseEdit:
    """Bend forward at the hips (the legs keep doing what the clip does)."""

    def edit(pose: np.ndarray, w: float) -> np.ndarray:
        _pitch_pelvis(pose, trunk_deg * w)
        return pose

    return edit


def straight_knee_lift(trunk_deg: float = 70.0) -> PoseEdit:
    """Stooped lift: trunk bent forward at the hips with both legs straight and vertical."""

    def edit(pose: np.ndarray, w: float) -> np.ndarray:
        for side in ("left", "right"):
            pose[joint_slice(f"{side}_knee")] *= 1 - w
            for joint in ("hip", "ankle"):
                s = joint_slice(f"{side}_{joint}")
                pose[s] = _slerp(pose[s], np.array([1.0, 0.0, 0.0, 0.0]), w)
        _pitch_pelvis(pose, trunk_deg * w)
        return pose

    return edit


def squat_lift(knee_deg: float = 100.0, trunk_deg: float = 35.0) -> PoseEdit:
    """The correct lift: knees and hips bent, back kept fairly upright (a negative for `stooped_lift`)."""

    def edit(pose: np.ndarray, w: float) -> np.ndarray:
        for side in ("left", "right"):
            pose[joint_slice(f"{side}_hip")] = quat_wxyz((0, 0, 1), knee_deg * 0.55 * w)
            pose[joint_slice(f"{side}_knee")] = -math.radians(knee_deg) * w
            pose[joint_slice(f"{side}_ankle")] = quat_wxyz((0, 0, 1), knee_deg * 0.45 * w)
        pose[1] -= 0.25 * w  # the pelvis drops as the knees bend
        _pitch_pelvis(pose, trunk_deg * w)
        return pose

    return edit


def overhead_reach(side: str = "right", elevation_deg: float = 160.0) -> PoseEdit:
    """Raise one arm (or "both") above the head: shoulder flexion about the right axis, elbow straight."""
    sides = ("left", "right") if side == "both" else (side,)

    def edit(pose: np.ndarray, w: float) -> np.ndarray:
        for s in sides:
            target = quat_wxyz((0, 0, 1), elevation_deg)
            pose[joint_slice(f"{s}_shoulder")] = _slerp(pose[joint_slice(f"{s}_shoulder")], target, w)
            pose[joint_slice(f"{s}_elbow")] *= 1 - w
        return pose

    return edit


def twist(angle_deg: float = 40.0) -> PoseEdit:
    """Axial trunk rotation (chest about the vertical axis)."""

    def edit(pose: np.ndarray, w: float) -> np.ndarray:
        _rotate_joint(pose, "chest", (0, 1, 0), angle_deg * w)
        return pose

    return edit


def _eased(x: float) -> float:
    """0 before, 1 after, a cosine in between: a movement that speeds up and slows down."""
    return (1.0 - math.cos(math.pi * min(1.0, max(0.0, x)))) / 2


def trunk_turn(angle_deg: float, start_s: float, turn_s: float, hold_s: float) -> Callable[[float], PoseEdit]:
    """The trunk turned (`twist`) by `angle_deg` over `turn_s` from `start_s`, held `hold_s`, and turned
    back as fast: e.g. a signaller following the load while an arm is held out (it turns with the chest)."""
    back_s = start_s + turn_s + hold_s

    def at(t: float) -> PoseEdit:
        return twist(angle_deg * (_eased((t - start_s) / turn_s) - _eased((t - back_s) / turn_s)))

    return at


def arm_pose(side: str, shoulder: np.ndarray, elbow_rad: float) -> PoseEdit:
    """Blend one arm towards a fixed shoulder rotation and elbow angle (used for hand signals)."""

    def edit(pose: np.ndarray, w: float) -> np.ndarray:
        pose[joint_slice(f"{side}_shoulder")] = _slerp(pose[joint_slice(f"{side}_shoulder")], shoulder, w)
        e = joint_slice(f"{side}_elbow")
        pose[e] = pose[e] * (1 - w) + elbow_rad * w
        return pose

    return edit


def signal_arm(
    side: str,
    raise_deg: float,
    swing_deg: float = 0.0,
    swing_hz: float = 1.2,
    elbow_rad: float = 0.0,
    roll_deg: float = 0.0,
    circle_deg: float = 0.0,
    forearm_circle_deg: float = 0.0,
) -> Callable[[float], PoseEdit]:
    """A signalling arm over time: raised sideways by `raise_deg` (90 = level, 180 = straight up),
    swinging back and forth horizontally by ±`swing_deg` at `swing_hz` (e.g. ASME B30 "stop").

    `roll_deg` turns the arm about its own axis first, so that a bent elbow (`elbow_rad`) lifts the
    forearm upwards instead of forwards (e.g. GB 5082 "hook up"). `circle_deg` moves the arm's axis
    round a cone of that half-angle at `swing_hz`, so the hand draws circles (ASME/EU hoist and lower).
    `forearm_circle_deg` instead circles a bent forearm about the elbow: the arm rolls forward and back
    by that much while the elbow opens and closes by as much, a quarter turn apart, so a vertical
    forearm's hand draws a horizontal circle (ASME "hoist"; the cone would tilt the forearm's circle
    into the vertical plane of the level upper arm).
    """
    raised = quat_wxyz((1, 0, 0), -raise_deg if side == "right" else raise_deg)
    start = quat_mul(raised, quat_wxyz((0, 1, 0), roll_deg))

    def at(t: float) -> PoseEdit:
        phase = 2 * math.pi * swing_hz * t
        swing = quat_wxyz((0, 1, 0), swing_deg * math.sin(phase))
        base = start
        elbow = elbow_rad
        if forearm_circle_deg:
            roll = roll_deg + forearm_circle_deg * math.cos(phase)
            base = quat_mul(raised, quat_wxyz((0, 1, 0), roll))
            elbow = elbow_rad + math.radians(forearm_circle_deg) * math.sin(phase)
        # Tilts about the two axes across the (resting, hanging) arm, a quarter turn apart: a cone.
        cone = quat_mul(
            quat_wxyz((1, 0, 0), circle_deg * math.cos(phase)),
            quat_wxyz((0, 0, 1), circle_deg * math.sin(phase)),
        )
        return arm_pose(side, quat_mul(swing, quat_mul(base, cone)), elbow)

    return at


# The rig's trunk (standing()): hips 0.85 m, chest joint 1.08 m and shoulder joints 1.32 m above the
# floor, shoulders 0.18 m either side of the midline; upper arm 0.27 m, forearm 0.26 m.
_HIPS_TO_SHOULDER_M, _CHEST_TO_SHOULDER_M, _HALF_SHOULDERS_M = 0.47, 0.24, 0.18
_UPPER_ARM_M, _FOREARM_M = 0.27, 0.26
PUSH_ELBOW_DEG = 10.0  # the elbow bent at the back of a push, straight at its end


def push_arm(
    side: str,
    toward: str,
    travel_m: float = 0.12,
    push_hz: float = 1.0,
    raise_deg: float = 90.0,
) -> Callable[[float], PoseEdit]:
    """A straight arm pushing along its own axis, held out to the "side" or "forward" (ASME B30.2
    travel: "pushing motion in travel direction"; EU 92/58 right/left: "small movements in that
    direction"; shared/reference/hand_signals.md §4.2, §4.4).

    The hand goes `travel_m` out along the arm and back, `push_hz` times a second, while the arm keeps
    pointing the same way (`raise_deg` as in `signal_arm`: 90 = level). A straight arm can hardly push
    by itself: an elbow opening from `PUSH_ELBOW_DEG` (10°) to straight lengthens it by 2 mm, and more
    bend would no longer be a straight arm (hand_signals.md §4.2: "extended" = elbow interior angle
    > 150°). A person pushes with the body behind the arm: the shoulder girdle and the trunk go with
    the hand. The rig has no shoulder girdle, so the trunk does it all, more than a person's would: for
    a side push it leans sideways towards the arm, at the hips and by as much again at the chest (10°
    each for 0.12 m of travel); for a forward push it leans forward at the hips (8°) and the chest turns
    the pushing shoulder forward (16°). The elbow opens on the way out and bends on the way back; the
    shoulder joint takes back the trunk's rotation and the elbow's bend, so the shoulder→wrist line keeps
    its direction and the hand moves along it.
    """
    sign = 1.0 if side == "right" else -1.0
    if toward == "side":
        arm = quat_wxyz((1, 0, 0), -sign * raise_deg)
        # Sideways (about the forward axis, x) towards the arm: the hips and the chest each as much.
        lever = _HIPS_TO_SHOULDER_M + _CHEST_TO_SHOULDER_M
        pelvis, chest = ((1, 0, 0), -sign), ((1, 0, 0), -sign)  # (axis, degrees per degree of lean)
    elif toward == "forward":
        arm = quat_wxyz((0, 0, 1), raise_deg)
        # Forward at the hips (about the lateral axis, z); the chest turns twice that (about y, up).
        lever = _HIPS_TO_SHOULDER_M + 2 * _HALF_SHOULDERS_M
        pelvis, chest = ((0, 0, 1), -1.0), ((0, 1, 0), 2 * sign)
    else:
        raise ValueError(toward)
    lean_deg = math.degrees(travel_m / lever)  # small angles: the shoulder moves lever x angle

    def at(t: float) -> PoseEdit:
        out = (1.0 - math.cos(2 * math.pi * push_hz * t)) / 2  # 0 at the back of the push, 1 at its end
        bend = math.radians(PUSH_ELBOW_DEG) * (1.0 - out)
        # The upper arm turns back by the angle the bent elbow puts the hand off its line.
        off_line = math.atan2(_FOREARM_M * math.sin(bend), _UPPER_ARM_M + _FOREARM_M * math.cos(bend))

        def edit(pose: np.ndarray, w: float) -> np.ndarray:
            lean = lean_deg * out * w
            tilt, turn = quat_wxyz(pelvis[0], pelvis[1] * lean), quat_wxyz(chest[0], chest[1] * lean)
            pose[3:7] = quat_mul(pose[3:7], tilt)
            for hip in ("left_hip", "right_hip"):  # the legs stay where they were
                s = joint_slice(hip)
                pose[s] = quat_mul(_conjugate(tilt), pose[s])
            s = joint_slice("chest")
            pose[s] = quat_mul(pose[s], turn)
            back = quat_mul(_conjugate(quat_mul(tilt, turn)), arm)
            shoulder = quat_mul(back, quat_wxyz((0, 0, 1), math.degrees(off_line)))
            return arm_pose(side, shoulder, -bend)(pose, w)

        return edit

    return at


def _conjugate(q: np.ndarray) -> np.ndarray:
    return q * np.array([1.0, -1.0, -1.0, -1.0])


# Key poses for `arm_keyframes` (raise_deg, swing_deg, elbow_rad, roll_deg): GB 5082 "stop" sweeps the
# forearm from level before the chest out to the side; "hook horizontal" drops the arm from raised to the
# side and up down to level (shared/reference/hand_signals.md §4.3).
GB_CHEST = (70.0, 50.0, -1.6, 180.0)
GB_OUT = (85.0, 0.0, -0.1, 180.0)
GB_TOP = (140.0, 0.0, 0.0, 0.0)
LEVEL = (90.0, 0.0, 0.0, 0.0)


def arm_keyframes(
    side: str,
    keys: Sequence[tuple[float, float, float, float, float]],
    period_s: float,
    start_s: float = 0.0,
) -> Callable[[float], PoseEdit]:
    """A signalling arm moving through key poses, looping every `period_s` seconds from `start_s`.

    Each key is (time in the loop s, raise_deg, swing_deg, elbow_rad, roll_deg) with `signal_arm`'s
    meanings (swing: about the vertical, + forward); poses in between are interpolated linearly.
    E.g. GB 5082 "stop": forearm level in front of the chest (raise 70, swing 50, elbow -1.6, roll
    180), swept out to the side (raise 85, swing 0, elbow straight).
    """
    times = np.array([k[0] for k in keys] + [period_s])
    values = np.array([k[1:] for k in keys] + [keys[0][1:]])

    def at(t: float) -> PoseEdit:
        raise_deg, swing_deg, elbow_rad, roll_deg = (
            float(np.interp((t - start_s) % period_s, times, values[:, i])) for i in range(4)
        )
        raised = quat_wxyz((1, 0, 0), -raise_deg if side == "right" else raise_deg)
        swing = quat_wxyz((0, 1, 0), swing_deg if side == "right" else -swing_deg)
        shoulder = quat_mul(swing, quat_mul(raised, quat_wxyz((0, 1, 0), roll_deg)))
        return arm_pose(side, shoulder, elbow_rad)

    return at


def compose(*edits: PoseEdit) -> PoseEdit:
    def edit(pose: np.ndarray, w: float) -> np.ndarray:
        for e in edits:
            pose = e(pose, w)
        return pose

    return edit


@dataclass(frozen=True)
class Episode:
    """A perturbation applied from `start` to `end` seconds, ramping in and out over `ramp` seconds."""

    label: str
    start: float
    end: float
    edit: PoseEdit
    ramp: float = 0.3
    time_varying: Callable[[float], PoseEdit] | Sequence[Callable[[float], PoseEdit]] | None = (
        None  # movements
    )

    def edit_at(self, t: float) -> PoseEdit:
        """The edit at time t: fixed, or built from the time-varying movement(s)."""
        if self.time_varying is None:
            return self.edit
        movements = self.time_varying if isinstance(self.time_varying, Sequence) else (self.time_varying,)
        return compose(*(m(t) for m in movements))

    def weight(self, t: float) -> float:
        if t < self.start or t > self.end:
            return 0.0
        return min(1.0, (t - self.start) / self.ramp, (self.end - t) / self.ramp) if self.ramp > 0 else 1.0


@dataclass
class Recording:
    """Frames plus the controlled labels that produced them."""

    header: PoseStreamHeader
    frames: list[PoseFrame]
    episodes: list[tuple[str, float, float]] = field(default_factory=list)
    truth: list[np.ndarray] = field(default_factory=list)  # noise-free world landmarks per frame

    def write(self, path: Path | str) -> None:
        with PoseStreamWriter(path, self.header) as writer:
            for frame in self.frames:
                writer.write(frame)


@dataclass(frozen=True)
class Noise:
    """Landmark noise like a real pose model's: temporally correlated jitter, more in depth, and dropouts.

    During an occlusion the hidden landmarks get a low visibility (drawn in [0.05, 0.45]) and, like a
    real model guessing a hidden limb (coach_anchors.md §1.8, mediapipe #5806), a position error of
    `occluded_sigma_m` that stays put for the occlusion.
    """

    world_sigma_m: float = 0.015
    depth_sigma_m: float = 0.03
    image_sigma: float = 0.003
    correlation: float = 0.6  # AR(1) coefficient frame to frame
    occlusions: tuple[tuple[float, float, tuple[int, ...]], ...] = ()  # (start, end, landmark indices)
    occluded_sigma_m: float = 0.0


# Landmark groups that a workshop hides together: a forearm and hand behind the body or a workpiece,
# the legs behind a bench.
OCCLUSION_GROUPS: tuple[tuple[int, ...], ...] = (
    (L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB),
    (L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_PINKY, L.RIGHT_INDEX, L.RIGHT_THUMB),
    (L.LEFT_WRIST, L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB),
    (L.RIGHT_WRIST, L.RIGHT_PINKY, L.RIGHT_INDEX, L.RIGHT_THUMB),
    tuple(range(L.LEFT_KNEE, NUM_LANDMARKS)),
)


def random_occlusions(
    seconds: float,
    rng: np.random.Generator,
    mean_gap_s: float = 6.0,
    duration_s: tuple[float, float] = (0.3, 2.0),
) -> tuple[tuple[float, float, tuple[int, ...]], ...]:
    """Occlusions at random times (exponential gaps) of random landmark groups, for `Noise.occlusions`."""
    out, t = [], float(rng.exponential(mean_gap_s))
    while t < seconds:
        length = float(rng.uniform(*duration_s))
        out.append((t, t + length, OCCLUSION_GROUPS[int(rng.integers(len(OCCLUSION_GROUPS)))]))
        t += length + float(rng.exponential(mean_gap_s))
    return tuple(out)


def render(
    clip: Clip,
    seconds: float,
    fps: float = 30.0,
    camera: Camera | None = None,
    episodes: Sequence[Episode] = (),
    noise: Noise | None = None,
    seed: int = 0,
    in_place: bool = True,
    humanoid: Humanoid | None = None,
) -> Recording:
    """Play `clip` for `seconds` through FK, apply `episodes`, film with `camera`, add `noise`.

    `in_place` removes the root's horizontal travel (a treadmill), so a walking trainee stays in view.
    """
    camera = camera or Camera()
    own = humanoid is None
    body = humanoid or Humanoid()
    frames: list[PoseFrame] = []
    truth: list[np.ndarray] = []
    try:
        origin = clip.sample(0.0)[[0, 2]]
        for k in range(round(seconds * fps)):
            t = k / fps
            pose = clip.sample(t).copy()
            if in_place:
                pose[[0, 2]] = origin
            for episode in episodes:
                w = episode.weight(t)
                if w > 0:
                    pose = episode.edit_at(t)(pose, w)
            image, world = camera.film(body.landmarks(pose))
            truth.append(world)
            frames.append(PoseFrame(t=t, image=image, world=world))
    finally:
        if own:
            body.close()
    header = PoseStreamHeader(
        fps=fps, extra={"source": f"mocap:{clip.name}", "camera_yaw_deg": camera.yaw_deg}
    )
    labels = [(e.label, e.start, e.end) for e in episodes]
    recording = Recording(header=header, frames=frames, episodes=labels, truth=truth)
    return with_noise(recording, noise, seed) if noise is not None else recording


def with_noise(clean: Recording, noise: Noise, seed: int = 0) -> Recording:
    """The same recording seen through a noisy pose model (the clean one is kept as `truth`)."""
    rng = np.random.default_rng(seed)
    rho = noise.correlation
    innovation = math.sqrt(1 - rho * rho)
    sigma = np.array([noise.world_sigma_m, noise.world_sigma_m, noise.depth_sigma_m])
    state_world = np.zeros((NUM_LANDMARKS, 3))
    state_image = np.zeros((NUM_LANDMARKS, 2))
    guesses = {  # per occlusion: its fixed position error and visibility
        k: (rng.normal(size=(len(idx), 3)) * noise.occluded_sigma_m, rng.uniform(0.05, 0.45, len(idx)))
        for k, (_, _, idx) in enumerate(noise.occlusions)
    }
    frames = []
    for frame in clean.frames:
        state_world *= rho
        state_world += rng.normal(size=state_world.shape) * sigma * innovation
        state_image *= rho
        state_image += rng.normal(size=state_image.shape) * noise.image_sigma * innovation
        world = frame.world + state_world
        image = frame.image.copy()
        image[:, :2] += state_image
        for k, (start, end, indices) in enumerate(noise.occlusions):
            if start <= frame.t <= end:
                error, visibility = guesses[k]
                world[list(indices)] += error
                image[list(indices), 3] = visibility
        frames.append(PoseFrame(t=frame.t, image=image, world=world))
    return replace(clean, frames=frames)
