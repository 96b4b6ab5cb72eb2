"""The difficulty model's calibration: the spec carries it, the prior uses it, outcomes match what it
predicts, it is in sync with the measured surface, and it agrees with real attempts of the crane scene."""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit

from lab.store.attempts import outcome_of
from scenarios.calibration import calibrated_spec, theta_of
from scenarios.learner import prior_state, update
from scenarios.paramspace import PRIOR_INTERCEPT, PRIOR_SLOPE, Space
from scenarios.spec import Skill, catalog_dir, get_spec, parse_spec
from sim.runner import make_operator, run_attempt

SPACE = Space(get_spec("crane.bridge_lift"))
SPEC_FILE = catalog_dir() / "crane_bridge_lift.toml"
SURFACE = Path(__file__).parents[2] / "benchmarks" / "results" / "adaptive_surface.json"
K, J, F = len(SPACE.skills), len(SPACE.axes), len(SPACE.faults)
NO_FAULTS = np.zeros(F)
EASY, HARD = np.zeros(J), np.ones(J)


def _uncalibrated(*keep: str) -> Space:
    """The crane spec with the calibration of every skill but `keep` removed."""
    skills = tuple(s if s.id in keep else Skill(s.id, s.title) for s in SPACE.spec.skills)
    return Space(replace(SPACE.spec, skills=skills))


def test_prior_model_takes_slope_intercept_and_weights_from_the_spec():
    model = SPACE.prior_model()
    for k, skill in enumerate(SPACE.spec.skills):
        assert model.slope[k] == skill.slope and model.intercept[k] == skill.intercept
        for j, param in enumerate(SPACE.axes):
            assert model.weights[k, j] == param.difficulty.get(skill.id, 0.0)
    # logit P(pass_k) = a_k·(θ − b_k − w_k·x): a known θ at the easy end gives exactly σ(−a_k·b_k)
    p = model.p_pass(np.zeros(K), np.zeros(K), EASY, NO_FAULTS)
    assert p == pytest.approx(expit(-model.slope * model.intercept))


def test_skills_without_calibration_fall_back_to_the_defaults():
    model = _uncalibrated("path_planning").prior_model()
    k = SPACE.skills.index("path_planning")
    others = np.arange(K) != k
    assert np.all(model.slope[others] == PRIOR_SLOPE) and np.all(model.intercept[others] == PRIOR_INTERCEPT)
    assert model.slope[k] == SPACE.spec.skills[k].slope
    assert model.intercept[k] == SPACE.spec.skills[k].intercept


def test_outcome_is_pass_or_fail_at_the_skill_threshold_and_graded_without_one():
    thresholds = {s.id: s.pass_score for s in SPACE.spec.skills}
    at = SPACE.skill_outcomes(thresholds)  # exactly at the threshold: passed
    below = SPACE.skill_outcomes({s: t - 0.01 for s, t in thresholds.items()})
    assert at.tolist() == [1.0] * K and below.tolist() == [0.0] * K
    graded = _uncalibrated("sway_control").skill_outcomes({s: 0.15 for s in SPACE.skills})
    assert graded.tolist() == [0.0, 0.15, 0.15, 0.15]  # sway 0.15 < its pass score; the rest graded
    params = SPACE.spec.defaults()
    stored = outcome_of(SPACE, params, {s: 0.9 if s == "sway_control" else 0.1 for s in SPACE.skills}, False)
    assert stored.skill_scores.tolist() == [1.0, 0.0, 0.0, 0.0]  # the store's view uses the same rule


def test_the_catalog_spec_is_the_measured_surface_rounded():
    """`adaptive_surface --write-spec` applied to the stored surface leaves the shipped spec unchanged,
    so the numbers in the spec are the benchmark's, not a hand copy; a changed surface rewrites them."""
    surface = json.loads(SURFACE.read_text(encoding="utf-8"))
    text = SPEC_FILE.read_text(encoding="utf-8")
    assert calibrated_spec(text, surface)[0] == text

    surface["model"]["slope"][1] = 2.345
    surface["model"]["weights"][0] = [0.0] * J  # sway_control no longer depends on anything
    changed, written = calibrated_spec(text, surface)
    spec = parse_spec(tomllib.loads(changed), SPEC_FILE)
    assert spec.skills[1].slope == 2.35 and "pass_score = 0.6" in written[1]
    assert all("sway_control" not in p.difficulty for p in spec.parameters.values())
    assert [line for line in changed.splitlines() if line.startswith("#")] == [
        line for line in text.splitlines() if line.startswith("#")
    ]
    surface["model"]["skills"][0] = "crane_dancing"  # a skill the spec does not have
    surface["skill_pass"]["crane_dancing"] = surface["skill_pass"].pop("sway_control")
    with pytest.raises(ValueError, match="crane_dancing"):
        calibrated_spec(text, surface)


def test_new_learner_prior_is_confident_only_at_the_easy_end():
    state = prior_state(K)  # θ ~ N(0, 1): an operator like autopilot 0.5, give or take 0.17
    model = SPACE.prior_model()
    easy = model.p_pass(state.mean, state.variance, EASY, NO_FAULTS)
    hard = model.p_pass(state.mean, state.variance, HARD, NO_FAULTS)
    assert 0.5 <= np.prod(easy) <= 0.95 and np.all(easy >= 0.75)
    assert np.prod(hard) < 0.05


def _real(skill: float, x: np.ndarray) -> dict:
    return run_attempt(
        SPACE.spec, SPACE.attempt_params(x, ()), make_operator(f"autopilot:{skill}", "crane"), 1
    )


def test_prior_predictions_agree_with_real_attempts_of_the_scene():
    model = SPACE.prior_model()
    runs = {(0.9, "easy"): _real(0.9, EASY), (0.9, "hard"): _real(0.9, HARD), (0.3, "hard"): _real(0.3, HARD)}
    strong = np.full(K, theta_of(0.9))
    p_easy = model.p_pass(strong, np.zeros(K), EASY, NO_FAULTS)
    p_hard = model.p_pass(strong, np.zeros(K), HARD, NO_FAULTS)
    # the scene: a strong operator passes the easy setting and fails the hard one; the model agrees
    assert runs[0.9, "easy"]["passed"] and not runs[0.9, "hard"]["passed"]
    assert np.prod(p_easy) >= 0.5 > np.prod(p_hard)
    assert np.all(p_easy > p_hard)
    # per skill: wherever the prior is confident (≤ 0.1 or ≥ 0.9), the real outcome is that one
    for (skill, level), result in runs.items():
        p = model.p_pass(
            np.full(K, theta_of(skill)), np.zeros(K), EASY if level == "easy" else HARD, NO_FAULTS
        )
        y = SPACE.skill_outcomes(result["sub_scores"])
        confident = (p <= 0.1) | (p >= 0.9)
        assert confident.any()
        assert np.array_equal(y[confident], (p[confident] >= 0.9).astype(float)), (skill, level, p, y)

    # a new learner's first real pass raises every skill's estimate (graded sub-scores below the
    # predicted pass, e.g. sway 0.73 vs P 0.84, used to lower it)
    outcome = outcome_of(
        SPACE, runs[0.9, "easy"]["params"], runs[0.9, "easy"]["sub_scores"], runs[0.9, "easy"]["passed"]
    )
    before = prior_state(K)
    after = update(before, model, outcome)
    assert np.all(after.mean > before.mean)
