"""Robust evaluation matrix for adaptive scenarios (shared/reference/adaptive.md §4.2, §7).

Simulated learners × learning hypotheses × controllers; primary outcome = attempts until the
learner's *true* probability of passing the fixed certification attempt reaches CRITERION.

World. The true pass probability of skill k at normalised parameters x is a per-skill LLTM,
logit P_k = α_k(θ_k − β_k − V_k·x − G_k·f). Its weights come from `--world`: `spec` = the spec's
difficulty mapping (the controller's own prior: a well-specified world), or a JSON surface file
fitted to real crane-scene runs (`benchmarks/results/adaptive_surface.json`, same LLTM form, from
`shixun sim run --operator autopilot:SKILL`). The `misspecified` hypothesis always perturbs the
world's weights away from what the controller believes. A task passes when every skill passes
(conjunctive, §3.1). The `generator` controller uses the difficulty model fitted (as `shixun
scenarios fit` does) on a separate pilot cohort that practised with random parameters in the base
world; `generator_prior` uses the spec's prior weights only.

Run: `python -m benchmarks.adaptive_eval [--learners 200] [--seeds 5] [--horizon 120]`.
Writes benchmarks/results/adaptive_eval.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # tiny matrices: BLAS threads only contend

import numpy as np
from scipy.special import expit

from scenarios.difficulty import DifficultyModel, PooledAttempts, fit
from scenarios.generator import generate
from scenarios.learner import AttemptOutcome, abilities_before, prior_state, update
from scenarios.overrides import DEFAULT_BAND, Overrides
from scenarios.paramspace import CERTIFICATION_LEVEL, Space
from scenarios.spec import get_spec

RESULTS = Path(__file__).parent / "results"
CRITERION = 0.7  # mastery: true P(pass the certification attempt) ≥ this
HYPOTHESES = ("zpd50", "wilson85", "success", "forgetting", "misspecified")
CONTROLLERS = ("generator", "generator_prior", "fixed_ramp", "staircase", "random")
PILOT = (100, 40, 123)  # learners, attempts, seed of the random-parameter pilot cohort the model is fitted on


@dataclass(frozen=True)
class World:
    slope: np.ndarray
    intercept: np.ndarray
    weights: np.ndarray
    fault_effects: np.ndarray

    def p(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """True P(pass) per skill, no faults injected (the controllers here inject none)."""
        return expit(self.slope * (theta - self.intercept - self.weights @ x))


def world_from(model: DifficultyModel) -> World:
    return World(model.slope.copy(), model.intercept.copy(), model.weights.copy(), model.fault_effects.copy())


def misspecified(world: World, rng: np.random.Generator) -> World:
    """True weights ≠ the controller's: each scaled by lognormal(0, 0.6), and one skill's row swapped."""
    w = world.weights * rng.lognormal(0.0, 0.6, world.weights.shape)
    w[[0, 1]] = w[[1, 0]]
    return World(world.slope, world.intercept, w, world.fault_effects)


def gain(hypothesis: str, p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-skill learning per attempt (before the learner's rate), by hypothesis (§4.5, §7)."""
    if hypothesis in ("zpd50", "forgetting"):
        return 4 * p * (1 - p)  # peaks at p = 0.5
    if hypothesis in ("wilson85", "misspecified"):
        return np.exp(-0.5 * ((p - 0.85) / 0.12) ** 2)  # peaks near 85 % (Wilson et al. 2019)
    if hypothesis == "success":
        return 2.5 * y * (1 - p)  # only successes teach, hard ones most
    raise ValueError(hypothesis)


# --- controllers: each returns the next normalised x from what it has observed -------------------


class Generator:
    """The production generator with its learner model (the code `shixun scenarios next` runs)."""

    def __init__(
        self, space: Space, model: DifficultyModel, rng: np.random.Generator, overrides: Overrides
    ) -> None:
        self.space, self.model, self.rng = space, model, rng
        self.state = prior_state(len(space.skills))
        self.overrides = overrides

    def next(self) -> np.ndarray:
        return generate(self.space, self.model, self.state, self.overrides, self.rng).x

    def observe(self, x: np.ndarray, y: np.ndarray, passed: bool) -> None:
        faults = np.zeros(len(self.space.faults))
        self.state = update(self.state, self.model, AttemptOutcome(x, faults, y.astype(float), passed))


