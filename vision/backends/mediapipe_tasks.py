"""The Tasks-API PoseLandmarker, used when a `.task` model (lite/full/heavy) is configured.

The `.task` bundles are not in the mediapipe wheel; the user downloads one once and points
`vision.task_model` (or `--task-model`) at it. Video mode needs strictly increasing timestamps,
which this backend makes itself from a frame counter, so callers need not supply them.
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
