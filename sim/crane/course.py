"""The seeded procedural course: pick-up, a right-angle corridor with obstructions, target circle, people zone.

Modelled on the NCCCO overhead practical "corridor with obstruction and right angle" and "load in circle"
(shared/reference/crane_and_scenarios.md §2.2). Same parameters and seed give the same course.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

Rect = tuple[float, float, float, float]  # x_min, y_min, x_max, y_max (m, floor plane)

PICKUP_X = 4.0
EDGE_MARGIN = 2.5  # pick-up and target stay this far from the span's ends, m
LEG_Y_MIN = 4.0  # shortest trolley leg, m
OBSTACLE_THICKNESS = 0.3
OBSTACLE_HEIGHT = (0.6, 1.2)  # m
OBSTACLE_KEEP_CLEAR = 2.5  # obstructions stay this far from pick-up, corner and target, m
PEOPLE_GAP = 1.0  # people zone edge to corridor edge, m
TRAVEL_MARGIN = 0.5  # planned clearance of the load over the highest obstruction, m


@dataclass(frozen=True)
class Obstacle:
    centre: tuple[float, float]
    half_extents: tuple[float, float, float]  # box half sizes; it stands on the floor

    @property
    def height(self) -> float:
        return 2 * self.half_extents[2]

    @property
    def rect(self) -> Rect:
        (x, y), (hx, hy, _) = self.centre, self.half_extents
        return (x - hx, y - hy, x + hx, y + hy)


@dataclass(frozen=True)
class Course:
    pickup: tuple[float, float]
    corner: tuple[float, float]
    target: tuple[float, float]
    corridor: tuple[Rect, Rect]  # the bridge leg, then the trolley leg
    obstacles: tuple[Obstacle, ...]
    people_zone: Rect
    target_radius: float

    @property
    def highest_obstacle(self) -> float:
        return max((o.height for o in self.obstacles), default=0.0)

    def in_corridor(self, x: float, y: float) -> bool:
        return any(inside(r, x, y) for r in self.corridor)

    def to_dict(self) -> dict[str, Any]:
        """Plain floats throughout (obstacle positions are drawn with numpy; orjson refuses its scalars)."""
        return {
            "pickup": _floats(self.pickup),
            "corner": _floats(self.corner),
            "target": {"centre": _floats(self.target), "radius": float(self.target_radius)},
            "corridor": [_floats(r) for r in self.corridor],
            "obstacles": [
                {"centre": _floats(o.centre), "half_extents": _floats(o.half_extents)} for o in self.obstacles
            ],
            "people_zones": [_floats(self.people_zone)],  # the load must never pass over these
            "keep_out": [_floats(o.rect) for o in self.obstacles],  # floor areas of the obstructions
        }


def _floats(values) -> list[float]:
    return [float(v) for v in values]


def inside(rect: Rect, x: float, y: float) -> bool:
    return rect[0] <= x <= rect[2] and rect[1] <= y <= rect[3]


def rect_gap(a: Rect, b: Rect) -> float:
    """Distance between two axis-aligned rectangles (0 when they overlap)."""
    dx = max(0.0, a[0] - b[2], b[0] - a[2])
    dy = max(0.0, a[1] - b[3], b[1] - a[3])
    return math.hypot(dx, dy)


def generate_course(
    params: Mapping[str, Any], constants: Mapping[str, float], rng: np.random.Generator
) -> Course:
    """Lay out the course for validated parameters; every draw comes from `rng`."""
    width = float(params["corridor_width_m"])
    half = width / 2
    span, runway = constants["span_m"], constants["runway_length_m"]
    zone = constants["people_zone_size_m"]
    # Corner x leaves room beyond it for the people zone on the runway.
    x_corner = float(rng.uniform(14.0, runway - half - PEOPLE_GAP - zone - 1.0))
    low_side = bool(rng.integers(2))
    y_pick = float(rng.uniform(EDGE_MARGIN, span / 2 - LEG_Y_MIN / 2))
    y_target = float(rng.uniform(y_pick + LEG_Y_MIN, span - EDGE_MARGIN))
    if not low_side:
        y_pick, y_target = span - y_pick, span - y_target
    pickup, corner, target = (PICKUP_X, y_pick), (x_corner, y_pick), (x_corner, y_target)
    leg1: Rect = (PICKUP_X - half, y_pick - half, x_corner + half, y_pick + half)
    leg2: Rect = (
        x_corner - half,
        min(y_pick, y_target) - half,
        x_corner + half,
        max(y_pick, y_target) + half,
    )
    # The people zone stands where an overshoot goes: past the corner on the bridge leg, or beside the
    # trolley leg on the outside of the turn.
    x0 = x_corner + half + PEOPLE_GAP
    y_mid = y_pick if rng.integers(2) else (y_pick + y_target) / 2
    people: Rect = (x0, y_mid - zone / 2, x0 + zone, y_mid + zone / 2)
    obstacles = _obstacles(int(params["obstacle_count"]), pickup, corner, target, half, rng)
    return Course(
        pickup, corner, target, (leg1, leg2), obstacles, people, float(params["target_tolerance_m"])
    )


def _obstacles(
    count: int,
    pickup: tuple[float, float],
    corner: tuple[float, float],
    target: tuple[float, float],
    half_width: float,
    rng: np.random.Generator,
) -> tuple[Obstacle, ...]:
    """Barriers across the corridor, spread along the path so the load has to go over them."""
    len2 = abs(target[1] - corner[1])
    usable1 = (pickup[0] + OBSTACLE_KEEP_CLEAR, corner[0] - half_width - OBSTACLE_KEEP_CLEAR)
    usable2 = (OBSTACLE_KEEP_CLEAR + half_width, len2 - OBSTACLE_KEEP_CLEAR)
    slots = np.linspace(0.0, 1.0, count + 2)[1:-1]  # evenly spread, then jittered
    found = []
    total = (usable1[1] - usable1[0]) + max(0.0, usable2[1] - usable2[0])
    for s in slots:
        jitter = float(rng.uniform(-0.3, 0.3)) / (count + 1)
        along = min(1.0, max(0.0, s + jitter)) * total
        h = float(rng.uniform(*OBSTACLE_HEIGHT)) / 2
        first = usable1[1] - usable1[0]
        if along <= first:
            x = usable1[0] + along
            found.append(Obstacle((x, pickup[1]), (OBSTACLE_THICKNESS / 2, half_width, h)))
        else:
            d = usable2[0] + along - first
            y = corner[1] + (d if target[1] > corner[1] else -d)
            found.append(Obstacle((corner[0], y), (half_width, OBSTACLE_THICKNESS / 2, h)))
    return tuple(found)
