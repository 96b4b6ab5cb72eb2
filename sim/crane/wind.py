"""Wind on the load: a mean wind plus seeded gusts, turned into quadratic drag every physics step.

Drag F = ½·ρ·Cd·A·|v_rel|·v_rel on the relative air speed, so it also damps the swing of a still-air
load (shared/reference/crane_and_scenarios.md §5.1: add drag so sway decays realistically).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

AIR_DENSITY = 1.225  # kg/m³, ISA sea level
DRAG_COEFFICIENT = 1.05  # a cube face-on
GUST_RATE = 1 / 12.0  # mean gusts per second
GUST_DURATION = (3.0, 7.0)  # s
HORIZON_S = 1800.0  # gusts are drawn up front for this long so the draw does not depend on the run


@dataclass(frozen=True)
class Gust:
    start: float
    duration: float
    peak: float  # m/s, added along the mean direction

    def speed(self, t: float) -> float:
        """1 − cos gust shape (standard discrete-gust profile): smooth rise and fall."""
        u = (t - self.start) / self.duration
        return 0.5 * self.peak * (1 - math.cos(2 * math.pi * u)) if 0.0 <= u <= 1.0 else 0.0


class Wind:
    """Horizontal wind velocity at time t: mean and gust amplitude as set (and changed live), seeded gusts.

    Gust times, durations and relative sizes are drawn up front, whatever the amplitude, so a live change
    of the amplitude (an instructor on a running session) scales the same seeded gusts instead of
    changing the draw. Fault gusts (a sudden gust) have their own absolute peak.
    """

    def __init__(
        self, mean: float, gust: float, rng: np.random.Generator, extra: tuple[Gust, ...] = ()
    ) -> None:
        self.direction = float(rng.uniform(0, 2 * math.pi))
        self._levels: list[tuple[float, float, float]] = [(0.0, mean, gust)]  # (from t, mean, gust)
        self._level_starts = [0.0]
        unit = []  # peak = the gust's size relative to the amplitude
        t = float(rng.exponential(1 / GUST_RATE))
        while t < HORIZON_S:
            duration = float(rng.uniform(*GUST_DURATION))
            unit.append(Gust(t, duration, float(rng.uniform(0.5, 1.0))))
            t += duration + float(rng.exponential(1 / GUST_RATE))
        self._unit = tuple(unit)
        self._unit_starts = [g.start for g in self._unit]
        self.extra = list(extra)

    def set(self, t: float, mean: float, gust: float) -> None:
        """From `t` on (t not before the last change), blow at `mean` with gusts of `gust` amplitude."""
        self._levels.append((t, mean, gust))
        self._level_starts.append(t)

    def add_gust(self, gust: Gust) -> None:
        self.extra.append(gust)

    def level(self, t: float) -> tuple[float, float]:
        """(mean, gust amplitude) in force at `t`, m/s."""
        start, mean, gust = self._levels[-1]  # the usual question: now, after the last change
        if t < start:
            _, mean, gust = self._levels[bisect.bisect_right(self._level_starts, t) - 1]
        return mean, gust

    def speed(self, t: float) -> float:
        mean, amplitude = self.level(t)
        speed = mean
        if amplitude:
            # Drawn gusts never overlap each other: only the last one started can be blowing.
            last = bisect.bisect_right(self._unit_starts, t)
            speed += amplitude * self._unit[last - 1].speed(t) if last else 0.0
        for gust in self.extra:
            speed += gust.speed(t)
        return speed

    def velocity(self, t: float) -> tuple[float, float]:
        s = self.speed(t)
        return (s * math.cos(self.direction), s * math.sin(self.direction))


def drag_force(
    wind: tuple[float, float], load_velocity: tuple[float, float], area: float
) -> tuple[float, float]:
    """Horizontal drag on a body of frontal area `area` moving at `load_velocity` in `wind`, N."""
    rx, ry = wind[0] - load_velocity[0], wind[1] - load_velocity[1]
    k = 0.5 * AIR_DENSITY * DRAG_COEFFICIENT * area * math.hypot(rx, ry)
    return (k * rx, k * ry)