class FixedRamp:
    """What instructors do now: every parameter one step harder every 5 attempts, 0.1 → 0.8."""

    def __init__(self, n: int) -> None:
        self.n, self.t = n, 0

    def next(self) -> np.ndarray:
        return np.full(self.n, min(0.8, 0.1 + 0.1 * (self.t // 5)))

    def observe(self, x, y, passed) -> None:
        self.t += 1


class Staircase:
    """1-up/2-down on a common level (converges near 70.7 % task success)."""

    def __init__(self, n: int) -> None:
        self.n, self.level, self.streak = n, 0.1, 0

    def next(self) -> np.ndarray:
        return np.full(self.n, self.level)

    def observe(self, x, y, passed) -> None:
        if passed:
            self.streak += 1
            if self.streak == 2:
                self.level, self.streak = min(1.0, self.level + 0.1), 0
        else:
            self.level, self.streak = max(0.0, self.level - 0.1), 0


class Random:
    def __init__(self, n: int, rng: np.random.Generator) -> None:
        self.n, self.rng = n, rng

    def next(self) -> np.ndarray:
        return self.rng.uniform(0, 1, self.n)

    def observe(self, x, y, passed) -> None:
        pass


def make_controller(name: str, space: Space, fitted: DifficultyModel, rng: np.random.Generator):
    """`generator` uses the model fitted on the pilot cohort (as `scenarios fit` would nightly);
    `generator_prior` only the spec's prior weights."""
    n = len(space.axes)
    factories: dict[str, Callable[[], object]] = {
        "generator": lambda: Generator(space, fitted, rng, Overrides()),
        "generator_prior": lambda: Generator(space, space.prior_model(), rng, Overrides()),
        "fixed_ramp": lambda: FixedRamp(n),
        "staircase": lambda: Staircase(n),
        "random": lambda: Random(n, rng),
    }
    return factories[name]()


# --- simulated cohorts and the pilot fit ------------------------------------------------------------


def simulate(policy: str, space: Space, world: World, seed: int, learners: int, attempts: int) -> list[dict]:
    """One row per attempt: learner, order, x, per-skill outcomes (true world, wilson85 learning)."""
    model = space.prior_model()
    pop = np.random.default_rng([seed, 7])
    theta0 = pop.normal(-0.3, 0.6, (learners, 1)) + pop.normal(0, 0.4, (learners, len(space.skills)))
    rates = pop.lognormal(np.log(0.05), 0.5, learners)
    rows = []
    for i in range(learners):
        rng = np.random.default_rng([seed, i])
        controller = (
            Generator(space, model, rng, Overrides())
            if policy == "adaptive"
            else Random(len(space.axes), rng)
        )
        theta = theta0[i].copy()
        for t in range(attempts):
            x = controller.next()
            p = world.p(theta, x)
            y = rng.random(len(p)) < p
            rows.append({"learner": i, "order": t, "x": x, "y": y.astype(float)})
            theta = theta + rates[i] * gain("wilson85", p, y)
            controller.observe(x, y, bool(y.all()))
    return rows


def outcomes_of(rows: list[dict], n_faults: int) -> list[AttemptOutcome]:
    return [AttemptOutcome(r["x"], np.zeros(n_faults), r["y"], bool(r["y"].all())) for r in rows]


def by_learner(rows: list[dict]) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = {}
    for r in rows:
        grouped.setdefault(r["learner"], []).append(r)
    return grouped


def fit_lltm(space: Space, train: dict[int, list[dict]]) -> DifficultyModel:
    """Alternate: abilities by replay under the current model, then refit the weights (2 rounds)."""
    model = space.prior_model()
    n_faults = len(space.faults)
    for round_ in range(2):
        xs, thetas, ys = [], [], []
        for rows in train.values():
            outcomes = outcomes_of(rows, n_faults)
            thetas.append(abilities_before(prior_state(len(space.skills)), model, outcomes))
            xs.append(np.array([r["x"] for r in rows]))
            ys.append(np.array([r["y"] for r in rows]))
        x = np.vstack(xs)
        data = PooledAttempts(x, np.zeros((len(x), n_faults)), np.vstack(thetas), np.vstack(ys))
        model = fit(space.prior_model(), data, f"fit-{round_}")
    return model


_PILOTS: dict[str, DifficultyModel] = {}  # per worker process: one pilot fit per world


def pilot_model(space: Space, world: World) -> DifficultyModel:
    """The difficulty model fitted on a pilot cohort that practised with random parameters."""
    learners, attempts, seed = PILOT
    return fit_lltm(space, by_learner(simulate("random", space, world, seed, learners, attempts)))


# --- one learner, one run --------------------------------------------------------------------------


def run_learner(
    hypothesis: str,
    controller,
    world: World,
    theta0: np.ndarray,
    rate: float,
    horizon: int,
    cert: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, float]:
    theta = theta0.copy()
    ttm = horizon + 1  # censored
    in_band = 0
    fail_run, frustrations = 0, 0
    for t in range(1, horizon + 1):
        x = controller.next()
        p = world.p(theta, x)
        y = rng.random(len(p)) < p
        passed = bool(y.all())
        in_band += DEFAULT_BAND[0] <= p.min() <= DEFAULT_BAND[1]
        fail_run = 0 if passed else fail_run + 1
        frustrations += fail_run == 3
        theta = theta + rate * gain(hypothesis, p, y)
        if hypothesis == "forgetting":
            theta = theta - 0.03 * (theta - theta0)
        controller.observe(x, y, passed)
        if float(np.prod(world.p(theta, cert))) >= CRITERION:
            ttm = t
            break
    return {
        "ttm": ttm,
        "in_band": in_band / t,
        "frustration_streaks": frustrations,
        "final_cert_p": float(np.prod(world.p(theta, cert))),
        "attempts": t,
    }


def evaluate(learners: int, seeds: int, horizon: int, world_source: str, workers: int) -> dict:
    tasks = [(seed, h, learners, horizon, world_source) for seed in range(seeds) for h in HYPOTHESES]
    rows: dict[str, dict[str, list[dict]]] = {h: {c: [] for c in CONTROLLERS} for h in HYPOTHESES}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for (_, hypothesis, *_), result in zip(tasks, pool.map(_run_cell, tasks), strict=True):
            for name, results in result.items():
                rows[hypothesis][name].extend(results)
    return summarise(rows, learners, seeds, horizon, world_source)


def _run_cell(task: tuple[int, str, int, int, str]) -> dict[str, list[dict]]:
    """One seed × hypothesis: the same learner population under every controller."""
    seed, hypothesis, learners, horizon, world_source = task
    space = Space(get_spec("crane.bridge_lift"))
    base = load_world(world_source, space.prior_model())
    if world_source not in _PILOTS:  # fitted in the base world: wrong for the misspecified one, as intended
        _PILOTS[world_source] = pilot_model(space, base)
    model = _PILOTS[world_source]
    world = misspecified(base, np.random.default_rng([seed, 99])) if hypothesis == "misspecified" else base
    cert = np.full(len(space.axes), CERTIFICATION_LEVEL)
    pop = np.random.default_rng([seed, 7])
    theta0 = pop.normal(-0.3, 0.6, (learners, 1)) + pop.normal(0, 0.4, (learners, len(space.skills)))
    rates = pop.lognormal(np.log(0.05), 0.5, learners)  # heterogeneous learning rates
    out: dict[str, list[dict]] = {}
    for name in CONTROLLERS:
        out[name] = []
        for i in range(learners):
            rng = np.random.default_rng([seed, i, HYPOTHESES.index(hypothesis)])
            controller = make_controller(name, space, model, rng)
            row = run_learner(hypothesis, controller, world, theta0[i], rates[i], horizon, cert, rng)
            out[name].append(row | {"seed": seed})
    return out


def load_world(source: str, model: DifficultyModel) -> World:
    if source == "spec":
        return world_from(model)
    data = json.loads(Path(source).read_text(encoding="utf-8"))
    return world_from(DifficultyModel.from_dict(data["model"]))


def _bootstrap_median(values: np.ndarray, rng: np.random.Generator, n: int = 1000) -> tuple[float, float]:
    samples = rng.choice(values, (n, len(values)), replace=True)
    medians = np.median(samples, axis=1)
    return float(np.percentile(medians, 2.5)), float(np.percentile(medians, 97.5))


def summarise(rows, learners: int, seeds: int, horizon: int, world_source: str) -> dict:
    rng = np.random.default_rng(0)
    table = {}
    for hypothesis, by_controller in rows.items():
        table[hypothesis] = {}
        ramp = np.array([r["ttm"] for r in by_controller["fixed_ramp"]], float)
        for name, results in by_controller.items():
            ttm = np.array([r["ttm"] for r in results], float)
            per_seed = [float(np.median([r["ttm"] for r in results if r["seed"] == s])) for s in range(seeds)]
            table[hypothesis][name] = {
                "ttm_median": float(np.median(ttm)),
                "ttm_ci95": _bootstrap_median(ttm, rng),
                "ttm_median_per_seed": per_seed,
                "ttm_ratio_to_ramp": float(np.median(ttm) / np.median(ramp)),
                "mastered": float(np.mean(ttm <= horizon)),
                "in_band": float(np.mean([r["in_band"] for r in results])),
                "frustration_streaks_per_learner": float(
                    np.mean([r["frustration_streaks"] for r in results])
                ),
                "final_cert_p_median": float(np.median([r["final_cert_p"] for r in results])),
            }
    return {
        "world": world_source,
        "learners_per_seed": learners,
        "seeds": seeds,
        "horizon": horizon,
        "criterion": CRITERION,
        "certification_level": CERTIFICATION_LEVEL,
        "table": table,
    }


def write(result: dict, elapsed: float) -> None:
    RESULTS.mkdir(exist_ok=True)
    result["elapsed_s"] = round(elapsed, 1)
    (RESULTS / "adaptive_eval.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    lines = [
        "# Adaptive scenarios: robust evaluation matrix",
        "",
        f"World: `{result['world']}`; {result['learners_per_seed']} learners × {result['seeds']} seeds, "
        f"horizon {result['horizon']} attempts; mastery = true P(certification attempt) ≥ {result['criterion']} "
        f"(every parameter at {result['certification_level']} of its range). TTM = attempts to mastery "
        "(censored at horizon + 1), median with bootstrap 95 % CI over all learners; ratio = median TTM / fixed ramp's.",
        "",
        "| hypothesis | controller | TTM median [95% CI] | ratio to ramp | mastered | in band | frustration streaks | final cert P |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for hypothesis, by_controller in result["table"].items():
        for name, m in by_controller.items():
            lo, hi = m["ttm_ci95"]
            lines.append(
                f"| {hypothesis} | {name} | {m['ttm_median']:.0f} [{lo:.0f}, {hi:.0f}] | {m['ttm_ratio_to_ramp']:.2f} "
                f"| {m['mastered']:.2f} | {m['in_band']:.2f} | {m['frustration_streaks_per_learner']:.2f} "
                f"| {m['final_cert_p_median']:.2f} |"
            )
    lines += ["", f"Run time {result['elapsed_s']} s."]
    (RESULTS / "adaptive_eval.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=40)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--horizon", type=int, default=100)
    parser.add_argument(
        "--world",
        default=str(RESULTS / "adaptive_surface.json"),
        help="a surface JSON fitted to crane-scene runs (default: the stored one), or 'spec'",
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    start = time.perf_counter()
    result = evaluate(args.learners, args.seeds, args.horizon, args.world, args.workers)
    write(result, time.perf_counter() - start)
    print((RESULTS / "adaptive_eval.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
