"""The onnxruntime pose backend: detector when tracking is lost, landmarks from the tracked ROI.

Needs only onnxruntime, numpy and OpenCV. Thresholds match `SolutionPoseBackend`
(min detection and tracking confidence 0.5), so both backends make the same pose-present decision.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from lab.bus.text import UserError
from vision.backends import Landmarks
from vision.blazepose import geometry as g
from vision.landmarks import NUM_LANDMARKS
from vision.smoothing import OneEuroFilter

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DETECTOR_MODEL = "pose_detection.onnx"
LANDMARK_MODEL = "pose_landmark_full.onnx"
LANDMARK_OUTPUTS = ["Identity", "Identity_1", "Identity_3", "Identity_4"]  # points, flag, heatmap, world
AUX_CENTER, AUX_SCALE = NUM_LANDMARKS, NUM_LANDMARKS + 1  # auxiliary landmarks 33, 34 give the next ROI
# pose_landmark_filtering.pbtxt smooths the auxiliary landmarks always (not only with smooth_landmarks),
# so that the tracked ROI is steady, with the alignment box's size (2 x centre-to-scale-point distance,
# in pixels) as object scale; MediaPipe's solution API stamps frames 1/30 s apart.
AUX_MIN_CUTOFF, AUX_BETA, AUX_DERIVATIVE_CUTOFF = 0.01, 10.0, 1.0
FRAME_STEP_S = 1 / 30


def providers_for(requested: str) -> list[str]:
    """The configured execution provider if this onnxruntime build has it, then CPU as fallback."""
    if requested not in ort.get_all_providers():
        raise UserError(
            f"未知的 onnxruntime 执行提供程序：{requested}",
            f"unknown onnxruntime execution provider: {requested}",
        )
    available = ort.get_available_providers()
    chosen = [requested] if requested in available else []
    return [*chosen, "CPUExecutionProvider"] if requested != "CPUExecutionProvider" else chosen


def open_session(path: Path, providers: list[str], threads: int) -> ort.InferenceSession:
    if not path.is_file():
        raise UserError(
            f"找不到 ONNX 模型：{path}（运行 shixun vision export-onnx）",
            f"ONNX model not found: {path} (run shixun vision export-onnx)",
        )
    options = ort.SessionOptions()
    # All levels, i.e. with the NCHWc layout optimisation: about 2.5x less CPU than basic/extended on these
    # models (measured). It adapts to the CPU's vector width, so it is applied on the box at load time,
    # never saved offline (onnxruntime: an offline-optimised model is only for identical hardware).
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # One bounded pool per process: never at full width beside another runtime's (see README).
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # No busy-waiting between runs: the box's cores are shared with capture, smoothing and the bus.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own exception types for bad files
        raise UserError(
            f"无法加载 ONNX 模型 {path}：{exc}", f"cannot load ONNX model {path}: {exc}"
        ) from None


class OnnxPoseBackend:
    name = "onnx"

    def __init__(
        self,
        static: bool,
        provider: str = "CPUExecutionProvider",
        model_dir: Path | None = None,
        threads: int = 2,
        min_detection: float = 0.5,
        min_tracking: float = 0.5,
    ) -> None:
        directory = model_dir or MODELS_DIR
        providers = providers_for(provider)
        self._detector = open_session(directory / DETECTOR_MODEL, providers, threads)
        self._landmarker = open_session(directory / LANDMARK_MODEL, providers, threads)
        self.providers = self._landmarker.get_providers()
        self.name = f"onnx:{self.providers[0]}"  # says which provider really runs (CPU if CUDA is absent)
        self._anchors = g.ssd_anchor_centers()
        self._static = static
        self._min_detection = min_detection
        self._min_tracking = min_tracking
        self._roi: g.Roi | None = None
        self._aux_filter = OneEuroFilter(AUX_MIN_CUTOFF, AUX_BETA, AUX_DERIVATIVE_CUTOFF)
        self._frame_time = 0.0
        self.detector_runs = 0

    def estimate(self, rgb: np.ndarray) -> Landmarks:
        self._frame_time += FRAME_STEP_S
        roi = None if self._static else self._roi
        if roi is None:
            roi = self._detect(rgb)
            if roi is None:
                return None, None
        landmarks = self._landmarks(rgb, roi)
        if landmarks is None:
            self.reset()
            return None, None
        image_points, world = landmarks
        if not self._static:
            self._roi = self._next_roi(image_points[[AUX_CENTER, AUX_SCALE], :2], rgb.shape)
        return image_points[:NUM_LANDMARKS], world

    def _next_roi(self, aux: np.ndarray, shape: tuple[int, ...]) -> g.Roi:
        """The tracked ROI for the next frame, from the smoothed auxiliary landmarks (in pixels)."""
        height, width = shape[:2]
        size = np.array([width, height], dtype=np.float64)
        pixels = aux * size
        scale = 2.0 * float(np.hypot(*(pixels[1] - pixels[0])))
        smoothed = self._aux_filter(self._frame_time, pixels, scale=max(scale, 1e-6)) / size
        return g.roi_from_alignment(smoothed[0], smoothed[1], width, height)

    def _detect(self, rgb: np.ndarray) -> g.Roi | None:
        height, width = rgb.shape[:2]
        self.detector_runs += 1
        whole, padding = g.letterbox_roi(width, height)
        tensor = g.crop_to_tensor(rgb, whole, g.DETECTOR_SIZE, (-1.0, 1.0), cv2.BORDER_CONSTANT)
        raw_boxes, raw_scores = self._detector.run(None, {"input_1": tensor})
        detection = g.decode_detection(raw_boxes, raw_scores, self._anchors, self._min_detection)
        if detection is None:
            return None
        keypoints = g.remove_letterbox(detection.keypoints, padding)
        return g.roi_from_alignment(keypoints[0], keypoints[1], width, height)

    def _landmarks(self, rgb: np.ndarray, roi: g.Roi) -> tuple[np.ndarray, np.ndarray] | None:
        tensor = g.crop_to_tensor(rgb, roi, g.LANDMARK_SIZE, (0.0, 1.0), cv2.BORDER_REPLICATE)
        raw, flag, heatmap, raw_world = self._landmarker.run(LANDMARK_OUTPUTS, {"input_1": tensor})
        if float(flag.reshape(-1)[0]) < self._min_tracking:
            return None
        values = raw.reshape(-1, 5).astype(np.float64)
        points = values[:, :3] / g.LANDMARK_SIZE
        points[:, :2] = g.refine_from_heatmap(points[:, :2], heatmap[0])
        image = np.empty((len(points), 4))
        image[:, :3] = g.project_from_roi(points, roi)
        image[:, 3] = g.sigmoid(values[:, 3])
        world = g.rotate_world(raw_world.reshape(-1, 3)[:NUM_LANDMARKS].astype(np.float64), roi.rotation)
        return image, world

    def reset(self) -> None:
        """Forget the tracked ROI, so the next frame runs the detector."""
        self._roi = None
        self._aux_filter.reset()

    def close(self) -> None:
        self._roi = None
