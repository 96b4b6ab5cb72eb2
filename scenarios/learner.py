"""Learner model: per-skill ability θ_k with uncertainty, updated online after every attempt.

The update is the Bayesian form of Elo (Glicko-like; a one-step extended Kalman filter on the
logistic likelihood of shared/reference/adaptive.md §0/§6): with prior θ ~ N(μ, v) and predicted
p = P(pass_k) from the difficulty model,

    v' = 1 / (1/v + a²·p·(1−p)),     μ' = μ + v'·a·(y − p),     then v' += q   (learning drift)

so the step size is large while the estimate is uncertain and shrinks with evidence (the role of
proso's K(n) = α/(1+βn) + floor), and the drift q keeps it tracking a learner who learns or forgets.
y is the skill's outcome: pass 1 / fail 0 when the spec gives the skill a pass_score (what p predicts;
`Space.skill_outcomes`), else its graded sub-score in [0, 1] (the Brier-gradient form). Cold start uses
the class prior, itself shrunk toward the population prior.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from scenarios.difficulty import DifficultyModel
from scenarios.frontier import Frontier, FrontierEvent, observe

DRIFT = 0.02  # q: variance added per attempt, so abilities keep moving as learners learn
PRACTICE_GAIN = 0.02  # expected θ gained per attempt (the practice term of PFA-style models)
# θ ~ N(0, 1) on the scale of the spec's calibration, θ = 6·(autopilot skill − 0.5)
# (benchmarks/results/adaptive_surface.md): the average newcomer operates like `autopilot:0.5`
# (three of four such runs pass over the whole parameter ranges), and ±1 sd is autopilot 0.33..0.67.
POPULATION_PRIOR = (0.0, 1.0)
CLASS_SHRINKAGE = 5.0  # pseudo-learners of population prior mixed into a class mean
ROLLING_WINDOW = 5  # attempts in the rolling success rates


@dataclass(frozen=True)
class AttemptOutcome:
    """One attempt as the learner model sees it, in normalised parameter space."""

    x: np.ndarray  # (J,)
    faults: np.ndarray  # (F,)
    skill_scores: np.ndarray  # (K,) per-skill y: pass 0/1 where the spec has a pass_score, else graded
    passed: bool


@dataclass
class LearnerState:
    """Posterior ability per skill, plus the short history the generator needs."""

    mean: np.ndarray  # (K,)
    variance: np.ndarray  # (K,)
    n_attempts: int = 0
    recent_passes: list[bool] = field(default_factory=list)
    recent_scores: list[np.ndarray] = field(default_factory=list)  # per-skill scores, last attempts
    last_x: np.ndarray | None = None
    previous_x: np.ndarray | None = None  # the attempt before the last one
    frontier: Frontier | None = None  # None until the first attempt; see scenarios/frontier.py
    frontier_events: tuple[FrontierEvent, ...] = ()  # range changes caused by the last attempt
    last_change: np.ndarray | None = None  # θ after − θ before the last attempt, per skill

    @property
    def rolling_success(self) -> float | None:
        return float(np.mean(self.recent_passes)) if self.recent_passes else None

    def skill_success(self, k: int) -> float | None:
        """Mean recent score of skill k (what the proso-style target correction compares)."""
        return float(np.mean([s[k] for s in self.recent_scores])) if self.recent_scores else None

    def to_dict(self, skills: Sequence[str]) -> dict:
        return {
            "skills": {
                s: {"theta": float(m), "sd": float(np.sqrt(v))}
                for s, m, v in zip(skills, self.mean, self.variance, strict=True)
            },
            "n_attempts": self.n_attempts,
            "rolling_success": self.rolling_success,
        }


def prior_state(n_skills: int, prior_mean: np.ndarray | None = None, prior_var: np.ndarray | None = None):
    """A new learner: the class/population prior, no history."""
    mu0, v0 = POPULATION_PRIOR
    mean = np.full(n_skills, mu0) if prior_mean is None else np.asarray(prior_mean, float).copy()
    var = np.full(n_skills, v0) if prior_var is None else np.asarray(prior_var, float).copy()
    return LearnerState(mean=mean, variance=var)


def group_prior(members: Sequence[LearnerState], n_skills: int) -> tuple[np.ndarray, np.ndarray]:
    """Prior for a newcomer from a class (or the population): shrunk mean, spread of the group.

    With m members the mean is (Σ μ_i + s·μ0) / (m + s): a class of two does not dominate the
    population prior (s = CLASS_SHRINKAGE). The variance is the group's spread plus the typical
    remaining uncertainty, never below the population's own when the group is small.
    """
    mu0, v0 = POPULATION_PRIOR
    if not members:
        return np.full(n_skills, mu0), np.full(n_skills, v0)
    means = np.array([m.mean for m in members])
    variances = np.array([m.variance for m in members])
    m = len(members)
    mean = (means.sum(axis=0) + CLASS_SHRINKAGE * mu0) / (m + CLASS_SHRINKAGE)
    spread = means.var(axis=0) + variances.mean(axis=0)
    weight = m / (m + CLASS_SHRINKAGE)
    return mean, weight * spread + (1 - weight) * v0


def update(state: LearnerState, model: DifficultyModel, outcome: AttemptOutcome) -> LearnerState:
    """The state after one attempt (a new object; the input is not changed)."""
    p = model.p_pass(state.mean, np.zeros_like(state.variance), outcome.x, outcome.faults)
    a = model.slope
    information = a**2 * p * (1 - p)
    variance = 1.0 / (1.0 / state.variance + information)
    mean = state.mean + variance * a * (outcome.skill_scores - p)
    recent = [*state.recent_passes, outcome.passed][-ROLLING_WINDOW:]
    frontier, events = observe(
        state.frontier or Frontier.start(len(outcome.x)), outcome.x, outcome.passed, ~model.calibrated
    )
    return LearnerState(
        mean=mean + PRACTICE_GAIN,
        variance=variance + DRIFT,
        n_attempts=state.n_attempts + 1,
        recent_passes=recent,
        recent_scores=[*state.recent_scores, outcome.skill_scores][-ROLLING_WINDOW:],
        last_x=outcome.x.copy(),
        previous_x=state.last_x,
        frontier=frontier,
        frontier_events=tuple(events),
        last_change=mean - state.mean,
    )


def replay(start: LearnerState, model: DifficultyModel, outcomes: Iterable[AttemptOutcome]) -> LearnerState:
    """Fold a learner's attempts, oldest first, into their current state."""
    state = start
    for outcome in outcomes:
        state = update(state, model, outcome)
    return state


def abilities_before(
    start: LearnerState, model: DifficultyModel, outcomes: Sequence[AttemptOutcome]
) -> np.ndarray:
    """θ estimate before each attempt (N, K): the regressor `difficulty.fit` needs, leak-free."""
    rows, state = [], start
    for outcome in outcomes:
        rows.append(state.mean.copy())
        state = update(state, model, outcome)
    return np.array(rows).reshape(len(outcomes), len(start.mean))
