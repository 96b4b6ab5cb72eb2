"""Parameter generator: the next attempt's parameters from the learner's state (inverse LLTM).

shared/reference/adaptive.md §3.1 "inverse step" and §6: pick the focus skill (instructor's
choice, else the skill with the lowest predicted pass at certification conditions), aim its
predicted pass at a target inside the band, and solve the difficulty model for the parameters.
The solutions form a hyperplane; the point on it is chosen by explicit rules, each of which is
reported: stay closest to the last attempt plus a small jitter (bounded change, variety), keep the
other skills in the practice profile's range (comfortable under `consolidate`, scenarios/profiles.py),
stay in the spec's range, the learner's frontier for uncalibrated parameters, and the instructor's
bounds, pins and step limit, which always win.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import logit

from scenarios.difficulty import DifficultyModel, posterior_spread
from scenarios.frontier import INITIAL_EDGE
from scenarios.learner import LearnerState
from scenarios.overrides import Overrides
from scenarios.paramspace import CERTIFICATION_LEVEL, Space
from scenarios.profiles import DEFAULT_CHOICE, Choice

JITTER_SD = 0.04  # normalised; variety between attempts (adaptive.md §3.1 rule 4)
ROLLING_GAIN = 0.5  # proso-style: target = centre + gain·(centre − focus skill's recent success), in band
BOUNDARY_SAMPLING = 0.5  # probability of testing one uncalibrated parameter at its frontier edge
PENALTY = 50.0  # weight of the target and comfort terms against distance from the anchor
MAX_NEWTON_STEPS = 50
PROBE_EVERY = 5  # every 5th attempt is a probe at certification conditions (adaptive.md §6, §7 item 6)


@dataclass(frozen=True)
class Rule:
    """One explicit rule that shaped a parameter's value (a code plus its arguments)."""

    code: str  # "pinned", "bounds", "max_change", "frontier", "frontier_edge", "range", "jitter", "solved"
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """A generated attempt, in both spaces, with everything the explanation needs."""

    params: dict[str, float]
    x: np.ndarray
    faults: tuple[str, ...]
    seed: int
    focus: str
    focus_reason: str  # "instructor" or "weakest"
    target: float
    band: tuple[float, float]
    band_source: str  # "profile" or "instructor" (or "repeat")
    p_skill: np.ndarray  # predicted pass per skill
    p_task: float  # conjunctive task: Π_k p_k (adaptive.md §3.1)
    p_cert: np.ndarray  # predicted pass per skill at certification conditions
    rules: dict[str, tuple[Rule, ...]]
    fault_rules: dict[str, str]  # fault -> "instructor_in" / "instructor_out" / "off"
    repeat_of: int | None = None
    probe: bool = False  # a certification probe: progression pressure and the most informative outcome
    profile: Choice = DEFAULT_CHOICE  # the practice profile (scenarios/profiles.py) that set band and range


def generate(
    space: Space,
    model: DifficultyModel,
    state: LearnerState,
    overrides: Overrides,
    rng: np.random.Generator,
    profile: Choice = DEFAULT_CHOICE,
) -> Plan:
    """Parameters for the next attempt. Pure: the same inputs and rng state give the same plan."""
    n = len(space.axes)
    rules: dict[str, list[Rule]] = {a.name: [] for a in space.axes}
    low, high, pinned = _instructor_box(space, overrides, rules)
    probe = is_probe(state.n_attempts)
    last = state.previous_x if is_probe(state.n_attempts - 1) else state.last_x  # anchor: last regular one
    uncalibrated = ~model.calibrated
    frontier = state.frontier.edge if state.frontier is not None else None
    for j in np.flatnonzero(uncalibrated & ~pinned):
        edge = frontier[j] if frontier is not None else INITIAL_EDGE
        if edge < high[j]:
            high[j] = max(low[j], edge)
            rules[space.axes[j].name].append(Rule("frontier", {"edge": float(edge)}))
    if probe:
        low, high = _probe_box(space, overrides, state.last_x, low, high, pinned, rules)
    elif last is not None:
        step = overrides.step_limit
        for j in np.flatnonzero(~pinned):
            lo, hi = np.clip([last[j] - step, last[j] + step], low[j], high[j])
            if overrides.max_change is not None:  # the instructor's limit binds the step from a probe too
                lo = max(lo, state.last_x[j] - overrides.max_change)
                hi = min(hi, state.last_x[j] + overrides.max_change)
            if lo > low[j] + 1e-9 or hi < high[j] - 1e-9:
                rules[space.axes[j].name].append(Rule("max_change", {"step": step}))
            low[j], high[j] = lo, hi

    faults, fault_rules = _faults(space, overrides)
    f = space.fault_vector(faults)
    x = np.where(pinned, low, np.nan)
    for j in np.flatnonzero(uncalibrated & ~pinned):
        x[j] = rng.uniform(low[j], high[j])
    free_uncal = np.flatnonzero(uncalibrated & ~pinned)
    if len(free_uncal) and rng.random() < BOUNDARY_SAMPLING:
        j = int(rng.choice(free_uncal))
        x[j] = high[j]
        rules[space.axes[j].name].append(Rule("frontier_edge", {"edge": float(high[j])}))

    spread = posterior_spread(model.slope, state.variance)
    cert = np.full(n, CERTIFICATION_LEVEL)
    p_cert = model.p_pass(state.mean, state.variance, cert, np.zeros(len(space.faults)))
    if overrides.focus_skill in space.skills:
        focus, focus_reason = space.skills.index(overrides.focus_skill), "instructor"
    else:
        focus, focus_reason = int(np.argmin(p_cert)), "probe" if probe else "weakest"
    band = overrides.band or profile.profile.band
    target = _target(band, state.skill_success(focus))

    if probe:
        x = np.where(
            np.isnan(x), (low + high) / 2, x
        )  # the probe box is a point unless the instructor limits it
    solve = np.flatnonzero(np.isnan(x))
    anchor = (last if last is not None else np.zeros(n)) + rng.normal(0.0, JITTER_SD, n)
    x[solve] = _solve(
        model, state, spread, f, x, solve, anchor, low, high, focus, target, profile.profile.others
    )
    for j in solve:
        rules[space.axes[j].name].append(Rule("solved"))
    params = _within_instructor_limits(space.physical(x), overrides)
    x = space.normalise(params)  # after rounding, so the prediction is for what is actually run
    p_skill = model.p_pass(state.mean, state.variance, x, f)
    return Plan(
        params=params,
        x=x,
        faults=faults,
        seed=int(rng.integers(0, 2**31 - 1)),
        focus=space.skills[focus],
        focus_reason=focus_reason,
        target=target,
        band=band,
        band_source="instructor" if overrides.band else "profile",
        p_skill=p_skill,
        p_task=float(np.prod(p_skill)),
        p_cert=p_cert,
        rules={k: tuple(v) for k, v in rules.items()},
        fault_rules=fault_rules,
        probe=probe,
        profile=profile,
    )


