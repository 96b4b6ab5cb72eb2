"""Explanatory (LLTM-style) difficulty model: how each scenario parameter makes each skill harder.

Per skill k, with normalised parameters x ∈ [0, 1]^J (1 = hardest end of the spec range) and
injected faults f ∈ {0, 1}^F:

    logit P(pass_k | θ_k, x, f) = a_k · (θ_k − b_k − Σ_j w_kj·x_j − Σ_m g_km·f_m),   w ≥ 0, g ≥ 0

(shared/reference/adaptive.md §3.1, Fischer's LLTM with an Elo/IRT ability θ). The logit is additive,
so every parameter's share of a skill's difficulty is exact, which is what the explanation shows.

The spec's per-skill difficulty mapping is the prior; `fit` refines it from pooled attempts by
maximum a-posteriori logistic regression with the monotonicity constraint w ≥ 0 (§6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

MODEL_FORMAT = "shixun.difficulty/1"
PRIOR_SD = 0.5  # spread of the Gaussian prior on each weight around the spec's mapping
MIN_ATTEMPTS_TO_CALIBRATE = 30  # pooled attempts that vary a parameter before its fitted weight counts


@dataclass(frozen=True)
class DifficultyModel:
    """Weights of the LLTM for one scenario, in normalised parameter space."""

    skills: tuple[str, ...]
    params: tuple[str, ...]
    faults: tuple[str, ...]
    slope: np.ndarray  # a_k, shape (K,)
    intercept: np.ndarray  # b_k, shape (K,)
    weights: np.ndarray  # w_kj ≥ 0, shape (K, J)
    fault_effects: np.ndarray  # g_km ≥ 0, shape (K, F)
    calibrated: np.ndarray  # bool (J,): the weight comes from the spec or from enough pooled data
    version: str = "spec"
    n_attempts: int = 0
    prior_weights: np.ndarray | None = field(default=None, compare=False)
    profile_evidence: dict | None = field(
        default=None, compare=False
    )  # scenarios.profiles.Evidence, as stored

    def load(self, x: np.ndarray, faults: np.ndarray) -> np.ndarray:
        """Difficulty load per skill (logit units / a_k): W·x + G·f, shape (K,)."""
        return self.weights @ x + self.fault_effects @ faults

    def logit(self, theta: np.ndarray, x: np.ndarray, faults: np.ndarray) -> np.ndarray:
        return self.slope * (theta - self.intercept - self.load(x, faults))

    def p_pass(
        self, theta: np.ndarray, variance: np.ndarray, x: np.ndarray, faults: np.ndarray
    ) -> np.ndarray:
        """P(pass) per skill, integrated over the ability posterior N(θ, v) (probit approximation)."""
        return expit(self.logit(theta, x, faults) / posterior_spread(self.slope, variance))

    def skill_index(self, skill: str) -> int:
        return self.skills.index(skill)

    def to_dict(self) -> dict:
        return {
            "format": MODEL_FORMAT,
            "version": self.version,
            "n_attempts": self.n_attempts,
            "skills": list(self.skills),
            "params": list(self.params),
            "faults": list(self.faults),
            "slope": self.slope.tolist(),
            "intercept": self.intercept.tolist(),
            "weights": self.weights.tolist(),
            "fault_effects": self.fault_effects.tolist(),
            "calibrated": self.calibrated.tolist(),
            "prior_weights": None if self.prior_weights is None else self.prior_weights.tolist(),
            "profile_evidence": self.profile_evidence,
        }

    @classmethod
    def from_dict(cls, data: dict) -> DifficultyModel:
        """Rebuild a stored model; raises ValueError if it is not one."""
        if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
            raise ValueError("not a difficulty model")
        prior = data.get("prior_weights")
        return cls(
            skills=tuple(data["skills"]),
            params=tuple(data["params"]),
            faults=tuple(data["faults"]),
            slope=np.asarray(data["slope"], float),
            intercept=np.asarray(data["intercept"], float),
            weights=np.asarray(data["weights"], float).reshape(len(data["skills"]), len(data["params"])),
            fault_effects=np.asarray(data["fault_effects"], float).reshape(
                len(data["skills"]), len(data["faults"])
            ),
            calibrated=np.asarray(data["calibrated"], bool),
            version=str(data["version"]),
            n_attempts=int(data["n_attempts"]),
            prior_weights=None if prior is None else np.asarray(prior, float),
            profile_evidence=data.get("profile_evidence"),
        )


def posterior_spread(slope: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """Divisor of the logit when θ ~ N(μ, v): √(1 + π·a²·v / 8) (MacKay's probit approximation)."""
    return np.sqrt(1.0 + np.pi * slope**2 * variance / 8.0)


@dataclass(frozen=True)
class PooledAttempts:
    """What `fit` learns from: one row per attempt and skill outcome, abilities taken before the attempt."""

    x: np.ndarray  # (N, J) normalised parameters
    faults: np.ndarray  # (N, F) 0/1
    theta: np.ndarray  # (N, K) ability estimates before each attempt
    outcome: np.ndarray  # (N, K) per-skill result in [0, 1] (graded sub-score or pass 0/1)
    learner: np.ndarray | None = None  # (N,) whose attempt, in each learner's order (for profile evidence)
    profile: tuple[str | None, ...] | None = None  # (N,) practice profile the attempt was generated under


def fit(prior: DifficultyModel, data: PooledAttempts, version: str) -> DifficultyModel:
    """MAP logistic regression per skill with w, g ≥ 0 and a Gaussian prior at the spec's mapping.

    Soft labels (graded sub-scores) enter the cross-entropy directly (the Brier-gradient form of
    shared/reference/adaptive.md §6). Parameters that the pooled attempts hardly vary keep the
    prior and their calibration flag; a parameter becomes calibrated once enough attempts vary it.
    """
    n = len(data.x)
    if n == 0:
        return prior
    prior_w = prior.prior_weights if prior.prior_weights is not None else prior.weights
    slope, intercept = prior.slope.copy(), prior.intercept.copy()
    weights, effects = prior.weights.copy(), prior.fault_effects.copy()
    for k in range(len(prior.skills)):
        slope[k], intercept[k], weights[k], effects[k] = _fit_skill(
            data.x, data.faults, data.theta[:, k], data.outcome[:, k], prior, prior_w[k], k
        )
    varied = (data.x.std(axis=0) > 0.05) & (n >= MIN_ATTEMPTS_TO_CALIBRATE)
    return replace(
        prior,
        slope=slope,
        intercept=intercept,
        weights=weights,
        fault_effects=effects,
        calibrated=prior.calibrated | varied,
        version=version,
        n_attempts=prior.n_attempts + n,
        prior_weights=prior_w,
    )


def _fit_skill(
    x: np.ndarray,
    faults: np.ndarray,
    theta: np.ndarray,
    y: np.ndarray,
    prior: DifficultyModel,
    prior_w: np.ndarray,
    k: int,
) -> tuple[float, float, np.ndarray, np.ndarray]:
    n_params, n_faults = x.shape[1], faults.shape[1]
    features = np.hstack([x, faults])
    prior_mean = np.concatenate(
        [[np.log(prior.slope[k]), prior.intercept[k]], prior_w, prior.fault_effects[k]]
    )
    prior_sd = np.concatenate([[0.3, 1.0], np.full(n_params + n_faults, PRIOR_SD)])

    def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
        a, b, v = np.exp(z[0]), z[1], z[2:]
        margin = theta - b - features @ v
        p = np.clip(expit(a * margin), 1e-9, 1 - 1e-9)
        nll = -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))
        residual = p - y  # d nll / d logit
        grad = np.empty_like(z)
        grad[0] = np.sum(residual * margin) * a
        grad[1] = -np.sum(residual) * a
        grad[2:] = -(features.T @ residual) * a
        dev = (z - prior_mean) / prior_sd
        return nll + 0.5 * np.sum(dev**2), grad + dev / prior_sd

    bounds = [(np.log(0.2), np.log(5.0)), (None, None)] + [(0.0, None)] * (n_params + n_faults)
    result = minimize(objective, prior_mean, jac=True, method="L-BFGS-B", bounds=bounds)
    z = result.x
    return float(np.exp(z[0])), float(z[1]), z[2 : 2 + n_params], z[2 + n_params :]


def from_mapping(
    skills: Sequence[str],
    params: Sequence[str],
    faults: Sequence[str],
    weights: dict[tuple[str, str], float],
    fault_effects: dict[tuple[str, str], float],
    intercept: dict[str, float] | None = None,
) -> DifficultyModel:
    """The prior model from a spec's mapping: (skill, param) -> weight; unmapped params are uncalibrated.

    A parameter counts as calibrated by the spec when the spec gives it a weight for some skill.
    """
    w = np.zeros((len(skills), len(params)))
    g = np.zeros((len(skills), len(faults)))
    for (skill, param), value in weights.items():
        w[skills.index(skill), params.index(param)] = value
    for (skill, fault), value in fault_effects.items():
        g[skills.index(skill), faults.index(fault)] = value
    mapped = np.array([any((s, p) in weights for s in skills) for p in params], bool)
    b = np.array([(intercept or {}).get(s, 0.0) for s in skills], float)
    return DifficultyModel(
        skills=tuple(skills),
        params=tuple(params),
        faults=tuple(faults),
        slope=np.ones(len(skills)),
        intercept=b,
        weights=w,
        fault_effects=g,
        calibrated=mapped,
        prior_weights=w.copy(),
    )
