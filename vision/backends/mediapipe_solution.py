"""BlazePose through `mp.solutions.pose` with the full model that ships in the mediapipe wheel.

model_complexity=1 is the only complexity whose model is inside the wheel (0 and 2 download at
run time, which edge boxes and CI cannot). MediaPipe's own landmark smoothing is switched off:
smoothing is done by `vision.smoothing` for every backend alike, so backends stay comparable.
"""

from __future__ import annotations

import mediapipe as mp
import numpy as np

from vision.backends import Landmarks


class SolutionPoseBackend:
    name = "mediapipe"

    def __init__(self, static: bool, min_detection: float = 0.5, min_tracking: float = 0.5) -> None:
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=static,
            model_complexity=1,
            smooth_landmarks=False,
            enable_segmentation=False,
            min_detection_confidence=min_detection,
            min_tracking_confidence=min_tracking,
        )

    def estimate(self, rgb: np.ndarray) -> Landmarks:
        result = self._pose.process(rgb)
        if result.pose_landmarks is None:
            return None, None
        image = np.array([(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks.landmark])
        world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark])
        return image, world

    def close(self) -> None:
        self._pose.close()
