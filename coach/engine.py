"""The coach: per frame, REBA plus the rules that apply in the current step, gated in time.

Which rules apply is set per task-chain step (`CoachConfig.rules_by_step`, from the scenario spec) and
thresholds per scenario and class (`CoachConfig.thresholds`), so the coach takes them as plain inputs.
Hand signals, step order and the reference demonstration are optional parts fed the same frames.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coach import reba as reba_worksheet
from coach.context import FrameContext
from coach.events import CoachEvent
from coach.geometry import Vec, posture
from coach.reference import ReferenceComparer, ReferenceDemo
from coach.rules import RULE_GROUPS, RULES, VISIBLE, Features, Rule, expand, view_class
from coach.signals import SignalRecogniser
from coach.steps import StepOrderChecker
from coach.temporal import Gate, Timing
from lab.bus.text import Text, UserError
from vision.landmarks import Landmark as L
from vision.posestream import PoseFrame

DEFAULT_RULES: tuple[str, ...] = ("reba", "danger_zone", "hand_signal", "step_order")
# An abstention is announced once the rule has been unable to judge for a second.
ABSTAIN_TIMING = Timing(enter=0.5, exit=0.5, min_duration=1.0, min_clear=0.5, cooldown=0.0)
VIEW_SMOOTH_S = 0.5
# The hip line the trunk twist is measured against, low-passed: depth jitter turns a single frame's
# hip line by ~14° (hips 0.17 m apart, 3 cm of jitter on each), which restarted the twist rule's debounce;
# the pelvis of someone twisting under load stays put while the shoulders turn, so the lag costs the
# twist nothing. When the whole body turns (turning on the spot: 200–300°/s in the spin clip; landing
# from a jump) the lag would read as a twist, so the low-pass gives way as the body turns. Whether it
# turns is read from the shoulder line: the shoulders turn with the pelvis when the body turns, and
# being twice as far apart they turn less than half as much with the same jitter. (Read from the hips'
# own rate, the jitter itself, ~70°/s, kept cutting the low-pass short: most of the twist false alarms
# on loaded correct motion.) A twist's shoulders turn over still hips: the low-pass then only gives
# way to jitter, it does not move the reference.
HIP_SMOOTH_S = 0.5  # leaves ~0.34x the hip jitter (AR(1) 0.6 at 30 fps; 0.3 s left 0.43x)
HIP_LAG_DEG = 10.0  # the low-pass may lag a turning body by this much
VIEW_NAMES = {
    "front": Text(zh="正面", en="the front"),
    "oblique": Text(zh="斜侧面", en="an angle"),
    "side": Text(zh="侧面", en="the side"),
    "back": Text(zh="背面", en="behind"),
}


@dataclass(frozen=True)
class CoachConfig:
    """Plain inputs that the scenario spec and the class settings provide."""

    rules: Sequence[str] = DEFAULT_RULES
    rules_by_step: Mapping[str, Sequence[str]] = field(default_factory=dict)
    thresholds: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    signal_set: str | None = None
    step_order: Sequence[str] = ()
    reference: ReferenceDemo | None = None


@dataclass
class FrameResult:
    t: float
    angles: dict[str, float] | None
    reba: dict[str, Any] | None
    started: list[CoachEvent]
    ended: list[CoachEvent]


class _RuleState:
    __slots__ = ("abstain", "abstain_event", "event", "gate", "params", "rule", "smooth")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.params = dict(rule.params)
        self.gate = Gate(rule.timing)
        self.abstain = Gate(ABSTAIN_TIMING)
        self.smooth = LowPass(rule.smooth_s)
        self.event: CoachEvent | None = None
        self.abstain_event: CoachEvent | None = None


class LowPass:
    """First-order low-pass with a time constant, robust to uneven frame times; reset on gaps."""

    __slots__ = ("_t", "_value", "tau")

    def __init__(self, tau: float) -> None:
        self.tau = tau
        self._t: float | None = None
        self._value = 0.0

    def update(self, t: float, value: float | None) -> float | None:
        if value is None:
            self._t = None
            return None
        if self._t is None or self.tau <= 0:
            self._value = value
        else:
            alpha = 1.0 - math.exp(-max(t - self._t, 0.0) / self.tau)
            self._value += alpha * (value - self._value)
        self._t = t
        return self._value


class HipLine:
    """The pelvis's yaw, low-passed while the body holds still and followed as it turns (see HIP_SMOOTH_S)."""

    __slots__ = ("_fast", "_hips", "_past", "_shoulders", "_slow", "_t")

    def __init__(self) -> None:
        self._hips: float | None = None  # unwrapped yaw of this frame's hip line, radians
        self._shoulders = 0.0  # unwrapped yaw of this frame's shoulder line, radians
        self._fast = LowPass(0.1)
        self._slow = 0.0
        self._t = 0.0
        self._past: deque[tuple[float, float]] = deque()  # (t, fast shoulder yaw) over the last 0.2 s

    def update(self, t: float, world: Sequence[Sequence[float]]) -> Vec:
        """The left-to-right hip line (horizontal unit vector) to measure this frame's twist against."""
        hips = _yaw(world[L.RIGHT_HIP], world[L.LEFT_HIP])
        shoulders = _yaw(world[L.RIGHT_SHOULDER], world[L.LEFT_SHOULDER])
        if self._hips is None:
            self._hips = self._slow = hips
            self._shoulders = shoulders
            self._t = t
        self._hips += _wrap(hips - self._hips)
        self._shoulders += _wrap(shoulders - self._shoulders)
        fast = self._fast.update(t, self._shoulders)
        self._past.append((t, fast))
        while t - self._past[0][0] > 0.2:
            self._past.popleft()
        t0, old = self._past[0]
        rate = (fast - old) / (t - t0) if t > t0 else 0.0  # rad/s
        # The low-pass lags a steady turn by rate x tau: keep that under HIP_LAG_DEG.
        tau = min(HIP_SMOOTH_S, math.radians(HIP_LAG_DEG) / abs(rate)) if rate else HIP_SMOOTH_S
        self._slow += (1.0 - math.exp(-max(t - self._t, 0.0) / tau)) * (self._hips - self._slow)
        self._t = t
        return (math.cos(self._slow), 0.0, math.sin(self._slow))


