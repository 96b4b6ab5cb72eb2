"""Robust evaluation matrix for adaptive scenarios (shared/reference/adaptive.md §4.2, §7).

Simulated learners × learning hypotheses × controllers; primary outcome = attempts until the
learner's *true* probability of passing the fixed certification attempt reaches CRITERION.

World. The true pass probability of skill k at normalised parameters x is a per-skill LLTM,
logit P_k = α_k(θ_k − β_k − V_k·x − G_k·f). Its weights come from `--world`: `spec` = the spec's
difficulty mapping (the controller's own prior: a well-specified world), or a JSON surface file
fitted to real crane-scene runs (`benchmarks/results/adaptive_surface.json`, same LLTM form, from
`shixun sim run --operator autopilot:SKILL`). The `misspecified` hypothesis always perturbs the
world's weights away from what the controller believes. A task passes when every skill passes
(conjunctive, §3.1). Both generators use the difficulty model fitted (as `shixun scenarios fit`
does) on a separate pilot cohort that practised with random parameters in the base world.
`generator` is the product: each learner's practice profile (scenarios/profiles.py) is drawn from
the evidence the cohort's pooled attempts give, refitted every REFIT_EVERY attempts as a nightly
`scenarios fit` would; `generator_consolidate` always practises under the default profile.
Learners of a cohort run in lockstep (everyone's attempt t before anyone's t + 1), as a class does.

Hypotheses (gain per attempt, times the learner's own rate): `zpd50` 4p(1−p) per skill;
`wilson85` a bell at p = 0.85 (Wilson et al. 2019); `success` only passed skills learn, hard
passes most; `forgetting` = zpd50 while losing FORGETTING of the gain per attempt; `misspecified`
= wilson85 in a world whose weights differ from the controller's model.

Run: `python -m benchmarks.adaptive_eval [--learners 200] [--seeds 5] [--horizon 200]`.
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

from scenarios import profiles
from scenarios.difficulty import DifficultyModel, PooledAttempts, fit
from scenarios.generator import generate
from scenarios.learner import AttemptOutcome, abilities_before, prior_state, update
from scenarios.overrides import DEFAULT_BAND, Overrides
from scenarios.paramspace import CERTIFICATION_LEVEL, Space
from scenarios.spec import get_spec

RESULTS = Path(__file__).parent / "results"
CRITERION = 0.7  # mastery: true P(pass the certification attempt) ≥ this
HYPOTHESES = ("zpd50", "wilson85", "success", "forgetting", "misspecified")
CONTROLLERS = ("generator", "generator_consolidate", "fixed_ramp", "staircase", "random")
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
        self.profile = profiles.DEFAULT_CHOICE  # set by the cohort from its pooled evidence

    def next(self) -> np.ndarray:
        return generate(self.space, self.model, self.state, self.overrides, self.rng, self.profile).x

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
    """Both generators use the difficulty model fitted on the pilot cohort (as `scenarios fit` does);
    `generator` picks practice profiles from the cohort's pooled progress, `generator_consolidate`
    always uses the default profile (band 0.70–0.85, other skills comfortable)."""
    n = len(space.axes)
    factories: dict[str, Callable[[], object]] = {
        "generator": lambda: Generator(space, fitted, rng, Overrides()),
        "generator_consolidate": lambda: Generator(space, fitted, rng, Overrides()),
        "fixed_ramp": lambda: FixedRamp(n),
        "staircase": lambda: Staircase(n),
        "random": lambda: Random(n, rng),
    }
    return factories[name]()


# --- simulated cohorts and the pilot fit ------------------------------------------------------------


def simulate(
    policy: str,
    space: Space,
    world: World,
    seed: int,
    learners: int,
    attempts: int,
    hypothesis: str = "wilson85",
) -> list[dict]:
    """One row per attempt: learner, order, x, per-skill outcomes (true world, learning by `hypothesis`)."""
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
            theta = theta + rates[i] * gain(hypothesis, p, y)
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


# --- one cohort, one controller, in lockstep --------------------------------------------------------

FORGETTING = 0.01  # share of the skill above the starting level lost per attempt (the forgetting hypothesis)
REFIT_EVERY = 5  # attempts between the cohort's pooled refits of the profile evidence ("nightly fit")


def run_cohort(
    hypothesis: str,
    name: str,
    space: Space,
    model: DifficultyModel,
    world: World,
    theta0: np.ndarray,
    rates: np.ndarray,
    horizon: int,
    seed: int,
) -> list[dict[str, float]]:
    """Every learner of the cohort takes attempt t before anyone takes t + 1, as a class does, so
    the generator's pooled profile evidence (`scenarios fit`) sees the cohort so far."""
    learners = len(theta0)
    cert = np.full(len(space.axes), CERTIFICATION_LEVEL)
    rngs = [np.random.default_rng([seed, i, HYPOTHESES.index(hypothesis)]) for i in range(learners)]
    controllers = [make_controller(name, space, model, rngs[i]) for i in range(learners)]
    theta = theta0.copy()
    keys = [f"{seed}/{i}" for i in range(learners)]
    pooled: list[tuple[int, str, np.ndarray]] = []  # (learner, profile, ability before the attempt)
    evidence = profiles.NO_EVIDENCE
    stats = [
        {"ttm": horizon + 1, "in_band": 0, "fail_run": 0, "frustrations": 0, "t": 0} for _ in range(learners)
    ]
    for t in range(1, horizon + 1):
        for i, controller in enumerate(controllers):
            row = stats[i]
            if row["ttm"] <= horizon:
                continue
            if isinstance(controller, Generator) and name == "generator":
                controller.profile = profiles.choose(evidence, keys[i])
                pooled.append((i, controller.profile.profile.id, controller.state.mean.copy()))
            x = controller.next()
            p = world.p(theta[i], x)
            y = rngs[i].random(len(p)) < p
            passed = bool(y.all())
            row["t"] = t
            row["in_band"] += DEFAULT_BAND[0] <= p.min() <= DEFAULT_BAND[1]
            row["fail_run"] = 0 if passed else row["fail_run"] + 1
            row["frustrations"] += row["fail_run"] == 3
            theta[i] = theta[i] + rates[i] * gain(hypothesis, p, y)
            if hypothesis == "forgetting":
                theta[i] = theta[i] - FORGETTING * (theta[i] - theta0[i])
            controller.observe(x, y, passed)
            if float(np.prod(world.p(theta[i], cert))) >= CRITERION:
                row["ttm"] = t
        if name == "generator" and t % REFIT_EVERY == 0:
            pooled.sort(key=lambda row: row[0])  # each learner's attempts together, in order (stable)
            who, profile, ability = zip(*pooled, strict=True)
            evidence = profiles.weigh(profiles.segments(who, profile, np.array(ability)))
    return [
        {
            "ttm": row["ttm"],
            "in_band": row["in_band"] / max(row["t"], 1),
            "frustration_streaks": row["frustrations"],
            "final_cert_p": float(np.prod(world.p(theta[i], cert))),
            "attempts": row["t"],
            "seed": seed,
            "profile": controllers[i].profile.profile.id if name == "generator" else None,
        }
        for i, row in enumerate(stats)
    ]


