"""The rule engine on real motion: detections, abstention (occlusion, view), zones, thresholds, steps."""

import numpy as np
import pytest

from coach.context import DangerZone, FrameContext
from coach.engine import Coach, CoachConfig
from coach.reba import RebaInputs
from coach.temporal import Gate, Timing
from lab.bus.text import UserError
from vision import mocap
from vision.landmarks import Landmark as L


def run(frames, config=None, ctx=None, ctx_at=None):
    coach = Coach(config or CoachConfig())
    for frame in frames:
        coach.process(frame, ctx_at(frame.t) if ctx_at else (ctx or FrameContext()))
    coach.finish(frames[-1].t)
    return coach.events


def violations(events, rule_id):
    return [e for e in events if e.rule_id == rule_id and e.kind == "violation"]


@pytest.fixture(scope="module")
def stooped(walk, humanoid):
    episode = mocap.Episode("stooped_lift", 1.0, 3.0, mocap.straight_knee_lift())
    return mocap.render(
        walk, 4.0, camera=mocap.Camera(yaw_deg=60), episodes=[episode], noise=mocap.Noise(), humanoid=humanoid
    )


def test_gate_needs_duration_and_uses_hysteresis_and_cooldown():
    gate = Gate(Timing(enter=10, exit=5, min_duration=0.2, min_clear=0.15, cooldown=1.0))
    assert [gate.update(t, 20) for t in (0.0, 0.1)] == [None, None]
    assert gate.update(0.2, 20) == "start" and gate.onset == 0.0
    assert gate.update(0.3, 6) is None  # between exit and enter: still on
    assert gate.update(0.4, 1) is None and gate.update(0.5, 1) == "end"
    assert [gate.update(t, 20) for t in (0.6, 0.8, 1.0)] == [None, None, None]  # cooling down
    assert gate.update(1.6, 20) == "start"


def test_stooped_lift_is_flagged_with_value_and_cue(stooped):
    found = violations(run(stooped.frames), "ergo.stooped_lift")
    assert len(found) == 1
    event = found[0]
    assert 1.0 <= event.onset <= 1.6 and event.detected_at - 1.0 <= 0.8
    assert event.value > 60 and event.threshold == 45 and event.body_part == "back"
    assert "弯腰" in event.cue.zh and "knees" in event.cue.en


def test_squat_lift_is_not_a_stooped_lift(walk, humanoid):
    episode = mocap.Episode("squat", 1.0, 3.0, mocap.squat_lift())
    rec = mocap.render(
        walk, 4.0, camera=mocap.Camera(yaw_deg=60), episodes=[episode], noise=mocap.Noise(), humanoid=humanoid
    )
    assert violations(run(rec.frames), "ergo.stooped_lift") == []


def test_an_occluded_joint_never_raises_an_alarm(walk, humanoid):
    episode = mocap.Episode("stooped_lift", 1.0, 3.0, mocap.straight_knee_lift())
    hidden = mocap.Noise(occlusions=((0.0, 4.0, (L.LEFT_KNEE, L.RIGHT_KNEE)),))
    rec = mocap.render(
        walk, 4.0, camera=mocap.Camera(yaw_deg=60), episodes=[episode], noise=hidden, humanoid=humanoid
    )
    events = run(rec.frames)
    assert violations(events, "ergo.stooped_lift") == []
    abstained = [e for e in events if e.rule_id == "ergo.stooped_lift" and e.kind == "cannot_judge"]
    assert abstained and "hidden" in abstained[0].cue.en


def test_a_frontal_view_abstains_from_sagittal_rules(walk, humanoid):
    episode = mocap.Episode("stooped_lift", 1.0, 3.0, mocap.straight_knee_lift())
    rec = mocap.render(walk, 4.0, camera=mocap.Camera(yaw_deg=0), episodes=[episode], humanoid=humanoid)
    events = run(rec.frames)
    assert violations(events, "ergo.stooped_lift") == []
    assert any(
        e.kind == "cannot_judge" and "front" in e.cue.en for e in events if e.rule_id == "ergo.stooped_lift"
    )