def is_probe(attempts_done: int) -> bool:
    """Whether the attempt after `attempts_done` finished ones is a certification probe."""
    return PROBE_EVERY > 0 and attempts_done >= 0 and (attempts_done + 1) % PROBE_EVERY == 0


def _probe_box(
    space: Space,
    overrides: Overrides,
    last: np.ndarray | None,
    low: np.ndarray,
    high: np.ndarray,
    pinned: np.ndarray,
    rules: dict[str, list[Rule]],
) -> tuple[np.ndarray, np.ndarray]:
    """Certification level for every free parameter, within the instructor's bounds and step limit."""
    cert = np.clip(np.full(len(space.axes), CERTIFICATION_LEVEL), low, high)
    lo, hi = cert.copy(), cert.copy()
    if overrides.max_change is not None and last is not None:
        lo = np.clip(cert, last - overrides.max_change, last + overrides.max_change)
        hi = lo.copy()
    for j in np.flatnonzero(~pinned):
        rules[space.axes[j].name].append(Rule("probe", {"level": CERTIFICATION_LEVEL}))
    return np.where(pinned, low, np.clip(lo, low, high)), np.where(pinned, high, np.clip(hi, low, high))


def _instructor_box(
    space: Space, overrides: Overrides, rules: dict[str, list[Rule]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalised [low, high] per axis after the instructor's bounds and pins, and the pinned mask."""
    n = len(space.axes)
    low, high, pinned = np.zeros(n), np.ones(n), np.zeros(n, bool)
    for j, axis in enumerate(space.axes):
        if axis.name in overrides.pins:
            value = float(np.clip(overrides.pins[axis.name], axis.min, axis.max))
            low[j] = high[j] = axis.normalise(value)
            pinned[j] = True
            rules[axis.name].append(Rule("pinned", {"value": value}))
        elif axis.name in overrides.bounds:
            lo, hi = np.clip(overrides.bounds[axis.name], axis.min, axis.max)
            a, b = sorted((axis.normalise(lo), axis.normalise(hi)))
            low[j], high[j] = a, b
            rules[axis.name].append(Rule("bounds", {"low": float(lo), "high": float(hi)}))
    return low, high, pinned


def _within_instructor_limits(params: dict, overrides: Overrides) -> dict:
    """Pins exactly, and bounds after rounding an integer parameter (rounding must not cross a bound)."""
    for name, value in overrides.pins.items():
        if name in params:
            params[name] = type(params[name])(value)
    for name, (low, high) in overrides.bounds.items():
        if name in params and name not in overrides.pins and not low <= params[name] <= high:
            inside = min(max(params[name], low), high)
            params[name] = math.ceil(low) if isinstance(params[name], int) else inside
    return params


def _faults(space: Space, overrides: Overrides) -> tuple[tuple[str, ...], dict[str, str]]:
    """Faults are injected only when an instructor includes them; exclusions are recorded too."""
    chosen, why = [], {}
    for fault in space.faults:
        if fault in overrides.faults_in:
            chosen.append(fault)
            why[fault] = "instructor_in"
        elif fault in overrides.faults_out:
            why[fault] = "instructor_out"
        else:
            why[fault] = "off"
    return tuple(chosen), why


def _target(band: tuple[float, float], rolling: float | None) -> float:
    centre = (band[0] + band[1]) / 2
    if rolling is None:
        return centre
    return float(np.clip(centre + ROLLING_GAIN * (centre - rolling), band[0], band[1]))


def _solve(
    model: DifficultyModel,
    state: LearnerState,
    spread: np.ndarray,
    faults: np.ndarray,
    x_fixed: np.ndarray,
    free: np.ndarray,
    anchor: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    focus: int,
    target: float,
    others_range: tuple[float, float],
) -> np.ndarray:
    """Closest point to the anchor with the focus skill's logit at target and the others in their range.

    A penalty form of the constrained problem (convex and piecewise quadratic), so an unreachable
    target yields the nearest reachable parameters and the explanation shows the resulting
    predicted pass. Solved by projected Newton steps on the box, which settle in a few iterations
    for these ~10 variables (a general-purpose optimiser costs 10–100× more here).
    """
    if len(free) == 0:
        return np.empty(0)
    others = np.arange(len(model.skills)) != focus
    scale = model.slope / spread
    fixed = x_fixed.copy()
    fixed[free] = 0.0
    # logit_k(z) = offset_k + slope_k · z over the free parameters z
    offset = scale * (state.mean - model.intercept - model.load(fixed, faults))
    slopes = -scale[:, None] * model.weights[:, free]
    floor = np.where(others, logit(others_range[0]), logit(target))
    ceiling = np.where(others, logit(others_range[1]), logit(target))
    a, lo, hi = anchor[free], low[free], high[free]

    def value_and_terms(z: np.ndarray) -> tuple[float, np.ndarray]:
        logits = offset + slopes @ z
        residual = np.minimum(logits - floor, 0.0) + np.maximum(logits - ceiling, 0.0)
        return float(np.sum((z - a) ** 2) + PENALTY * np.sum(residual**2)), residual

    z = np.clip(a, lo, hi)
    value, residual = value_and_terms(z)
    for _ in range(MAX_NEWTON_STEPS):
        active = residual != 0
        grad = 2 * (z - a) + 2 * PENALTY * (slopes.T @ residual)
        hessian = 2 * np.eye(len(z)) + 2 * PENALTY * slopes[active].T @ slopes[active]
        movable = ~(((z <= lo) & (grad > 0)) | ((z >= hi) & (grad < 0)))
        if not movable.any():
            break
        step = np.zeros_like(z)
        step[movable] = -np.linalg.solve(hessian[np.ix_(movable, movable)], grad[movable])
        for _ in range(20):  # backtrack until the projected step does not increase the objective
            candidate = np.clip(z + step, lo, hi)
            new_value, new_residual = value_and_terms(candidate)
            if new_value <= value + 1e-12:
                break
            step /= 2
        else:
            break
        converged = np.max(np.abs(candidate - z)) < 1e-7
        z, value, residual = candidate, new_value, new_residual
        if converged:
            break
    return z


def predicted(model: DifficultyModel, state: LearnerState, x: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Predicted pass per skill for given normalised parameters (for repeats and reports)."""
    return model.p_pass(state.mean, state.variance, x, f)


def logit_share(model: DifficultyModel, x: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Each parameter's share of each skill's difficulty load (K, J); rows sum to ≤ 1 (faults take the rest)."""
    contributions = model.weights * x[None, :]
    total = contributions.sum(axis=1) + model.fault_effects @ f
    return np.divide(
        contributions, total[:, None], out=np.zeros_like(contributions), where=total[:, None] > 0
    )


def repeat(
    space: Space,
    model: DifficultyModel,
    state: LearnerState,
    params: dict[str, float],
    faults: tuple[str, ...],
    seed: int,
    attempt_id: int,
) -> Plan:
    """The instructor's "repeat this exact attempt": same parameters, faults and course seed."""
    x = space.normalise(params)
    f = space.fault_vector(faults)
    p_skill = predicted(model, state, x, f)
    p_cert = predicted(model, state, np.full(len(x), CERTIFICATION_LEVEL), np.zeros(len(space.faults)))
    focus = int(np.argmin(p_skill))
    return Plan(
        params=dict(params),
        x=x,
        faults=tuple(faults),
        seed=seed,
        focus=space.skills[focus],
        focus_reason="repeat",
        target=float(p_skill[focus]),
        band=(0.0, 1.0),
        band_source="repeat",
        p_skill=p_skill,
        p_task=float(np.prod(p_skill)),
        p_cert=p_cert,
        rules={a.name: (Rule("repeat", {"attempt": attempt_id}),) for a in space.axes},
        fault_rules={f_: ("repeat" if f_ in faults else "off") for f_ in space.faults},
        repeat_of=attempt_id,
    )