def evaluate(learners: int, seeds: int, horizon: int, world_source: str, workers: int) -> dict:
    tasks = [
        (seed, h, c, learners, horizon, world_source)
        for seed in range(seeds)
        for h in HYPOTHESES
        for c in CONTROLLERS
    ]
    tasks.sort(key=lambda task: task[2] not in ("generator", "generator_consolidate"))  # slow ones first
    rows: dict[str, dict[str, list[dict]]] = {h: {c: [] for c in CONTROLLERS} for h in HYPOTHESES}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for (_, hypothesis, name, *_), result in zip(tasks, pool.map(_run_cell, tasks), strict=True):
            rows[hypothesis][name].extend(result)
    return summarise(rows, learners, seeds, horizon, world_source)


def _run_cell(task: tuple[int, str, str, int, int, str]) -> list[dict]:
    """One seed × hypothesis × controller: the seed's learner population, the same for every controller."""
    seed, hypothesis, name, learners, horizon, world_source = task
    space = Space(get_spec("crane.bridge_lift"))
    base = load_world(world_source, space.prior_model())
    if world_source not in _PILOTS:  # fitted in the base world: wrong for the misspecified one, as intended
        _PILOTS[world_source] = pilot_model(space, base)
    world = misspecified(base, np.random.default_rng([seed, 99])) if hypothesis == "misspecified" else base
    pop = np.random.default_rng([seed, 7])
    theta0 = pop.normal(-0.3, 0.6, (learners, 1)) + pop.normal(0, 0.4, (learners, len(space.skills)))
    rates = pop.lognormal(np.log(0.05), 0.5, learners)  # heterogeneous learning rates
    return run_cohort(hypothesis, name, space, _PILOTS[world_source], world, theta0, rates, horizon, seed)


