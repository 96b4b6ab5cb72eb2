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
    """Horizontal wind velocity at time t."""

    def __init__(
        self, mean: float, gust: float, rng: np.random.Generator, extra: tuple[Gust, ...] = ()
    ) -> None:
        self.direction = float(rng.uniform(0, 2 * math.pi))
        self.mean = mean
        gusts = list(extra)
        t = float(rng.exponential(1 / GUST_RATE))
        while t < HORIZON_S and gust > 0:
            duration = float(rng.uniform(*GUST_DURATION))
            gusts.append(Gust(t, duration, gust * float(rng.uniform(0.5, 1.0))))
            t += duration + float(rng.exponential(1 / GUST_RATE))
        self.gusts = tuple(sorted(gusts, key=lambda g: g.start))
        self._starts = [g.start for g in self.gusts]

    def speed(self, t: float) -> float:
        # Drawn gusts never overlap each other; an injected one may overlap one or two of them.
        last = bisect.bisect_right(self._starts, t)
        return self.mean + sum(g.speed(t) for g in self.gusts[max(0, last - 3) : last])

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
