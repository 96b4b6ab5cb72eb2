"""Measured success surface of the real crane scene over (operator skill, parameters).

The evaluation harness (`adaptive_eval.py`) needs, for every simulated learner and attempt, the
probability that each skill passes at given parameters. Running pybullet for each of the ~10⁶
learner-attempts is out of reach on 2 shared cores, so the scene is measured once here:
`autopilot:SKILL` attempts (SKILL = a learner's true ability) at Latin-hypercube samples of
(skill, normalised parameters), no faults. A skill passes when its sub-score reaches that skill's
threshold, chosen on a grid so that "every skill passes" agrees best with the scene's own pass/fail
(the rubric's verdict). The per-skill LLTM of `scenarios.difficulty` is then fitted to these real
outcomes with ability θ = THETA_SCALE·(skill − 0.5), giving the "true world" the harness samples from.
The fit starts from (and is regularised toward) the spec's current calibration, so a re-run updates it.

The same surface calibrates the spec's prior: `--write-spec` writes, rounded to 2 decimals, each
skill's pass_score/slope/intercept and each parameter's difficulty weights into the catalog spec
(comments, fault weights and everything else are kept) and prints the lines it wrote.

Run: `python -m benchmarks.adaptive_surface [--runs 600] [--refit] [--write-spec]` (--refit reuses the
stored runs; --write-spec alone only rewrites the spec from the stored surface); writes
results/adaptive_surface.json/.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from scipy.stats import qmc

from scenarios.calibration import THETA_SCALE, calibrated_spec, theta_of
from scenarios.difficulty import PooledAttempts, fit
from scenarios.paramspace import CERTIFICATION_LEVEL, Space
from scenarios.spec import catalog_dir, get_spec
from sim.runner import make_operator, run_attempt

RESULTS = Path(__file__).parent / "results"
THRESHOLD_GRID = np.round(np.arange(0.2, 0.85, 0.05), 2)
SCENARIO = "crane.bridge_lift"
SPEC_FILE = catalog_dir() / "crane_bridge_lift.toml"


def _one(task: tuple[float, list[float], int]) -> dict:
    skill, x, seed = task
    space = Space(get_spec(SCENARIO))
    params = space.attempt_params(np.asarray(x), ())
    result = run_attempt(space.spec, params, make_operator(f"autopilot:{skill:.4f}", "crane"), seed)
    return {
        "skill": skill,
        "x": space.normalise(result["params"]).tolist(),
        "sub_scores": result["sub_scores"],
        "passed": result["passed"],
        "seed": seed,
    }


def measure(runs: int, workers: int) -> list[dict]:
    space = Space(get_spec(SCENARIO))
    design = qmc.LatinHypercube(d=1 + len(space.axes), seed=0).random(runs)
    tasks = [(0.05 + 0.95 * float(row[0]), row[1:].tolist(), i) for i, row in enumerate(design)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_one, tasks, chunksize=4))


def pass_thresholds(scores: np.ndarray, passed: np.ndarray) -> np.ndarray:
    """Per-skill sub-score thresholds whose conjunction best reproduces the scene's pass/fail."""
    best, chosen = -1.0, None
    for candidate in itertools.product(THRESHOLD_GRID, repeat=scores.shape[1]):
        agreement = float(((scores >= np.array(candidate)).all(axis=1) == passed).mean())
        if agreement > best:
            best, chosen = agreement, np.array(candidate)
    return chosen


