"""Autopilot crane operator with a skill in 0..1: an expert at 1, a learner of that skill below.

The expert (skill 1) does the pre-lift check, hoists clear of the highest obstruction, travels each
corridor leg with a ZV-shaped speed profile timed to the sway period (sim/crane/shaping.py), damps any
sway by moving the pivot towards the load (v = c·offset gives ζ = c / (2·sqrt(g·ℓ))), compensates the
wind's steady offset, and lowers in one continuous motion with a slow last notch. Lower skill adds
reaction delay, misjudged sway period and braking points (overshoot), lever noise, less damping, a
thinner planned clearance, forgotten checks, hoist-down pauses and a late slow-down, in proportion to
(1 − skill) — each a mistake instructors see in real learners.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from sim.crane.course import TRAVEL_MARGIN
from sim.crane.geometry import G
from sim.crane.scene import DT, CraneScene, CraneState
from sim.crane.shaping import ZvMove, brake_distance, plan_move
from sim.operators.command import Command

EXPERT_ZETA = 0.25  # damping ratio the expert's sway feedback aims for
FINE_GAIN = 0.6  # 1/s, pivot position feedback while placing
SWAY_IGNORED_M = 0.08  # swing the expert does not chase (a few cm is invisible from the cab)
LOWER_SLOW_HEIGHT_M = 0.45  # the expert's last stretch at the slowest notch


@dataclass(frozen=True)
class Traits:
    """How this autopilot operator behaves, drawn once per attempt from its skill."""

    reaction_s: float
    period_error: float  # relative error of the operator's sway-period estimate
    shapes_moves: bool
    damping: float  # fraction of the expert's sway feedback
    brake_early: float  # relative error of the braking point (negative = late, overshoot)
    clearance_m: float  # planned clearance over the highest obstruction
    skips_check: bool
    lever_noise: float  # probability per step of a stray notch on a travel lever
    pause_rate: float  # hoist-down pauses per second
    slow_height_m: float
    accept_m: float  # placement error the operator accepts before lowering
    place_gain: float  # 1/s, how firmly the operator steers the pivot onto the target
    notice_sink_m: float  # how far the load sinks (brake slip) before the operator hoists it back

    @classmethod
    def draw(cls, skill: float, rng: np.random.Generator, tolerance: float) -> Traits:
        lack = 1.0 - skill
        return cls(
            reaction_s=0.1 + 0.4 * lack,
            period_error=float(rng.normal(0.0, 0.3 * lack)),
            shapes_moves=bool(rng.random() < skill),
            damping=skill**2,
            brake_early=float(rng.normal(-0.25 * lack, 0.2 * lack)),
            clearance_m=TRAVEL_MARGIN - 0.9 * lack + float(rng.normal(0.0, 0.15 * lack)),
            skips_check=bool(rng.random() > skill + 0.3),
            lever_noise=0.04 * lack,
            pause_rate=0.25 * lack,
            slow_height_m=LOWER_SLOW_HEIGHT_M * skill,
            accept_m=tolerance * (0.3 + 1.5 * lack),
            place_gain=FINE_GAIN * skill,
            notice_sink_m=0.1 + 3.0 * lack,
        )


class _Leg:
    """One shaped (or, for a learner who does not shape, bang-bang) travel leg along one axis."""

    def __init__(
        self, axis: str, goal: float, move: ZvMove, period: float, shaped: bool, brake_early: float
    ) -> None:
        self.axis, self.goal, self.move, self.period, self.shaped = axis, goal, move, period, shaped
        self.brake_early = brake_early
        self.started: float | None = None
        self.braking: float | None = None
        self.sign = 0.0

    def command(self, t: float, position: float, latency: float, accel: float) -> tuple[float, bool]:
        """(lever value, finished) for this step."""
        if self.started is None:
            self.started = t
            self.sign = 1.0 if self.goal > position else -1.0
        remaining = (self.goal - position) * self.sign
        level, v = self.move.level, self.move.speed
        if self.braking is None:
            if self.shaped:
                stop = brake_distance(v, accel, self.period) + v * latency
            else:
                stop = v * v / (2 * accel) + v * latency
            if remaining <= stop * (1 + self.brake_early):
                self.braking = t
        if self.braking is not None:
            since = t - self.braking
            if self.shaped and since < self.period / 2:
                return self.sign * level / 2, False
            return 0.0, since > self.period / 2 + v / accel
        if self.shaped and t - self.started < self.period / 2:
            return self.sign * level / 2, False
        return self.sign * level, False


class AutopilotOperator:
    """`autopilot[:SKILL]` for the crane."""

    def __init__(self, skill: float = 1.0) -> None:
        self.skill = skill
        self.name = f"autopilot:{skill:g}"

    def reset(self, scene: CraneScene, rng: np.random.Generator) -> None:
        self.scene, self.rng = scene, rng
        self.c = scene.c
        self.traits = Traits.draw(self.skill, rng, scene.course.target_radius)
        self.history: deque[CraneState] = deque(maxlen=max(1, round(self.traits.reaction_s / DT)) + 1)
        self.phase = "hoist" if self.traits.skips_check else "check"
        self.phase_started = 0.0
        self.offset_mean = (0.0, 0.0)
        self.offsets: deque[tuple[float, float]] = deque()
        self.offset_sum = [0.0, 0.0]
        self.legs: list[_Leg] = []
        self.noise = {"bridge": (0.0, 0.0), "trolley": (0.0, 0.0)}  # (lever, until t)
        self.pause_until = -1.0
        self.settled_since: float | None = None
        self.latency = self.c["drive_latency_s"]
        self.notches = int(self.c["speed_notches"])
        self.speed = {axis: self.c[f"{axis}_speed_mps"] for axis in ("bridge", "trolley", "hoist")}
        self.accel = {axis: self.c[f"{axis}_accel_mps2"] for axis in ("bridge", "trolley", "hoist")}
        self.periods: dict[float, float] = {}
        g = scene.geometry
        clearance = scene.course.highest_obstacle + self.traits.clearance_m
        self.travel_rope = max(g.min_rope + 0.2, g.rope_for_bottom(clearance))

    # --- what the operator perceives -----------------------------------------------------------------

    def _perceive(self, state: CraneState) -> CraneState:
        """The state as the operator reacts to it: `reaction_s` old."""
        self.history.append(state)
        seen = self.history[0]
        # The steady (wind) offset of the load: the mean offset over the last sway period. A boxcar one
        # period long has a zero at the swing frequency, so the swing itself does not bias the estimate.
        window = max(1, round(self._period(seen.rope_m) / DT))
        self.offsets.append(seen.sway_offset)
        self.offset_sum[0] += seen.sway_offset[0]
        self.offset_sum[1] += seen.sway_offset[1]
        while len(self.offsets) > window:
            ox, oy = self.offsets.popleft()
            self.offset_sum[0] -= ox
            self.offset_sum[1] -= oy
        n = len(self.offsets)
        self.offset_mean = (self.offset_sum[0] / n, self.offset_sum[1] / n)
        return seen

    def _period(self, rope: float) -> float:
        """The operator's estimate of the sway period at this rope length (memoised per centimetre)."""
        key = round(rope, 2)
        if key not in self.periods:
            self.periods[key] = self.scene.geometry.pendulum_period(key) * (1 + self.traits.period_error)
        return self.periods[key]

    def _swing(self, seen: CraneState) -> float:
        """How far the load is from its steady (wind) position, m."""
        return math.hypot(
            seen.sway_offset[0] - self.offset_mean[0], seen.sway_offset[1] - self.offset_mean[1]
        )

    def _damping(self, seen: CraneState) -> tuple[float, float]:
        """Sway feedback, lever units: move the pivot towards the swinging load."""
        length = seen.rope_m + self.scene.geometry.load_offset
        gain = self.traits.damping * 2 * EXPERT_ZETA * math.sqrt(G * length)
        (ox, oy), (mx, my) = seen.sway_offset, self.offset_mean
        if self._swing(seen) < SWAY_IGNORED_M:
            return 0.0, 0.0
        return (
            gain * (ox - mx) / self.speed["bridge"],
            gain * (oy - my) / self.speed["trolley"],
        )

    def _feedback_cap(self, seen: CraneState, axis: str) -> float:
        """Largest lever for sway and placing feedback: the drive must reverse within ~T/8 to stay in phase."""
        speed, accel = self.speed[axis], self.accel[axis]
        notch = 1.0 / max(1, self.notches)
        return max(notch, accel * self._period(seen.rope_m) / 8 / speed)

    def _feedback(self, seen: CraneState, bridge: float, trolley: float) -> tuple[float, float]:
        cap_b, cap_t = self._feedback_cap(seen, "bridge"), self._feedback_cap(seen, "trolley")
        return min(cap_b, max(-cap_b, bridge)), min(cap_t, max(-cap_t, trolley))

    def _place(self, seen: CraneState) -> tuple[float, float, float]:
        """Pivot feedback towards the target, wind offset compensated: (bridge, trolley, load error m)."""
        tx, ty = self.scene.course.target
        ex = tx - self.offset_mean[0] - seen.bridge_x
        ey = ty - self.offset_mean[1] - seen.trolley_y
        error = math.hypot(seen.load[0] - tx, seen.load[1] - ty)
        gain = self.traits.place_gain
        return (gain * ex / self.speed["bridge"], gain * ey / self.speed["trolley"], error)

    # --- acting --------------------------------------------------------------------------------------

    def act(self, state: CraneState) -> Command:
        seen = self._perceive(state)
        t = state.t
        bridge, trolley, hoist, estop = self._phase_command(seen, t)
        bridge, trolley = self._noisy("bridge", bridge, t), self._noisy("trolley", trolley, t)
        return Command(self._lever(bridge), self._lever(trolley), self._lever(hoist), estop)

    def _lever(self, value: float) -> float:
        """The notch a hand on the master switch selects for a wished lever value."""
        notches = self.notches
        value = min(1.0, max(-1.0, value))
        return round(value * notches) / notches if notches > 0 else value

    def _next(self, phase: str, t: float) -> None:
        self.phase, self.phase_started = phase, t

    def _phase_command(self, seen: CraneState, t: float) -> tuple[float, float, float, bool]:
        phase, since = self.phase, t - self.phase_started
        if phase == "check":
            if since < 0.4:
                return 0.0, 0.0, 0.0, True
            if since > 0.8:
                self._next("hoist", t)
            return 0.0, 0.0, 0.0, False
        damp_x, damp_y = self._feedback(seen, *self._damping(seen))
        if phase == "hoist":
            stop = self.speed["hoist"] * (self.latency + self.traits.reaction_s) + 0.05
            if seen.rope_m > self.travel_rope + stop:
                return damp_x, damp_y, 1.0, False
            self._plan_legs(seen)
            self._next("steady", t)
            return damp_x, damp_y, 0.0, False
        if phase == "steady":
            swing = self._swing(seen)
            if swing < 0.05 + 0.5 * (1 - self.skill) or since > 15.0:
                self._next("travel", t)
            return damp_x, damp_y, 0.0, False
        if phase == "travel":
            bridge, trolley, _, _ = self._travel(seen, t)
            return bridge, trolley, self._hold_height(seen), False
        if phase == "place":
            bx, ty, error = self._place(seen)
            swing = self._swing(seen)
            steady = error < self.traits.accept_m and swing < max(0.05, self.traits.accept_m / 2)
            self.settled_since = (self.settled_since or t) if steady else None
            if (self.settled_since is not None and t - self.settled_since > 1.0) or since > 30.0:
                self._next("lower", t)
            return *self._feedback(seen, bx + damp_x, ty + damp_y), self._hold_height(seen), False
        if phase == "lower":
            if seen.landed:
                self._next("rest", t)
                return 0.0, 0.0, 0.0, False
            bx, ty, _ = self._place(seen)
            if self.rng.random() < self.traits.pause_rate * DT:
                self.pause_until = t + 1.0
            if t < self.pause_until:
                return *self._feedback(seen, bx + damp_x, ty + damp_y), 0.0, False
            height = self.scene.geometry.load_bottom(seen.rope_m)
            lever = -1.0 if height > self.traits.slow_height_m else -1.0 / max(1, self.notches)
            return *self._feedback(seen, bx + damp_x, ty + damp_y), lever, False
        return 0.0, 0.0, 0.0, False

    def _hold_height(self, seen: CraneState) -> float:
        """Hoist back up if the load has sunk (a slipping brake) by more than the operator notices."""
        return 1.0 if seen.rope_m > self.travel_rope + self.traits.notice_sink_m else 0.0

    def _plan_legs(self, seen: CraneState) -> None:
        course, c = self.scene.course, self.c
        period = self._period(self.travel_rope)
        notches = int(c["speed_notches"])
        legs = (
            ("bridge", course.corner[0], seen.bridge_x, c["bridge_speed_mps"], c["bridge_accel_mps2"]),
            ("trolley", course.target[1], course.corner[1], c["trolley_speed_mps"], c["trolley_accel_mps2"]),
        )
        for axis, goal, start, speed, accel in legs:
            move = plan_move(abs(goal - start), speed, accel, period, notches)
            if not self.traits.shapes_moves:
                move = ZvMove(1.0, speed, 0.0, 0.0)
            self.legs.append(
                _Leg(axis, goal, move, period, self.traits.shapes_moves, self.traits.brake_early)
            )

    def _travel(self, seen: CraneState, t: float) -> tuple[float, float, float, bool]:
        leg = self.legs[0]
        position = seen.bridge_x if leg.axis == "bridge" else seen.trolley_y
        # Steer the load's steady position (pivot + wind offset) to the goal, not the pivot.
        position += self.offset_mean[0] if leg.axis == "bridge" else self.offset_mean[1]
        accel = self.accel[leg.axis]
        lever, finished = leg.command(t, position, self.latency + self.traits.reaction_s, accel)
        if finished:
            self.legs.pop(0)
            if not self.legs:
                self._next("place", t)
        return (lever, 0.0, 0.0, False) if leg.axis == "bridge" else (0.0, lever, 0.0, False)

    def _noisy(self, axis: str, lever: float, t: float) -> float:
        """A learner's stray notch now and then: a lever bumped for a moment."""
        if self.phase not in ("travel", "place"):
            return lever
        value, until = self.noise[axis]
        if t < until:
            return lever + value
        if self.rng.random() < self.traits.lever_noise:
            self.noise[axis] = (float(self.rng.choice([-0.25, 0.25])), t + float(self.rng.uniform(0.3, 1.5)))
        return lever
