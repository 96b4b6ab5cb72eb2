"""The camera image with the pose skeleton drawn over it; with no camera, the skeleton alone.

Fed a PoseFrame (image-normalised landmarks, `vision.posestream`) and optionally the camera frame
(an RGB numpy array); landmarks with low visibility are left out rather than drawn in the wrong
place. Body parts the coach is flagging are drawn in the alert colour.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

from lab.bus.text import Text
from vision.landmarks import SKELETON_EDGES, Landmark
from vision.posestream import PoseFrame

MIN_VISIBILITY = 0.3
BONE, JOINT, ALERT = QColor(80, 230, 140), QColor(250, 250, 250), QColor(255, 70, 60)
# Coach body-part names (coach rules / signals) → the landmarks drawn in the alert colour.
_ARM_L = {Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST, Landmark.LEFT_INDEX}
_ARM_R = {Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST, Landmark.RIGHT_INDEX}
_TRUNK = {Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP}
_LEGS = {
    Landmark.LEFT_HIP,
    Landmark.LEFT_KNEE,
    Landmark.LEFT_ANKLE,
    Landmark.RIGHT_HIP,
    Landmark.RIGHT_KNEE,
    Landmark.RIGHT_ANKLE,
}
BODY_PARTS: dict[str, set[Landmark]] = {
    "left_arm": _ARM_L,
    "right_arm": _ARM_R,
    "both_arms": _ARM_L | _ARM_R,
    "hands": {Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST, Landmark.LEFT_INDEX, Landmark.RIGHT_INDEX},
    "back": _TRUNK,
    "trunk": _TRUNK,
    "legs": _LEGS,
    "feet": {Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE, Landmark.LEFT_FOOT_INDEX, Landmark.RIGHT_FOOT_INDEX},
}  # "whole_body" and anything else: the whole skeleton
NO_PERSON = Text(zh="画面中没有人", en="nobody in view")
NO_CAMERA = Text(zh="无摄像头：显示姿态来源的骨架", en="no camera: skeleton of the pose source")


def to_qimage(rgb: np.ndarray) -> QImage:
    """An RGB uint8 (H, W, 3) array as a QImage (copied: the array may be reused by the camera)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class SkeletonView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(240, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.image: QImage | None = None
        self.pose: PoseFrame | None = None
        self.alert: set[Landmark] = set()
        self.lang = "en"

    def set_image(self, rgb: np.ndarray | None) -> None:
        self.image = None if rgb is None else to_qimage(rgb)
        self.update()

    def set_pose(self, pose: PoseFrame | None) -> None:
        self.pose = pose
        self.update()

    def set_alert(self, body_parts: set[str]) -> None:
        """Draw these coach body parts in the alert colour (unknown names: the whole skeleton)."""
        marked: set[Landmark] = set()
        for part in body_parts:
            marked |= BODY_PARTS.get(part, set(Landmark)) if part else set()
        self.alert = marked
        self.update()

    def _frame_rect(self) -> QRectF:
        """Where the camera picture goes: its aspect ratio (4:3 without a camera), centred."""
        aspect = self.image.width() / self.image.height() if self.image is not None else 4 / 3
        w, h = self.width(), self.height()
        if w / h > aspect:
            return QRectF((w - h * aspect) / 2, 0, h * aspect, h)
        return QRectF(0, (h - w / aspect) / 2, w, w / aspect)

    def paintEvent(self, event: QPaintEvent) -> None:
        del event
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(18, 20, 24))
        area = self._frame_rect()
        if self.image is not None:
            p.drawImage(area, self.image)
        else:
            p.fillRect(area, QColor(34, 38, 46))
        p.setFont(QFont("WenQuanYi Micro Hei", 9))
        p.setPen(QColor(200, 200, 200))
        if self.image is None:
            p.drawText(area.adjusted(6, 4, -6, -4), Qt.AlignmentFlag.AlignTop, NO_CAMERA.get(self.lang))
        if self.pose is None or self.pose.image is None:
            if self.pose is not None:
                p.drawText(area, Qt.AlignmentFlag.AlignCenter, NO_PERSON.get(self.lang))
            p.end()
            return
        points = self.pose.image

        def at(i: int) -> QPointF:
            return QPointF(area.x() + points[i, 0] * area.width(), area.y() + points[i, 1] * area.height())

        visible = points[:, 3] >= MIN_VISIBILITY
        for a, b in SKELETON_EDGES:
            if visible[a] and visible[b]:
                colour = ALERT if a in self.alert and b in self.alert else BONE
                p.setPen(QPen(colour, 4, cap=Qt.PenCapStyle.RoundCap))
                p.drawLine(at(a), at(b))
        for i in {i for edge in SKELETON_EDGES for i in edge}:
            if visible[i]:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(ALERT if i in self.alert else JOINT)
                p.drawEllipse(at(i), 4, 4)
        p.end()
