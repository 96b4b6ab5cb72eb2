"""The posture and safety rules: what each measures, its thresholds, the views and joints it needs, its cue.

A rule is data plus one measuring function. The engine gates it: if a needed landmark is not visible
or the camera's view does not allow the judgement, the rule abstains (and says so) instead of guessing.
No rule looks at anything but posture and motion (no emotion, no attention).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from coach.context import DangerZone, FrameContext
from coach.geometry import Posture
from coach.reba import RebaScores
from coach.temporal import Timing
from lab.bus.text import Text
from vision.landmarks import Landmark as L

VISIBLE = 0.5  # MediaPipe visibility below this: the landmark is treated as occluded


@dataclass(frozen=True, slots=True)
class Features:
    """Everything rules read for one frame, computed once."""

    t: float
    image: np.ndarray
    world: np.ndarray
    posture: Posture
    reba: RebaScores
    visibility: list[float]  # image[:, 3] as floats (cheap to index per landmark)


@dataclass(frozen=True, slots=True)
class Measurement:
    value: float
    body_part: str


def view_class(yaw_deg: float) -> str:
    """front (|yaw| ≤ 30°), oblique (30–60° or 120–150°), side (60–120°), back (> 150°)."""
    a = abs(yaw_deg)
    if a <= 30.0:
        return "front"
    if a > 150.0:
        return "back"
    return "side" if 60.0 < a <= 120.0 else "oblique"


ALL_VIEWS = frozenset({"front", "oblique", "side", "back"})
SAGITTAL_VIEWS = frozenset({"oblique", "side"})  # flexion happens in depth when seen from the front


@dataclass(frozen=True)
class Rule:
    rule_id: str
    severity: str
    unit: str
    timing: Timing
    needs: tuple[L, ...]  # landmarks that must be visible
    views: frozenset[str]
    cue: Text  # may use {value} and {threshold}
    measure: Callable[[Features, FrameContext, dict[str, float]], Measurement | None]
    params: tuple[tuple[str, float], ...] = ()  # rule-specific thresholds, overridable per scenario/class
    smooth_s: float = 0.1  # low-pass time constant on the measured value against landmark jitter

    def with_overrides(self, overrides: dict[str, float]) -> Rule:
        """A copy with timing/params replaced by a scenario's or class's thresholds."""
        unknown = set(overrides) - set(Timing.__dataclass_fields__) - {k for k, _ in self.params}
        if unknown:
            raise KeyError(", ".join(sorted(unknown)))
        timing = Timing(
            **{k: float(overrides.get(k, getattr(self.timing, k))) for k in Timing.__dataclass_fields__}
        )
        params = tuple((k, float(overrides.get(k, v))) for k, v in self.params)
        return Rule(**{**self.__dict__, "timing": timing, "params": params})


def _stooped_lift(f: Features, ctx: FrameContext, p: dict[str, float]) -> Measurement | None:
    knees = (f.posture.knee_flexion_deg_left + f.posture.knee_flexion_deg_right) / 2
    straight = knees < p["straight_knee_deg"]
    return Measurement(f.posture.trunk_flexion_deg if straight else 0.0, "back")


def _overhead_reach(f: Features, ctx: FrameContext, p: dict[str, float]) -> Measurement:
    left, right = f.posture.left.upper_arm_elevation_deg, f.posture.right.upper_arm_elevation_deg
    return Measurement(left, "left_arm") if left >= right else Measurement(right, "right_arm")


def _twist_under_load(f: Features, ctx: FrameContext, p: dict[str, float]) -> Measurement:
    # Crawling or lying, the shoulder and hip lines no longer turn about an upright trunk (and nobody
    # carries the load then): the rule applies to a standing or bent trunk only. Sitting up from the
    # floor passes through an upright trunk too, with the hips no higher than the feet: REBA scores the
    # trunk over weight-bearing legs and NIOSH takes the asymmetry angle about the feet, of a lift made
    # standing (not seated; ergonomics.md §2.1, §2.3), so the hips must stand clear above the ankles.
    upright = abs(f.posture.trunk_flexion_deg) <= p["max_trunk_flexion_deg"]
    w = f.world
    hips_above_ankles = (w[L.LEFT_ANKLE, 1] + w[L.RIGHT_ANKLE, 1] - w[L.LEFT_HIP, 1] - w[L.RIGHT_HIP, 1]) / 2
    on_feet = hips_above_ankles >= p["min_hip_height_m"]  # world y points down
    loaded = upright and on_feet and ctx.reba.load_kg >= p["min_load_kg"]
    return Measurement(abs(f.posture.trunk_twist_deg) if loaded else 0.0, "back")


def _reba_high(f: Features, ctx: FrameContext, p: dict[str, float]) -> Measurement:
    return Measurement(float(f.reba.reba), "whole_body")


def _to_floor(h: np.ndarray, point: np.ndarray) -> np.ndarray:
    v = h @ np.array([point[0], point[1], 1.0])
    return v[:2] / v[2]


FOOT_POINTS = (L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)  # on the floor


def hand_floor_position(f: Features, zone: DangerZone, hand: L) -> np.ndarray:
    """Where a hand is over the floor: the feet's floor point (homography) plus the hand's metric offset.

    Heels and toes touch the floor, so their image point maps through the floor homography. The
    camera's image-right and image-up directions there, mapped to the floor, give the floor directions
    of the world landmarks' x and z axes (MediaPipe world axes follow the camera).
    """
    h = zone.homography
    feet_img = f.image[list(FOOT_POINTS), :2].mean(axis=0)
    feet = _to_floor(h, feet_img)
    ex = _to_floor(h, feet_img + np.array((0.01, 0.0))) - feet
    ez = feet - _to_floor(h, feet_img + np.array((0.0, 0.01)))  # further from the camera = up in the image
    ex /= max(math.hypot(*ex), 1e-9)
    ez /= max(math.hypot(*ez), 1e-9)
    offset = f.world[hand] - f.world[list(FOOT_POINTS)].mean(axis=0)
    return feet + ex * offset[0] + ez * offset[2]


HAND_POINTS = {"left_hand": (L.LEFT_WRIST, L.LEFT_INDEX), "right_hand": (L.RIGHT_WRIST, L.RIGHT_INDEX)}


def _danger_zone(f: Features, ctx: FrameContext, p: dict[str, float]) -> Measurement | None:
    if not ctx.machine_active or not ctx.danger_zones:
        return Measurement(0.0, "hands")
    seen = False
    for part, points in HAND_POINTS.items():
        for point in points:
            if f.visibility[point] < VISIBLE:
                continue
            seen = True
            for zone in ctx.danger_zones:
                where = f.image[point, :2] if zone.space == "image" else hand_floor_position(f, zone, point)
                if zone.contains(where):
                    return Measurement(1.0, part)
    return Measurement(0.0, "hands") if seen else None


RULES: dict[str, Rule] = {
    rule.rule_id: rule
    for rule in (
        Rule(
            rule_id="ergo.stooped_lift",
            severity="warning",
            unit="deg",
            # Trunk > 45° with straight knees; NIOSH/REBA "bend the knees, not the back" (ergonomics.md §2.1).
            timing=Timing(enter=45.0, exit=35.0, min_duration=0.25, min_clear=0.4, cooldown=1.0),
            needs=(L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_KNEE, L.RIGHT_KNEE),
            views=SAGITTAL_VIEWS,
            cue=Text(
                zh="弯腰搬举：躯干前屈 {value:.0f}°（上限 {threshold:.0f}°）且膝盖伸直。请屈膝下蹲、背部挺直。",
                en="Stooped lift: trunk bent {value:.0f}° (limit {threshold:.0f}°) with straight knees. "
                "Bend your knees and keep your back straight.",
            ),
            measure=_stooped_lift,
            params=(("straight_knee_deg", 30.0),),
        ),
        Rule(
            rule_id="ergo.overhead_reach",
            severity="warning",
            unit="deg",
            # Upper arm > 90° is REBA's worst upper-arm band; we flag a sustained reach well above it.
            timing=Timing(enter=120.0, exit=105.0, min_duration=0.25, min_clear=0.4, cooldown=1.0),
            needs=(L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_ELBOW, L.RIGHT_ELBOW, L.LEFT_HIP, L.RIGHT_HIP),
            views=ALL_VIEWS,
            cue=Text(
                zh="举手过头：上臂抬高 {value:.0f}°（上限 {threshold:.0f}°）。请靠近物体或使用平台。",
                en="Overhead reach: upper arm raised {value:.0f}° (limit {threshold:.0f}°). "
                "Move closer or use a platform.",
            ),
            measure=_overhead_reach,
        ),
        Rule(
            rule_id="ergo.trunk_twist_under_load",
            severity="warning",
            unit="deg",
            # REBA counts a twist > 15° (ergonomics.md §2.1); under load we flag above 20°.
            timing=Timing(enter=20.0, exit=15.0, min_duration=0.25, min_clear=0.4, cooldown=1.0),
            needs=(L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP),
            views=frozenset({"front", "oblique", "back"}),
            cue=Text(
                zh="负重扭转：躯干扭转 {value:.0f}°（上限 {threshold:.0f}°）。请转动双脚，而不是扭腰。",
                en="Twisting under load: trunk twisted {value:.0f}° (limit {threshold:.0f}°). "
                "Turn your feet, not your waist.",
            ),
            measure=_twist_under_load,
            # Hips 0.25 m above the ankles: squatting or kneeling still counts, sitting on the floor not.
            params=(("min_load_kg", 1.0), ("max_trunk_flexion_deg", 60.0), ("min_hip_height_m", 0.25)),
        ),
        Rule(
            rule_id="ergo.reba_high",
            severity="warning",
            unit="REBA",
            # Action level 3 (REBA 8–10, "necessary soon"), ergonomics.md §2.1 action levels.
            timing=Timing(enter=8.0, exit=7.0, min_duration=1.0, min_clear=0.5, cooldown=2.0),
            needs=(L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_KNEE, L.RIGHT_KNEE),
            views=SAGITTAL_VIEWS,
            cue=Text(
                zh="整体姿势风险高：REBA {value:.0f}（阈值 {threshold:.0f}）。请调整姿势。",
                en="High posture risk: REBA {value:.0f} (threshold {threshold:.0f}). Change your posture.",
            ),
            measure=_reba_high,
        ),
        Rule(
            rule_id="safety.danger_zone",
            severity="critical",
            unit="",
            # Safety alert within 2–3 frames of debounce (coach_anchors.md §5.4).
            timing=Timing(enter=0.5, exit=0.5, min_duration=0.05, min_clear=0.3, cooldown=0.0),
            needs=(),  # visibility is checked per hand point inside the measure
            views=ALL_VIEWS,
            cue=Text(
                zh="危险！设备运行时手进入危险区域，立即收回。",
                en="Danger! Hand inside a hazard zone while the machine is moving. Pull it back now.",
            ),
            measure=_danger_zone,
            smooth_s=0.0,  # a safety alert is not delayed by filtering; the 2-frame debounce suffices
        ),
    )
}

# Names a scenario spec may list per step (scenarios/catalog/*.toml `coach_rules`): rule ids, or groups.
# "hand_signal" and "step_order" switch on the signal recogniser and the step-order check.
RULE_GROUPS: dict[str, tuple[str, ...]] = {
    "reba": ("ergo.stooped_lift", "ergo.overhead_reach", "ergo.trunk_twist_under_load", "ergo.reba_high"),
    "manual_handling": ("ergo.stooped_lift", "ergo.overhead_reach", "ergo.trunk_twist_under_load"),
    "danger_zone": ("safety.danger_zone",),
    "hand_signal": (),
    "step_order": (),
}


def expand(names: Iterable[str]) -> frozenset[str]:
    """Rule ids behind a list of rule ids and group names; raises KeyError naming the first unknown."""
    out: set[str] = set()
    for name in names:
        if name in RULES:
            out.add(name)
        elif name in RULE_GROUPS:
            out.update(RULE_GROUPS[name])
        else:
            raise KeyError(name)
    return frozenset(out)
