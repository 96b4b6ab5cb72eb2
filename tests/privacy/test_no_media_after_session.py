"""Done-when of the privacy issue: no image or video file exists on disk after a session run with
clip retention 0 — checked end to end, with a real camera-like video through real MediaPipe."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from lab.privacy.media import find_media_files
from lab.store.engine import make_engine, make_session_factory
from lab.store.migrate import upgrade
from scenarios.spec import get_spec
from station_app.runtime.operators import operator_for
from station_app.runtime.poses import video
from station_app.runtime.session import SessionSettings, StationSession
from vision.pipeline import PipelineSettings


def _camera_video(path: Path) -> Path:
    """One second of a real photo of a person, panning, as a camera would deliver it."""
    image = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, image.shape[1::-1])
    for shift in range(10):
        writer.write(np.roll(image, 3 * shift, axis=1))
    writer.release()
    return path


@pytest.mark.slow
def test_no_image_or_video_file_on_disk_after_a_session_with_clip_retention_0(tmp_path: Path) -> None:
    camera = (
        _camera_video(tmp_path / "camera" / "feed.mp4") if (tmp_path / "camera").mkdir() is None else None
    )
    data_dir = tmp_path / "data"
    engine = make_engine(f"sqlite:///{data_dir / 'shixun.db'}")
    upgrade(engine)
    settings = SessionSettings(
        station="st01",
        recordings_dir=data_dir / "recordings",
        clips_dir=data_dir / "clips",
        clip_retention_days=0,
        preview_next=False,
    )
    session = StationSession(
        make_session_factory(engine),
        get_spec("crane.bridge_lift"),
        "learner-privacy",
        operator_for("autopilot", "crane"),
        lambda _seconds, _seed: video(camera, PipelineSettings()),
        settings,
    )
    debrief = session.run(max_s=1.5)
    engine.dispose()

    assert debrief.coach["frames_judged"] == 10  # the camera's person really reached the coach
    assert Path(debrief.recording).is_file()  # keypoints and state were recorded ...
    assert find_media_files([data_dir]) == []  # ... but no image or video anywhere in the data dir
    assert find_media_files([tmp_path]) == [camera]  # only the camera's own input remains
