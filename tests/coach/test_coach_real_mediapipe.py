"""The coach on REAL MediaPipe output: BlazePose (mp.solutions.pose, model_complexity=1, static mode) on
real photographs that ship with scikit-image and on a video made from them (vision/samples.py).

The mocap harness feeds the coach synthetic landmarks; this checks that what a real pose model gives
(its own depth errors, low visibility on cropped legs, empty frames) is judged sensibly: no crash, no
alarm and no hand signal from people standing at ease, REBA angles in plausible ranges, and rules that
need hidden joints abstaining instead of guessing.
"""

import cv2
import pytest

from coach.context import FrameContext
from coach.engine import Coach, CoachConfig
from coach.geometry import posture
from vision.backends.mediapipe_solution import SolutionPoseBackend
from vision.posestream import PoseFrame
from vision.samples import motion_frames, person_variants

STANDARDS = ("asme_b30", "gb5082", "eu_92_58")
ALARMS = ("violation", "signal", "malformed_signal")


@pytest.fixture(scope="module")
def estimates():
    backend = SolutionPoseBackend(static=True)
    try:
        yield {
            name: backend.estimate(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            for name, bgr in person_variants().items()
        }
    finally:
        backend.close()


def coach_events(frames, standard):
    coach = Coach(CoachConfig(signal_set=standard))
    for frame in frames:
        coach.process(frame, FrameContext())
    coach.finish(frames[-1].t)
    return coach.events


def held(image, world, seconds=2.0, fps=30.0):
    """A still photo as a video: the same pose for `seconds`."""
    return [PoseFrame(t=i / fps, image=image, world=world) for i in range(round(seconds * fps))]


@pytest.mark.parametrize("standard", STANDARDS)
def test_people_at_ease_raise_no_alarm_and_no_signal(estimates, standard):
    for name, (image, world) in estimates.items():
        assert image is not None, name
        events = coach_events(held(image, world), standard)
        assert [e.rule_id for e in events if e.kind in ALARMS] == [], name


def test_astronaut_angles_are_plausible_for_an_upright_portrait(estimates):
    for name in ("astronaut", "astronaut_wide", "astronaut_tall", "astronaut_mirrored"):
        p = posture(estimates[name][1])
        assert p.trunk_flexion_deg < 20 and abs(p.trunk_twist_deg) < 15, name
        assert abs(p.view_yaw_deg) < 30, name  # she faces the camera
        for arm in (p.left, p.right):  # upper arms down by the body, forearms holding the helmet
            assert arm.upper_arm_elevation_deg < 50, name
            assert 15 < arm.elbow_flexion_deg < 110, name
    yaw, mirrored = posture(estimates["astronaut"][1]), posture(estimates["astronaut_mirrored"][1])
    assert yaw.view_yaw_deg * mirrored.view_yaw_deg < 0  # a mirrored photo is seen from the other side


def test_rules_that_need_the_cropped_legs_abstain(estimates):
    image, world = estimates["astronaut"]  # a portrait: knees out of the picture
    events = coach_events(held(image, world), "asme_b30")
    abstained = {e.rule_id for e in events if e.kind == "cannot_judge"}
    assert "ergo.stooped_lift" in abstained
    assert all("hidden" in e.cue.en for e in events if e.rule_id == "ergo.stooped_lift")


def test_a_real_video_with_the_person_leaving_runs_through_the_coach():
    backend = SolutionPoseBackend(static=False)
    frames = []
    try:
        for i, bgr in enumerate(motion_frames()):
            image, world = backend.estimate(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            frames.append(PoseFrame(t=i / 30, image=image, world=world))
    finally:
        backend.close()
    assert any(f.image is None for f in frames) and any(f.image is not None for f in frames)
    for standard in STANDARDS:
        events = coach_events(frames, standard)
        assert [e.rule_id for e in events if e.kind in ALARMS] == []
