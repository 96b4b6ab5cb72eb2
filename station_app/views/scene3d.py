"""The crane scene in 3D, drawn with QPainter from the sim's state snapshots (body poses, zones, wind).

pybullet's own camera is a CPU rasteriser far too slow for a live view, and an OpenGL context is not
available everywhere the apps run (offscreen tests, remote desktops), so the scene is projected here:
a pinhole camera orbiting the course, boxes as flat-shaded quads sorted back to front (painter's
algorithm). A few hundred vertices per frame, projected in one numpy call, keep a 960×540 view far
above 30 fps. Fed plain snapshot dicts (`CraneScene.snapshot()`, or one read back from the bus or a
recording), so the station, the replay and the mentor viewer all draw the same thing.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from PyQt6.QtCore import QPointF, Qt
from PyQt6.QtGui import (
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QPolygonF,
    QWheelEvent,
)
from PyQt6.QtWidgets import QSizePolicy, QWidget

from lab.bus.text import Lang, Text

HOOK_HALF = (0.2, 0.15, 0.25)  # the hook block's half extents (sim/crane/geometry.py)
GIRDER = 0.6  # bridge girder and runway beam cross-section, m (drawn only)
TROLLEY_SIZE = (1.4, 1.2, 0.5)
HUD_FONT = QFont("WenQuanYi Micro Hei", 11)
LIGHT = np.array([0.35, -0.5, 0.8]) / np.linalg.norm([0.35, -0.5, 0.8])
# Box corners (unit cube, ±1) and its faces as corner indices, counter-clockwise seen from outside.
_CORNERS = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=float)
_FACES = ((0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3))
_FACE_NORMALS = np.array([[-1, 0, 0], [1, 0, 0], [0, -1, 0], [0, 1, 0], [0, 0, -1], [0, 0, 1]], dtype=float)

BACKGROUND = QColor(28, 32, 40)
COLOURS = {
    "floor": QColor(58, 62, 68),
    "grid": QColor(78, 83, 90),
    "corridor": QColor(92, 110, 128, 170),
    "keep_out": QColor(230, 150, 40, 150),
    "people": QColor(220, 50, 50, 140),
    "target": QColor(60, 200, 110, 200),
    "pickup": QColor(200, 200, 200, 160),
    "steel": QColor(236, 180, 30),
    "trolley": QColor(210, 120, 30),
    "hook": QColor(60, 60, 60),
    "load": QColor(70, 140, 220),
    "obstacle": QColor(150, 110, 80),
    "rope": QColor(25, 25, 25),
}


def hud_text(snapshot: dict[str, Any], lang: Lang) -> str:
    """The overlay's line: time, total sway angle and wind speed, labels and units in `lang`."""
    axes = snapshot["axes"]
    sway = math.hypot(axes.get("sway_x_deg", 0.0), axes.get("sway_y_deg", 0.0))
    wind = math.hypot(*snapshot.get("wind_mps", [0.0, 0.0]))
    t, sway_s, wind_s = f"{snapshot['t']:6.1f}", f"{sway:4.1f}", f"{wind:4.1f}"
    return Text(
        f"时间 {t} 秒   摆角 {sway_s}°   风速 {wind_s} 米/秒",
        f"t {t} s   sway {sway_s}°   wind {wind_s} m/s",
    ).get(lang)


