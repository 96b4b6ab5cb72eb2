"""Camera calibration: intrinsics from checkerboard views, the floor plane, image <-> floor mapping.

Intrinsics come from OpenCV's `calibrateCamera` over several views of a printed checkerboard
(inner-corner pattern and square size in metres). The floor plane comes from one more view with the
same board lying on the floor: `solvePnP` gives the board's pose, the board's first inner corner is
the floor origin, x runs along the pattern's columns and y along its rows. A point on the floor then
maps to the image through the homography K [r1 r2 t] (after undistortion), so the coach's danger zones,
drawn on the floor plan in metres, can be checked against a person's ankles in the image.
Each camera's result is stored as `<camera id>.json` in a folder the caller chooses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from lab.bus.text import UserError

FORMAT = "shixun.camera/1"
MIN_VIEWS = 3
_CAMERA_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_SUBPIX_CRITERIA = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 1e-3)


class CalibrationError(UserError):
    """Calibration input that cannot be used: too few boards found, unreadable file, bad id."""


@dataclass(frozen=True)
class Checkerboard:
    columns: int  # inner corners per row
    rows: int  # inner corners per column
    square_m: float

    @classmethod
    def parse(cls, pattern: str, square_m: float) -> Checkerboard:
        """`"9x6"` inner corners and the square size in metres."""
        match = re.fullmatch(r"(\d+)x(\d+)", pattern.strip())
        if not match or min(int(match[1]), int(match[2])) < 2 or not square_m > 0:
            raise CalibrationError(
                f"棋盘格应写作 列x行（内角点，如 9x6），方格边长为正数（米）：{pattern}, {square_m}",
                f"pattern must be COLUMNSxROWS inner corners (e.g. 9x6) and the square size positive (m): {pattern}, {square_m}",
            )
        return cls(int(match[1]), int(match[2]), float(square_m))

    def object_points(self) -> np.ndarray:
        """(N, 3) corner positions on the board plane (z = 0), metres, in OpenCV's corner order."""
        grid = np.mgrid[0 : self.columns, 0 : self.rows].T.reshape(-1, 2) * self.square_m
        return np.hstack([grid, np.zeros((len(grid), 1))]).astype(np.float32)


def find_corners(image: np.ndarray, board: Checkerboard) -> np.ndarray | None:
    """Sub-pixel inner corners (N, 1, 2) of the board in a BGR or grey image, or None."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    found, corners = cv2.findChessboardCorners(
        grey, (board.columns, board.rows), flags=cv2.CALIB_CB_ADAPTIVE_THRESH | cv2.CALIB_CB_NORMALIZE_IMAGE
    )
    if not found:
        return None
    return cv2.cornerSubPix(grey, corners, (5, 5), (-1, -1), _SUBPIX_CRITERIA)


@dataclass(frozen=True)
class CameraCalibration:
    camera: str
    image_size: tuple[int, int]  # width, height in pixels
    matrix: np.ndarray  # (3, 3) intrinsics K
    distortion: np.ndarray  # OpenCV distortion coefficients
    rms_px: float  # reprojection error of the intrinsic fit
    rvec: np.ndarray | None = None  # floor pose (board on the floor), Rodrigues vector
    tvec: np.ndarray | None = None

    @property
    def has_floor(self) -> bool:
        return self.rvec is not None and self.tvec is not None

    def _floor_homography(self) -> np.ndarray:
        """Floor (x, y metres) -> undistorted image pixels."""
        if not self.has_floor:
            raise CalibrationError(
                f"摄像头 {self.camera} 还没有地面标定", f"camera {self.camera} has no floor calibration yet"
            )
        rotation, _ = cv2.Rodrigues(self.rvec)
        return self.matrix @ np.column_stack([rotation[:, 0], rotation[:, 1], self.tvec.reshape(3)])

    def image_to_floor(self, points: np.ndarray, normalized: bool = True) -> np.ndarray:
        """(N, 2) image points (normalised [0, 1] like pose frames, or pixels) to floor metres."""
        pixels = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if normalized:
            pixels = pixels * self.image_size
        undistorted = cv2.undistortPoints(
            pixels.reshape(-1, 1, 2), self.matrix, self.distortion, P=self.matrix
        )
        floor = cv2.perspectiveTransform(undistorted, np.linalg.inv(self._floor_homography()))
        return floor.reshape(-1, 2)

    def floor_to_image(self, points: np.ndarray, normalized: bool = True) -> np.ndarray:
        """(N, 2) floor points in metres to image points (normalised, or pixels), with distortion."""
        floor = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        on_plane = np.hstack([floor, np.zeros((len(floor), 1))])
        pixels, _ = cv2.projectPoints(on_plane, self.rvec, self.tvec, self.matrix, self.distortion)
        pixels = pixels.reshape(-1, 2)
        return pixels / self.image_size if normalized else pixels

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "camera": self.camera,
            "image_size": list(self.image_size),
            "matrix": self.matrix.tolist(),
            "distortion": self.distortion.reshape(-1).tolist(),
            "rms_px": self.rms_px,
            "floor": None if not self.has_floor else {"rvec": self.rvec.tolist(), "tvec": self.tvec.tolist()},
        }

    @classmethod
    def from_json(cls, data: Any) -> CameraCalibration:
        """Validate and build; raises ValueError with the reason."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f'not a "{FORMAT}" document')
        try:
            matrix = np.array(data["matrix"], dtype=np.float64)
            distortion = np.array(data["distortion"], dtype=np.float64)
            width, height = (int(v) for v in data["image_size"])
            floor = data.get("floor")
            rvec = tvec = None
            if floor is not None:
                rvec = np.array(floor["rvec"], dtype=np.float64).reshape(3)
                tvec = np.array(floor["tvec"], dtype=np.float64).reshape(3)
            calibration = cls(
                str(data["camera"]), (width, height), matrix, distortion, float(data["rms_px"]), rvec, tvec
            )
        except (KeyError, TypeError, ValueError, OverflowError) as exc:  # int(inf) overflows
            raise ValueError(f"missing or malformed field ({exc})") from None
        if (
            matrix.shape != (3, 3)
            or not np.isfinite(matrix).all()
            or distortion.size not in (4, 5, 8, 12, 14)
        ):
            raise ValueError("matrix must be 3x3 and distortion have 4, 5, 8, 12 or 14 coefficients")
        return calibration


