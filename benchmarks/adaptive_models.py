"""Prediction quality of the learner model, next to pyBKT and a per-skill-mean baseline.

Attempts come from simulated learners (the `wilson85` hypothesis of `adaptive_eval.py`) in the
crane-scene world (`results/adaptive_surface.json`), under two policies: random parameters,
where AUC means something, and the adaptive generator, where predictions equalise and
calibration is what matters (shared/reference/adaptive.md §4.1). Every model predicts each
skill's outcome of each attempt before seeing it. Learners are split in two halves (fit on one,
score on the other, then swapped): no learner is in both (GroupKFold by learner, §4.3).

Models: `lltm_elo` = this project's learner model with the difficulty model fitted by
`scenarios.difficulty.fit` on the training learners; `lltm_elo_prior` = the same with the spec's
prior weights only; `pybkt` = pyBKT's per-skill BKT; `skill_mean` = the training pass rate per skill.

Run: `python -m benchmarks.adaptive_models`; writes results/adaptive_models.json and .md.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pandas as pd
from pyBKT.models import Model as BKT
from scipy.stats import rankdata

from benchmarks.adaptive_eval import by_learner, fit_lltm, load_world, outcomes_of, simulate
from scenarios.difficulty import DifficultyModel
from scenarios.learner import prior_state, update
from scenarios.paramspace import Space
from scenarios.spec import get_spec

RESULTS = Path(__file__).parent / "results"
LEARNERS, ATTEMPTS = 200, 60


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


def predict_bkt(space: Space, train: dict, test: dict) -> np.ndarray:
    model = BKT(seed=0, num_fits=5, parallel=False)  # worker processes only cost start-up here
    model.fit(data=bkt_frame(space, train))
    predicted = model.predict(data=bkt_frame(space, test)).sort_values("order_id")
    return predicted["correct_predictions"].to_numpy().reshape(-1, len(space.skills))


def metrics(p: np.ndarray, y: np.ndarray) -> dict[str, float]:
    p = np.clip(p.ravel(), 1e-6, 1 - 1e-6)
    y = y.ravel()
    bins = np.minimum((p * 10).astype(int), 9)
    ece = sum(abs(p[bins == b].mean() - y[bins == b].mean()) * (bins == b).mean() for b in np.unique(bins))
    ranks = rankdata(p)
    positives = y.sum()
    auc = (ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * (len(y) - positives))
    return {
        "log_loss": float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))),
        "brier": float(np.mean((p - y) ** 2)),
        "ece": float(ece),
        "auc": float(auc),
    }


def evaluate(policy: str, space: Space, world) -> dict[str, dict[str, float]]:
    groups = by_learner(simulate(policy, space, world, 1, LEARNERS, ATTEMPTS))
    ids = sorted(groups)
    halves = [ids[: len(ids) // 2], ids[len(ids) // 2 :]]
    scores: dict[str, list[np.ndarray]] = {
        m: [] for m in ("lltm_elo", "lltm_elo_prior", "pybkt", "skill_mean")
    }
    truth = []
    for fold in range(2):
        train = {i: groups[i] for i in halves[fold]}
        test = {i: groups[i] for i in halves[1 - fold]}
        y = np.array([r["y"] for rows in test.values() for r in rows])
        truth.append(y)
        scores["lltm_elo"].append(predict_lltm(space, fit_lltm(space, train), test))
        scores["lltm_elo_prior"].append(predict_lltm(space, space.prior_model(), test))
        scores["pybkt"].append(predict_bkt(space, train, test))
        mean = np.array([r["y"] for rows in train.values() for r in rows]).mean(axis=0)
        scores["skill_mean"].append(np.tile(mean, (len(y), 1)))
    y_all = np.vstack(truth)
    return {name: metrics(np.vstack(parts), y_all) for name, parts in scores.items()}


def main() -> None:
    start = time.perf_counter()
    space = Space(get_spec("crane.bridge_lift"))
    world = load_world(str(RESULTS / "adaptive_surface.json"), space.prior_model())
    result = {
        "learners": LEARNERS,
        "attempts_per_learner": ATTEMPTS,
        "policies": {policy: evaluate(policy, space, world) for policy in ("random", "adaptive")},
    }
    result["elapsed_s"] = round(time.perf_counter() - start, 1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "adaptive_models.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    lines = [
        "# Learner-model prediction quality",
        "",
        f"{LEARNERS} simulated learners × {ATTEMPTS} attempts in the crane-scene world (wilson85 learning); "
        "per-skill next-attempt outcomes; 2-fold split by learner. Lower is better for log-loss, Brier and "
        "ECE (10 bins); AUC is meaningful on the random policy only.",
        "",
        "| policy | model | log-loss | Brier | ECE | AUC |",
        "|---|---|---|---|---|---|",
    ]
    for policy, models in result["policies"].items():
        for name, m in models.items():
            lines.append(
                f"| {policy} | {name} | {m['log_loss']:.4f} | {m['brier']:.4f} | {m['ece']:.4f} | {m['auc']:.3f} |"
            )
    for policy, models in result["policies"].items():
        best_other = min(models["pybkt"]["log_loss"], models["skill_mean"]["log_loss"])
        ratio = models["lltm_elo"]["log_loss"] / best_other
        lines.append(f"\n{policy}: lltm_elo log-loss / best baseline = {ratio:.3f}.")
    lines.append(f"\nRun time {result['elapsed_s']} s.")
    (RESULTS / "adaptive_models.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