def test_twist_counts_only_under_load(walk, humanoid):
    episode = mocap.Episode("twist", 1.0, 3.0, mocap.twist(40))
    rec = mocap.render(
        walk, 4.0, camera=mocap.Camera(yaw_deg=30), episodes=[episode], noise=mocap.Noise(), humanoid=humanoid
    )
    loaded = FrameContext(reba=RebaInputs(load_kg=8))
    assert len(violations(run(rec.frames, ctx=loaded), "ergo.trunk_twist_under_load")) == 1
    assert violations(run(rec.frames), "ergo.trunk_twist_under_load") == []


def test_rules_follow_the_step_and_thresholds_follow_the_scenario(stooped):
    by_step = CoachConfig(rules_by_step={"hook_on": ("danger_zone",), "lift": ("reba",)})
    assert (
        violations(run(stooped.frames, by_step, ctx=FrameContext(step_id="hook_on")), "ergo.stooped_lift")
        == []
    )
    assert violations(run(stooped.frames, by_step, ctx=FrameContext(step_id="lift")), "ergo.stooped_lift")
    lenient = CoachConfig(thresholds={"ergo.stooped_lift": {"enter": 80.0, "exit": 70.0}})
    assert violations(run(stooped.frames, lenient), "ergo.stooped_lift") == []


def test_bad_configuration_is_a_user_error():
    with pytest.raises(UserError, match="unknown coach rule: nope"):
        Coach(CoachConfig(rules=("nope",)))
    with pytest.raises(UserError, match="no threshold"):
        Coach(CoachConfig(thresholds={"ergo.stooped_lift": {"bogus": 1.0}}))


def test_danger_zone_only_while_the_machine_moves(walk, humanoid):
    rec = mocap.render(walk, 2.0, camera=mocap.Camera(yaw_deg=0), humanoid=humanoid)
    wrist = rec.frames[0].image[L.RIGHT_WRIST, :2]
    zone = DangerZone(
        "press", polygon=np.array([[0.0, wrist[1] - 0.1], [1.0, wrist[1] - 0.1], [1.0, 1.0], [0.0, 1.0]])
    )
    moving = FrameContext(machine_active=True, danger_zones=(zone,))
    events = violations(run(rec.frames, ctx=moving), "safety.danger_zone")
    assert len(events) == 1 and events[0].severity == "critical" and events[0].detected_at <= 0.1
    assert violations(run(rec.frames, ctx=FrameContext(danger_zones=(zone,))), "safety.danger_zone") == []


def test_floor_zone_through_a_homography(humanoid):
    """A floor zone at the trainee's right (floor metres via the camera's calibration homography)."""
    camera = mocap.Camera(yaw_deg=30)
    zone = DangerZone(
        "belt",
        np.array([[-0.3, 0.5], [0.3, 0.5], [0.3, 1.1], [-0.3, 1.1]]),
        "floor",
        camera.floor_homography(),
    )
    moving = FrameContext(machine_active=True, danger_zones=(zone,))
    arm_out = mocap.Episode("reach", 0.0, 2.0, lambda p, w: p, time_varying=mocap.signal_arm("right", 90))
    reaching = mocap.render(mocap.standing(), 1.5, camera=camera, episodes=[arm_out], humanoid=humanoid)
    resting = mocap.render(mocap.standing(), 1.5, camera=camera, humanoid=humanoid)
    found = violations(run(reaching.frames, ctx=moving), "safety.danger_zone")
    assert len(found) == 1 and found[0].body_part == "right_hand"
    assert violations(run(resting.frames, ctx=moving), "safety.danger_zone") == []
    with pytest.raises(UserError, match="homography"):
        DangerZone("x", np.zeros((3, 2)), "floor")


def test_per_frame_reba_angles_and_scores(stooped):
    coach = Coach()
    result = coach.process(stooped.frames[60], FrameContext(reba=RebaInputs(load_kg=12, coupling="poor")))
    for key in (
        "trunk_flexion_deg",
        "knee_flexion_deg_left",
        "elbow_flexion_deg_right",
        "upper_arm_flexion_deg_left",
    ):
        assert key in result.angles
    assert result.reba["trunk"] >= 4 and result.reba["load"] == 2 and result.reba["coupling"] == 2
    assert result.reba["score_a"] == result.reba["table_a"] + 2
    assert 1 <= result.reba["reba"] <= 15
