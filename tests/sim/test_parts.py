"""The pure parts of the crane: drives, course, shaping, commands and operator parsing."""

from __future__ import annotations

import numpy as np
import pytest

from lab.bus.text import UserError
from scenarios.spec import get_spec
from sim.crane.course import generate_course, rect_gap
from sim.crane.drives import AxisDrive
from sim.crane.shaping import brake_distance, plan_move
from sim.operators.base import IdleOperator, ReplayOperator
from sim.operators.command import SIGNAL_NAMES, Command, command_from_signal
from sim.runner import make_operator

SPEC = get_spec("crane.bridge_lift")


def drive(**kw) -> AxisDrive:
    args = dict(max_speed=1.0, accel=0.5, estop_decel=2.0, notches=4, latency_steps=0, low=-100.0, high=100.0)
    return AxisDrive(**(args | kw))


def test_drive_quantises_to_notches_and_ramps():
    d = drive()
    assert d.quantise(0.3) == 0.25 and d.quantise(-0.9) == -1.0 and d.quantise(0.1) == 0.0
    v = [d.step(1.0, 0.0, 0.1, False) for _ in range(30)]
    assert v[0] == pytest.approx(0.05) and v[9] == pytest.approx(0.5) and v[-1] == 1.0


def test_drive_latency_and_estop():
    d = drive(latency_steps=3)
    assert [d.step(1.0, 0.0, 0.1, False) for _ in range(4)][:3] == [0.0, 0.0, 0.0]
    for _ in range(30):
        d.step(1.0, 0.0, 0.1, False)
    assert d.step(1.0, 0.0, 0.1, True) == pytest.approx(0.8)  # e-stop brakes at its own, faster rate


def test_drive_slows_to_stop_at_its_end_of_travel():
    d = drive(high=1.0)
    position = 0.0
    for _ in range(200):
        position += d.step(1.0, position, 0.05, False) * 0.05
    assert position == pytest.approx(1.0, abs=0.03) and d.velocity == pytest.approx(0.0, abs=0.05)


def test_course_is_seeded_and_well_formed():
    params = SPEC.validate_params({"obstacle_count": 4})
    a = generate_course(params, SPEC.constants, np.random.default_rng(5))
    assert a == generate_course(params, SPEC.constants, np.random.default_rng(5))
    assert a != generate_course(params, SPEC.constants, np.random.default_rng(6))
    assert len(a.obstacles) == 4 and all(a.in_corridor(*o.centre) for o in a.obstacles)
    assert a.in_corridor(*a.pickup) and a.in_corridor(*a.target)
    assert all(rect_gap(a.people_zone, leg) > 0.5 for leg in a.corridor)
    assert 0 < a.highest_obstacle <= 1.2


def test_shaped_move_fits_the_distance():
    move = plan_move(20.0, 0.8, 0.4, 5.0, 4)
    assert move.level == 1.0 and 2 * move.brake_distance < 20.0
    short = plan_move(2.0, 0.8, 0.4, 5.0, 4)
    assert short.level == 0.5
    assert brake_distance(0.8, 0.4, 5.0) == pytest.approx(0.8 * 5.0 / 4 + 0.8 * 1.0 / 2)


def test_command_validates_and_round_trips():
    c = Command(bridge=0.5, trolley=-1.0, hoist=0.25, estop=False)
    assert Command.from_dict(c.to_dict()) == c and c.moving and not Command(estop=True).moving
    for bad in ({"bridge": 2.0}, {"hoist": float("nan")}, {"trolley": "fast"}, {"estop": 1}):
        with pytest.raises(UserError):
            Command(**bad)
    with pytest.raises(UserError):
        Command.from_dict({"bridge": 0.1, "boom": 1.0})


def test_hand_signals_map_to_commands():
    assert command_from_signal("emergency_stop").estop
    assert command_from_signal("hoist").hoist > 0 > command_from_signal("lower").hoist
    assert command_from_signal("trolley_left").trolley < 0 < command_from_signal("trolley_right").trolley
    assert command_from_signal("stop") == Command()
    assert {"hoist", "lower", "stop", "emergency_stop"} <= set(SIGNAL_NAMES)
    with pytest.raises(UserError, match="trolley_left"):
        command_from_signal("wave")


def test_operator_names(tmp_path):
    assert isinstance(make_operator("idle", "crane"), IdleOperator)
    assert make_operator("autopilot", "crane").name == "autopilot:1"
    assert make_operator("autopilot:0.3", "crane").name == "autopilot:0.3"
    for bad in ("autopilot:1.5", "autopilot:x", "human", "replay:", "idle:3"):
        with pytest.raises(UserError):
            make_operator(bad, "crane")
    log = tmp_path / "log.jsonl"
    log.write_text('{"bridge": 0.5, "trolley": 0, "hoist": 0, "estop": false}\n\n', encoding="utf-8")
    replay = make_operator(f"replay:{log}", "crane")
    assert isinstance(replay, ReplayOperator) and replay.commands == [Command(bridge=0.5)]
    assert replay.act(None) == Command(bridge=0.5) and replay.act(None) == Command()


def test_bad_replay_log_names_the_line(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text('{"bridge": 0.5}\n{"bridge": 7}\n', encoding="utf-8")
    with pytest.raises(UserError, match="line 2"):
        make_operator(f"replay:{log}", "crane")
    log.write_text("not json\n", encoding="utf-8")
    with pytest.raises(UserError, match="line 1"):
        make_operator(f"replay:{log}", "crane")
    with pytest.raises(UserError, match="not found"):
        make_operator(f"replay:{tmp_path / 'none.jsonl'}", "crane")
