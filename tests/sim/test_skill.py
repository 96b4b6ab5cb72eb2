"""Autopilot against the exam (issue 3 "done when"): the expert passes every default course, a 0.2 learner
fails most hard ones, and every per-skill sub-score rises with skill over a spread of seeds."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios.spec import get_spec
from sim.runner import make_operator, run_attempt

HARD = {
    "wind_mps": 10.0,
    "gust_mps": 6.0,
    "corridor_width_m": 2.5,
    "obstacle_count": 4,
    "target_tolerance_m": 0.25,
    "rope_length_m": 10.0,
    "initial_sway_deg": 6.0,
}


def attempts(skill: float, seeds, params=None) -> list[dict]:
    spec = get_spec("crane.bridge_lift")
    return [run_attempt(spec, params, make_operator(f"autopilot:{skill}", "crane"), seed) for seed in seeds]


@pytest.mark.slow
def test_expert_passes_every_generated_default_course():
    results = attempts(1.0, range(10))
    assert all(r["passed"] for r in results), [(r["seed"], r["critical"], r["deductions"]) for r in results]
    assert all(r["metrics"]["time_s"] <= r["metrics"]["optimum_s"] for r in results)


@pytest.mark.slow
def test_weak_learner_fails_most_hard_courses():
    results = attempts(0.2, range(6), HARD)
    assert sum(not r["passed"] for r in results) >= 5


@pytest.mark.slow
def test_sub_scores_rise_with_skill():
    skills = (0.2, 0.6, 1.0)
    means = {s: attempts(s, range(6)) for s in skills}
    for skill_id in get_spec("crane.bridge_lift").skill_ids:
        by_skill = [np.mean([r["sub_scores"][skill_id] for r in means[s]]) for s in skills]
        assert by_skill[0] < by_skill[1] < by_skill[2], (skill_id, by_skill)
    scores = [np.mean([r["score"] for r in means[s]]) for s in skills]
    assert scores[0] < scores[1] < scores[2]


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["hoist_brake_slip", "drive_lag", "sudden_gust", "limit_switch_failure"])
def test_expert_copes_with_each_injected_fault(fault):
    (result,) = attempts(1.0, [0], {"faults": [fault]})
    assert result["passed"], (result["critical"], result["deductions"])
    assert result["params"]["faults"] == [fault]
