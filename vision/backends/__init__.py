"""Pose backends: one RGB picture in, 33 image and 33 world landmarks out (or nothing seen).

`mediapipe` (default, lab PCs) runs BlazePose through MediaPipe; `mediapipe` with a `.task` model
runs the Tasks-API PoseLandmarker; `onnx` (edge boxes) runs the same BlazePose models through
onnxruntime with the MediaPipe graph reimplemented in numpy/OpenCV (`vision.blazepose`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from lab.bus.text import UserError

Landmarks = tuple[np.ndarray, np.ndarray] | tuple[None, None]
BACKENDS = ("mediapipe", "onnx")


class PoseBackend(Protocol):
    name: str

    def estimate(self, rgb: np.ndarray) -> Landmarks:
        """(image (33, 4), world (33, 3)) for the person in `rgb` (H, W, 3 uint8), or (None, None)."""
        ...

    def close(self) -> None: ...


def create_backend(
    name: str,
    *,
    static: bool,
    task_model: Path | None = None,
    onnx_provider: str = "CPUExecutionProvider",
    onnx_model_dir: Path | None = None,
    threads: int = 2,
) -> PoseBackend:
    """The backend the user chose; `static` picks per-image detection over video tracking."""
    if name == "mediapipe" and task_model is not None:
        from vision.backends.mediapipe_tasks import TaskPoseBackend

        return TaskPoseBackend(task_model, static=static)
    if name == "mediapipe":
        from vision.backends.mediapipe_solution import SolutionPoseBackend

        return SolutionPoseBackend(static=static)
    if name == "onnx":
        from vision.blazepose.pipeline import OnnxPoseBackend

        return OnnxPoseBackend(
            static=static, provider=onnx_provider, model_dir=onnx_model_dir, threads=threads
        )
    raise UserError(
        f"未知的姿态后端：{name}（可选：{', '.join(BACKENDS)}）",
        f"unknown pose backend: {name} (choose from {', '.join(BACKENDS)})",
    )
