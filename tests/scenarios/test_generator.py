"""The generator: instructor limits always hold, difficulty follows the learner's results."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.explain import explain
from scenarios.generator import generate
from scenarios.learner import AttemptOutcome, prior_state, update
from scenarios.overrides import Overrides
from scenarios.paramspace import Space
from scenarios.spec import get_spec

SPACE = Space(get_spec("crane.bridge_lift"))
MODEL = SPACE.prior_model()


def _run(results: list[bool], overrides: Overrides | None = None, seed: int = 0):
    """Generate and feed back `results` (all skills pass or fail together); return plans and final state."""
    overrides = overrides or Overrides()
    state = prior_state(len(SPACE.skills))
    rng = np.random.default_rng(seed)
    plans = []
    for passed in results:
        plan = generate(SPACE, MODEL, state, overrides, rng)
        plans.append(plan)
        scores = np.full(len(SPACE.skills), 1.0 if passed else 0.0)
        state = update(state, MODEL, AttemptOutcome(plan.x, SPACE.fault_vector(plan.faults), scores, passed))
    return plans, state


def _difficulty(plan) -> float:
    return float(MODEL.load(plan.x, SPACE.fault_vector(plan.faults)).sum())


def test_repeated_passes_make_it_harder_and_failures_easier():
    passes, _ = _run([True] * 8)
    fails, _ = _run([True] * 3 + [False] * 5)
    regular = [p for p in passes if not p.probe]
    assert len(regular) < len(passes)  # a certification probe was among them
    assert _difficulty(regular[-1]) > _difficulty(regular[0]) + 0.5
    after_failures = [p for p in fails[3:] if not p.probe]
    assert _difficulty(after_failures[-1]) < _difficulty(fails[2]) - 0.3


def test_every_fifth_attempt_is_a_certification_probe_within_instructor_limits():
    plans, _ = _run([True] * 10, Overrides(pins={"wind_mps": 2.0}, bounds={"rope_length_m": (3.0, 5.0)}))
    assert [p.probe for p in plans] == [False, False, False, False, True] * 2
    probe = plans[4]
    assert probe.params["wind_mps"] == 2.0 and 3.0 <= probe.params["rope_length_m"] <= 5.0
    assert probe.x[SPACE.names.index("corridor_width_m")] == pytest.approx(0.7, abs=0.01)
    assert "probe" in explain(SPACE, MODEL, prior_state(len(SPACE.skills)), probe)["focus"]["text"]["en"]


def test_parameters_stay_in_spec_ranges_and_predicted_focus_in_band_when_reachable():
    plans, _ = _run([True, True, False, True, True, False, True])
    for plan in plans:
        for axis in SPACE.axes:
            assert axis.min <= plan.params[axis.name] <= axis.max
        SPACE.spec.validate_params(SPACE.attempt_params(plan.x, plan.faults))
    last = plans[-1]  # the 7th attempt: a regular one
    assert not last.probe
    focus = SPACE.skills.index(last.focus)
    assert 0.65 <= last.p_skill[focus] <= 0.9


def test_each_attempt_gets_a_new_course_seed_and_varied_parameters():
    plans, _ = _run([True] * 5)
    assert len({p.seed for p in plans}) == 5
    assert len({tuple(np.round(p.x, 3)) for p in plans}) == 5


names = st.sampled_from([a.name for a in SPACE.axes])


@st.composite
def instructor_overrides(draw):
    pins, bounds = {}, {}
    for name in draw(st.lists(names, max_size=3, unique=True)):
        axis = SPACE.spec.parameters[name]
        value = draw(st.floats(axis.min, axis.max))
        pins[name] = float(round(value)) if axis.type == "int" else value
    for name in draw(st.lists(names, max_size=4, unique=True)):
        if name in pins:
            continue
        axis = SPACE.spec.parameters[name]
        a, b = sorted(draw(st.lists(st.floats(axis.min, axis.max), min_size=2, max_size=2)))
        if axis.type == "int":
            a, b = float(np.floor(a)), float(np.ceil(b))
        bounds[name] = (a, b)
    faults_in = frozenset(draw(st.lists(st.sampled_from(SPACE.faults), max_size=2)))
    return Overrides(
        pins=pins, bounds=bounds, faults_in=faults_in, max_change=draw(st.sampled_from([None, 0.1]))
    )


@settings(max_examples=40, deadline=None)
@given(instructor_overrides(), st.lists(st.booleans(), min_size=1, max_size=5), st.integers(0, 1000))
def test_instructor_pins_and_bounds_are_never_violated(overrides, results, seed):
    plans, _ = _run(results, overrides, seed)
    for plan in plans:
        for name, value in overrides.pins.items():
            assert plan.params[name] == pytest.approx(value, abs=1e-9)
        for name, (low, high) in overrides.bounds.items():
            assert low - 1e-9 <= plan.params[name] <= high + 1e-9
        assert set(overrides.faults_in) == set(plan.faults)


def test_excluded_faults_never_appear_and_max_change_bounds_the_step():
    overrides = Overrides(faults_out=frozenset(SPACE.faults), max_change=0.1)
    plans, _ = _run([True] * 6, overrides)
    assert all(plan.faults == () for plan in plans)
    for before, after in itertools.pairwise(plans):  # the instructor's limit binds the probes too
        free = [j for j, a in enumerate(SPACE.axes) if a.type != "int"]
        assert np.all(np.abs(after.x[free] - before.x[free]) <= 0.1 + 1e-3)


def test_instructor_band_and_focus_win_and_are_explained():
    overrides = Overrides(band=(0.55, 0.6), focus_skill="path_planning")
    plans, state = _run([True, True, True], overrides)
    plan = plans[-1]
    assert plan.focus == "path_planning"
    assert 0.55 <= plan.target <= 0.6
    record = explain(SPACE, MODEL, state, plan)
    assert record["focus"]["reason"] == "instructor"
    assert record["band"]["source"] == "instructor"
    assert "教师" in record["focus"]["text"]["zh"] and "instructor" in record["focus"]["text"]["en"]


def test_explanation_names_the_skill_that_moved_and_each_parameters_share():
    state = prior_state(len(SPACE.skills))
    plan = generate(SPACE, MODEL, state, Overrides(), np.random.default_rng(3))
    expected = MODEL.p_pass(state.mean, np.zeros(len(SPACE.skills)), plan.x, SPACE.fault_vector(plan.faults))
    scores = np.where(
        np.array(SPACE.skills) == "precision_placement", 1.0, expected
    )  # only this one surprises
    state = update(state, MODEL, AttemptOutcome(plan.x, SPACE.fault_vector(plan.faults), scores, True))
    plan = generate(SPACE, MODEL, state, Overrides(pins={"wind_mps": 5.0}), np.random.default_rng(4))
    record = explain(SPACE, MODEL, state, plan)
    assert record["moved"]["skill"] == "precision_placement"
    assert "Precision placement" in record["moved"]["text"]["en"]
    assert "精准落放" in record["moved"]["text"]["zh"]
    wind = next(p for p in record["parameters"] if p["name"] == "wind_mps")
    assert wind["value"] == 5.0 and "pinned" in wind["rules"]
    assert "5" in wind["rule_text"][0]["en"] and "锁定" in wind["rule_text"][0]["zh"]
    focus = record["focus"]["skill"]
    shares = [p["share_of_difficulty"] for p in record["parameters"] if p["skill"] == focus]
    assert sum(shares) == pytest.approx(1.0, abs=0.01)
