"""Prediction quality of the learner model, next to pyBKT and a per-skill-mean baseline.

Attempts come from simulated learners in the crane-scene world (`results/adaptive_surface.json`)
under two policies: random parameters, where AUC means something, and the adaptive generator
(spec prior weights), where predictions equalise and calibration is what matters
(shared/reference/adaptive.md §4.1). Learners learn by one of two hypotheses of
`adaptive_eval.py` (`wilson85`, the one the generator is tuned for, and `zpd50`); each seed is a
different simulated population, the same one under both hypotheses and policies. Every model
predicts each skill's outcome of each attempt before seeing it. Learners are split into FOLDS
groups (fit on the others, score on one): no learner is in both (GroupKFold by learner, §4.3).
Intervals: bootstrap over held-out learners (all models on the same resampled learners, so the
log-loss ratios are paired).

Models, all fitted on the same training learners' attempts: `lltm_elo` = this project's learner
model with the difficulty model fitted as `scenarios fit` does; `lltm_elo_prior` = the same with
the spec's prior weights only (not fitted); `pybkt` = pyBKT's per-skill BKT (it never sees the
scenario parameters); `skill_mean` = the training pass rate per skill.

Run: `nice python -m benchmarks.adaptive_models [--learners 200] [--attempts 60] [--seeds 2]
[--workers 2]`; writes results/adaptive_models.json and .md. pyBKT's EM is pure Python here
(~90 % of the run time), so the cells run in a process pool.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pandas as pd
from pyBKT.models import Model as BKT

from benchmarks.adaptive_eval import by_learner, fit_lltm, load_world, outcomes_of, simulate
from scenarios.difficulty import DifficultyModel
from scenarios.learner import prior_state, update
from scenarios.paramspace import Space
from scenarios.spec import get_spec

RESULTS = Path(__file__).parent / "results"
SCENARIO = "crane.bridge_lift"
POLICIES = ("random", "adaptive")
HYPOTHESES = ("wilson85", "zpd50")
MODELS = ("lltm_elo", "lltm_elo_prior", "pybkt", "skill_mean")
BASELINES = ("pybkt", "skill_mean")
METRICS = ("log_loss", "brier", "ece", "auc")
BOOTSTRAP = 1000


def predict_lltm(space: Space, model: DifficultyModel, test: dict[int, list[dict]]) -> np.ndarray:
    preds = []
    faults = np.zeros(len(space.faults))
    for rows in test.values():
        state = prior_state(len(space.skills))
        for outcome in outcomes_of(rows, len(space.faults)):
            preds.append(model.p_pass(state.mean, state.variance, outcome.x, faults))
            state = update(state, model, outcome)
    return np.array(preds)


def bkt_frame(space: Space, rows: dict[int, list[dict]]) -> pd.DataFrame:
    records = []
    for learner, attempts in rows.items():
        for r in attempts:
            for k, skill in enumerate(space.skills):
                records.append(
                    {
                        "order_id": len(records),
                        "user_id": learner,
                        "skill_name": skill,
                        "correct": int(r["y"][k]),
                    }
                )
    return pd.DataFrame.from_records(records)


def predict_bkt(space: Space, train: dict, test: dict, fits: int) -> np.ndarray:
    model = BKT(seed=0, num_fits=fits, parallel=False)  # the cells already fill the cores
    model.fit(data=bkt_frame(space, train))
    predicted = model.predict(data=bkt_frame(space, test)).sort_values("order_id")
    return predicted["correct_predictions"].to_numpy().reshape(-1, len(space.skills))


def predict(name: str, space: Space, train: dict, test: dict, bkt_fits: int) -> np.ndarray:
    """(attempts, skills) predictions of one model for the test learners, fitted on `train`."""
    if name == "lltm_elo":
        return predict_lltm(space, fit_lltm(space, train), test)
    if name == "lltm_elo_prior":
        return predict_lltm(space, space.prior_model(), test)
    if name == "pybkt":
        return predict_bkt(space, train, test, bkt_fits)
    mean = np.array([r["y"] for rows in train.values() for r in rows]).mean(axis=0)
    return np.tile(mean, (sum(len(rows) for rows in test.values()), 1))


@dataclass(frozen=True)
class Scored:
    """One model's held-out predictions, flattened to (attempt, skill) observations, ready for
    metrics under learner weights (1 = the sample itself, bootstrap counts = one replicate)."""

    p: np.ndarray
    y: np.ndarray
    loss: np.ndarray
    bins: np.ndarray  # 10 equal-width calibration bins
    tie: np.ndarray  # index of p among its sorted distinct values (AUC with mid-ranks)

    @classmethod
    def of(cls, p: np.ndarray, y: np.ndarray) -> Scored:
        p = np.clip(p.ravel(), 1e-6, 1 - 1e-6)
        y = y.ravel()
        loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))
        return cls(p, y, loss, np.minimum((p * 10).astype(int), 9), np.unique(p, return_inverse=True)[1])

    def metrics(self, w: np.ndarray) -> dict[str, float]:
        total = w.sum()
        gap = np.bincount(self.bins, w * (self.p - self.y), minlength=10)
        pos = np.bincount(self.tie, w * self.y)
        neg = np.bincount(self.tie, w * (1 - self.y))
        below = np.cumsum(neg) - neg
        return {
            "log_loss": float(w @ self.loss / total),
            "brier": float(w @ (self.p - self.y) ** 2 / total),
            "ece": float(np.abs(gap).sum() / total),
            "auc": float(pos @ (below + 0.5 * neg) / (pos.sum() * neg.sum())),
        }


def run_cell(task: tuple) -> dict:
    """One policy × hypothesis × population: held-out predictions of every model, per learner."""
    policy, hypothesis, seed, world, learners, attempts, folds, bkt_fits = task
    space = Space(get_spec(SCENARIO))  # the catalog the parent read before forking (cached)
    groups = by_learner(simulate(policy, space, world, seed, learners, attempts, hypothesis))
    preds: dict[str, list[np.ndarray]] = {m: [] for m in MODELS}
    seconds = dict.fromkeys(MODELS, 0.0)
    learner, truth = [], []
    for held_out in np.array_split(np.array(sorted(groups)), folds):
        train = {i: rows for i, rows in groups.items() if i not in held_out}
        test = {int(i): groups[int(i)] for i in held_out}
        y = np.array([r["y"] for rows in test.values() for r in rows])
        truth.append(y)
        learner.append(np.repeat(held_out, [len(test[int(i)]) for i in held_out]))
        for name in MODELS:
            start = time.perf_counter()
            preds[name].append(predict(name, space, train, test, bkt_fits))
            seconds[name] += time.perf_counter() - start
    return {
        "task": task[:3],
        "learner": np.concatenate(learner),
        "y": np.vstack(truth),
        "preds": {m: np.vstack(parts) for m, parts in preds.items()},
        "seconds": seconds,
    }


def summarise(cell: dict, rng: np.random.Generator) -> dict:
    """Point estimates, bootstrap 95 % intervals over learners, and paired log-loss ratios."""
    n_skills = cell["y"].shape[1]
    obs_learner = np.repeat(cell["learner"], n_skills)
    ids, obs_index = np.unique(obs_learner, return_inverse=True)
    scored = {m: Scored.of(p, cell["y"]) for m, p in cell["preds"].items()}
    point = {m: s.metrics(np.ones(len(obs_index))) for m, s in scored.items()}
    best = min(BASELINES, key=lambda b: point[b]["log_loss"])
    reps: dict[str, list[dict]] = {m: [] for m in MODELS}
    for _ in range(BOOTSTRAP):
        w = np.bincount(rng.integers(0, len(ids), len(ids)), minlength=len(ids))[obs_index].astype(float)
        for m, s in scored.items():
            reps[m].append(s.metrics(w))

    def interval(values: list[float]) -> list[float]:
        return [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))]

    models = {
        m: {k: {"value": point[m][k], "ci95": interval([r[k] for r in reps[m]])} for k in METRICS}
        for m in MODELS
    }
    ratios = {}
    for other in (*BASELINES, "lltm_elo_prior"):
        values = [a["log_loss"] / b["log_loss"] for a, b in zip(reps["lltm_elo"], reps[other], strict=True)]
        ratios[other] = {
            "value": point["lltm_elo"]["log_loss"] / point[other]["log_loss"],
            "ci95": interval(values),
        }
    return {
        "models": models,
        "best_baseline": best,
        "log_loss_ratio": ratios,
        "seconds": {m: round(s, 1) for m, s in cell["seconds"].items()},
        "held_out_attempts": len(cell["y"]),
    }


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, check=True, cwd=RESULTS)
    except (OSError, subprocess.CalledProcessError):
        return ""
    return out.stdout.strip()


def code_version() -> dict:
    """HEAD, and the inputs that differ from it in the shared checkout when the run starts."""
    inputs = ["scenarios", "benchmarks/adaptive_eval.py", "benchmarks/results/adaptive_surface.json"]
    dirty = _git("diff", "--name-only", "HEAD", "--", *(f":/{p}" for p in inputs)).split()
    return {"commit": _git("rev-parse", "--short", "HEAD") or "unknown", "uncommitted_inputs": dirty}


def prior_world_gap(prior: DifficultyModel, world) -> float:
    """Largest difference between the spec's prior LLTM and the simulated world's (logit units)."""
    pairs = ((prior.slope, world.slope), (prior.intercept, world.intercept), (prior.weights, world.weights))
    return float(max(np.abs(a - b).max() for a, b in pairs))


def evaluate(args: argparse.Namespace) -> dict:
    seeds = [args.first_seed + s for s in range(args.seeds)]
    version = code_version()
    space = Space(get_spec(SCENARIO))  # read once here: the workers fork with this catalog cached
    world = load_world(str(RESULTS / "adaptive_surface.json"), space.prior_model())
    tasks = [
        (policy, hypothesis, seed, world, args.learners, args.attempts, args.folds, args.bkt_fits)
        for seed in seeds
        for hypothesis in HYPOTHESES
        for policy in POLICIES
    ]
    rng = np.random.default_rng(0)
    cells: dict[str, dict] = {}
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for cell in pool.map(run_cell, tasks):
            policy, hypothesis, seed = cell["task"]
            print(f"{policy}/{hypothesis}/{seed}: {cell['seconds']}", file=sys.stderr, flush=True)
            cells[f"{policy}/{hypothesis}/{seed}"] = {
                "policy": policy,
                "hypothesis": hypothesis,
                "seed": seed,
            } | summarise(cell, rng)
    return {
        **version,
        "prior_world_gap": prior_world_gap(space.prior_model(), world),
        "learners": args.learners,
        "attempts_per_learner": args.attempts,
        "folds": args.folds,
        "seeds": seeds,
        "bkt_num_fits": args.bkt_fits,
        "bootstrap": BOOTSTRAP,
        "cells": cells,
    }


def _ci(entry: dict, digits: int) -> str:
    lo, hi = entry["ci95"]
    return f"{entry['value']:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def write(result: dict) -> str:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "adaptive_models.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    cells = result["cells"].values()
    lines = [
        "# Learner-model prediction quality",
        "",
        f"{result['learners']} simulated learners × {result['attempts_per_learner']} attempts per cell in the "
        f"crane-scene world; populations (seeds) {', '.join(map(str, result['seeds']))}; learning hypotheses "
        f"{' and '.join(HYPOTHESES)}; per-skill next-attempt outcomes; {result['folds']}-fold split by learner "
        "(every learner scored once, by models fitted on the other folds' attempts). "
        f"Values with bootstrap 95 % intervals over held-out learners ({result['bootstrap']} resamples). "
        "Lower is better for log-loss, Brier and ECE (10 bins); AUC is meaningful on the random policy only "
        "(under the adaptive policy predictions cluster near the target, §4.1 of the adaptive reference). "
        f"pyBKT: {result['bkt_num_fits']} EM start(s) per skill. Code at commit `{result['commit']}`"
        + (
            f" with uncommitted changes to {', '.join(result['uncommitted_inputs'])} (the shared checkout)."
            if result["uncommitted_inputs"]
            else "."
        ),
        "",
        "## Log-loss of lltm_elo / log-loss of a baseline (paired bootstrap)",
        "",
        "| policy | hypothesis | seed | best baseline | ÷ best baseline | ÷ pybkt | ÷ skill_mean | ÷ lltm_elo_prior |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in cells:
        r = c["log_loss_ratio"]
        lines.append(
            f"| {c['policy']} | {c['hypothesis']} | {c['seed']} | {c['best_baseline']} "
            f"| **{_ci(r[c['best_baseline']], 3)}** | {_ci(r['pybkt'], 3)} | {_ci(r['skill_mean'], 3)} "
            f"| {_ci(r['lltm_elo_prior'], 3)} |"
        )
    below = [c for c in cells if c["log_loss_ratio"][c["best_baseline"]]["ci95"][1] < 1]
    lines += [
        "",
        f"lltm_elo's interval lies below 1 against the best baseline in {len(below)} of {len(cells)} cells "
        "(policy × hypothesis × population).",
        "",
        "Reading it:",
        "",
        "- All four models are fitted on the same training learners' attempts and scored on the same held-out "
        "learners. `lltm_elo_prior` is not fitted (the spec's prior difficulty weights); `pybkt` is pyBKT's "
        "standard BKT per skill (prior, learn, guess, slip; no forgetting); `skill_mean` is the training pass "
        "rate per skill. Neither baseline sees the scenario parameters; the LLTM does (that is its design, "
        "not a leak: the parameters are known before the attempt).",
        (
            f"- The spec's prior difficulty model is within {result['prior_world_gap']:.3f} (logit units) of the "
            "simulated world's: the crane spec is calibrated from the same measured surface. `lltm_elo_prior` "
            "is therefore a well-specified prior here, and lltm_elo ÷ lltm_elo_prior ≈ 1 only says that fitting "
            "does not hurt; it says nothing about a world that drifts from the spec."
            if result["prior_world_gap"] < 0.05
            else f"- The spec's prior difficulty model differs from the simulated world's by up to "
            f"{result['prior_world_gap']:.2f} (logit units)."
        ),
        "- ECE: the LLTM's is higher than the baselines' (a per-skill mean is calibrated by construction); its "
        "log-loss and Brier are lower because it separates easy from hard attempts.",
        "- The simulated world has the LLTM's own form (a surface fitted to crane-scene runs), so it favours "
        "the LLTM family; the learning dynamics (`wilson85`, `zpd50` gains with heterogeneous rates) are not "
        "the learner model's (a constant practice gain plus Elo-style updates).",
        "- Adaptive policy = the production generator with the spec's prior and its default (consolidate) "
        "practice profile: it aims the weakest skill at the target band and keeps the others at 85–95 %, with "
        "a certification probe every 5th attempt. Predictions cluster near those targets, so AUC falls for "
        "every model and says less there than log-loss, Brier and ECE (§4.1).",
        "- ECE's bootstrap interval is biased upward (resampling noise in a bin only adds to |gap|): its point "
        "value can sit at or below the lower end.",
    ]
    lines += [
        "",
        "## All metrics",
        "",
        "| policy | hypothesis | seed | model | log-loss | Brier | ECE | AUC |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in cells:
        for name, m in c["models"].items():
            lines.append(
                f"| {c['policy']} | {c['hypothesis']} | {c['seed']} | {name} | {_ci(m['log_loss'], 4)} "
                f"| {_ci(m['brier'], 4)} | {_ci(m['ece'], 4)} | {_ci(m['auc'], 3)} |"
            )
    fit_seconds = {m: sum(c["seconds"][m] for c in cells) for m in MODELS}
    lines += [
        "",
        "Fit + predict time summed over cells (s): "
        + ", ".join(f"{m} {s:.0f}" for m, s in fit_seconds.items())
        + f". Wall time {result['elapsed_s']} s.",
    ]
    text = "\n".join(lines) + "\n"
    (RESULTS / "adaptive_models.md").write_text(text, encoding="utf-8")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--attempts", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=2, help="simulated populations")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--bkt-fits", type=int, default=1, help="pyBKT EM starts per skill")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    start = time.perf_counter()
    result = evaluate(args)
    result["elapsed_s"] = round(time.perf_counter() - start, 1)
    print(write(result))


if __name__ == "__main__":
    main()
