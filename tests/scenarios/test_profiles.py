"""Practice profiles: evidence from pooled progress, sticky assignment, instructor pin, explanation."""

import numpy as np
import pytest

from lab.bus.text import UserError
from scenarios import profiles
from scenarios.explain import explain, headline
from scenarios.generator import generate
from scenarios.learner import prior_state
from scenarios.overrides import Overrides
from scenarios.paramspace import Space
from scenarios.spec import get_spec

SPACE = Space(get_spec("crane.bridge_lift"))
MODEL = SPACE.prior_model()


def _segments(rate_stretch: float, rate_consolidate: float, learners: int = 12, seed: int = 0):
    """Per learner a run of 10 attempts with abilities rising at the profile's rate, plus noise."""
    rng = np.random.default_rng(seed)
    runs = []
    for i in range(learners):
        for name, rate in (("stretch", rate_stretch), ("consolidate", rate_consolidate)):
            runs.append((name, list(0.1 * i + rate * np.arange(10) + rng.normal(0, 0.02, 10))))
    return runs


def test_the_faster_profile_gets_most_learners_and_the_slower_keeps_a_floor():
    evidence = profiles.weigh(_segments(0.06, 0.02))
    assert evidence.shares["stretch"] == pytest.approx(1 - profiles.SHARE_FLOOR)
    assert evidence.progress["stretch"] == pytest.approx(0.06, abs=0.01)
    flipped = profiles.weigh(_segments(0.02, 0.06))
    assert flipped.shares["consolidate"] == pytest.approx(1 - profiles.SHARE_FLOOR)


def test_too_little_evidence_keeps_exploring_both_profiles_evenly():
    evidence = profiles.weigh(_segments(0.06, 0.02, learners=profiles.MIN_LEARNERS - 1))
    assert evidence.shares == profiles.DEFAULT_SHARES
    short = [("stretch", [0.0, 0.1, 0.2])] * 20 + [("consolidate", [0.0] * 10)] * 20
    assert profiles.weigh(short).learners["stretch"] == 0  # runs shorter than burn-in + minimum


def test_segments_split_runs_by_learner_and_profile_and_skip_unprofiled_attempts():
    learner = [1, 1, 1, 1, 2, 2]
    profile = ["stretch", "stretch", None, "stretch", "consolidate", "consolidate"]
    ability = np.arange(12, dtype=float).reshape(6, 2)
    runs = profiles.segments(learner, profile, ability)
    assert runs == [("stretch", [0.5, 2.5]), ("stretch", [6.5]), ("consolidate", [8.5, 10.5])]


def test_assignment_is_sticky_per_learner_and_follows_the_shares():
    keys = [f"crane.bridge_lift/s{i}" for i in range(400)]
    half = [profiles.assign(profiles.DEFAULT_SHARES, k).id for k in keys]
    assert half == [profiles.assign(profiles.DEFAULT_SHARES, k).id for k in keys]  # sticky
    assert 0.4 < half.count("stretch") / len(keys) < 0.6
    mostly = {"stretch": 0.9, "consolidate": 0.1}
    moved = [profiles.assign(mostly, k).id for k in keys]
    assert all(m == "stretch" for h, m in zip(half, moved, strict=True) if h == "stretch")  # monotone
    assert moved.count("stretch") / len(keys) > 0.8


def test_the_instructor_profile_wins_over_the_evidence():
    evidence = profiles.weigh(_segments(0.06, 0.02))
    choice = profiles.choose(evidence, "any", instructor_profile="consolidate")
    assert (choice.profile.id, choice.source) == ("consolidate", "instructor")
    with pytest.raises(UserError):
        Overrides.from_dict({"profile": "turbo"})
    assert Overrides.from_dict({"profile": "stretch"}).merged_over(Overrides()).profile == "stretch"


def test_stretch_makes_the_attempt_harder_and_the_explanation_says_why():
    state = prior_state(len(SPACE.skills))
    evidence = profiles.weigh(_segments(0.06, 0.02))
    plans = {
        name: generate(
            SPACE,
            MODEL,
            state,
            Overrides(),
            np.random.default_rng(1),
            profiles.Choice(profiles.PROFILES[name], "evidence", evidence),
        )
        for name in profiles.PROFILES
    }
    assert plans["stretch"].p_task < plans["consolidate"].p_task
    assert plans["stretch"].x.sum() > plans["consolidate"].x.sum()
    record = explain(SPACE, MODEL, state, plans["stretch"])
    assert record["profile"]["id"] == "stretch" and record["profile"]["source"] == "evidence"
    zh, en = headline(record, "zh")[-1], headline(record, "en")[-1]
    assert "拓展" in zh and "stretch" in en and "+0.06" in en
