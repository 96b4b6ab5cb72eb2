"""Pose streams from DeepMimic motion capture: format, MediaPipe axes, camera, perturbations."""

import itertools

import numpy as np
import pytest

from coach.geometry import posture
from vision import mocap
from vision.landmarks import Landmark as L
from vision.posestream import load_pose_stream


def test_clips_ship_with_pybullet():
    assert {"walk", "punch", "run"} <= set(mocap.available_clips())


def test_unknown_clip_is_a_user_error():
    with pytest.raises(mocap.UserError, match="no motion clip named nope"):
        mocap.Clip.load("nope")


def test_stream_round_trips_and_uses_mediapipe_axes(tmp_path, walk, humanoid):
    rec = mocap.render(walk, 1.0, camera=mocap.Camera(yaw_deg=0), humanoid=humanoid)
    path = tmp_path / "walk.jsonl"
    rec.write(path)
    header, frames = load_pose_stream(path)
    assert header.fps == 30 and len(frames) == 30
    w = frames[0].world
    assert np.allclose((w[L.LEFT_HIP] + w[L.RIGHT_HIP]) / 2, 0, atol=1e-4)  # hip-centred
    assert w[L.NOSE, 1] < w[L.LEFT_HIP, 1] < w[L.LEFT_ANKLE, 1]  # y down
    # Facing the camera: the person's left appears on the image's right, and the nose is nearer (z < 0).
    assert frames[0].image[L.LEFT_SHOULDER, 0] > frames[0].image[L.RIGHT_SHOULDER, 0]
    assert w[L.NOSE, 2] < 0
    assert 1.4 < float(np.linalg.norm(w[L.NOSE] - w[L.LEFT_ANKLE])) < 1.8  # a 1.62 m person
    assert ((frames[0].image[:, :2] > 0) & (frames[0].image[:, :2] < 1)).all()


def test_angles_do_not_depend_on_the_camera_but_the_view_does(walk, humanoid):
    front = mocap.render(walk, 0.5, camera=mocap.Camera(yaw_deg=0), humanoid=humanoid).frames[5]
    side = mocap.render(walk, 0.5, camera=mocap.Camera(yaw_deg=90), humanoid=humanoid).frames[5]
    a, b = posture(front.world), posture(side.world)
    assert a.knee_flexion_deg_left == pytest.approx(b.knee_flexion_deg_left, abs=0.5)
    assert a.trunk_flexion_deg == pytest.approx(b.trunk_flexion_deg, abs=0.5)
    assert abs(a.view_yaw_deg) < 10 and 80 < b.view_yaw_deg < 100


def test_perturbations_change_the_posture_as_labelled(walk, humanoid):
    def at(edit):
        episode = mocap.Episode("x", 0.0, 2.0, edit, ramp=0.01)
        return posture(mocap.render(walk, 1.0, episodes=[episode], humanoid=humanoid).frames[15].world)

    stooped = at(mocap.straight_knee_lift(70))
    assert stooped.trunk_flexion_deg == pytest.approx(70, abs=3)
    assert max(stooped.knee_flexion_deg_left, stooped.knee_flexion_deg_right) < 2
    squat = at(mocap.squat_lift())
    assert min(squat.knee_flexion_deg_left, squat.knee_flexion_deg_right) > 90
    assert at(mocap.overhead_reach("right")).right.upper_arm_elevation_deg > 150
    assert at(mocap.twist(40)).trunk_twist_deg > 30


def test_noise_and_occlusion(walk, humanoid):
    occluded = mocap.Noise(occlusions=((0.0, 1.0, (L.LEFT_KNEE,)),))
    rec = mocap.render(walk, 0.5, noise=occluded, humanoid=humanoid)
    clean = mocap.render(walk, 0.5, humanoid=humanoid)
    assert all(f.image[L.LEFT_KNEE, 3] < 0.5 for f in rec.frames)
    jitter = np.std([f.world - c.world for f, c in zip(rec.frames, clean.frames, strict=True)])
    assert 0.005 < jitter < 0.05


def test_noisy_copies_keep_the_clean_truth_and_misplace_hidden_points(walk, humanoid):
    clean = mocap.render(walk, 1.0, humanoid=humanoid)
    hidden = (L.RIGHT_WRIST, L.RIGHT_INDEX)
    noise = mocap.Noise(
        world_sigma_m=0.0,
        depth_sigma_m=0.0,
        image_sigma=0.0,
        occlusions=((0.5, 1.0, hidden),),
        occluded_sigma_m=0.05,
    )
    noisy = mocap.with_noise(clean, noise, seed=4)
    assert noisy.truth is clean.truth and len(noisy.frames) == len(clean.frames)
    for frame, truth in zip(noisy.frames, clean.frames, strict=True):
        error = np.linalg.norm(frame.world - truth.world, axis=1)
        if frame.t < 0.5:
            assert error.max() == 0 and (frame.image[:, 3] == truth.image[:, 3]).all()
        else:  # hidden: low visibility, a position guess that is off (and stays put), the rest exact
            assert (frame.image[list(hidden), 3] < 0.5).all() and error[list(hidden)].min() > 0
            assert np.delete(error, list(hidden)).max() == 0
    # Same seed, same stream; another seed, another stream.
    again = mocap.with_noise(clean, mocap.Noise(), seed=4)
    assert np.array_equal(
        again.frames[9].world, mocap.with_noise(clean, mocap.Noise(), seed=4).frames[9].world
    )
    assert not np.array_equal(
        again.frames[9].world, mocap.with_noise(clean, mocap.Noise(), seed=5).frames[9].world
    )


def test_random_occlusions_hide_workshop_groups_for_a_while():
    occlusions = mocap.random_occlusions(600.0, np.random.default_rng(1))
    assert 60 < len(occlusions) < 150  # one every ~6 s on average
    for start, end, group in occlusions:
        assert 0.3 <= end - start <= 2.0 and 0 <= start < 600 and group in mocap.OCCLUSION_GROUPS
    assert all(a[1] < b[0] for a, b in itertools.pairwise(occlusions))  # one at a time