def quat_matrix(q: Any) -> np.ndarray:
    """Rotation matrix of a pybullet quaternion (x, y, z, w)."""
    x, y, z, w = (float(v) for v in q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def blend(a: dict[str, Any], b: dict[str, Any], alpha: float) -> dict[str, Any]:
    """Snapshot `b` with body positions, orientations (normalised lerp), axes and time taken
    `alpha` of the way from `a` (zones, step and events are `b`'s)."""
    lerp = lambda u, v: [x + alpha * (y - x) for x, y in zip(u, v, strict=True)]  # noqa: E731
    bodies = {}
    for name, body in b["bodies"].items():
        before = a["bodies"].get(name, body)
        q0, q1 = np.asarray(before["orientation"]), np.asarray(body["orientation"])
        q = q0 + alpha * ((q1 if np.dot(q0, q1) >= 0 else -q1) - q0)
        bodies[name] = {
            "position": lerp(before["position"], body["position"]),
            "orientation": list(q / np.linalg.norm(q)),
        }
    axes = {k: a["axes"].get(k, v) + alpha * (v - a["axes"].get(k, v)) for k, v in b["axes"].items()}
    return b | {"bodies": bodies, "axes": axes, "t": a["t"] + alpha * (b["t"] - a["t"])}


class Camera:
    """An orbit camera: looks at `target` from `distance` at `yaw` (about z) and `pitch` (above floor)."""

    def __init__(self, target: np.ndarray, distance: float, yaw_deg: float = -62.0, pitch_deg: float = 38.0):
        self.target, self.distance, self.yaw, self.pitch = target, distance, yaw_deg, pitch_deg

    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        """Eye position and the world→camera rotation (rows: right, up, forward)."""
        yaw, pitch = math.radians(self.yaw), math.radians(self.pitch)
        back = np.array([math.cos(pitch) * math.cos(yaw), math.cos(pitch) * math.sin(yaw), math.sin(pitch)])
        eye = self.target + self.distance * back
        forward = -back
        right = np.cross(forward, (0.0, 0.0, 1.0))
        right /= np.linalg.norm(right)
        up = np.cross(right, forward)
        return eye, np.stack([right, up, forward])


class Projection:
    """The camera's pinhole projection onto a view of a given size (fits the width of a 16:9 view)."""

    def __init__(self, camera: Camera, width: int, height: int) -> None:
        self.eye, self.rotation = camera.basis()
        self.cx, self.cy = width / 2, height / 2
        self.focal = 1.1 * min(width, height * 16 / 9) / 2

    def __call__(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Screen x, y (N, 2) and depth (N,) of world points (N, 3)."""
        cam = (points - self.eye) @ self.rotation.T
        depth = np.maximum(cam[:, 2], 0.05)
        screen = np.stack(
            [self.cx + self.focal * cam[:, 0] / depth, self.cy - self.focal * cam[:, 1] / depth], axis=1
        )
        return screen, cam[:, 2]


class SceneView(QWidget):
    """Draws the latest snapshot; `set_snapshot` schedules a repaint (nothing is drawn off the GUI thread).

    `arena` is (runway length, span) in metres; without it the extent is taken from the zones.
    Drag to orbit, wheel to zoom. `lang` is the overlay's language (the window sets it on a switch).
    """

    def __init__(self, arena: tuple[float, float] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(480, 270)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.arena = arena
        self.lang: Lang = "en"
        self.snapshot: dict[str, Any] | None = None
        self.camera: Camera | None = None
        self.frames_drawn = 0
        self._drag: QPointF | None = None
        self._floor_cache: tuple[tuple, dict[str, Any], QPixmap] | None = None
        self._glide: tuple[dict[str, Any], float, float] | None = None  # (from, since, interval)
        self._arrived = 0.0

    # --- feeding ---------------------------------------------------------------------------------

    def set_snapshot(self, snapshot: dict[str, Any] | None, smooth: bool = False) -> None:
        """Show `snapshot`; with `smooth`, repaints in between glide from the previous one to it over
        one update interval (the view runs one control step behind, so motion is fluid at any repaint
        rate, not in 20 Hz jumps)."""
        now = time.monotonic()
        if smooth and self.snapshot is not None and snapshot is not None:
            self._glide = (self.displayed(), now, max(1e-3, now - self._arrived))
        else:
            self._glide = None
        self.snapshot, self._arrived = snapshot, now
        if snapshot is not None and self.camera is None:
            self.camera = self._frame_camera(snapshot)
        self.update()

    def displayed(self) -> dict[str, Any] | None:
        """The snapshot as drawn now: the latest one, or on its way to it from the previous one."""
        if self._glide is None or self.snapshot is None:
            return self.snapshot
        start, since, interval = self._glide
        alpha = (time.monotonic() - since) / interval
        return self.snapshot if alpha >= 1.0 else blend(start, self.snapshot, alpha)

    def _extent(self, snapshot: dict[str, Any]) -> tuple[float, float]:
        if self.arena is not None:
            return self.arena
        zones = snapshot["zones"]
        xs = [r[2] for r in zones["corridor"] + zones["people_zones"]]
        ys = [r[3] for r in zones["corridor"] + zones["people_zones"]]
        return max(xs) + 3.0, max(ys) + 2.0

    def _frame_camera(self, snapshot: dict[str, Any]) -> Camera:
        length, span = self._extent(snapshot)
        height = float(snapshot["bodies"]["trolley"]["position"][2])
        target = np.array([length / 2, span / 2, height * 0.3])
        return Camera(target, 0.8 * math.hypot(length, span, height))

    def projection(self) -> Projection | None:
        """How world points land on this view now (None before the first snapshot)."""
        return None if self.camera is None else Projection(self.camera, self.width(), self.height())

    # --- interaction -----------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._drag = event.position()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None and self.camera is not None:
            delta = event.position() - self._drag
            self._drag = event.position()
            self.camera.yaw -= delta.x() * 0.3
            self.camera.pitch = min(85.0, max(5.0, self.camera.pitch + delta.y() * 0.3))
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        del event
        self._drag = None

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.camera is not None:
            self.camera.distance *= 0.9 if event.angleDelta().y() > 0 else 1.1
            self.update()

    # --- drawing ---------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        del event
        painter = QPainter(self)
        if self.snapshot is None or self.camera is None:
            painter.fillRect(self.rect(), BACKGROUND)
        else:
            frame = _Frame(self, self.displayed(), self.camera)
            painter.drawPixmap(0, 0, self._floor(frame))
            frame.draw_bodies(painter)
        painter.end()
        self.frames_drawn += 1

    def _floor(self, frame: _Frame) -> QPixmap:
        """The floor layer (grid, zones, target): it only changes with the camera, the size or the course,
        and its large antialiased polygons are most of a frame's cost, so it is drawn once and reused."""
        c = self.camera
        key = (c.yaw, c.pitch, c.distance, tuple(c.target), self.width(), self.height())
        zones = self.snapshot["zones"]
        if self._floor_cache is None or self._floor_cache[0] != key or self._floor_cache[1] != zones:
            pixmap = QPixmap(self.size())
            pixmap.fill(BACKGROUND)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            frame.draw_floor(painter)
            painter.end()
            self._floor_cache = (key, zones, pixmap)
        return self._floor_cache[2]


class _Frame:
    """One frame's projection and drawing (kept apart so the widget stays about Qt events)."""

    def __init__(self, view: SceneView, snapshot: dict[str, Any], camera: Camera) -> None:
        self.s = snapshot
        self.lang = view.lang
        self.project = Projection(camera, view.width(), view.height())
        self.eye = self.project.eye
        self.extent = view._extent(snapshot)

    def polygon(self, points: np.ndarray) -> QPolygonF:
        screen, _ = self.project(points)
        return QPolygonF([QPointF(x, y) for x, y in screen])

    def draw_floor(self, p: QPainter) -> None:
        """Everything on the floor: it is always behind the machine and the boxes standing on it."""
        (length, span), zones = self.extent, self.s["zones"]
        self._floor_rect(p, [-1.0, -1.0, length + 1.0, span + 1.0], COLOURS["floor"], 0.0)
        self._grid(p, length, span)
        for rect in zones["corridor"]:
            self._floor_rect(p, rect, COLOURS["corridor"])
        for rect in zones["keep_out"]:
            self._floor_rect(p, rect, COLOURS["keep_out"], 0.015)
        for rect in zones["people_zones"]:
            self._floor_rect(p, rect, COLOURS["people"], 0.02)
        self._circle(p, zones["target"]["centre"], zones["target"]["radius"], COLOURS["target"])
        self._circle(p, zones["pickup"], 0.8, COLOURS["pickup"], filled=False)

    def draw_bodies(self, p: QPainter) -> None:
        """The obstructions, the crane's steel, the trolley, rope, hook and load, far to near; the HUD."""
        s, (length, span) = self.s, self.extent
        zones, bodies = s["zones"], s["bodies"]
        trolley = bodies["trolley"]["position"]
        height, bx = float(trolley[2]), float(trolley[0])
        boxes: list[tuple[np.ndarray, np.ndarray, QColor]] = []  # (corners (8, 3), face normals, colour)
        for o in zones["obstacles"]:
            (x, y), (hx, hy, hz) = o["centre"], o["half_extents"]
            boxes.append(_box((x, y, hz), (hx, hy, hz), None, COLOURS["obstacle"]))
        for y in (0.0, span):  # runway beams on their columns
            boxes.append(
                _box((length / 2, y, height + GIRDER / 2), (length / 2, 0.2, 0.2), None, COLOURS["steel"])
            )
            for x in (0.0, length):
                boxes.append(_box((x, y, height / 2), (0.2, 0.2, height / 2), None, COLOURS["grid"]))
        boxes.append(
            _box((bx, span / 2, height + GIRDER), (GIRDER / 2, span / 2, GIRDER / 2), None, COLOURS["steel"])
        )
        half_trolley = tuple(v / 2 for v in TROLLEY_SIZE)
        boxes.append(_box((trolley[0], trolley[1], height + 0.25), half_trolley, None, COLOURS["trolley"]))
        hook, load = bodies["hook"], bodies["load"]
        boxes.append(_box(hook["position"], HOOK_HALF, hook["orientation"], COLOURS["hook"]))
        half_load = tuple(v / 2 for v in s.get("load_size", (1.2, 1.2, 1.0)))
        boxes.append(_box(load["position"], half_load, load["orientation"], COLOURS["load"]))
        self._draw_sorted(p, boxes, trolley, hook["position"])
        self._hud(p)

    def _floor_rect(self, p: QPainter, rect: list[float], colour: QColor, z: float = 0.01) -> None:
        x0, y0, x1, y1 = rect
        corners = np.array([[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]])
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawPolygon(self.polygon(corners))

    def _grid(self, p: QPainter, length: float, span: float) -> None:
        p.setPen(QPen(COLOURS["grid"], 1))
        lines = [((x, 0, 0), (x, span, 0)) for x in np.arange(0, length + 0.1, 2.0)]
        lines += [((0, y, 0), (length, y, 0)) for y in np.arange(0, span + 0.1, 2.0)]
        ends, _ = self.project(np.array([q for line in lines for q in line], dtype=float))
        for i in range(0, len(ends), 2):
            p.drawLine(QPointF(*ends[i]), QPointF(*ends[i + 1]))

    def _circle(
        self, p: QPainter, centre: list[float], radius: float, colour: QColor, filled: bool = True
    ) -> None:
        angles = np.linspace(0, 2 * math.pi, 40, endpoint=False)
        ring = np.stack(
            [centre[0] + radius * np.cos(angles), centre[1] + radius * np.sin(angles), np.full(40, 0.03)],
            axis=1,
        )
        p.setPen(QPen(colour.darker(130), 2))
        p.setBrush(colour if filled else Qt.BrushStyle.NoBrush)
        p.drawPolygon(self.polygon(ring))

    def _draw_sorted(self, p: QPainter, boxes: list, trolley: list[float], hook: list[float]) -> None:
        """Visible faces of every box and the rope, far to near (all boxes projected in one call)."""
        corners = np.stack([b[0] for b in boxes])  # (B, 8, 3)
        normals = np.stack([b[1] for b in boxes])  # (B, 6, 3)
        screen, depth = self.project(corners.reshape(-1, 3))
        faces = np.array(_FACES)  # (6, 4)
        face_corners = corners[:, faces]  # (B, 6, 4, 3)
        centres = face_corners.mean(axis=2)
        facing = np.einsum("bfk,bfk->bf", normals, self.eye - centres) > 0  # back faces are culled
        shade = 0.55 + 0.45 * np.clip(normals @ LIGHT, 0.0, None)
        index = (np.arange(len(boxes))[:, None, None] * 8 + faces[None]).reshape(len(boxes), 6, 4)
        face_depth = depth[index].mean(axis=2)
        items: list[tuple[float, Any]] = []
        for b, f in zip(*np.nonzero(facing), strict=True):
            items.append((float(face_depth[b, f]), (screen[index[b, f]], boxes[b][2], float(shade[b, f]))))
        rope_top = np.array([trolley[0], trolley[1], trolley[2]])
        rope_bottom = np.array(hook, dtype=float) + np.array([0, 0, HOOK_HALF[2]])
        (top, bottom), rope_depth = self.project(np.stack([rope_top, rope_bottom]))
        items.append((float(rope_depth.mean()), (np.stack([top, bottom]), None, 0.0)))
        items.sort(key=lambda item: -item[0])
        for _, (points, colour, light) in items:
            if colour is None:
                p.setPen(QPen(COLOURS["rope"], 2))
                p.drawLine(QPointF(*points[0]), QPointF(*points[1]))
                continue
            fill = QColor.fromRgbF(colour.redF() * light, colour.greenF() * light, colour.blueF() * light)
            p.setPen(QPen(fill.darker(140), 1))
            p.setBrush(fill)
            p.drawPolygon(QPolygonF([QPointF(x, y) for x, y in points]))

    def _hud(self, p: QPainter) -> None:
        """Time, sway and wind in the view's language, and a wind arrow."""
        wind = self.s.get("wind_mps", [0.0, 0.0])
        speed = math.hypot(*wind)
        p.setPen(QColor(235, 235, 235))
        p.setFont(HUD_FONT)
        p.drawText(QPointF(12, 22), hud_text(self.s, self.lang))
        if speed > 0.05:  # wind arrow, in the screen projection of the wind direction
            start = np.array([[self.extent[0] / 2, self.extent[1] / 2, 0.0]])
            tip = start + np.array([[wind[0], wind[1], 0.0]]) / speed
            (a, b), _ = self.project(np.concatenate([start, tip]))
            direction = (b - a) / max(1e-6, float(np.linalg.norm(b - a)))
            origin = np.array([60.0, 70.0])
            end = origin + 36 * direction
            p.setPen(QPen(QColor(120, 200, 255), 3))
            p.drawLine(QPointF(*origin), QPointF(*end))
            side = np.array([-direction[1], direction[0]])
            head = [end, end - 10 * direction + 6 * side, end - 10 * direction - 6 * side]
            p.setBrush(QColor(120, 200, 255))
            p.drawPolygon(QPolygonF([QPointF(*h) for h in head]))


def _box(centre: Any, half: Any, orientation: Any, colour: QColor) -> tuple[np.ndarray, np.ndarray, QColor]:
    """A box's 8 world corners and 6 face normals (rotated by a pybullet quaternion, if given)."""
    rotation = np.eye(3) if orientation is None else quat_matrix(orientation)
    corners = (_CORNERS * np.asarray(half, dtype=float)) @ rotation.T + np.asarray(centre, dtype=float)
    return corners, _FACE_NORMALS @ rotation.T, colour