def _yaw(right: Sequence[float], left: Sequence[float]) -> float:
    """Yaw of a left-to-right body line about the vertical, radians."""
    return math.atan2(right[2] - left[2], right[0] - left[0])


def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


def expand_names(names: Sequence[str]) -> frozenset[str]:
    """Rule ids behind rule ids and group names; an unknown name is a UserError listing the known ones."""
    try:
        return expand(names)
    except KeyError as exc:
        known = ", ".join([*RULES, *RULE_GROUPS])
        raise UserError(
            f"未知的教练规则：{exc.args[0]}（可用：{known}）",
            f"unknown coach rule: {exc.args[0]} (available: {known})",
        ) from None


def build_rules(config: CoachConfig) -> dict[str, Rule]:
    """The rules this configuration can use, with its threshold overrides applied."""
    wanted = expand_names([*config.rules, *(r for rules in config.rules_by_step.values() for r in rules)])
    unknown = sorted(set(config.thresholds) - wanted)
    if unknown:
        raise UserError(
            f"阈值指向未启用的规则：{', '.join(unknown)}",
            f"thresholds given for rules not in use: {', '.join(unknown)}",
        )
    rules = {}
    for rule_id in sorted(wanted):
        try:
            rules[rule_id] = RULES[rule_id].with_overrides(dict(config.thresholds.get(rule_id, {})))
        except KeyError as exc:
            raise UserError(
                f"规则 {rule_id} 没有阈值 {exc.args[0]}", f"rule {rule_id} has no threshold {exc.args[0]}"
            ) from None
    return rules


