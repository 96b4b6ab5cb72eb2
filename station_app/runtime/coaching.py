"""Joining the coach to the sim: its configuration from the spec, each frame's context from the scene,
the summary stored with the attempt, and the hand-signal operator that drives the crane from the
signals the coach recognises.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from coach.context import FrameContext
from coach.engine import CoachConfig
from coach.events import CoachEvent
from lab.bus.text import UserError
from scenarios.spec import Spec
from sim.operators.command import NEUTRAL, Command, command_from_signal

SEVERITY_ORDER = {"info": 0, "warning": 1, "critical": 2}


def coach_config(spec: Spec, signal_set: str | None = None) -> CoachConfig:
    """Which rules apply in which step, and the step order, as the scenario spec says."""
    return CoachConfig(
        rules_by_step={step.id: tuple(step.coach_rules) for step in spec.steps},
        step_order=tuple(step.id for step in spec.steps),
        signal_set=signal_set,
    )


def frame_context(state: Any) -> FrameContext:
    """The coach's view of the scene at a frame: the active step and whether the machine moves."""
    return FrameContext(step_id=state.step, machine_active=bool(state.machine_active))


def summarise(events: Sequence[CoachEvent], reba_scores: Iterable[int]) -> dict[str, Any]:
    """What is stored with the attempt: counts by rule and severity, the worst REBA, every event."""
    findings = [e for e in events if e.kind != "cannot_judge"]
    scores = list(reba_scores)
    return {
        "events": len(findings),
        "by_rule": dict(Counter(e.rule_id for e in findings)),
        "by_severity": dict(Counter(e.severity for e in findings)),
        "abstentions": sorted({e.rule_id for e in events if e.kind == "cannot_judge"}),
        "reba_max": max(scores) if scores else None,
        "reba_p95": int(np.percentile(scores, 95)) if scores else None,
        "frames_judged": len(scores),
        "timeline": [e.to_dict() for e in sorted(events, key=lambda e: e.onset)],
    }


class SignalOperator:
    """Drives the crane from a signalperson's hand signals as the coach recognises them.

    The runtime passes it each coach event; while a signal is held its command applies, when the
    signal ends the crane gets neutral (a signalled motion never outlives its signal).
    """

    name = "hand_signals"

    def __init__(self) -> None:
        self._current: Command = NEUTRAL
        self._signal: str | None = None

    def reset(self, scene: Any, rng: Any) -> None:
        del scene, rng
        self._current, self._signal = NEUTRAL, None

    def act(self, state: Any) -> Command:
        del state
        return self._current

    def observe(self, started: Iterable[CoachEvent], ended: Iterable[CoachEvent]) -> None:
        for event in ended:
            if event.kind == "signal" and event.detail.get("signal") == self._signal:
                self._current, self._signal = NEUTRAL, None
        for event in started:
            if event.kind == "signal":
                try:
                    self._current = command_from_signal(str(event.detail.get("signal")))
                    self._signal = event.detail.get("signal")
                except UserError:
                    self._current, self._signal = NEUTRAL, None  # a signal with no crane motion: stop