def load_world(source: str, model: DifficultyModel) -> World:
    if source == "spec":
        return world_from(model)
    data = json.loads(Path(source).read_text(encoding="utf-8"))
    return world_from(DifficultyModel.from_dict(data["model"]))


def _bootstrap_median(values: np.ndarray, rng: np.random.Generator, n: int = 1000) -> tuple[float, float]:
    samples = rng.choice(values, (n, len(values)), replace=True)
    medians = np.median(samples, axis=1)
    return float(np.percentile(medians, 2.5)), float(np.percentile(medians, 97.5))


def _paired_ratio_ci(
    ttm: np.ndarray, ramp: np.ndarray, rng: np.random.Generator, n: int = 1000
) -> tuple[float, float]:
    """95 % interval of median(TTM) / median(ramp's TTM), resampling learners (the same learners ran both)."""
    idx = rng.integers(0, len(ttm), (n, len(ttm)))
    ratios = np.median(ttm[idx], axis=1) / np.median(ramp[idx], axis=1)
    return float(np.percentile(ratios, 2.5)), float(np.percentile(ratios, 97.5))


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
                "ttm_ratio_to_ramp_ci95": _paired_ratio_ci(ttm, ramp, rng),
                "stretch_share_at_end": float(np.mean([r["profile"] == "stretch" for r in results])),
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
        "Learners act through the real crane scene as measured by `adaptive_surface` (real `autopilot:SKILL` "
        "attempts; a learner's true ability sets the autopilot skill, θ = 6·(skill − 0.5), and the per-skill pass "
        "probabilities come from the LLTM fitted to those runs). Cohorts learn in lockstep; `generator` (the "
        "product) draws each learner's practice profile from the cohort's pooled progress, refitted every "
        f"{REFIT_EVERY} attempts; `generator_consolidate` is held at the default profile. The ratio's interval "
        "resamples learners (the same learners ran every controller).",
        "",
        "| hypothesis | controller | TTM median [95% CI] | ratio to ramp [95% CI] | mastered | in band | frustration streaks | final cert P | stretch share at end |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for hypothesis, by_controller in result["table"].items():
        for name, m in by_controller.items():
            lo, hi = m["ttm_ci95"]
            rlo, rhi = m["ttm_ratio_to_ramp_ci95"]
            lines.append(
                f"| {hypothesis} | {name} | {m['ttm_median']:.0f} [{lo:.0f}, {hi:.0f}] | {m['ttm_ratio_to_ramp']:.2f} "
                f"[{rlo:.2f}, {rhi:.2f}] | {m['mastered']:.2f} | {m['in_band']:.2f} "
                f"| {m['frustration_streaks_per_learner']:.2f} | {m['final_cert_p_median']:.2f} "
                f"| {m['stretch_share_at_end']:.2f} |"
            )
    lines += ["", *_verdict(result["table"]), "", f"Run time {result['elapsed_s']} s."]
    (RESULTS / "adaptive_eval.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _verdict(table: dict) -> list[str]:
    """The issue's goals, read off the table for the production generator."""
    gen = {h: table[h]["generator"] for h in table}
    wilson = gen["wilson85"]["ttm_ratio_to_ramp"]
    worse = [h for h, m in gen.items() if m["ttm_ratio_to_ramp"] > 1.0]
    lines = [
        f"Goal 1 — ≥ 25 % fewer attempts than the ramp under the 85 % hypothesis: ratio {wilson:.2f} "
        f"({'met' if wilson <= 0.75 else 'NOT met'}).",
        "Goal 2 — no hypothesis where the generator is worse than the ramp (median ratio > 1): "
        + (f"NOT met ({', '.join(worse)})." if worse else "met."),
    ]
    for h, m in gen.items():
        lo, hi = m["ttm_ratio_to_ramp_ci95"]
        lines.append(f"- {h}: ratio {m['ttm_ratio_to_ramp']:.2f} [{lo:.2f}, {hi:.2f}]")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--horizon", type=int, default=200)
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
