"""Backends on real photographs: the pipeline equals raw MediaPipe; the onnx backend matches it."""

from __future__ import annotations

from pathlib import Path

import cv2
import mediapipe as mp
import numpy as np
import pytest

from hardware.cameras import open_source
from lab.bus.text import UserError
from vision.backends import create_backend
from vision.backends.mediapipe_tasks import write_full_model_bundle
from vision.blazepose.pipeline import OnnxPoseBackend, providers_for
from vision.pipeline import PipelineSettings, PosePipeline
from vision.samples import EMPTY_PHOTOS, PERSON_PHOTOS, person_variants, photo_bgr


def rgb(bgr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


@pytest.mark.parametrize("name", PERSON_PHOTOS)
def test_pipeline_from_an_image_file_equals_raw_mediapipe(tmp_path: Path, name: str) -> None:
    """No colour-order or resize mistake between the file on disk and the model."""
    import skimage.data

    picture = getattr(skimage.data, name)()
    picture = picture if picture.ndim == 3 else np.stack([picture] * 3, axis=-1)
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, smooth_landmarks=False) as pose:
        raw = pose.process(np.ascontiguousarray(picture))
    expected_image = np.array([(p.x, p.y, p.z, p.visibility) for p in raw.pose_landmarks.landmark])
    expected_world = np.array([(p.x, p.y, p.z) for p in raw.pose_world_landmarks.landmark])

    path = tmp_path / f"{name}.png"
    cv2.imwrite(str(path), cv2.cvtColor(np.ascontiguousarray(picture), cv2.COLOR_RGB2BGR))
    source = open_source(str(path))
    pipeline = PosePipeline.create(PipelineSettings(), static=True)
    frame = pipeline.process(source.read())
    pipeline.close()

    assert frame.image.shape == (33, 4) and frame.world.shape == (33, 3)
    np.testing.assert_allclose(frame.image, expected_image, atol=1e-6)
    np.testing.assert_allclose(frame.world, expected_world, atol=1e-6)


@pytest.mark.parametrize("name", EMPTY_PHOTOS)
def test_a_photo_without_a_person_gives_no_landmarks(mediapipe_static, onnx_static, name: str) -> None:
    picture = rgb(photo_bgr(name))
    assert mediapipe_static.estimate(picture) == (None, None)
    assert onnx_static.estimate(picture) == (None, None)


@pytest.mark.parametrize("name", list(person_variants()))
def test_onnx_backend_matches_mediapipe_within_one_percent(mediapipe_static, onnx_static, name: str) -> None:
    picture = rgb(person_variants()[name])
    expected, expected_world = mediapipe_static.estimate(picture)
    image, world = onnx_static.estimate(picture)
    assert expected is not None and image is not None  # the same pose-present decision
    error = np.abs(image[:, :2] - expected[:, :2]).max(axis=1)  # fraction of image width / height
    assert np.median(error) < 0.002
    assert np.mean(error < 0.01) >= 0.85  # nearly every landmark within 1 % of the image size
    assert error.max() < 0.05  # and none far off
    np.testing.assert_allclose(image[:, 3], expected[:, 3], atol=0.02)  # visibility
    assert np.median(np.abs(world - expected_world)) < 0.005  # metres


@pytest.mark.slow
def test_onnx_tracks_a_video_and_runs_the_detector_only_when_tracking_is_lost(motion_video: Path) -> None:
    mediapipe_video = create_backend("mediapipe", static=False)
    onnx_video = OnnxPoseBackend(static=False)
    source = open_source(str(motion_video))
    medians, decisions = [], []
    while (frame := source.read()) is not None:
        picture = rgb(frame.image)
        expected, _ = mediapipe_video.estimate(picture)
        image, _ = onnx_video.estimate(picture)
        decisions.append((expected is None, image is None))
        if expected is not None and image is not None:
            medians.append(np.median(np.abs(image[:, :2] - expected[:, :2]).max(axis=1)))
    mediapipe_video.close()
    assert all(a == b for a, b in decisions)  # the same pose-present decision on every frame
    assert (True, True) in decisions  # both let go of a person who left
    assert np.median(medians) < 0.04  # tracking chains agree (small model differences compound)
    # The detector runs on the first frame and after a frame without a person, never while tracking.
    lost_before = [i == 0 or decisions[i - 1][1] for i in range(len(decisions))]
    assert onnx_video.detector_runs == sum(lost_before) < len(decisions) / 2


def test_unknown_execution_provider_is_a_user_error() -> None:
    with pytest.raises(UserError, match="execution provider"):
        providers_for("NoSuchExecutionProvider")


def test_an_accelerator_that_is_not_installed_falls_back_to_cpu() -> None:
    backend = OnnxPoseBackend(static=True, provider="CUDAExecutionProvider")
    assert backend.providers[-1] == "CPUExecutionProvider"
    assert backend.name == f"onnx:{backend.providers[0]}"


def test_missing_onnx_models_name_the_export_command(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="export-onnx"):
        OnnxPoseBackend(static=True, model_dir=tmp_path)


def test_unknown_backend_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown pose backend"):
        create_backend("openpose", static=True)


@pytest.mark.parametrize("content", [None, b"PK\x03\x04 not really a task bundle"])
def test_a_missing_or_invalid_task_model_is_a_user_error(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "pose_landmarker_full.task"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError, match="task"):
        create_backend("mediapipe", static=False, task_model=path)


def test_tasks_api_runs_offline_on_the_wheels_full_model(
    tmp_path: Path, mediapipe_static, motion_video
) -> None:
    bundle = write_full_model_bundle(tmp_path / "pose_landmarker_full.task")
    picture = rgb(photo_bgr("astronaut"))
    expected, _ = mediapipe_static.estimate(picture)
    static = create_backend("mediapipe", static=True, task_model=bundle)
    image, world = static.estimate(picture)
    assert image.shape == (33, 4) and world.shape == (33, 3)
    assert np.median(np.abs(image[:, :2] - expected[:, :2])) < 0.005  # same model, Tasks-API graph
    assert static.estimate(rgb(photo_bgr("coffee"))) == (None, None)
    static.close()
    video = create_backend("mediapipe", static=False, task_model=bundle)
    source = open_source(str(motion_video))
    seen = [video.estimate(rgb(source.read().image))[0] is not None for _ in range(4)]
    video.close()
    assert seen == [True] * 4
