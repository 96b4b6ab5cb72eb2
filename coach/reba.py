"""REBA, the full worksheet (Hignett & McAtamney, Applied Ergonomics 31 (2000) 201–205), per frame.

Tables and segment scores follow shared/reference/ergonomics.md §2.1 cell by cell. Posture angles come
from `coach.geometry.posture`; what pose cannot see (load, shock, coupling, activity, arm support,
raised shoulder) comes from the scenario as `RebaInputs`.
Tolerances the paper leaves open (documented, configurable): "upright" trunk and neutral neck within
±5°, twist > 15°, side flexion > 10° (the Kinect REBA implementation cited in §2.1), abduction > 30°,
one foot > 0.10 m above the other counts as unilateral weight-bearing.
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.geometry import Posture, SideArm

# Table A [trunk 1-5][neck 1-3][legs 1-4]; ergonomics.md §2.1 "Table A".
TABLE_A: tuple[tuple[tuple[int, ...], ...], ...] = (
    ((1, 2, 3, 4), (1, 2, 3, 4), (3, 3, 5, 6)),
    ((2, 3, 4, 5), (3, 4, 5, 6), (4, 5, 6, 7)),
    ((2, 4, 5, 6), (4, 5, 6, 7), (5, 6, 7, 8)),
    ((3, 5, 6, 7), (5, 6, 7, 8), (6, 7, 8, 9)),
    ((4, 6, 7, 8), (6, 7, 8, 9), (7, 8, 9, 9)),
)
# Table B [upper arm 1-6][lower arm 1-2][wrist 1-3]; ergonomics.md §2.1 "Table B".
TABLE_B: tuple[tuple[tuple[int, ...], ...], ...] = (
    ((1, 2, 2), (1, 2, 3)),
    ((1, 2, 3), (2, 3, 4)),
    ((3, 4, 5), (4, 5, 5)),
    ((4, 5, 5), (5, 6, 7)),
    ((6, 7, 8), (7, 8, 8)),
    ((7, 8, 8), (8, 9, 9)),
)
# Table C [score A 1-12][score B 1-12]; ergonomics.md §2.1 "Table C".
TABLE_C: tuple[tuple[int, ...], ...] = (
    (1, 1, 1, 2, 3, 3, 4, 5, 6, 7, 7, 7),
    (1, 2, 2, 3, 4, 4, 5, 6, 6, 7, 7, 8),
    (2, 3, 3, 3, 4, 5, 6, 7, 7, 8, 8, 8),
    (3, 4, 4, 4, 5, 6, 7, 8, 8, 9, 9, 9),
    (4, 4, 4, 5, 6, 7, 8, 8, 9, 9, 9, 9),
    (6, 6, 6, 7, 8, 8, 9, 9, 10, 10, 10, 10),
    (7, 7, 7, 8, 9, 9, 9, 10, 10, 11, 11, 11),
    (8, 8, 8, 9, 10, 10, 10, 10, 10, 11, 11, 11),
    (9, 9, 9, 10, 10, 10, 11, 11, 11, 12, 12, 12),
    (10, 10, 10, 11, 11, 11, 11, 12, 12, 12, 12, 12),
    (11, 11, 11, 11, 12, 12, 12, 12, 12, 12, 12, 12),
    (12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12),
)
COUPLING = {"good": 0, "fair": 1, "poor": 2, "unacceptable": 3}
# Action levels: 1 negligible, 2-3 low, 4-7 medium, 8-10 high, 11-15 very high (§2.1).
RISK_LEVELS = ((1, "negligible"), (3, "low"), (7, "medium"), (10, "high"), (15, "very_high"))


@dataclass(frozen=True, slots=True)
class RebaInputs:
    """What pose cannot observe, from the scenario spec or the station set-up."""

    load_kg: float = 0.0
    shock: bool = False
    coupling: str = "good"
    static_posture: bool = False
    repeated_actions: bool = False
    rapid_large_changes: bool = False
    arm_supported: bool = False
    shoulder_raised: bool = False
    sitting: bool = False
    neck_neutral_deg: float = 0.0  # per-person offset of the ear-shoulder line (§2.1)
    upright_tolerance_deg: float = 5.0
    twist_threshold_deg: float = 15.0
    side_flexion_threshold_deg: float = 10.0
    abduction_threshold_deg: float = 30.0
    unilateral_foot_height_m: float = 0.10


def trunk_score(flexion: float, twisted_or_side: bool, tolerance: float = 5.0) -> int:
    """upright 1; 0-20° flexion or extension 2; 20-60° flexion or >20° extension 3; >60° flexion 4; +1."""
    if abs(flexion) <= tolerance:
        base = 1
    elif -20.0 <= flexion <= 20.0:
        base = 2
    elif flexion < -20.0 or flexion <= 60.0:
        base = 3
    else:
        base = 4
    return base + int(twisted_or_side)


def neck_score(flexion: float, twisted_or_side: bool, tolerance: float = 5.0) -> int:
    """0-20° flexion 1; >20° flexion or in extension 2; +1 if twisted or side-flexed."""
    base = 1 if -tolerance <= flexion <= 20.0 else 2
    return base + int(twisted_or_side)


def legs_score(unilateral: bool, knee_flexion: float, sitting: bool = False) -> int:
    """bilateral 1 / unilateral 2; +1 knees 30-60° flexion, +2 >60° (not when sitting)."""
    base = 2 if unilateral else 1
    if sitting:
        return base
    if knee_flexion > 60.0:
        return base + 2
    return base + (1 if knee_flexion >= 30.0 else 0)


def load_score(load_kg: float, shock: bool) -> int:
    """<5 kg 0; 5-10 kg +1; >10 kg +2; +1 for shock or rapid build-up of force."""
    base = 0 if load_kg < 5.0 else (1 if load_kg <= 10.0 else 2)
    return base + int(shock)


def upper_arm_score(flexion: float, abducted: bool, shoulder_raised: bool, supported: bool) -> int:
    """20° ext-20° flex 1; >20° ext or 20-45° flex 2; 45-90° 3; >90° 4; +1 abducted, +1 raised, -1 supported."""
    if -20.0 <= flexion <= 20.0:
        base = 1
    elif flexion < -20.0 or flexion <= 45.0:
        base = 2
    elif flexion <= 90.0:
        base = 3
    else:
        base = 4
    return max(1, base + int(abducted) + int(shoulder_raised) - int(supported))


def lower_arm_score(elbow_flexion: float) -> int:
    """60-100° flexion 1; <60° or >100° 2."""
    return 1 if 60.0 <= elbow_flexion <= 100.0 else 2


def wrist_score(flexion: float, deviated: bool = False) -> int:
    """0-15° flexion/extension 1; >15° 2; +1 deviated or twisted."""
    return (1 if abs(flexion) <= 15.0 else 2) + int(deviated)


def table_a(trunk: int, neck: int, legs: int) -> int:
    return TABLE_A[trunk - 1][neck - 1][legs - 1]


def table_b(upper_arm: int, lower_arm: int, wrist: int) -> int:
    return TABLE_B[upper_arm - 1][lower_arm - 1][wrist - 1]


def table_c(score_a: int, score_b: int) -> int:
    return TABLE_C[min(score_a, 12) - 1][min(score_b, 12) - 1]


def risk_level(reba: int) -> str:
    return next(name for upper, name in RISK_LEVELS if reba <= upper)


@dataclass(frozen=True, slots=True)
class RebaScores:
    trunk: int
    neck: int
    legs: int
    table_a: int
    load: int
    score_a: int
    upper_arm_left: int
    upper_arm_right: int
    lower_arm_left: int
    lower_arm_right: int
    wrist_left: int
    wrist_right: int
    table_b_left: int
    table_b_right: int
    coupling: int
    score_b: int
    table_c: int
    activity: int
    reba: int
    risk_level: str

    def to_dict(self) -> dict[str, int | str]:
        return {name: getattr(self, name) for name in self.__slots__}


def _group_b_side(arm: SideArm, inputs: RebaInputs) -> tuple[int, int, int, int]:
    upper = upper_arm_score(
        arm.upper_arm_flexion_deg,
        arm.upper_arm_abduction_deg > inputs.abduction_threshold_deg,
        inputs.shoulder_raised,
        inputs.arm_supported,
    )
    lower = lower_arm_score(arm.elbow_flexion_deg)
    wrist = wrist_score(arm.wrist_flexion_deg)
    return upper, lower, wrist, table_b(min(upper, 6), lower, min(wrist, 3))


def score(p: Posture, inputs: RebaInputs) -> RebaScores:
    """The whole worksheet for one posture: Table A + load, Table B + coupling (worse side), Table C + activity."""
    trunk = trunk_score(
        p.trunk_flexion_deg,
        abs(p.trunk_twist_deg) > inputs.twist_threshold_deg
        or abs(p.trunk_side_flexion_deg) > inputs.side_flexion_threshold_deg,
        inputs.upright_tolerance_deg,
    )
    neck = neck_score(
        p.neck_flexion_deg - inputs.neck_neutral_deg,
        abs(p.neck_side_flexion_deg) > inputs.side_flexion_threshold_deg,
        inputs.upright_tolerance_deg,
    )
    legs = legs_score(
        p.foot_height_difference_m > inputs.unilateral_foot_height_m,
        max(p.knee_flexion_deg_left, p.knee_flexion_deg_right),
        inputs.sitting,
    )
    a = table_a(trunk, neck, legs)
    load = load_score(inputs.load_kg, inputs.shock)
    ul, ll, wl, bl = _group_b_side(p.left, inputs)
    ur, lr, wr, br = _group_b_side(p.right, inputs)
    coupling = COUPLING[inputs.coupling]
    score_b = max(bl, br) + coupling
    c = table_c(a + load, score_b)
    activity = int(inputs.static_posture) + int(inputs.repeated_actions) + int(inputs.rapid_large_changes)
    reba = c + activity
    return RebaScores(
        trunk=trunk,
        neck=neck,
        legs=legs,
        table_a=a,
        load=load,
        score_a=a + load,
        upper_arm_left=ul,
        upper_arm_right=ur,
        lower_arm_left=ll,
        lower_arm_right=lr,
        wrist_left=wl,
        wrist_right=wr,
        table_b_left=bl,
        table_b_right=br,
        coupling=coupling,
        score_b=score_b,
        table_c=c,
        activity=activity,
        reba=reba,
        risk_level=risk_level(reba),
    )
