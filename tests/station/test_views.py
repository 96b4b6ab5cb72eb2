"""The shared widgets on real data: the 3D scene from a real crane snapshot, the skeleton drawn by
real MediaPipe over a real photograph (skimage's astronaut), the cue banner."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from lab_world import screenshot
from PyQt6.QtGui import QColor
from skimage import data

from lab.bus.text import Text
from scenarios.spec import get_spec
from sim.operators.command import Command
from sim.runner import make_scene
from station_app.views.cue_banner import STYLE, CueBanner
from station_app.views.scene3d import COLOURS, SceneView, blend, hud_text
from station_app.views.skeleton import ALERT, BONE, SkeletonView
from vision.backends import create_backend
from vision.landmarks import Landmark
from vision.posestream import PoseFrame


def _near(colour: QColor, target: QColor, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour.getRgb()[:3], target.getRgb()[:3], strict=True))


@pytest.fixture(scope="module")
def snapshot() -> dict:
    spec = get_spec("crane.bridge_lift")
    scene = make_scene(spec)
    try:
        scene.reset(None, 3)
        for i in range(120):
            scene.step(Command(hoist=1.0) if i < 40 else Command(bridge=1.0))
        return scene.snapshot()
    finally:
        scene.close()


def test_scene_view_draws_the_load_where_the_snapshot_puts_it(qtbot, snapshot) -> None:
    view = SceneView((30.0, 12.0))
    qtbot.addWidget(view)
    view.resize(960, 540)
    view.set_snapshot(snapshot)
    view.show()
    image = view.grab().toImage()
    screenshot(view, "scene3d.png")
    project = view.projection()
    ((x, y),), _ = project(np.array([snapshot["bodies"]["load"]["position"]]))
    colour = image.pixelColor(round(x), round(y))
    assert colour.blue() > colour.red() + 60, colour.getRgb()  # a face of the blue load, lit or shaded
    ((tx, ty),), _ = project(np.array([[*snapshot["zones"]["target"]["centre"], 0.03]]))
    assert _near(image.pixelColor(round(tx), round(ty)), COLOURS["target"], 60)
    assert view.frames_drawn >= 1


def test_scene_overlay_labels_and_units_are_in_the_views_language(snapshot) -> None:
    shown = {"t": snapshot["t"], "axes": {"sway_x_deg": 3.0, "sway_y_deg": 4.0}, "wind_mps": [0.6, 0.8]}
    assert hud_text(shown, "zh") == f"时间 {snapshot['t']:6.1f} 秒   摆角  5.0°   风速  1.0 米/秒"
    assert hud_text(shown, "en") == f"t {snapshot['t']:6.1f} s   sway  5.0°   wind  1.0 m/s"
    zh, en = hud_text(snapshot, "zh"), hud_text(snapshot, "en")  # a real snapshot, no wind set
    assert all(label in zh for label in ("时间", "秒", "摆角", "风速", "米/秒")) and "sway" not in zh
    assert all(label in en for label in ("t ", " s ", "sway", "wind", "m/s")) and "摆角" not in en


def test_skeleton_over_a_real_photo_with_alert_colours(qtbot) -> None:
    photo = data.astronaut()
    backend = create_backend("mediapipe", static=True)
    try:
        image, world = backend.estimate(photo)
    finally:
        backend.close()
    assert image is not None
    view = SkeletonView()
    qtbot.addWidget(view)
    view.resize(512, 512)
    view.set_image(photo)
    view.set_pose(PoseFrame(0.0, image, world))
    view.set_alert({"left_arm"})
    view.show()
    shot = view.grab().toImage()
    screenshot(view, "skeleton_astronaut.png")
    area = view._frame_rect()

    def pixel(landmark: Landmark) -> QColor:
        x, y = image[landmark, 0], image[landmark, 1]
        return shot.pixelColor(round(area.x() + x * area.width()), round(area.y() + y * area.height()))

    middle = (image[Landmark.RIGHT_SHOULDER, :2] + image[Landmark.RIGHT_ELBOW, :2]) / 2
    bone = shot.pixelColor(
        round(area.x() + middle[0] * area.width()), round(area.y() + middle[1] * area.height())
    )
    assert _near(bone, BONE), bone.getRgb()  # the right upper arm: bone colour
    assert _near(pixel(Landmark.LEFT_ELBOW), ALERT), pixel(Landmark.LEFT_ELBOW).getRgb()  # flagged arm


def test_no_camera_still_shows_the_skeleton_and_says_why(qtbot) -> None:
    view = SkeletonView()
    qtbot.addWidget(view)
    view.resize(320, 240)
    points = np.zeros((33, 4))
    points[:, :2], points[:, 3] = 0.5, 1.0
    points[Landmark.LEFT_SHOULDER, :2] = (0.4, 0.3)
    points[Landmark.LEFT_HIP, :2] = (0.4, 0.7)
    view.set_pose(PoseFrame(0.0, points, np.zeros((33, 3))))
    view.show()
    shot = view.grab().toImage()
    area = view._frame_rect()
    flank = shot.pixelColor(round(area.x() + 0.4 * area.width()), round(area.y() + 0.5 * area.height()))
    assert _near(flank, BONE)
    view.set_pose(PoseFrame(1.0, None, None))  # nobody in view: nothing drawn, the view says so
    shot = view.grab().toImage()
    assert not _near(
        shot.pixelColor(round(area.x() + 0.4 * area.width()), round(area.y() + 0.5 * area.height())), BONE
    )


def test_cue_banner_colours_by_severity_and_flashes_critical_cues(qtbot) -> None:
    banner = CueBanner("zh")
    qtbot.addWidget(banner)
    cue = Text(zh="负载越过人员区域！", en="Load over the people zone!")
    banner.show_cue(cue, "warning")
    assert banner.text() == "⚠ 负载越过人员区域！" and STYLE["warning"][0] in banner.styleSheet()
    assert not banner._timer.isActive()
    banner.show_cue(cue, "critical")
    assert banner._timer.isActive() and STYLE["critical"][0] in banner.styleSheet()
    qtbot.waitUntil(lambda: not banner._timer.isActive(), timeout=5000)  # stops flashing, stays lit
    assert f"background: {STYLE['critical'][0]}" in banner.styleSheet()
    banner.set_lang("en")
    assert banner.text() == "⚠ Load over the people zone!"
    banner.clear_cue()
    assert banner.text() == "Coach: no cue"


def test_blend_glides_bodies_between_two_snapshots(snapshot) -> None:
    later = json.loads(json.dumps(snapshot))
    later["t"] += 0.05
    later["bodies"]["load"]["position"][0] += 0.1
    later["bodies"]["load"]["orientation"] = [0.0, 0.0, math.sin(0.1), math.cos(0.1)]  # 0.2 rad about z
    later["axes"]["bridge_x"] += 0.04
    half = blend(snapshot, later, 0.5)
    assert half["t"] == pytest.approx(snapshot["t"] + 0.025)
    assert half["bodies"]["load"]["position"][0] == pytest.approx(
        snapshot["bodies"]["load"]["position"][0] + 0.05
    )
    assert np.linalg.norm(half["bodies"]["load"]["orientation"]) == pytest.approx(1.0)
    assert half["axes"]["bridge_x"] == pytest.approx(snapshot["axes"]["bridge_x"] + 0.02)
    assert half["zones"] is later["zones"] and half["step"] == later["step"]
    end = blend(snapshot, later, 1.0)["bodies"]["load"]
    assert end["position"] == pytest.approx(later["bodies"]["load"]["position"])
    assert end["orientation"] == pytest.approx(later["bodies"]["load"]["orientation"])
