"""Exam scoring and diagnostics for a crane attempt (pure: numbers in, numbers out).

Exam part (what examiners recognise): 100 points, no loss up to the optimum time, gradual loss above it
and a stop at 1.5×, event deductions and critical errors that fail outright
(shared/reference/crane_and_scenarios.md §1.2, §2.1, §2.5, §5.2). Diagnostics (sway, set-down error,
impact, clearance, reversals, jerk) are kept apart; per-skill sub-scores in 0..1 feed the learner model.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from scenarios.spec import Rubric

# Sub-score scales: the value at which a diagnostic costs the whole of its share.
SWAY_PEAK_FULL_DEG = 10.0
RESIDUAL_SWAY_FULL_M = 0.5
SAFE_CLEARANCE_M = 2.0  # load footprint to people zone; ASME-style "never over people", with margin
REVERSALS_FULL_PER_M = 0.5


def _unit(x: float) -> float:
    return min(1.0, max(0.0, x))


@dataclass
class AttemptMetrics:
    """Diagnostics accumulated step by step by the scene."""

    peak_sway_deg: float = 0.0
    residual_sway_m: float = 0.0
    setdown_error_m: float | None = None
    impact_mps: float | None = None
    min_people_clearance_m: float = math.inf
    reversals: int = 0
    path_m: float = 0.0
    jerk_sum: float = 0.0
    jerk_samples: int = 0
    travelled: bool = False  # the load reached the lowering step: peak sway covers a whole travel
    lowered: bool = False  # residual sway was measured while lowering
    events: Counter[str] = field(default_factory=Counter)

    def count(self, event: str) -> None:
        self.events[event] += 1

    def as_dict(self) -> dict[str, Any]:
        jerk = self.jerk_sum / self.jerk_samples if self.jerk_samples else 0.0
        return {
            "peak_sway_deg": round(self.peak_sway_deg, 4),
            "residual_sway_m": round(self.residual_sway_m, 4),
            "setdown_error_m": None if self.setdown_error_m is None else round(self.setdown_error_m, 4),
            "impact_mps": None if self.impact_mps is None else round(self.impact_mps, 4),
            "min_people_clearance_m": round(self.min_people_clearance_m, 4)
            if math.isfinite(self.min_people_clearance_m)
            else None,
            "reversals": self.reversals,
            "reversals_per_m": round(self.reversals / self.path_m, 4) if self.path_m > 1e-6 else 0.0,
            "mean_jerk_mps3": round(jerk, 4),
            "path_m": round(self.path_m, 3),
            "collisions": self.events["collision"],
            "corridor_exits": self.events["corridor_exit"],
            "hoist_down_stops": self.events["hoist_down_stop"],
        }


@dataclass(frozen=True)
class ExamResult:
    passed: bool
    score: float
    time_loss: float
    deductions: dict[str, float]
    critical: list[str]
    sub_scores: dict[str, float]


def time_loss(rubric: Rubric, elapsed: float, optimum: float) -> float:
    """Points lost to time: none up to the optimum, linear to all time points at stop_ratio × optimum."""
    over = (elapsed - optimum) / ((rubric.stop_ratio - 1.0) * optimum)
    return rubric.time_points * _unit(over)


def grade(
    rubric: Rubric,
    metrics: AttemptMetrics,
    elapsed: float,
    optimum: float,
    target_radius: float,
    completed: bool,
) -> ExamResult:
    """Score the attempt; any critical error fails it outright with score 0."""
    deductions = {
        d.id: metrics.events[d.id] * d.points for d in rubric.deductions.values() if metrics.events[d.id]
    }
    critical = [c for c in rubric.critical if metrics.events[c]]
    lost_to_time = time_loss(rubric, elapsed, optimum)
    score = max(0.0, rubric.start_points - lost_to_time - sum(deductions.values()))
    if critical:
        score = 0.0
    score = 100.0 * score / rubric.start_points
    passed = completed and not critical and score >= 100.0 * rubric.pass_points / rubric.start_points
    return ExamResult(
        passed=passed,
        score=round(score, 2),
        time_loss=round(lost_to_time, 3),
        deductions=deductions,
        critical=critical,
        sub_scores=sub_scores(metrics, elapsed, optimum, target_radius, completed),
    )


def sub_scores(
    metrics: AttemptMetrics, elapsed: float, optimum: float, target_radius: float, completed: bool
) -> dict[str, float]:
    """Per-skill 0..1, higher = better; each uses only the diagnostics that skill is about."""
    ev = metrics.events
    # Only demonstrated control earns credit: an attempt cut short shows no residual sway to judge.
    peak = 1 - _unit(metrics.peak_sway_deg / SWAY_PEAK_FULL_DEG) if metrics.travelled else 0.0
    residual = 1 - _unit(metrics.residual_sway_m / RESIDUAL_SWAY_FULL_M) if metrics.lowered else 0.0
    sway = 0.5 * peak + 0.5 * residual
    if metrics.setdown_error_m is None:
        placement = 0.0
    else:
        error = 1 - _unit(metrics.setdown_error_m / (2 * target_radius))
        impact = 1 - _unit((metrics.impact_mps or 0.0) / 0.5)
        placement = 0.7 * error + 0.3 * impact
    mistakes = ev["collision"] + ev["corridor_exit"] + ev["load_ground"]
    reversals = metrics.reversals / metrics.path_m if metrics.path_m > 1e-6 else 0.0
    path = (
        0.5 * (1 - _unit(mistakes / 3))
        + 0.3 * (_unit(optimum / elapsed) if completed and elapsed > 0 else 0.0)
        + 0.2 * (1 - _unit(reversals / REVERSALS_FULL_PER_M))
    )
    over_people = ev["load_over_people"] > 0
    clearance = 0.0 if over_people else _unit(metrics.min_people_clearance_m / SAFE_CLEARANCE_M)
    unsafe = ev["two_block"] + ev["dropped_load"] + ev["hard_landing"] + ev["skipped_pre_lift_check"]
    hazard = 0.5 * clearance + 0.5 * (1 - _unit(unsafe / 2))
    if over_people:
        hazard = 0.0
    return {
        "sway_control": round(sway, 4),
        "precision_placement": round(placement, 4),
        "path_planning": round(path, 4),
        "hazard_awareness": round(hazard, 4),
    }
