"""Shared fixtures: real photographs from scikit-image, a video made from them, loaded backends."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vision.backends.mediapipe_solution import SolutionPoseBackend
from vision.blazepose.pipeline import OnnxPoseBackend
from vision.samples import motion_frames, photo_bgr, write_video


def photo_variants() -> dict[str, np.ndarray]:
    """Person photos as they are and in other shapes (letterboxing), mirrored and scaled (BGR)."""
    astronaut, camera = photo_bgr("astronaut"), photo_bgr("camera")
    return {
        "astronaut": astronaut,
        "camera": camera,
        "astronaut_wide": cv2.copyMakeBorder(astronaut, 0, 0, 160, 160, cv2.BORDER_REPLICATE),
        "astronaut_tall": np.ascontiguousarray(astronaut[:, 96:416]),
        "astronaut_mirrored": np.ascontiguousarray(astronaut[:, ::-1]),
        "camera_small": cv2.resize(camera, (256, 256), interpolation=cv2.INTER_AREA),
        "camera_wide": cv2.copyMakeBorder(camera, 0, 0, 0, 256, cv2.BORDER_CONSTANT),
    }


@pytest.fixture(scope="session")
def motion_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_video(tmp_path_factory.mktemp("video") / "motion.avi", motion_frames())


@pytest.fixture(scope="module")
def mediapipe_static():
    backend = SolutionPoseBackend(static=True)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def onnx_static():
    return OnnxPoseBackend(static=True)


def rgb(bgr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