def fit_surface(samples: list[dict]) -> dict:
    space = Space(get_spec(SCENARIO))
    x = np.array([s["x"] for s in samples])
    theta = np.repeat(theta_of(np.array([s["skill"] for s in samples]))[:, None], len(space.skills), axis=1)
    scores = np.array([[s["sub_scores"][k] for k in space.skills] for s in samples])
    thresholds = pass_thresholds(scores, np.array([s["passed"] for s in samples]))
    passes = (scores >= thresholds).astype(float)
    prior = space.prior_model()
    model = fit(
        prior, PooledAttempts(x, np.zeros((len(x), len(space.faults))), theta, passes), "crane-surface"
    )
    task = np.array([s["passed"] for s in samples])
    conjunctive = passes.all(axis=1)
    expert = model.p_pass(
        np.full(len(space.skills), theta_of(1.0)),
        np.zeros(4),
        np.full(len(space.axes), CERTIFICATION_LEVEL),
        np.zeros(len(space.faults)),
    )
    return {
        "scenario": SCENARIO,
        "runs": len(samples),
        "skill_pass": dict(zip(space.skills, thresholds.tolist(), strict=True)),
        "theta_scale": THETA_SCALE,
        "model": model.to_dict(),
        "pass_rate_per_skill": dict(zip(space.skills, passes.mean(axis=0).round(3).tolist(), strict=True)),
        "task_pass_rate": float(task.mean()),
        "conjunctive_agrees_with_sim_pass": float((conjunctive == task).mean()),
        "expert_p_at_certification": dict(zip(space.skills, expert.round(3).tolist(), strict=True)),
        "samples": samples,
    }


def write(surface: dict, elapsed: float) -> None:
    RESULTS.mkdir(exist_ok=True)
    surface["elapsed_s"] = round(elapsed, 1)
    (RESULTS / "adaptive_surface.json").write_text(json.dumps(surface), encoding="utf-8")
    model = surface["model"]
    lines = [
        "# Crane-scene success surface for the adaptive evaluation",
        "",
        f"{surface['runs']} real `crane.bridge_lift` attempts by `autopilot:SKILL`, SKILL ~ U(0.05, 1), "
        f"parameters by Latin hypercube over their whole ranges, no faults ({surface['elapsed_s']} s of runs). "
        f"A skill passes when its sub-score ≥ its threshold {surface['skill_pass']} (chosen so that all-skills-pass "
        "best matches the scene's pass/fail). Fitted per-skill LLTM "
        f"(θ = {surface['theta_scale']}·(skill − 0.5)); weights per normalised parameter (1 = hard end):",
        "",
        "| skill | pass rate | slope a | intercept b | " + " | ".join(model["params"]) + " |",
        "|---|---|---|---|" + "---|" * len(model["params"]),
    ]
    for k, skill in enumerate(model["skills"]):
        weights = " | ".join(f"{w:.2f}" for w in model["weights"][k])
        lines.append(
            f"| {skill} | {surface['pass_rate_per_skill'][skill]:.2f} | {model['slope'][k]:.2f} "
            f"| {model['intercept'][k]:.2f} | {weights} |"
        )
    lines += [
        "",
        f"Sim task pass rate {surface['task_pass_rate']:.2f}; the conjunctive rule (all skills pass) agrees "
        f"with the sim's own pass/fail on {surface['conjunctive_agrees_with_sim_pass']:.0%} of attempts.",
        f"Expert (skill 1.0) predicted pass per skill at certification conditions: {surface['expert_p_at_certification']}.",
    ]
    (RESULTS / "adaptive_surface.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_spec(surface: dict, path: Path = SPEC_FILE) -> list[str]:
    text, written = calibrated_spec(path.read_text(encoding="utf-8"), surface)
    path.write_text(text, encoding="utf-8")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, help="attempts to run (default 600)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--refit", action="store_true", help="refit the stored runs instead of running the scene"
    )
    parser.add_argument(
        "--write-spec",
        action="store_true",
        help=f"write the calibration into {SPEC_FILE.name} (alone: from the stored surface, no runs)",
    )
    args = parser.parse_args()
    stored = RESULTS / "adaptive_surface.json"
    if args.write_spec and not args.refit and args.runs is None:
        surface = json.loads(stored.read_text(encoding="utf-8"))
    else:
        if args.refit:
            previous = json.loads(stored.read_text(encoding="utf-8"))
            samples, elapsed = previous["samples"], previous["elapsed_s"]
        else:
            start = time.perf_counter()
            samples = measure(args.runs or 600, args.workers)
            elapsed = time.perf_counter() - start
        surface = fit_surface(samples)
        write(surface, elapsed)
        print((RESULTS / "adaptive_surface.md").read_text(encoding="utf-8"))
    if args.write_spec:
        print("\n".join(write_spec(surface)))


if __name__ == "__main__":
    main()
