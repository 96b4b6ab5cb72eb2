"""Live changes on a running crane attempt (an instructor's wind and faults) and step tracking at landing."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from coach.steps import StepOrderChecker
from lab.bus.text import UserError
from scenarios.spec import get_spec
from sim.crane.scene import CONTROL_HZ, STEP_IDS, CraneScene
from sim.operators.command import NEUTRAL, Command
from sim.runner import OPERATOR_SEED_KEY, make_operator, run_attempt, trace_line

CALM = {"wind_mps": 0.0, "gust_mps": 0.0}
# A generated course on which a low-skill autopilot's swinging load lifts a corner off the floor after
# touchdown: before landing was debounced the step went set_down → lower → set_down here.
BOUNCY = {
    "load_mass_kg": 2637.398359670179,
    "rope_length_m": 4.971598280561986,
    "wind_mps": 5.446559482112699,
    "gust_mps": 1.1870544672092258,
    "corridor_width_m": 5.695899737655436,
    "obstacle_count": 3,
    "target_tolerance_m": 0.2753509674915753,
    "time_limit_s": 164.277967536603,
    "initial_sway_deg": 8.2915272609371,
    "faults": ["drive_lag", "sudden_gust"],
}


@pytest.fixture(scope="module")
def spec():
    return get_spec("crane.bridge_lift")


@pytest.fixture
def scene(spec):
    s = CraneScene(spec)
    yield s
    s.close()


def autopilot_attempt(scene: CraneScene, skill: float, params: dict, seed: int) -> list:
    operator = make_operator(f"autopilot:{skill}", "crane")
    state = scene.reset(params, seed)
    operator.reset(scene, np.random.default_rng([seed, OPERATOR_SEED_KEY]))
    states = [state]
    while not scene.done:
        states.append(scene.step(operator.act(states[-1])))
    return states


def test_a_load_that_rocks_after_touchdown_keeps_the_set_down_step_and_the_coach_sees_no_disorder(scene):
    states = autopilot_attempt(scene, 0.5, BOUNCY, 31)
    entered = [e for s in states for e in s.events if e.startswith("step:")]
    assert entered == [f"step:{step}" for step in STEP_IDS[1:]]  # each step once, in order
    assert sum("touchdown" in s.events for s in states) == 1  # one landing, however the load rocks
    # The coach's step-order checker (as the runtime feeds it) finds nothing wrong in this attempt.
    checker = StepOrderChecker(STEP_IDS)
    found = [e for s in states for e in checker.update(s.t, s.step)] + checker.finish(states[-1].t)
    assert found == []


def test_hoisting_a_landed_load_off_again_is_a_new_touchdown_but_the_step_never_goes_back(scene):
    scene.reset(CALM, seed=0)
    scene.step(Command(estop=True))
    states = [scene.step(Command(hoist=-1.0)) for _ in range(40)]  # down onto the floor
    assert any("touchdown" in s.events for s in states) and states[-1].landed
    step = states[-1].step
    lifted = [scene.step(Command(hoist=1.0)) for _ in range(30)]  # a real re-lift, 0.4 m or so
    assert not lifted[-1].landed
    again = [scene.step(Command(hoist=-1.0)) for _ in range(60)]
    assert any("touchdown" in s.events for s in again)
    assert {s.step for s in lifted + again} == {step}


def test_set_wind_is_checked_against_the_spec_takes_effect_now_and_is_recorded(scene, spec):
    scene.reset(CALM, seed=0)
    assert scene.dt == pytest.approx(1 / CONTROL_HZ)
    for _ in range(10):
        scene.step(NEUTRAL)
    with pytest.raises(UserError, match="wind_mps"):
        scene.set_wind(spec.parameters["wind_mps"].max + 1)
    with pytest.raises(UserError, match="gust_mps"):
        scene.set_wind(3.0, -1.0)
    with pytest.raises(UserError, match="wrong type"):
        scene.set_wind("strong")
    change = scene.set_wind(7.5)  # the gust amplitude stays as it was (0 here)
    assert change == {"t": pytest.approx(0.5), "action": "set_wind", "wind_mps": 7.5, "gust_mps": 0.0}
    state = scene.step(NEUTRAL)
    assert "wind_changed" in state.events
    assert scene.wind.speed(state.t) == pytest.approx(7.5) and scene.wind.speed(0.2) == 0.0
    assert np.hypot(*scene.snapshot()["wind_mps"]) == pytest.approx(7.5)
    assert scene.result()["changes"] == [change]


def test_injected_faults_are_checked_start_now_and_are_recorded(scene, spec):
    scene.reset(CALM, seed=4)
    for _ in range(20):
        scene.step(NEUTRAL)
    with pytest.raises(UserError, match="no fault 'brake_fire'"):
        scene.inject_fault("brake_fire")
    change = scene.inject_fault("sudden_gust")
    with pytest.raises(UserError, match="already part of this attempt"):
        scene.inject_fault("sudden_gust")
    assert change == {"t": pytest.approx(1.0), "action": "inject_fault", "fault": "sudden_gust"}
    state = scene.step(NEUTRAL)
    assert {"fault_injected:sudden_gust", "fault:sudden_gust"} <= set(state.events)
    gust = spec.faults["sudden_gust"].settings
    assert scene.wind.speed(1.0 + gust["duration_s"] / 2) == pytest.approx(gust["peak_mps"])
    with pytest.raises(UserError, match="not a scene change"):
        scene.apply_change({"action": "flood"})
    assert scene.result()["changes"] == [change]


def test_drive_lag_injected_live_delays_the_bridge_from_then_on(scene):
    def first_move(inject: bool) -> float:
        scene.reset(CALM, seed=0)
        if inject:
            scene.inject_fault("drive_lag")
        state = scene.state
        while state.bridge_v == 0:
            state = scene.step(Command(bridge=1.0))
        return state.t

    assert first_move(True) - first_move(False) == pytest.approx(0.4, abs=0.05)


def test_no_change_once_the_attempt_has_ended(scene):
    scene.reset(CALM | {"faults": ["limit_switch_failure"]}, seed=0)
    while not scene.done:
        scene.step(Command(hoist=1.0))  # two-blocks: the attempt ends
    with pytest.raises(UserError, match="not running"):
        scene.set_wind(3.0)


def test_an_attempt_changed_live_re_simulates_from_its_recorded_changes(scene, spec):
    operator = make_operator("autopilot:0.8", "crane")
    state = scene.reset(None, 5)
    operator.reset(scene, np.random.default_rng([5, OPERATOR_SEED_KEY]))
    live = io.StringIO()
    while state.t < 12.0 - 1e-9:
        if abs(state.t - 4.0) < 1e-9:
            scene.set_wind(9.0, 3.0)
        if abs(state.t - 7.0) < 1e-9:
            scene.apply_change({"action": "inject_fault", "fault": "hoist_brake_slip"})
        command = operator.act(state)
        state = scene.step(command)
        live.write(json.dumps(trace_line(state, command)) + "\n")
    original = scene.result()
    assert [c["action"] for c in original["changes"]] == ["set_wind", "inject_fault"]
    replayed_trace = io.StringIO()
    replayed = run_attempt(
        spec,
        original["params"],
        make_operator("autopilot:0.8", "crane"),
        5,
        trace=replayed_trace,
        duration=12.0,
        changes=original["changes"],
    )
    replayed.pop("wall_s"), replayed.pop("operator")
    assert replayed == original
    assert replayed_trace.getvalue() == live.getvalue()
    unchanged = run_attempt(
        spec, original["params"], make_operator("autopilot:0.8", "crane"), 5, duration=12.0
    )
    assert unchanged["metrics"] != original["metrics"]