def calibrate_intrinsics(camera: str, images: Iterable[np.ndarray], board: Checkerboard) -> CameraCalibration:
    """Intrinsics from views of the board; needs the board found in at least MIN_VIEWS images."""
    check_camera_id(camera)
    image_points, size = [], None
    for image in images:
        size = (image.shape[1], image.shape[0])
        corners = find_corners(image, board)
        if corners is not None:
            image_points.append(corners)
    if len(image_points) < MIN_VIEWS:
        raise CalibrationError(
            f"只在 {len(image_points)} 张图像中找到棋盘格，至少需要 {MIN_VIEWS} 张",
            f"the checkerboard was found in {len(image_points)} images; at least {MIN_VIEWS} are needed",
        )
    objects = [board.object_points()] * len(image_points)
    rms, matrix, distortion, _, _ = cv2.calibrateCamera(objects, image_points, size, None, None)
    return CameraCalibration(camera, size, matrix, distortion.reshape(-1), float(rms))


def with_floor(calibration: CameraCalibration, image: np.ndarray, board: Checkerboard) -> CameraCalibration:
    """Add the floor plane from one image of the board lying on the floor."""
    corners = find_corners(image, board)
    if corners is None:
        raise CalibrationError(
            "地面图像中没有找到棋盘格", "the checkerboard was not found in the floor image"
        )
    found, rvec, tvec = cv2.solvePnP(
        board.object_points(), corners, calibration.matrix, calibration.distortion
    )
    if not found:
        raise CalibrationError("无法求出地面位姿", "could not solve the floor pose")
    return replace(calibration, rvec=rvec.reshape(3), tvec=tvec.reshape(3))


def check_camera_id(camera: str) -> str:
    if not _CAMERA_ID.fullmatch(camera):
        raise CalibrationError(
            "摄像头编号只能包含字母、数字和 _ . -（1–64 个字符）",
            "camera id may contain only letters, digits and _ . - (1-64 characters)",
        )
    return camera


def save_calibration(calibration: CameraCalibration, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{check_camera_id(calibration.camera)}.json"
    path.write_text(json.dumps(calibration.to_json(), indent=2), encoding="utf-8")
    return path


def load_calibration(directory: Path, camera: str) -> CameraCalibration:
    path = directory / f"{check_camera_id(camera)}.json"
    try:
        return CameraCalibration.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise CalibrationError(
            f"摄像头 {camera} 尚未标定", f"camera {camera} is not calibrated yet"
        ) from None
    except (OSError, ValueError, RecursionError) as exc:  # json recurses per nesting level
        raise CalibrationError(
            f"标定文件 {path} 无效：{exc}", f"calibration file {path} is not valid: {exc}"
        ) from None
