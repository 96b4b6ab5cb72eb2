"""Calibration on rendered checkerboard views with a known camera: intrinsics, floor, mapping."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from station_app.cli.main import main
from vision.calibration import (
    CalibrationError,
    Checkerboard,
    calibrate_intrinsics,
    load_calibration,
    save_calibration,
    with_floor,
)

SIZE = (800, 600)
K = np.array([[700.0, 0, 400], [0, 700.0, 300], [0, 0, 1]])
BOARD = Checkerboard(columns=7, rows=5, square_m=0.05)
SQUARE_PX, MARGIN_PX = 40, 40


def _texture() -> np.ndarray:
    squares = np.indices((BOARD.rows + 1, BOARD.columns + 1)).sum(axis=0) % 2
    board = np.kron(squares, np.ones((SQUARE_PX, SQUARE_PX))) * 255
    return np.pad(board.astype(np.uint8), MARGIN_PX, constant_values=255)


def render(rvec: tuple[float, float, float], tvec: tuple[float, float, float]) -> np.ndarray:
    """The board seen by camera K from pose (rvec, tvec): a picture like a photographed print-out."""
    rotation, _ = cv2.Rodrigues(np.array(rvec, dtype=np.float64))
    plane_to_image = K @ np.column_stack([rotation[:, 0], rotation[:, 1], tvec])
    scale = BOARD.square_m / SQUARE_PX
    offset = -(MARGIN_PX + SQUARE_PX) * scale
    texture_to_plane = np.array([[scale, 0, offset], [0, scale, offset], [0, 0, 1]])
    view = cv2.warpPerspective(_texture(), plane_to_image @ texture_to_plane, SIZE, borderValue=200)
    return cv2.GaussianBlur(view, (3, 3), 0)


VIEWS = [
    ((0.0, 0.0, 0.0), (-0.15, -0.1, 0.8)),
    ((0.35, 0.0, 0.0), (-0.15, -0.1, 0.9)),
    ((-0.3, 0.2, 0.1), (-0.2, -0.05, 0.85)),
    ((0.0, 0.4, -0.1), (-0.1, -0.12, 0.9)),
    ((0.2, -0.35, 0.2), (-0.2, -0.1, 1.0)),
]
FLOOR_POSE = ((-1.1, 0.05, 0.02), (-0.15, 0.05, 1.0))  # board lying on the floor, camera looking down


@pytest.fixture(scope="module")
def calibrated():
    intrinsic = calibrate_intrinsics("cam1", [render(*v) for v in VIEWS], BOARD)
    return with_floor(intrinsic, render(*FLOOR_POSE), BOARD)


def test_intrinsics_are_recovered(calibrated) -> None:
    assert calibrated.image_size == SIZE
    assert calibrated.rms_px < 0.5
    np.testing.assert_allclose(np.diag(calibrated.matrix)[:2], [700, 700], rtol=0.02)
    np.testing.assert_allclose(calibrated.matrix[:2, 2], [400, 300], atol=8)


def test_image_points_map_to_the_floor_and_back(calibrated) -> None:
    rotation, _ = cv2.Rodrigues(np.array(FLOOR_POSE[0]))
    floor = np.array([[0.0, 0.0], [0.3, 0.0], [0.1, 0.2], [0.25, 0.15]])
    truth = (K @ (rotation @ np.hstack([floor, np.zeros((4, 1))]).T + np.array(FLOOR_POSE[1])[:, None])).T
    pixels = truth[:, :2] / truth[:, 2:]
    np.testing.assert_allclose(calibrated.image_to_floor(pixels / SIZE), floor, atol=0.005)  # 5 mm
    np.testing.assert_allclose(calibrated.floor_to_image(floor, normalized=False), pixels, atol=1.0)


def test_calibration_is_stored_per_camera(calibrated, tmp_path: Path) -> None:
    path = save_calibration(calibrated, tmp_path)
    assert path.name == "cam1.json"
    loaded = load_calibration(tmp_path, "cam1")
    np.testing.assert_allclose(loaded.matrix, calibrated.matrix)
    np.testing.assert_allclose(loaded.image_to_floor([[0.5, 0.5]]), calibrated.image_to_floor([[0.5, 0.5]]))


def test_too_few_boards_and_bad_files_are_user_errors(tmp_path: Path) -> None:
    blank = np.full((600, 800), 200, np.uint8)
    with pytest.raises(CalibrationError, match="at least 3"):
        calibrate_intrinsics("cam1", [render(*VIEWS[0]), blank, blank], BOARD)
    with pytest.raises(CalibrationError, match="not calibrated"):
        load_calibration(tmp_path, "cam2")
    (tmp_path / "cam3.json").write_text(json.dumps({"format": "shixun.camera/1", "matrix": [[1]]}))
    with pytest.raises(CalibrationError, match="not valid"):
        load_calibration(tmp_path, "cam3")
    with pytest.raises(CalibrationError, match="camera id"):
        load_calibration(tmp_path, "../etc")
    with pytest.raises(CalibrationError, match="COLUMNSxROWS"):
        Checkerboard.parse("9by6", 0.025)


def test_calibrate_command_writes_the_camera_file(tmp_path: Path, capsys) -> None:
    views = tmp_path / "views"
    views.mkdir()
    for i, view in enumerate(VIEWS):
        cv2.imwrite(str(views / f"view_{i}.png"), render(*view))
    floor_image = tmp_path / "floor.png"
    cv2.imwrite(str(floor_image), render(*FLOOR_POSE))
    out = tmp_path / "cameras"
    argv = ["--json", "vision", "calibrate", "--camera", "cam1", "--images", str(views), "--pattern", "7x5"]
    argv += ["--square", "0.05", "--floor-image", str(floor_image), "--out", str(out)]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["views"] == 5 and summary["floor"] is True
    assert load_calibration(out, "cam1").has_floor
