"""The calculators of MediaPipe's pose graph, as numpy/OpenCV functions.

Constants and formulas follow the graph files in the mediapipe 0.10.21 wheel
(`modules/pose_detection/pose_detection_cpu.pbtxt`, `modules/pose_landmark/*.pbtxt`) and the
calculators they name (SsdAnchorsCalculator, TensorsToDetectionsCalculator,
NonMaxSuppressionCalculator WEIGHTED, AlignmentPointsRectsCalculator, RectTransformationCalculator,
ImageToTensorCalculator, RefineLandmarksFromHeatmapCalculator, LandmarkProjectionCalculator).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

DETECTOR_SIZE = 224
LANDMARK_SIZE = 256
ANCHOR_STRIDES = (8, 16, 32, 32, 32)  # pose_detection_cpu.pbtxt, SsdAnchorsCalculatorOptions
ANCHORS_PER_LAYER = 2  # aspect ratio 1.0 plus the interpolated-scale anchor
SCORE_CLIP = 100.0
NMS_IOU = 0.3
ROI_SCALE = 1.25  # pose_detection_to_roi.pbtxt and pose_landmarks_to_roi.pbtxt
HEATMAP_KERNEL = 7  # tensors_to_pose_landmarks_and_segmentation.pbtxt
HEATMAP_MIN_CONFIDENCE = 0.5


@dataclass(frozen=True, slots=True)
class Roi:
    """A rotated rectangle in normalised image coordinates (MediaPipe's NormalizedRect)."""

    x_center: float
    y_center: float
    width: float
    height: float
    rotation: float  # radians, clockwise in image coordinates


@dataclass(frozen=True, slots=True)
class Detection:
    score: float
    box: np.ndarray  # xmin, ymin, xmax, ymax (normalised)
    keypoints: np.ndarray  # (4, 2): hip centre, full-body scale point, shoulder centre, upper-body point


def sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(values.astype(np.float64), -SCORE_CLIP, SCORE_CLIP)))


def ssd_anchor_centers(input_size: int = DETECTOR_SIZE) -> np.ndarray:
    """(2254, 2) anchor centres; all anchors are unit-sized (fixed_anchor_size: true)."""
    centers = []
    layer = 0
    while layer < len(ANCHOR_STRIDES):
        stride = ANCHOR_STRIDES[layer]
        repeats = 0
        while layer < len(ANCHOR_STRIDES) and ANCHOR_STRIDES[layer] == stride:
            repeats += ANCHORS_PER_LAYER
            layer += 1
        cells = math.ceil(input_size / stride)
        rows, cols = np.mgrid[0:cells, 0:cells]
        grid = np.stack([(cols + 0.5) / cells, (rows + 0.5) / cells], axis=-1).reshape(-1, 2)
        centers.append(np.repeat(grid, repeats, axis=0))
    return np.concatenate(centers).astype(np.float32)


def crop_to_tensor(
    image: np.ndarray, roi: Roi, size: int, value_range: tuple[float, float], border: int
) -> np.ndarray:
    """The ROI of `image`, rotated upright and resized to (1, size, size, 3) float32.

    Same corner mapping as ImageToTensorCalculator's OpenCV converter (boxPoints -> tensor corners).
    """
    height, width = image.shape[:2]
    rect = (
        (roi.x_center * width, roi.y_center * height),
        (roi.width * width, roi.height * height),
        math.degrees(roi.rotation),
    )
    corners = cv2.boxPoints(rect)  # bottom-left, top-left, top-right, bottom-right
    target = np.array([[0, size], [0, 0], [size, 0]], dtype=np.float32)
    matrix = cv2.getAffineTransform(corners[:3], target)
    crop = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=border)
    low, high = value_range
    tensor = crop.astype(np.float32)
    tensor *= (high - low) / 255.0
    tensor += low
    return tensor[np.newaxis]


def letterbox_roi(width: int, height: int) -> tuple[Roi, np.ndarray]:
    """Whole-image ROI padded to a square, and the padding (left, top, right, bottom) it adds."""
    side = max(width, height)
    roi = Roi(0.5, 0.5, side / width, side / height, 0.0)
    pad_x = (side - width) / (2 * side)
    pad_y = (side - height) / (2 * side)
    return roi, np.array([pad_x, pad_y, pad_x, pad_y])


def decode_detection(
    raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray, min_score: float
) -> Detection | None:
    """The best person after weighted NMS, in letterboxed tensor coordinates, or None."""
    scores = sigmoid(np.clip(raw_scores.reshape(-1), -SCORE_CLIP, SCORE_CLIP))
    keep = np.flatnonzero(scores >= min_score)
    if keep.size == 0:
        return None
    raw = raw_boxes.reshape(-1, 12)[keep] / DETECTOR_SIZE
    centers = anchors[keep]
    box_center = raw[:, 0:2] + centers
    half = raw[:, 2:4] / 2
    boxes = np.concatenate([box_center - half, box_center + half], axis=1)
    keypoints = raw[:, 4:12].reshape(-1, 4, 2) + centers[:, np.newaxis, :]
    scores = scores[keep]
    best = int(np.argmax(scores))
    overlapping = _iou(boxes, boxes[best]) > NMS_IOU
    weights = scores[overlapping]
    total = weights.sum()
    box = (boxes[overlapping] * weights[:, None]).sum(axis=0) / total
    points = (keypoints[overlapping] * weights[:, None, None]).sum(axis=0) / total
    return Detection(score=float(scores[best]), box=box, keypoints=points)


