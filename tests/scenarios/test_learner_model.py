"""Learner model and difficulty model: estimates follow evidence; the fit recovers known weights."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lab.bus.text import UserError
from scenarios.difficulty import DifficultyModel, PooledAttempts, fit
from scenarios.frontier import INITIAL_EDGE, Frontier, observe
from scenarios.learner import AttemptOutcome, group_prior, prior_state, replay, update
from scenarios.overrides import Overrides
from scenarios.paramspace import Space
from scenarios.spec import get_spec

SPACE = Space(get_spec("crane.bridge_lift"))
MODEL = SPACE.prior_model()
K, J, F = len(SPACE.skills), len(SPACE.axes), len(SPACE.faults)


def _outcome(scores, x=None, passed=True):
    return AttemptOutcome(np.full(J, 0.3) if x is None else x, np.zeros(F), np.asarray(scores, float), passed)


def test_success_raises_failure_lowers_and_evidence_shrinks_uncertainty():
    start = prior_state(K)
    up = update(start, MODEL, _outcome([1.0] * K))
    down = update(start, MODEL, _outcome([0.0] * K, passed=False))
    assert np.all(up.mean > start.mean) and np.all(down.mean < start.mean)
    mixed = replay(start, MODEL, [_outcome([1.0] * K), _outcome([0.0] * K, passed=False)] * 15)
    assert np.all(mixed.variance < start.variance / 2)
    split = replay(start, MODEL, [_outcome([1.0, 0.0, 1.0, 0.0])] * 5)
    assert split.mean[0] > split.mean[1]


def test_new_learner_starts_from_shrunk_class_prior():
    strong = [replay(prior_state(K), MODEL, [_outcome([1.0] * K)] * 20) for _ in range(10)]
    mean, var = group_prior(strong, K)
    assert np.all(mean > 0.3)
    assert np.all(mean < strong[0].mean)  # shrunk toward the population prior
    assert np.all(var > 0)
    mean0, var0 = group_prior([], K)
    assert np.all(mean0 == 0.0) and np.all(var0 == 1.0)


def test_fit_recovers_weights_of_a_known_world():
    rng = np.random.default_rng(0)
    true = rng.uniform(0.0, 1.5, MODEL.weights.shape)  # far from the spec's prior
    n = 3000
    x = rng.uniform(0, 1, (n, J))
    theta = rng.normal(1.0, 1.0, (n, K))
    p = 1 / (1 + np.exp(-(theta - MODEL.intercept - x @ true.T)))
    y = (rng.random((n, K)) < p).astype(float)
    fitted = fit(MODEL, PooledAttempts(x, np.zeros((n, F)), theta, y), "test")
    assert np.abs(fitted.weights - true).mean() < np.abs(MODEL.weights - true).mean() / 2
    assert np.all(fitted.weights >= 0)
    assert fitted.calibrated.all()
    again = DifficultyModel.from_dict(json.loads(json.dumps(fitted.to_dict())))
    assert np.allclose(again.weights, fitted.weights) and again.version == "test"


def test_frontier_widens_after_passes_at_the_edge_and_shrinks_after_failures():
    uncal = np.zeros(J, bool)
    uncal[0] = True
    x = np.zeros(J)
    x[0] = INITIAL_EDGE
    frontier, events = Frontier.start(J), []
    for _ in range(4):
        frontier, events = observe(frontier, x, True, uncal)
    assert frontier.edge[0] > INITIAL_EDGE and events and events[0].passes == 4
    x[0] = frontier.edge[0]
    for _ in range(4):
        frontier, _ = observe(frontier, x, False, uncal)
    assert frontier.edge[0] == pytest.approx(INITIAL_EDGE)


def test_learner_overrides_win_over_class_overrides():
    cls = Overrides(pins={"wind_mps": 3.0}, band=(0.6, 0.7), faults_in=frozenset({"drive_lag"}))
    mine = Overrides(pins={"wind_mps": 5.0}, faults_out=frozenset({"drive_lag"}))
    merged = mine.merged_over(cls)
    assert merged.pins["wind_mps"] == 5.0 and merged.band == (0.6, 0.7)
    assert "drive_lag" not in merged.faults_in and "drive_lag" in merged.faults_out


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"band": [0.9, 0.5]},
        {"max_change": 2},
        {"bounds": {"wind_mps": [5, 1]}},
        {"nope": 1},
        {"pins": {"a": "x"}},
    ],
)
def test_malformed_overrides_are_user_errors(bad):
    with pytest.raises(UserError):
        Overrides.from_dict(bad)
