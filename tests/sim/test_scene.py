"""The crane scene stepped by scripted operators: events, faults, snapshots and determinism."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys

import orjson
import pybullet as pb
import pytest

from scenarios.spec import get_spec
from sim.crane.scene import CONTROL_HZ, ROPE, CraneScene, CraneState
from sim.operators.command import NEUTRAL, Command
from sim.runner import make_operator, run_attempt

CALM = {"wind_mps": 0.0, "gust_mps": 0.0}


@pytest.fixture(scope="module")
def spec():
    return get_spec("crane.bridge_lift")


@pytest.fixture
def scene(spec):
    s = CraneScene(spec)
    yield s
    s.close()


def drive(scene: CraneScene, policy, seconds: float) -> list[CraneState]:
    """Step `policy(state) -> Command` until done or `seconds` pass; returns every state."""
    states = [scene.state]
    while not scene.done and scene.state.t < seconds:
        states.append(scene.step(policy(scene.state)))
    return states


def events(states: list[CraneState]) -> list[str]:
    return [e for s in states for e in s.events]


def test_rope_is_one_prismatic_link_under_a_free_two_axis_pivot(scene):
    scene.reset(CALM, seed=0)
    types = [pb.getJointInfo(scene.crane, j, physicsClientId=scene.client)[2] for j in range(6)]
    bridge_trolley_pivot = [pb.JOINT_PRISMATIC, pb.JOINT_PRISMATIC, pb.JOINT_REVOLUTE, pb.JOINT_REVOLUTE]
    assert types == [*bridge_trolley_pivot, pb.JOINT_PRISMATIC, pb.JOINT_FIXED]
    assert pb.getJointState(scene.crane, ROPE, physicsClientId=scene.client)[0] == pytest.approx(6.0)


def test_hoisting_shortens_the_rope_and_stops_at_the_upper_limit(scene):
    scene.reset(CALM, seed=0)
    states = drive(scene, lambda s: Command(hoist=1.0), 40.0)
    rope = [s.rope_m for s in states]
    assert rope[30] < rope[0]
    assert rope[-1] == pytest.approx(scene.geometry.min_rope, abs=0.05)
    assert "two_block" not in events(states)


def test_failed_limit_switch_lets_the_hook_two_block(scene):
    scene.reset(CALM | {"faults": ["limit_switch_failure"]}, seed=0)
    states = drive(scene, lambda s: Command(hoist=1.0), 60.0)
    assert "two_block" in events(states) and scene.done
    assert scene.result()["critical"] == ["two_block"] and scene.result()["score"] == 0.0


def test_brake_slip_lets_the_load_creep_down_at_neutral(scene, spec):
    scene.reset(CALM | {"faults": ["hoist_brake_slip"], "rope_length_m": 4.0}, seed=0)
    onset = scene.faults.onsets["hoist_brake_slip"]
    states = drive(scene, lambda s: NEUTRAL, onset + 2.0)
    assert "fault:hoist_brake_slip" in events(states)
    creep = spec.faults["hoist_brake_slip"].settings["creep_mps"]
    assert states[-1].rope_m - 4.0 == pytest.approx(creep * 2.0, rel=0.2)


def test_drive_lag_delays_the_bridge(scene):
    def first_move(faults):
        scene.reset(CALM | {"faults": faults}, seed=0)
        states = drive(scene, lambda s: Command(bridge=1.0), 3.0)
        return next(s.t for s in states if s.bridge_v > 0)

    assert first_move(["drive_lag"]) - first_move([]) == pytest.approx(0.4, abs=0.05)


def test_sudden_gust_raises_the_wind_at_its_onset(scene, spec):
    scene.reset(CALM | {"faults": ["sudden_gust"]}, seed=4)
    gust = spec.faults["sudden_gust"].settings
    onset = scene.faults.onsets["sudden_gust"]
    assert scene.wind.speed(onset + gust["duration_s"] / 2) == pytest.approx(gust["peak_mps"])
    assert scene.wind.speed(onset - 0.1) == 0.0


def test_travelling_without_hoisting_hits_the_obstruction(scene):
    scene.reset(CALM | {"obstacle_count": 1}, seed=0)
    states = drive(scene, lambda s: Command(estop=s.t < 0.2, bridge=0.5 if s.t > 0.5 else 0.0), 30.0)
    assert "collision" in events(states)
    assert scene.result()["deductions"]["collision"] > 0


def test_overshooting_the_corner_over_the_people_zone_fails_outright(scene):
    scene.reset(CALM | {"obstacle_count": 0}, seed=5)
    states = drive(scene, lambda s: Command(bridge=1.0, hoist=0.5), 60.0)
    result = scene.result()
    assert "load_over_people" in events(states) and scene.done
    assert result["passed"] is False and result["score"] == 0.0
    assert result["sub_scores"]["hazard_awareness"] == 0.0


def test_skipping_the_pre_lift_check_is_deducted(scene):
    scene.reset(CALM, seed=0)
    states = drive(scene, lambda s: Command(hoist=1.0), 1.0)
    assert "skipped_pre_lift_check" in events(states)
    assert states[-1].step == "hoist"


def test_task_chain_steps_follow_the_operator(scene):
    scene.reset(CALM, seed=0)
    steps = [s.step for s in drive(scene, lambda s: Command(estop=s.t < 0.3), 1.0)]
    assert steps[0] == "pre_lift_check" and steps[-1] == "hoist"


def test_touchdown_from_a_short_drop_is_detected_and_is_not_hard(scene):
    scene.reset(CALM, seed=0)
    states = drive(scene, lambda s: Command(estop=s.t < 0.3, hoist=-1.0 if s.t > 0.5 else 0.0), 10.0)
    touch = next(s for s in states if "touchdown" in s.events)
    assert "hard_landing" not in touch.events  # 0.2 m above the pad is too short to reach speed
    assert touch.landed


def test_hoist_down_stop_is_deducted(scene):
    scene.reset(CALM | {"obstacle_count": 0}, seed=0)
    scene.step_id = "lower"  # the lowering step over the target, reached by the operator elsewhere
    states = drive(scene, lambda s: Command(hoist=0.0 if 1.0 < s.t < 3.0 else -0.25), 4.0)
    assert events(states).count("hoist_down_stop") == 1


def test_snapshot_is_json_and_carries_bodies_axes_zones_and_activity(scene):
    scene.reset(CALM | {"obstacle_count": 3}, seed=0)
    idle = scene.snapshot()
    assert idle["machine_active"] is False and idle["step"] == "pre_lift_check"
    drive(scene, lambda s: Command(estop=s.t < 0.3, hoist=1.0 if s.t > 0.5 else 0.0), 2.0)
    snap = orjson.loads(orjson.dumps(scene.snapshot()))  # the recorder's encoder: no numpy scalars
    assert snap["machine_active"] is True
    assert set(snap["bodies"]) == {"bridge", "trolley", "hook", "load"}
    assert {"bridge_x", "trolley_y", "rope_m"} <= set(snap["axes"])
    assert snap["zones"]["people_zones"] and snap["zones"]["corridor"]
    assert len(snap["zones"]["keep_out"]) == len(scene.course.obstacles)
    assert snap["bodies"]["load"]["position"][2] < snap["bodies"]["hook"]["position"][2]


def run(spec, operator, seed, params=None, trace=None):
    return run_attempt(spec, params, make_operator(operator, "crane"), seed, trace=trace)


def test_same_inputs_give_identical_metrics_and_trace(spec):
    first, second = io.StringIO(), io.StringIO()
    a = run(spec, "autopilot:0.7", 11, {"wind_mps": 6.0, "gust_mps": 3.0}, first)
    b = run(spec, "autopilot:0.7", 11, {"wind_mps": 6.0, "gust_mps": 3.0}, second)
    a.pop("wall_s"), b.pop("wall_s")
    assert a == b
    assert first.getvalue() == second.getvalue() and first.getvalue()
    c = run(spec, "autopilot:0.7", 12, {"wind_mps": 6.0, "gust_mps": 3.0})
    assert c["metrics"] != a["metrics"]


def test_replaying_a_trace_reproduces_the_attempt(spec, tmp_path):
    path = tmp_path / "trace.jsonl"
    with path.open("w", encoding="utf-8") as trace:
        original = run(spec, "autopilot:0.9", 3, None, trace)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert {"t", "hook", "load", "sway_deg", "axes", "step", "events", "command"} <= set(lines[0])
    assert len(lines) == round(original["sim_s"] * CONTROL_HZ)
    replayed = run(spec, f"replay:{path}", 3)
    assert replayed["metrics"] == original["metrics"] and replayed["score"] == original["score"]


def test_result_carries_what_the_learner_model_reads(spec):
    result = run(spec, "autopilot", 0)
    assert result["scenario"] == "crane.bridge_lift" and result["spec_version"] == spec.version
    assert set(result["sub_scores"]) == set(spec.skill_ids)
    assert all(0.0 <= v <= 1.0 for v in result["sub_scores"].values())
    assert result["params"] == spec.validate_params(None)
    assert math.isclose(result["sim_s"], result["metrics"]["time_s"])


def test_separate_processes_write_byte_identical_traces(tmp_path):
    """Replays and audits re-simulate in another process: hash seeds and fresh engines must not matter."""
    script = (
        "import sys\n"
        "from scenarios.spec import get_spec\n"
        "from sim.runner import make_operator, run_attempt\n"
        "with open(sys.argv[1], 'w', encoding='utf-8') as trace:\n"
        "    run_attempt(get_spec('crane.bridge_lift'), {'gust_mps': 4.0}, make_operator('autopilot:0.5', 'crane'),"
        " 21, trace=trace, duration=20.0)\n"
    )
    paths = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    for path, hash_seed in zip(paths, ("1", "2"), strict=True):
        env = os.environ | {"PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", script, str(path)], check=True, env=env, capture_output=True)
    assert paths[0].read_bytes() == paths[1].read_bytes() and paths[0].stat().st_size > 0
    # And here, on a physics client reused from earlier scenes, the same bytes again.
    here = tmp_path / "here.jsonl"
    with here.open("w", encoding="utf-8") as trace:
        spec = get_spec("crane.bridge_lift")
        run_attempt(
            spec, {"gust_mps": 4.0}, make_operator("autopilot:0.5", "crane"), 21, trace=trace, duration=20.0
        )
    assert here.read_bytes() == paths[0].read_bytes()


def test_asking_for_the_result_mid_run_does_not_change_the_run(scene):
    scene.reset(CALM, seed=0)
    drive(scene, lambda s: NEUTRAL, 2.0)
    assert scene.result()["critical"] == ["not_completed"]  # not finished yet
    assert scene.metrics.events["not_completed"] == 0