def _iou(boxes: np.ndarray, box: np.ndarray) -> np.ndarray:
    low = np.maximum(boxes[:, :2], box[:2])
    high = np.minimum(boxes[:, 2:], box[2:])
    intersection = np.prod(np.clip(high - low, 0, None), axis=1)
    areas = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    union = areas + np.prod(box[2:] - box[:2]) - intersection
    return np.where(union > 0, intersection / np.maximum(union, 1e-12), 0.0)


def remove_letterbox(points: np.ndarray, padding: np.ndarray) -> np.ndarray:
    """Tensor-normalised (x, y) points back to image-normalised coordinates."""
    left, top, right, bottom = padding
    scale = np.array([1 - left - right, 1 - top - bottom])
    return (points - padding[:2]) / scale


def roi_from_alignment(center: np.ndarray, scale_point: np.ndarray, width: int, height: int) -> Roi:
    """AlignmentPointsRectsCalculator (target angle 90 degrees) then RectTransformation 1.25, square."""
    size = np.array([width, height], dtype=np.float64)
    center_px = center * size
    scale_px = scale_point * size
    side = 2.0 * float(np.hypot(*(scale_px - center_px))) * ROI_SCALE
    delta = scale_px - center_px
    rotation = _normalize_radians(math.pi / 2 - math.atan2(-delta[1], delta[0]))
    return Roi(float(center[0]), float(center[1]), side / width, side / height, rotation)


def _normalize_radians(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def refine_from_heatmap(points: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """Replace x, y by the sigmoid-weighted centroid of the heatmap around each landmark.

    Truncation toward zero and a bounds check on the column and the row's lower side only, as
    MediaPipe's C++ does; the kernel shrinks at the heatmap's edges (zero border).
    """
    rows, cols, count = heatmap.shape
    col = (points[:, 0] * cols).astype(np.int64)
    row = (points[:, 1] * rows).astype(np.int64)
    offsets = np.arange(HEATMAP_KERNEL) - (HEATMAP_KERNEL - 1) // 2
    grid_rows, grid_cols = row[:, None] + offsets, col[:, None] + offsets  # (count, kernel)
    inside = ((grid_rows >= 0) & (grid_rows < rows))[:, :, None] & ((grid_cols >= 0) & (grid_cols < cols))[
        :, None, :
    ]
    values = heatmap[
        np.clip(grid_rows, 0, rows - 1)[:, :, None],
        np.clip(grid_cols, 0, cols - 1)[:, None, :],
        np.arange(count)[:, None, None],
    ]
    confidence = np.where(inside, sigmoid(values), 0.0)
    total = confidence.sum(axis=(1, 2))
    refine = (col >= 0) & (col < cols) & (row >= 0) & (total > 0)
    refine &= confidence.max(axis=(1, 2)) >= HEATMAP_MIN_CONFIDENCE
    refined = points.copy()
    safe_total = np.where(total > 0, total, 1.0)
    refined[refine, 0] = ((confidence * grid_cols[:, None, :]).sum(axis=(1, 2)) / cols / safe_total)[refine]
    refined[refine, 1] = ((confidence * grid_rows[:, :, None]).sum(axis=(1, 2)) / rows / safe_total)[refine]
    return refined


def project_from_roi(points: np.ndarray, roi: Roi) -> np.ndarray:
    """ROI-normalised (x, y, z) landmarks to image-normalised ones (LandmarkProjectionCalculator)."""
    cos, sin = math.cos(roi.rotation), math.sin(roi.rotation)
    x = points[:, 0] - 0.5
    y = points[:, 1] - 0.5
    projected = np.empty_like(points)
    projected[:, 0] = (cos * x - sin * y) * roi.width + roi.x_center
    projected[:, 1] = (sin * x + cos * y) * roi.height + roi.y_center
    projected[:, 2] = points[:, 2] * roi.width
    return projected


def rotate_world(points: np.ndarray, rotation: float) -> np.ndarray:
    """World landmarks rotated like the ROI (WorldLandmarkProjectionCalculator), no translation."""
    cos, sin = math.cos(rotation), math.sin(rotation)
    rotated = points.copy()
    rotated[:, 0] = cos * points[:, 0] - sin * points[:, 1]
    rotated[:, 1] = sin * points[:, 0] + cos * points[:, 1]
    return rotated
