"""The Tasks-API PoseLandmarker, used when a `.task` model (lite/full/heavy) is configured.

Google's `.task` bundles are not in the mediapipe wheel; a user who wants lite or heavy downloads one
once and points `vision.task_model` (or `--task-model`) at it. `write_full_model_bundle` makes a `.task`
from the full model the wheel does ship (adding the input-normalisation metadata the Tasks API needs),
so the Tasks API also runs fully offline. Video mode needs strictly increasing timestamps, which this
backend makes itself from a frame counter, so callers need not supply them.
"""

from __future__ import annotations

from pathlib import Path

import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions
from mediapipe.tasks.python import vision as mp_vision

from lab.bus.text import UserError
from vision.backends import Landmarks

FRAME_STEP_MS = 33
# (wheel file, name inside the bundle, input normalisation mean and std, output count)
_BUNDLE_PARTS = (
    ("pose_detection/pose_detection.tflite", "pose_detector.tflite", 127.5, 127.5, 2),  # to [-1, 1]
    ("pose_landmark/pose_landmark_full.tflite", "pose_landmarks_detector.tflite", 0.0, 255.0, 5),  # [0, 1]
)


def write_full_model_bundle(path: Path) -> Path:
    """Write a PoseLandmarker `.task` made of the wheel's own BlazePose detector and full landmark model."""
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, model_asset_bundle_utils

    from vision.blazepose.export import mediapipe_modules_dir

    modules = mediapipe_modules_dir()
    models = {}
    for wheel_file, bundle_name, mean, std, outputs in _BUNDLE_PARTS:
        writer = metadata_writer.MetadataWriter.create(bytearray((modules / wheel_file).read_bytes()))
        writer.add_image_input(norm_mean=[mean], norm_std=[std])
        for _ in range(outputs):
            writer.add_feature_output()
        models[bundle_name], _ = writer.populate()
    model_asset_bundle_utils.create_model_asset_bundle(models, str(path))
    return path


class TaskPoseBackend:
    name = "mediapipe"

    def __init__(self, model_path: Path, static: bool) -> None:
        if not model_path.is_file():
            raise UserError(f"找不到姿态模型文件：{model_path}", f"pose model file not found: {model_path}")
        mode = mp_vision.RunningMode.IMAGE if static else mp_vision.RunningMode.VIDEO
        options = mp_vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model_path)), running_mode=mode, num_poses=1
        )
        try:
            self._landmarker = mp_vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise UserError(
                f"不是有效的 PoseLandmarker 模型（.task）：{model_path}（{exc}）",
                f"not a valid PoseLandmarker model (.task): {model_path} ({exc})",
            ) from None
        self._static = static
        self._timestamp_ms = 0

    def estimate(self, rgb: np.ndarray) -> Landmarks:
        picture = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        if self._static:
            result = self._landmarker.detect(picture)
        else:
            self._timestamp_ms += FRAME_STEP_MS
            result = self._landmarker.detect_for_video(picture, self._timestamp_ms)
        if not result.pose_landmarks:
            return None, None
        image = np.array([(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks[0]])
        world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks[0]])
        return image, world

    def close(self) -> None:
        self._landmarker.close()
