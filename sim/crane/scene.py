"""The overhead crane scene in pybullet, usable step by step: reset(params, seed), step(command), snapshot().

Physics (shared/reference/crane_and_scenarios.md §5.1): one multibody — prismatic bridge (x) and trolley
(y) driven by velocity motors with force limits, a two-axis free pivot (zero-force motors, else pybullet's
default motors would hold the swing), a prismatic rope joint whose position is the rope length (one rigid
link of variable length), the hook block and the payload with their real mass and inertia. Wind drag is
re-applied before every physics step (pybullet clears external forces after each step). The course
objects and the floor collide with the hook and the load; the people zone and the target are floor areas.

The task chain only moves forward, and landing is debounced: a load that bounces or rocks a corner off
the floor after touchdown is still landed (only hoisting it off is a re-lift), so the coach's step-order
checker sees each step once. An instructor may change the wind or inject a fault while the attempt runs
(`set_wind`, `inject_fault`); each change is kept with its sim time in `changes`, so params + seed +
changes re-simulate the attempt (`sim.runner.run_attempt(changes=...)`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pybullet as pb

from lab.bus.text import UserError
from scenarios.spec import FAULTS_KEY, Spec
from sim.crane.course import TRAVEL_MARGIN, Course, generate_course, rect_gap
from sim.crane.drives import AxisDrive
from sim.crane.geometry import HOOK_HALF, PIVOT_LINK_INERTIA, PIVOT_LINK_MASS, ROPE_LINK_MASS, CraneGeometry
from sim.crane.scoring import AttemptMetrics, grade
from sim.crane.shaping import plan_move
from sim.crane.wind import Gust, Wind, drag_force
from sim.operators.command import Command

CONTROL_HZ = 20
SUBSTEPS = 3  # physics runs at 60 Hz; 20 Hz control keeps a full attempt far above real time
DT = 1.0 / CONTROL_HZ
BRIDGE, TROLLEY, SWING_X, SWING_Y, ROPE, HOOK, LOAD = 0, 1, 2, 3, 4, 4, 5  # joint / link indices
# SWING_X turns about the y axis (the load swings along x); SWING_Y turns about x (swing along y).
APPROACH_RADIUS_M = 1.5  # lowering within this of the target starts the "lower" step
CHECK_TIME_S = 2.0  # the pre-lift check in the reference time
SLOW_LOWER_HEIGHT_M = 0.4  # the reference lowers the last part at the slowest notch
LIFT_OFF_M = 0.05  # a landed load is off the floor only this far above it (contact flickers)
# A landed load counts as lifted again only once the operator has hoisted it this far: a bounce or a
# swinging corner leaves the floor for a moment but never shortens the rope (landing is debounced).
RELIFT_M = 0.1
# Closed scenes' pybullet DIRECT clients, reused: connecting costs more than a short attempt's physics.
# A client is owned by one open scene at a time (list pop/append are atomic in CPython).
_IDLE_CLIENTS: list[int] = []
STEP_IDS = ("pre_lift_check", "hoist", "travel", "lower", "set_down")


@dataclass(frozen=True, slots=True)
class CraneState:
    """What one control step leaves: axis values, body positions (m, world), sway, step and events."""

    t: float
    step: str
    bridge_x: float
    trolley_y: float
    rope_m: float
    bridge_v: float
    trolley_v: float
    hoist_v: float  # + = up
    hook: tuple[float, float, float]
    load: tuple[float, float, float]
    load_velocity: tuple[float, float, float]
    sway_x_deg: float
    sway_y_deg: float
    sway_deg: float
    landed: bool
    machine_active: bool
    events: tuple[str, ...]

    @property
    def sway_offset(self) -> tuple[float, float]:
        """Load centre minus pivot, horizontal (m)."""
        return (self.load[0] - self.bridge_x, self.load[1] - self.trolley_y)


@dataclass
class _Faults:
    """Fault onsets (s) for this attempt; absent faults are None."""

    onsets: dict[str, float] = field(default_factory=dict)

    def active(self, fault: str, t: float) -> bool:
        onset = self.onsets.get(fault)
        return onset is not None and t >= onset


class CraneScene:
    """One crane attempt in its own pybullet DIRECT client."""

    family = "crane"

    def __init__(self, spec: Spec) -> None:
        if spec.family != self.family:
            raise ValueError(f"spec {spec.id} is for family {spec.family}, not {self.family}")
        self.spec = spec
        self.c = spec.constants
        self.client = _IDLE_CLIENTS.pop() if _IDLE_CLIENTS else pb.connect(pb.DIRECT)
        self.params: dict[str, Any] = {}
        self.seed = 0
        self.done = True

    def close(self) -> None:
        """Give the physics client back; the next scene reuses it (reset() rebuilds the whole world)."""
        if self.client >= 0:
            pb.resetSimulation(physicsClientId=self.client)
            _IDLE_CLIENTS.append(self.client)
            self.client = -1

    # --- reset ---------------------------------------------------------------------------------------

    def reset(self, params: Mapping[str, Any] | None, seed: int) -> CraneState:
        """Validate parameters, lay out the seeded course and build the world; same inputs, same world."""
        self.params = self.spec.validate_params(params)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise UserError(
                f"种子应为非负整数：{seed!r}", f"the seed must be a non-negative integer, got {seed!r}"
            )
        self.seed = seed
        course_rng, wind_rng, fault_rng, sway_rng = (
            np.random.default_rng(s) for s in np.random.SeedSequence(self.seed).spawn(4)
        )
        p, c = self.params, self.c
        self.course: Course = generate_course(p, c, course_rng)
        self.geometry = CraneGeometry.build(c, p)
        self.faults = _Faults(
            {f: float(fault_rng.uniform(*self.spec.faults[f].onset_s)) for f in p[FAULTS_KEY]}
        )
        onset = self.faults.onsets.get("sudden_gust")
        gusts = () if onset is None else (self._fault_gust(onset),)
        self.wind = Wind(p["wind_mps"], p["gust_mps"], wind_rng, gusts)
        self._build_world(sway_rng)
        self._build_drives()
        self.travel_rope = self.geometry.rope_for_bottom(self.course.highest_obstacle + TRAVEL_MARGIN)
        self.optimum_s = self.spec.rubric.optimum_margin * self.reference_time()
        self.stop_s = max(
            self.optimum_s, min(self.spec.rubric.stop_ratio * self.optimum_s, p["time_limit_s"])
        )
        self.t = 0.0
        self.step_id = STEP_IDS[0]
        self.metrics = AttemptMetrics()
        self.done = False
        self._check_pressed = False
        self._in_corridor = True
        self._contact_since: float | None = None
        self._last_collision = -math.inf
        self._last_outside = -math.inf
        self._lower_pause = 0.0
        self._last_cmd_sign = {"bridge": 0, "trolley": 0}
        self._last_accel = (0.0, 0.0)
        self._landed = False
        self._touchdown_rope = 0.0
        self._fault_reported: set[str] = set()
        self.changes: list[dict[str, Any]] = []  # live changes (wind, faults) with their sim time
        self._change_events: list[str] = []  # reported with the next step
        self._travel_targets: tuple[float, float] | None = None
        self._rope_sent: tuple[float, float] | None = None
        self.state = self._measure()
        return self.state

    def _fault_gust(self, onset: float) -> Gust:
        settings = self.spec.faults["sudden_gust"].settings
        return Gust(onset, settings["duration_s"], settings["peak_mps"])

    def _build_world(self, sway_rng: np.random.Generator) -> None:
        cid, g = self.client, self.geometry
        pb.resetSimulation(physicsClientId=cid)
        pb.setGravity(0, 0, -9.81, physicsClientId=cid)
        pb.setPhysicsEngineParameter(
            fixedTimeStep=DT, numSubSteps=SUBSTEPS, deterministicOverlappingPairs=1, physicsClientId=cid
        )
        self.floor = pb.createMultiBody(
            0, pb.createCollisionShape(pb.GEOM_PLANE, physicsClientId=cid), physicsClientId=cid
        )
        self.obstacle_ids = []
        for o in self.course.obstacles:
            shape = pb.createCollisionShape(pb.GEOM_BOX, halfExtents=o.half_extents, physicsClientId=cid)
            pos = (*o.centre, o.half_extents[2])
            self.obstacle_ids.append(pb.createMultiBody(0, shape, -1, pos, physicsClientId=cid))
        hook = pb.createCollisionShape(pb.GEOM_BOX, halfExtents=HOOK_HALF, physicsClientId=cid)
        half_load = (g.load_side / 2, g.load_side / 2, g.load_height / 2)
        load = pb.createCollisionShape(pb.GEOM_BOX, halfExtents=half_load, physicsClientId=cid)
        x0, y0 = self.course.pickup
        rope0 = g.max_rope - self.c["start_clearance_m"]
        self.crane = pb.createMultiBody(
            baseMass=0,
            basePosition=(0, 0, 0),
            linkMasses=[
                self.c["bridge_mass_kg"],
                self.c["trolley_mass_kg"],
                PIVOT_LINK_MASS,
                ROPE_LINK_MASS,
                g.hook_mass,
                g.load_mass,
            ],
            linkCollisionShapeIndices=[-1, -1, -1, -1, hook, load],
            linkVisualShapeIndices=[-1] * 6,
            linkPositions=[
                (0, 0, 0),
                (0, 0, g.pivot_height),
                (0, 0, 0),
                (0, 0, 0),
                (0, 0, 0),
                (0, 0, -g.load_offset),
            ],
            linkOrientations=[(0, 0, 0, 1)] * 6,
            linkInertialFramePositions=[(0, 0, 0)] * 4 + [(0, 0, -g.hook_offset), (0, 0, 0)],
            linkInertialFrameOrientations=[(0, 0, 0, 1)] * 6,
            linkParentIndices=[0, 1, 2, 3, 4, 5],
            linkJointTypes=[
                pb.JOINT_PRISMATIC,
                pb.JOINT_PRISMATIC,
                pb.JOINT_REVOLUTE,
                pb.JOINT_REVOLUTE,
                pb.JOINT_PRISMATIC,
                pb.JOINT_FIXED,
            ],
            linkJointAxis=[(1, 0, 0), (0, 1, 0), (0, 1, 0), (-1, 0, 0), (0, 0, -1), (0, 0, 1)],
            physicsClientId=cid,
        )
        # The carriages and the cardan cross have no collision shape: give them an explicit inertia.
        for link in (BRIDGE, TROLLEY, SWING_X, SWING_Y):
            pb.changeDynamics(
                self.crane, link, localInertiaDiagonal=[PIVOT_LINK_INERTIA] * 3, physicsClientId=cid
            )
        for link in range(6):
            pb.changeDynamics(self.crane, link, linearDamping=0, angularDamping=0, physicsClientId=cid)
        pb.resetJointState(self.crane, BRIDGE, x0, physicsClientId=cid)
        pb.resetJointState(self.crane, TROLLEY, y0, physicsClientId=cid)
        pb.resetJointState(self.crane, ROPE, rope0, physicsClientId=cid)
        sway = math.radians(self.params["initial_sway_deg"])
        heading = float(sway_rng.uniform(0, 2 * math.pi))
        pb.resetJointState(self.crane, SWING_X, sway * math.cos(heading), physicsClientId=cid)
        pb.resetJointState(self.crane, SWING_Y, sway * math.sin(heading), physicsClientId=cid)
        # Free pivot: zero-force velocity motors, else pybullet's default motors hold the swing.
        pb.setJointMotorControlArray(
            self.crane, [SWING_X, SWING_Y], pb.VELOCITY_CONTROL, forces=[0, 0], physicsClientId=cid
        )
        self.rope_target = rope0
        self.hoist_force = self.c["hoist_force_factor"] * 9.81 * (g.load_mass + g.hook_mass)
        self.travel_forces = [self.c["bridge_force_n"], self.c["trolley_force_n"]]
        self.wind_area = g.load_side * g.load_height

    def _build_drives(self) -> None:
        c, g = self.c, self.geometry
        notches = int(c["speed_notches"])
        latency = round(c["drive_latency_s"] * CONTROL_HZ)
        self.drives = {
            "bridge": AxisDrive(
                c["bridge_speed_mps"],
                c["bridge_accel_mps2"],
                c["estop_decel_mps2"],
                notches,
                latency,
                0.0,
                c["runway_length_m"],
            ),
            "trolley": AxisDrive(
                c["trolley_speed_mps"],
                c["trolley_accel_mps2"],
                c["estop_decel_mps2"],
                notches,
                latency,
                0.0,
                c["span_m"],
            ),
            "hoist": AxisDrive(
                c["hoist_speed_mps"],
                c["hoist_accel_mps2"],
                c["estop_decel_mps2"],
                notches,
                latency,
                -g.max_rope,
                -g.min_rope,
            ),
        }

    def reference_time(self) -> float:
        """Duration of the shaped expert profile for this course: check, hoist, two ZV legs, lower, settle.

        The optimum time is this times the rubric's margin, so every generated course is feasible by
        construction (shared/reference/crane_and_scenarios.md §5.3).
        """
        c, g, course = self.c, self.geometry, self.course
        lift = max(0.0, g.max_rope - self.c["start_clearance_m"] - self.travel_rope)
        period = g.pendulum_period(self.travel_rope)
        hoist_v, hoist_a = c["hoist_speed_mps"], c["hoist_accel_mps2"]
        hoist = lift / hoist_v + hoist_v / hoist_a
        notches = int(c["speed_notches"])
        leg1 = plan_move(
            abs(course.corner[0] - course.pickup[0]),
            c["bridge_speed_mps"],
            c["bridge_accel_mps2"],
            period,
            notches,
        )
        leg2 = plan_move(
            abs(course.target[1] - course.corner[1]),
            c["trolley_speed_mps"],
            c["trolley_accel_mps2"],
            period,
            notches,
        )
        drop = g.load_bottom(self.travel_rope)
        slow_v = hoist_v / max(1, notches)
        lower = max(0.0, drop - SLOW_LOWER_HEIGHT_M) / hoist_v + SLOW_LOWER_HEIGHT_M / slow_v
        return (
            CHECK_TIME_S + hoist + leg1.duration + leg2.duration + lower + self.spec.rubric.limits["settle_s"]
        )

    # --- stepping ------------------------------------------------------------------------------------

    def step(self, command: Command) -> CraneState:
        """Advance one control step (1/CONTROL_HZ s) under `command`; returns the new state."""
        if self.done:
            return self.state
        cid, st, t = self.client, self.state, self.t
        events, self._change_events = self._change_events, []
        self._apply_faults(events)
        estop = command.estop
        vb = self.drives["bridge"].step(command.bridge, st.bridge_x, DT, estop)
        vt = self.drives["trolley"].step(command.trolley, st.trolley_y, DT, estop)
        vh = self.drives["hoist"].step(command.hoist, -self.rope_target, DT, estop)
        rope_v = -vh
        if self.faults.active("hoist_brake_slip", t) and command.hoist == 0 and vh == 0:
            rope_v = self.spec.faults["hoist_brake_slip"].settings["creep_mps"]
        if self._landed and rope_v > 0:
            rope_v = 0.0  # the rope goes slack on a landed load; a rigid rope must not push it down
        self.rope_target += rope_v * DT
        self._set_motors(vb, vt, rope_v)
        fx, fy = drag_force(self.wind.velocity(t), st.load_velocity[:2], self.wind_area)
        pb.applyExternalForce(self.crane, LOAD, (fx, fy, 0.0), st.load, pb.WORLD_FRAME, physicsClientId=cid)
        pb.stepSimulation(physicsClientId=cid)
        self.t = t + DT
        self._track_controls(command, vb, vt)
        lowering = command.hoist < 0 and not command.estop  # the operator's lever, not a slipping brake
        self._update_steps(command, vb, vt, lowering, events)
        measured = self._measure()
        self._judge(st, measured, lowering, events)
        if not self.done and self.t >= self.stop_s:
            self._finish(events, "not_completed")
        self.state = _with_events(measured, tuple(events), self.step_id, self._landed, self.done)
        return self.state

    def _set_motors(self, vb: float, vt: float, rope_v: float) -> None:
        """Hand the drive targets to pybullet; motor settings persist, so unchanged ones are not resent."""
        cid = self.client
        if (vb, vt) != self._travel_targets:
            pb.setJointMotorControlArray(
                self.crane,
                [BRIDGE, TROLLEY],
                pb.VELOCITY_CONTROL,
                targetVelocities=[vb, vt],
                forces=self.travel_forces,
                physicsClientId=cid,
            )
            self._travel_targets = (vb, vt)
        if (self.rope_target, rope_v) != self._rope_sent:
            pb.setJointMotorControl2(
                self.crane,
                ROPE,
                pb.POSITION_CONTROL,
                targetPosition=self.rope_target,
                targetVelocity=rope_v,
                force=self.hoist_force,
                physicsClientId=cid,
            )
            self._rope_sent = (self.rope_target, rope_v)

    def _apply_faults(self, events: list[str]) -> None:
        for fault, onset in self.faults.onsets.items():
            if self.t >= onset and fault not in self._fault_reported:
                self._fault_reported.add(fault)
                events.append(f"fault:{fault}")
                if fault == "drive_lag":
                    extra = round(self.spec.faults[fault].settings["extra_latency_s"] * CONTROL_HZ)
                    for axis in ("bridge", "trolley"):
                        self.drives[axis].set_latency(self.drives[axis].latency_steps + extra)
                elif fault == "limit_switch_failure":
                    self.drives["hoist"].high = -(self.geometry.two_block_rope - 0.3)

    def _track_controls(self, command: Command, vb: float, vt: float) -> None:
        """Control reversals (lever through neutral to the other side) and mean |jerk| of the travel drives."""
        for axis, value in (("bridge", command.bridge), ("trolley", command.trolley)):
            sign = (value > 0) - (value < 0)
            if sign and self._last_cmd_sign[axis] and sign != self._last_cmd_sign[axis]:
                self.metrics.reversals += 1
            if sign:
                self._last_cmd_sign[axis] = sign
        ab, at = (vb - self.state.bridge_v) / DT, (vt - self.state.trolley_v) / DT
        last_b, last_t = self._last_accel
        self.metrics.jerk_sum += (abs(ab - last_b) + abs(at - last_t)) / DT
        self.metrics.jerk_samples += 1
        self._last_accel = (ab, at)

    def _update_steps(
        self, command: Command, vb: float, vt: float, lowering: bool, events: list[str]
    ) -> None:
        """Advance the task chain from what the operator does."""
        step = self.step_id
        if step == "pre_lift_check":
            if command.estop:
                self._check_pressed = True
            elif self._check_pressed:
                self._enter("hoist", events)
            elif command.moving:
                self.metrics.count("skipped_pre_lift_check")
                events.append("skipped_pre_lift_check")
                self._enter("hoist", events)
        elif step == "hoist" and (vb or vt):
            self._enter("travel", events)
        elif step in ("hoist", "travel") and lowering and self._near_target(self.state.load):
            self._enter("lower", events)

    def _enter(self, step: str, events: list[str]) -> None:
        """The task chain only moves forward: a step once reached is never taken back."""
        if STEP_IDS.index(step) > STEP_IDS.index(self.step_id):
            self.step_id = step
            events.append(f"step:{step}")

    def _near_target(self, load: tuple[float, float, float]) -> bool:
        tx, ty = self.course.target
        return math.hypot(load[0] - tx, load[1] - ty) <= max(APPROACH_RADIUS_M, 3 * self.course.target_radius)

    def _measure(self) -> CraneState:
        """The state as the physics left it after this step (no events yet)."""
        cid = self.client
        joints = pb.getJointStates(self.crane, [BRIDGE, TROLLEY, SWING_X, SWING_Y, ROPE], physicsClientId=cid)
        (bx, bv, *_), (ty, tv, *_), (ax, *_), (ay, *_), (rope, rv, *_) = joints
        hook, load = pb.getLinkStates(self.crane, [HOOK, LOAD], computeLinkVelocity=1, physicsClientId=cid)
        hook_pos, load_pos, load_vel = hook[0], load[0], load[6]
        moving = abs(bv) > 1e-3 or abs(tv) > 1e-3 or abs(rv) > 1e-3
        return CraneState(
            t=self.t,
            step=self.step_id,
            bridge_x=bx,
            trolley_y=ty,
            rope_m=rope,
            bridge_v=self.drives["bridge"].velocity,
            trolley_v=self.drives["trolley"].velocity,
            hoist_v=-rv,
            hook=hook_pos,
            load=load_pos,
            load_velocity=load_vel,
            sway_x_deg=math.degrees(ax),
            sway_y_deg=math.degrees(ay),
            sway_deg=math.degrees(math.acos(min(1.0, math.cos(ax) * math.cos(ay)))),
            landed=self._landed,
            machine_active=moving and not self.done,
            events=(),
        )

    # --- live changes (an instructor on a running attempt) ----------------------------------------

    @property
    def dt(self) -> float:
        """The control period, s: one `step` advances the scene this far."""
        return DT

    def set_wind(self, mean_mps: float, gust_mps: float | None = None) -> dict[str, Any]:
        """From now on blow at `mean_mps` with gusts of `gust_mps` (None: keep the amplitude).

        Both are checked against the spec's ranges for wind_mps and gust_mps (UserError). The seeded gust
        times stay the same, so the change with its sim time reproduces the attempt.
        """
        self._require_running()
        gust = self.wind.level(self.t)[1] if gust_mps is None else gust_mps
        checked = self.spec.validate_params(self.params | {"wind_mps": mean_mps, "gust_mps": gust})
        mean, gust = checked["wind_mps"], checked["gust_mps"]
        self.wind.set(self.t, mean, gust)
        return self._record({"action": "set_wind", "wind_mps": mean, "gust_mps": gust}, "wind_changed")

    def inject_fault(self, fault_id: str) -> dict[str, Any]:
        """Start one of the spec's faults now (UserError if unknown or already part of this attempt)."""
        self._require_running()
        if fault_id not in self.spec.faults:
            known = ", ".join(self.spec.faults)
            raise UserError(
                f"场景没有故障 {fault_id!r}（可用：{known}）",
                f"the scenario has no fault {fault_id!r} (known: {known})",
            )
        if fault_id in self.faults.onsets:
            onset = self.faults.onsets[fault_id]
            raise UserError(
                f"故障 {fault_id} 已在本次练习中（{onset:.1f} s 起）",
                f"fault {fault_id} is already part of this attempt (from {onset:.1f} s)",
            )
        self.faults.onsets[fault_id] = self.t  # _apply_faults starts it at the next step
        if fault_id == "sudden_gust":
            self.wind.add_gust(self._fault_gust(self.t))
        return self._record({"action": "inject_fault", "fault": fault_id}, f"fault_injected:{fault_id}")

    def apply_change(self, change: Mapping[str, Any]) -> dict[str, Any]:
        """One change as recorded in `changes` or sent by an instructor: {"action": "set_wind", "wind_mps",
        "gust_mps"?} or {"action": "inject_fault", "fault"}; anything else is a UserError."""
        action = change.get("action") if isinstance(change, Mapping) else None
        if action == "set_wind":
            return self.set_wind(change.get("wind_mps"), change.get("gust_mps"))
        if action == "inject_fault" and isinstance(change.get("fault"), str):
            return self.inject_fault(change["fault"])
        raise UserError(
            f"无法识别的场景变更：{str(change)[:80]}",
            f"not a scene change this scene knows: {str(change)[:80]}",
        )

    def _require_running(self) -> None:
        if self.done:
            raise UserError("本次练习未在进行，不能修改", "the attempt is not running: nothing to change")

    def _record(self, change: dict[str, Any], event: str) -> dict[str, Any]:
        change = {"t": round(self.t, 6), **change}
        self.changes.append(change)
        self._change_events.append(event)
        return change

    # --- judging -------------------------------------------------------------------------------------

    def _judge(self, before: CraneState, now: CraneState, lowering: bool, events: list[str]) -> None:
        """Turn the physics of this step into exam events and diagnostics."""
        m, limits, g = self.metrics, self.spec.rubric.limits, self.geometry
        lx, ly, _ = now.load
        m.path_m += math.hypot(lx - before.load[0], ly - before.load[1])
        offset = math.hypot(*now.sway_offset)
        floor_touch, hit = self._contacts()
        if not self._landed and self.step_id != "pre_lift_check":
            m.peak_sway_deg = max(m.peak_sway_deg, now.sway_deg)
        if self.step_id == "lower" and not floor_touch:
            m.residual_sway_m = max(m.residual_sway_m, offset)
            m.travelled = m.lowered = True
        # Collisions with course objects, debounced (one knock is one event).
        if hit:
            if self.t - self._last_collision > limits["collision_gap_s"]:
                self._event("collision", events)
            self._last_collision = self.t
        # Corridor: the load's centre leaving the corridor.
        # Swinging back and forth across the edge is one exit, not one per swing.
        in_corridor = self.course.in_corridor(lx, ly)
        if (
            self._in_corridor
            and not in_corridor
            and self.t - self._last_outside > limits["corridor_debounce_s"]
        ):
            self._event("corridor_exit", events)
        if not in_corridor:
            self._last_outside = self.t
        self._in_corridor = in_corridor
        # People zone: clearance of the load's footprint; over it is a critical error.
        half = g.load_side / 2
        gap = rect_gap((lx - half, ly - half, lx + half, ly + half), self.course.people_zone)
        m.min_people_clearance_m = min(m.min_people_clearance_m, gap)
        if gap <= 0.0:
            self._finish(events, "load_over_people")
        if now.rope_m <= g.two_block_rope:
            self._finish(events, "two_block")
        # Hoist-down: a pause while lowering is a stop (NCCCO 2007 overhead change).
        if self.step_id == "lower" and not floor_touch:
            self._lower_pause = 0.0 if lowering else self._lower_pause + DT
            if (
                self._lower_pause > limits["hoist_stop_s"]
                and self._lower_pause - DT <= limits["hoist_stop_s"]
            ):
                self._event("hoist_down_stop", events)
        self._landing(before, now, floor_touch, events)

    def _contacts(self) -> tuple[bool, bool]:
        """(load rests on the floor, hook or load touches a course object) from this step's contacts."""
        floor_touch = hit = False
        obstacles = self.obstacle_ids
        for contact in pb.getContactPoints(bodyA=self.crane, physicsClientId=self.client):
            other, link = (contact[2], contact[3]) if contact[1] == self.crane else (contact[1], contact[4])
            if other == self.floor and link == LOAD:
                floor_touch = True
            elif other in obstacles:
                hit = True
        return floor_touch, hit

    def _landing(self, before: CraneState, now: CraneState, floor_touch: bool, events: list[str]) -> None:
        """Touchdown (impact speed, position) and the settle that completes the set-down."""
        m, limits = self.metrics, self.spec.rubric.limits
        tx, ty = self.course.target
        error = math.hypot(now.load[0] - tx, now.load[1] - ty)
        if floor_touch and not self._landed:
            self._landed = True
            self._touchdown_rope = now.rope_m
            impact = max(0.0, -before.load_velocity[2])
            events.append("touchdown")
            if impact >= limits["dropped_mps"]:
                m.impact_mps = impact
                self._finish(events, "dropped_load")
            elif impact >= limits["hard_landing_mps"]:
                self._event("hard_landing", events)
            if self._near_target(now.load) and self.step_id != "pre_lift_check":
                m.impact_mps, m.setdown_error_m = impact, error
                self._enter("set_down", events)
            elif self.step_id != "pre_lift_check":
                self._event("load_ground", events)
            self._contact_since = self.t
        elif self._landed and not floor_touch and self._load_bottom(now) > LIFT_OFF_M:
            self._contact_since = None  # off the floor, so not resting: the settle time starts again
            if now.rope_m < self._touchdown_rope - RELIFT_M:
                self._landed = False  # hoisted off: the next contact is a new touchdown
        elif self._landed and floor_touch and self._contact_since is None:
            self._contact_since = self.t  # back down after a bounce: no second touchdown
        settled = self._contact_since is not None and self.t - self._contact_since >= limits["settle_s"]
        if settled and self.step_id in ("travel", "lower", "set_down") and not self.done:
            m.setdown_error_m = error
            if error > self.course.target_radius:
                self._event("outside_target", events)
            events.append("set_down")
            self._finish(events, None)

    def _load_bottom(self, state: CraneState) -> float:
        """Lowest point of the (slightly tilted) load above the floor, m."""
        g = self.geometry
        tilt = math.radians(state.sway_deg)
        return state.load[2] - (g.load_height * math.cos(tilt) + g.load_side * math.sin(tilt)) / 2

    def _event(self, event: str, events: list[str]) -> None:
        self.metrics.count(event)
        events.append(event)

    def _finish(self, events: list[str], critical: str | None) -> None:
        if critical:
            self._event(critical, events)
        self.done = True

    # --- outputs -------------------------------------------------------------------------------------

    @property
    def completed(self) -> bool:
        """The load was set down and settled with no critical error."""
        return self.done and not any(self.metrics.events[c] for c in self.spec.rubric.critical)

    def snapshot(self) -> dict[str, Any]:
        """Body poses, axis values, zones, the machine's activity and the active step (JSON-able)."""
        cid, s = self.client, self.state
        bodies = {}
        for name, link in (("bridge", BRIDGE), ("trolley", TROLLEY), ("hook", HOOK), ("load", LOAD)):
            pos, orn = pb.getLinkState(self.crane, link, physicsClientId=cid)[4:6]
            bodies[name] = {"position": list(pos), "orientation": list(orn)}
        return {
            "scenario": self.spec.id,
            "t": round(s.t, 6),
            "step": s.step,
            "machine_active": s.machine_active,
            "done": self.done,
            "axes": {
                "bridge_x": s.bridge_x,
                "trolley_y": s.trolley_y,
                "rope_m": s.rope_m,
                "bridge_v": s.bridge_v,
                "trolley_v": s.trolley_v,
                "hoist_v": s.hoist_v,
                "sway_x_deg": s.sway_x_deg,
                "sway_y_deg": s.sway_y_deg,
            },
            "bodies": bodies,
            "load_size": [self.geometry.load_side, self.geometry.load_side, self.geometry.load_height],
            "wind_mps": list(self.wind.velocity(s.t)),
            "zones": self.course.to_dict(),
            "events": list(s.events),
        }

    def result(self) -> dict[str, Any]:
        """Exam score, pass/fail, per-skill sub-scores and diagnostics of the attempt so far."""
        completed = self.done and self.completed
        metrics = replace(self.metrics, events=Counter(self.metrics.events))  # asking must not change the run
        if not self.done:
            metrics.count("not_completed")  # stopped from outside (e.g. a duration cap) before the end
        exam = grade(self.spec.rubric, metrics, self.t, self.optimum_s, self.course.target_radius, completed)
        return {
            "scenario": self.spec.id,
            "spec_version": self.spec.version,
            "passed": exam.passed,
            "score": exam.score,
            "sub_scores": exam.sub_scores,
            "critical": exam.critical,
            "deductions": exam.deductions,
            "time_loss": exam.time_loss,
            "metrics": metrics.as_dict()
            | {
                "time_s": round(self.t, 4),
                "optimum_s": round(self.optimum_s, 3),
                "stop_s": round(self.stop_s, 3),
            },
            "params": self.params,
            "seed": self.seed,
            "changes": list(self.changes),  # reset(params, seed), then these at their times: the same run
            "sim_s": round(self.t, 4),
            "course": self.course.to_dict(),
        }


def _with_events(
    state: CraneState, events: tuple[str, ...], step: str, landed: bool, done: bool
) -> CraneState:
    """The step's state with what judging it added (a plain constructor call: this runs every step)."""
    s = state
    return CraneState(
        s.t,
        step,
        s.bridge_x,
        s.trolley_y,
        s.rope_m,
        s.bridge_v,
        s.trolley_v,
        s.hoist_v,
        s.hook,
        s.load,
        s.load_velocity,
        s.sway_x_deg,
        s.sway_y_deg,
        s.sway_deg,
        landed,
        s.machine_active and not done,
        events,
    )