class Coach:
    """Feed frames in time order with their context; collect events."""

    def __init__(self, config: CoachConfig | None = None) -> None:
        self.config = config or CoachConfig()
        self._states = {rule_id: _RuleState(rule) for rule_id, rule in build_rules(self.config).items()}
        self.signals = SignalRecogniser(self.config.signal_set) if self.config.signal_set else None
        self.steps = StepOrderChecker(self.config.step_order) if self.config.step_order else None
        self.reference = ReferenceComparer(self.config.reference) if self.config.reference else None
        self.events: list[CoachEvent] = []
        self._expanded: dict[tuple[str, ...], frozenset[str]] = {}
        # The view changes slowly but its per-frame estimate is noisy (depth jitter on the hips).
        self._view_x = LowPass(VIEW_SMOOTH_S)
        self._view_z = LowPass(VIEW_SMOOTH_S)
        self._hips = HipLine()

    def rules_for(self, step_id: str | None) -> Sequence[str]:
        """The rule ids and group names that apply in this step (the spec's list, else the default)."""
        if step_id is not None and step_id in self.config.rules_by_step:
            return self.config.rules_by_step[step_id]
        return self.config.rules

    def process(self, frame: PoseFrame, ctx: FrameContext) -> FrameResult:
        started: list[CoachEvent] = []
        ended: list[CoachEvent] = []
        if self.steps is not None:
            started += self.steps.update(frame.t, ctx.step_id)
        if frame.image is None or frame.world is None:
            for state in self._states.values():
                self._feed(state, frame.t, None, None, ctx, started, ended)
            self.events += started
            return FrameResult(frame.t, None, None, started, ended)
        world = frame.world
        p = posture(world, self._hips.update(frame.t, world.tolist()))
        scores = reba_worksheet.score(p, ctx.reba)
        features = Features(
            t=frame.t,
            image=frame.image,
            world=frame.world,
            posture=p,
            reba=scores,
            visibility=frame.image[:, 3].tolist(),
        )
        yaw = math.radians(p.view_yaw_deg)
        view = view_class(
            math.degrees(
                math.atan2(
                    self._view_x.update(frame.t, math.sin(yaw)), self._view_z.update(frame.t, math.cos(yaw))
                )
            )
        )
        names = self.rules_for(ctx.step_id)
        active = self._expanded.get(tuple(names)) or self._expanded.setdefault(tuple(names), expand(names))
        for rule_id, state in self._states.items():
            if rule_id not in active:
                self._feed(state, frame.t, None, None, ctx, started, ended, applies=False)
                continue
            self._judge(state, features, ctx, view, started, ended)
        if self.signals is not None and "hand_signal" in names:
            found, over = self.signals.update(features, ctx.step_id)
            started += found
            ended += over
        if self.reference is not None:
            started += self.reference.update(features, ctx.step_id)
        self.events += started
        return FrameResult(frame.t, p.angles(), scores.to_dict(), started, ended)

    def _judge(
        self,
        state: _RuleState,
        f: Features,
        ctx: FrameContext,
        view: str,
        started: list[CoachEvent],
        ended: list[CoachEvent],
    ) -> None:
        rule = state.rule
        reason: Text | None = None
        if any(f.visibility[i] < VISIBLE for i in rule.needs):
            reason = Text(zh="所需关节被遮挡", en="a joint it needs is hidden")
        elif view not in rule.views:
            allowed = "、".join(VIEW_NAMES[v].zh for v in sorted(rule.views))
            allowed_en = ", ".join(VIEW_NAMES[v].en for v in sorted(rule.views))
            reason = Text(
                zh=f"摄像头从{VIEW_NAMES[view].zh}拍摄，此规则需要从{allowed}拍摄",
                en=f"the camera sees you from {VIEW_NAMES[view].en}; this rule needs a view from {allowed_en}",
            )
        measurement = None
        if reason is None:
            measurement = rule.measure(f, ctx, state.params)
            if measurement is None:
                reason = Text(zh="双手均被遮挡", en="both hands are hidden")
        self._feed(state, f.t, measurement, reason, ctx, started, ended)

    def _feed(
        self,
        state: _RuleState,
        t: float,
        measurement: Any,
        reason: Text | None,
        ctx: FrameContext,
        started: list[CoachEvent],
        ended: list[CoachEvent],
        applies: bool = True,
    ) -> None:
        rule = state.rule
        value = state.smooth.update(t, None if measurement is None else measurement.value)
        change = state.gate.update(t, value)
        if change == "start":
            cue = Text(
                zh=rule.cue.zh.format(value=state.gate.peak, threshold=rule.timing.enter),
                en=rule.cue.en.format(value=state.gate.peak, threshold=rule.timing.enter),
            )
            state.event = CoachEvent(
                rule_id=rule.rule_id,
                kind="violation",
                severity=rule.severity,
                body_part=measurement.body_part,
                onset=state.gate.onset,
                detected_at=t,
                cue=cue,
                value=state.gate.peak,
                threshold=rule.timing.enter,
                unit=rule.unit,
                step_id=ctx.step_id,
            )
            started.append(state.event)
        elif change == "end" and state.event is not None:
            state.event.end = state.gate.last_true
            state.event.value = state.gate.peak
            ended.append(state.event)
            state.event = None
        abstaining = 1.0 if (applies and reason is not None) else 0.0
        change = state.abstain.update(t, abstaining)
        if change == "start":
            state.abstain_event = CoachEvent(
                rule_id=rule.rule_id,
                kind="cannot_judge",
                severity="info",
                body_part="",
                onset=state.abstain.onset,
                detected_at=t,
                cue=Text(
                    zh=f"无法判断“{rule.rule_id}”：{reason.zh}。",
                    en=f"Cannot judge {rule.rule_id}: {reason.en}.",
                ),
                step_id=ctx.step_id,
            )
            started.append(state.abstain_event)
        elif change == "end" and state.abstain_event is not None:
            state.abstain_event.end = state.abstain.last_true
            ended.append(state.abstain_event)
            state.abstain_event = None

    def finish(self, t: float) -> list[CoachEvent]:
        """Close every open event at the end of the stream (t = last frame time)."""
        closed = []
        for state in self._states.values():
            for event in (state.event, state.abstain_event):
                if event is not None and event.end is None:
                    event.end = t
                    closed.append(event)
        if self.signals is not None:
            closed += self.signals.finish(t)
        if self.steps is not None:
            self.events += self.steps.finish(t)
        return closed
