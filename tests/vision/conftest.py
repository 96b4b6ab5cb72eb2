"""Shared fixtures: a video made from real photographs, loaded backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from vision.backends.mediapipe_solution import SolutionPoseBackend
from vision.blazepose.pipeline import OnnxPoseBackend
from vision.samples import motion_frames, write_video


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
