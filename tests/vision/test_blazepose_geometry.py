"""The MediaPipe graph calculators reimplemented for the onnx backend, checked on their own."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from vision.blazepose import geometry as g


def test_ssd_anchors_match_the_detector_output_layout() -> None:
    anchors = g.ssd_anchor_centers()
    assert anchors.shape == (2254, 2)  # 28x28x2 + 14x14x2 + 7x7x6
    np.testing.assert_allclose(anchors[0], anchors[1])  # two anchors per cell
    np.testing.assert_allclose(anchors[0], [0.5 / 28, 0.5 / 28])
    np.testing.assert_allclose(anchors[1568], [0.5 / 14, 0.5 / 14])
    np.testing.assert_allclose(anchors[-1], [6.5 / 7, 6.5 / 7])


@pytest.mark.parametrize("rotation", [0.0, 0.5, -1.2, math.pi])
def test_crop_then_project_returns_a_point_to_where_it_was(rotation: float) -> None:
    image = np.zeros((300, 400, 3), np.uint8)
    cv2.circle(image, (260, 110), 3, (255, 255, 255), -1)
    roi = g.Roi(x_center=0.55, y_center=0.4, width=0.5, height=0.5 * 400 / 300, rotation=rotation)
    tensor = g.crop_to_tensor(image, roi, 256, (0.0, 1.0), cv2.BORDER_CONSTANT)
    weights = tensor[0, :, :, 0]
    rows, cols = np.mgrid[0:256, 0:256]
    col, row = (cols * weights).sum() / weights.sum(), (rows * weights).sum() / weights.sum()
    found = g.project_from_roi(np.array([[col / 256, row / 256, 0.0]]), roi)
    np.testing.assert_allclose(found[0, :2] * [400, 300], [260, 110], atol=0.5)


def test_letterbox_padding_is_removed_exactly() -> None:
    roi, padding = g.letterbox_roi(400, 200)
    assert (roi.width, roi.height) == (1.0, 2.0)
    np.testing.assert_allclose(padding, [0.0, 0.25, 0.0, 0.25])
    corners_in_tensor = np.array([[0.0, 0.25], [1.0, 0.75]])
    np.testing.assert_allclose(g.remove_letterbox(corners_in_tensor, padding), [[0, 0], [1, 1]])


def _raw_detection(center: tuple[float, float], size: float, points: list[tuple[float, float]]) -> np.ndarray:
    """One regressor row relative to an anchor at (0, 0), in detector pixels."""
    row = [center[0], center[1], size, size]
    for x, y in points:
        row += [x, y]
    return np.array(row) * g.DETECTOR_SIZE


def test_weighted_nms_averages_overlapping_boxes_by_score() -> None:
    anchors = np.zeros((3, 2), np.float32)
    raw = np.stack(
        [
            _raw_detection((0.50, 0.50), 0.2, [(0.5, 0.6), (0.5, 0.2), (0, 0), (0, 0)]),
            _raw_detection((0.52, 0.50), 0.2, [(0.6, 0.6), (0.5, 0.3), (0, 0), (0, 0)]),
            _raw_detection((0.10, 0.10), 0.1, [(0.1, 0.1), (0.1, 0.0), (0, 0), (0, 0)]),  # elsewhere
        ]
    )
    scores = np.log(np.array([3.0, 1.0, 9.0]) / 1.0)  # sigmoid -> 0.75, 0.5, 0.9
    best = g.decode_detection(raw, scores[:, None], anchors, min_score=0.6)
    assert best is not None and best.score == pytest.approx(0.9)
    np.testing.assert_allclose(best.keypoints[0], [0.1, 0.1])
    pair = g.decode_detection(raw[:2], scores[:2, None], anchors[:2], min_score=0.4)
    weights = np.array([0.75, 0.5]) / 1.25
    np.testing.assert_allclose(pair.keypoints[0], weights @ np.array([[0.5, 0.6], [0.6, 0.6]]))
    assert pair.score == pytest.approx(0.75)
    assert g.decode_detection(raw, scores[:, None], anchors, min_score=0.95) is None


@pytest.mark.parametrize(
    ("scale_point", "rotation"),
    [((0.5, 0.2), 0.0), ((0.8, 0.5), math.pi / 2), ((0.2, 0.5), -math.pi / 2)],
    ids=["upright", "head-right", "head-left"],
)
def test_roi_from_alignment_points_is_square_rotated_and_enlarged(
    scale_point: tuple[float, float], rotation: float
) -> None:
    roi = g.roi_from_alignment(np.array([0.5, 0.5]), np.array(scale_point), 640, 480)
    assert roi.rotation == pytest.approx(rotation)
    distance = math.hypot((scale_point[0] - 0.5) * 640, (scale_point[1] - 0.5) * 480)
    assert roi.width * 640 == pytest.approx(roi.height * 480) == pytest.approx(2 * distance * 1.25)


def test_heatmap_refinement_moves_a_landmark_to_the_confident_peak() -> None:
    heatmap = np.full((64, 64, 2), -10.0, np.float32)
    heatmap[20, 30, 0] = 10.0  # confident peak near landmark 0
    heatmap[40, 40, 1] = -1.0  # landmark 1: nothing confident -> untouched
    points = np.array([[31.5 / 64, 21.5 / 64], [40.2 / 64, 40.2 / 64]])
    refined = g.refine_from_heatmap(points, heatmap)
    np.testing.assert_allclose(refined[0], [30 / 64, 20 / 64], atol=2e-3)
    np.testing.assert_allclose(refined[1], points[1])
