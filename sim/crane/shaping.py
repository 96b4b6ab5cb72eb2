"""Zero-vibration (ZV) shaped travel moves: the expert's anti-sway profile and the optimum time it sets.

A step in speed split into two half steps half a sway period apart leaves no residual swing, whatever
the drive's ramp (ZV input shaping; measured residual 0.001 m vs 0.29 m for a 2 s ramp,
shared/reference/crane_and_scenarios.md §1.2). Half steps must be notches of the master switch.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ZvMove:
    level: float  # full command level (fraction of max speed); the first half step is level / 2
    speed: float  # m/s at the full level
    brake_distance: float  # distance covered from full speed to rest by the shaped stop, m
    duration: float  # s, start to rest

    def cruise_time(self, distance: float) -> float:
        return max(0.0, distance - 2 * self.brake_distance) / self.speed


def shaped_levels(notches: int) -> list[float]:
    """Full levels whose half is also a notch, fastest first (stepless drives: any level)."""
    if notches <= 0:
        return [1.0, 0.5, 0.25]
    return [k / notches for k in range(notches, 0, -1) if k % 2 == 0]


def brake_distance(speed: float, accel: float, period: float) -> float:
    """Distance to stop from `speed` with the two half steps T/2 apart: v·T/4 + v·τ/2, τ = v/(2a)."""
    return speed * period / 4 + speed * (speed / (2 * accel)) / 2


def plan_move(distance: float, max_speed: float, accel: float, period: float, notches: int) -> ZvMove:
    """The fastest shaped move that fits `distance` (the slowest level if none fits)."""
    levels = shaped_levels(notches)
    for level in levels:
        v = level * max_speed
        d_brake = brake_distance(v, accel, period)
        if 2 * d_brake <= distance or level == levels[-1]:
            tau = v / (2 * accel)
            duration = period + 2 * tau + max(0.0, distance - 2 * d_brake) / v
            return ZvMove(level, v, d_brake, duration)
    raise AssertionError("unreachable: the last level always returns")
