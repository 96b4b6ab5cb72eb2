"""Held arms: an arm held still in a moving signal's posture is not that signal (issue 5).

ASME B30 stop is the arm extended to the side and moved back and forth horizontally; GB 5082 stop is the
forearm level before the chest swept out to one side (shared/reference/hand_signals.md §4.2, §4.3). An arm
held still in either pose, with a pose model's jitter, is no stop, nor is a level arm that the trunk turns.
A static signal is its held pose, and a held arm gives it.
"""

import numpy as np
from signal_world import signals_read

from coach import signals
from vision import mocap


def run(humanoid, standard, *arms, yaw=0.0, seed=0):
    """The signals recognised while a standing signaller holds `arms` from 1 s to 9 s (noisy landmarks)."""
    return signals_read(humanoid, standard, arms, 1.0, 9.0, yaw, seed)


def held_signals(humanoid, standard, *arms):
    """Every signal read over 12 holds of 8 s (96 s): four noise seeds from each of the harness's yaws."""
    return [
        signal
        for seed in range(4)
        for yaw in (-30.0, 0.0, 30.0)
        for signal in run(humanoid, standard, *arms, yaw=yaw, seed=seed)
    ]


# Judged over the whole posture run (up to 1.5 s), the extremes of a held arm's jitter passed for the
# start of a movement now and then: these 96 s read 2 stops (one arm), 1 (both arms) and 1 GB stop per arm.
def test_a_level_arm_held_to_the_side_is_no_asme_stop(humanoid):
    assert held_signals(humanoid, "asme_b30", mocap.signal_arm("right", 88)) == []


def test_both_level_arms_held_are_no_asme_stop(humanoid):
    assert (
        held_signals(humanoid, "asme_b30", *(mocap.signal_arm(side, 88) for side in ("left", "right"))) == []
    )


def test_a_forearm_held_before_the_chest_is_no_gb_stop(humanoid):
    for side in ("right", "left"):
        assert (
            held_signals(humanoid, "gb5082", mocap.arm_keyframes(side, [(0.0, *mocap.GB_CHEST)], 10.0)) == []
        )


# A push is read along the arm from where its own shoulder has been. Read from a point of the trunk's
# midline, which lies 0.18 m off the line of an arm held forward, the line's jitter passed for travel
# along it: these 144 s read 4 bridge signals, now none (the harness's held-arm table: 11 in 300 holds,
# now none).
def test_an_arm_held_forward_is_no_bridge_travel(humanoid):
    held = mocap.push_arm("right", "forward", travel_m=0.0)
    read = [
        signal
        for seed in range(3)
        for yaw in (55.0, 65.0, 75.0, 105.0, 115.0, 125.0)  # where forward pushes are judged
        for signal in run(humanoid, "asme_b30", held, yaw=yaw, seed=seed)
    ]
    assert read == []


def test_a_trunk_turned_with_an_arm_held_level_is_no_asme_stop(humanoid):
    # A signaller following the load turns the trunk 20–30° within 0.3–0.5 s, and the level arm turns
    # with it: in the lagging body frame its wrist swept forward and back about the shoulder like a swing.
    for angle, turn_s in ((25.0, 0.3), (-30.0, 0.4), (20.0, 0.5)):
        arm = mocap.signal_arm("right" if angle > 0 else "left", 88)
        turns = [mocap.trunk_turn(angle, start, turn_s, 0.8) for start in (2.5, 5.5)]
        for yaw in (-30.0, 0.0, 30.0):
            assert run(humanoid, "asme_b30", arm, *turns, yaw=yaw) == []


def test_the_fastest_trunk_turns_with_an_arm_held_level_are_no_asme_stop(humanoid):
    # The harness's fastest turn, 25° within 0.3 s, three times in 8 s (72 turns over eight noise seeds
    # from each of its yaws): early in a turn the body frame's lag sweeps the wrist before the shoulders'
    # jitter lets the turn show. With the 1 s line's angle at 5° (`TURN_REFERENCES`) these read 2 stops.
    arm = mocap.signal_arm("right", 88)
    turns = [mocap.trunk_turn(25.0, start, 0.3, 0.6) for start in (2.5, 4.5, 6.5)]
    read = [
        signal
        for seed in range(8)
        for yaw in (-30.0, 0.0, 30.0)
        for signal in run(humanoid, "asme_b30", arm, *turns, yaw=yaw, seed=seed)
    ]
    assert read == []


def test_the_arm_moved_back_and_forth_is_still_stop(humanoid):
    for seed in range(3):
        swing = mocap.signal_arm("left", 90, 20, 1.0)  # the harness's slowest, smallest stop swing
        assert run(humanoid, "asme_b30", swing, yaw=30.0, seed=seed) == ["stop"]
        both = [mocap.signal_arm(side, 90, 20, 1.0) for side in ("left", "right")]
        assert run(humanoid, "asme_b30", *both, seed=seed) == ["emergency_stop"]


def test_a_static_signal_is_its_held_pose(humanoid):
    up = mocap.signal_arm("right", 172)
    assert run(humanoid, "eu_92_58", up) == ["stop"]  # EU 92/58 stop: right arm up, held
    assert run(humanoid, "gb5082", up) == ["ready"]  # GB 5082 预备: arm up, held
    both = [mocap.signal_arm(side, 88) for side in ("left", "right")]
    assert run(humanoid, "eu_92_58", *both) == ["attention"]  # EU 92/58 attention: both arms level


def wrist_path(axis, early, late):
    """1.5 s of a wrist (lateral, up, forward): at `early` on `axis` in its first 0.2 s, then at 0, then
    moving to `late` over the last 8 frames."""
    path = np.zeros((45, 3))
    path[:6, axis] = early
    path[-8:, axis] = np.linspace(0.0, late, 8)
    return path


def test_a_movement_starts_from_where_the_wrist_was_lately_not_from_the_runs_extremes():
    # The wrist was 0.1 m back a second ago, then moved 0.12 m forward: the swing's extent over the run
    # (0.22 m) is no half stroke's, nor a sweep's 0.16 m out from a second ago a sweep out.
    assert signals.motion_strength("oscillate_forward", wrist_path(2, -0.1, 0.12)) == 0.0
    assert signals.motion_strength("sweep_out", wrist_path(0, -0.08, 0.08)) < 0.6
    # The same movements made within the last half stroke start a swing and a sweep.
    assert signals.motion_strength("oscillate_forward", wrist_path(2, 0.0, 0.22)) > 0.9
    assert signals.motion_strength("sweep_out", wrist_path(0, 0.0, 0.16)) > 0.6


def test_a_recognised_swing_keeps_going_on_the_whole_runs_extent():
    # Near a turning point the last half stroke spans less than a swing needs to start.
    assert signals.motion_strength("oscillate_forward", wrist_path(2, -0.1, 0.12), going=True) > 0.6
