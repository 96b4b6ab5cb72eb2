"""Crane drives as the operator feels them: notched master switch, latency, acceleration ramps, end limits.

The ramp/notch model runs outside pybullet and hands the physics a target velocity per axis
(shared/reference/crane_and_scenarios.md §5.1; notches and latency matter to candidates, §2.5).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field


@dataclass
class AxisDrive:
    """One axis: command in [-1, 1] → velocity (m/s), with notches, latency, ramp and soft end limits."""

    max_speed: float
    accel: float
    estop_decel: float
    notches: int
    latency_steps: int
    low: float
    high: float
    velocity: float = 0.0
    _queue: deque[float] = field(default_factory=deque, repr=False)

    def quantise(self, command: float) -> float:
        """The master switch's notch nearest to the command (stepless when notches is 0)."""
        if self.notches <= 0:
            return command
        return round(command * self.notches) / self.notches

    def set_latency(self, steps: int) -> None:
        self.latency_steps = steps

    def step(self, command: float, position: float, dt: float, estop: bool) -> float:
        """Advance the drive by dt; returns the velocity the drive now runs at."""
        self._queue.append(self.quantise(command))
        while len(self._queue) > self.latency_steps + 1:
            self._queue.popleft()
        delayed = self._queue[0] if len(self._queue) > self.latency_steps else 0.0
        target = 0.0 if estop else delayed * self.max_speed
        # Limit switches slow the axis so it stops at its end of travel: v ≤ sqrt(2·a·distance left).
        if target > 0:
            target = min(target, math.sqrt(2 * self.accel * max(0.0, self.high - position)))
        elif target < 0:
            target = max(target, -math.sqrt(2 * self.accel * max(0.0, position - self.low)))
        rate = (self.estop_decel if estop else self.accel) * dt
        self.velocity += min(rate, max(-rate, target - self.velocity))
        return self.velocity
