"""Frame sources on real files: video (MJPG written by OpenCV), image folders, missing inputs."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from hardware.cameras import CameraError, ImageFolderSource, VideoCaptureSource, open_source
from hardware.cameras.sources import iterate
from lab.bus.text import UserError


def _frames(count: int) -> list[np.ndarray]:
    """A bright square moving right: frame i has its square at x = 10 i."""
    frames = []
    for i in range(count):
        image = np.zeros((120, 160, 3), np.uint8)
        image[40:80, 10 * i : 10 * i + 40] = (0, 0, 255)  # red in BGR
        frames.append(image)
    return frames


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "square.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (160, 120))
    for frame in _frames(8):
        writer.write(frame)
    writer.release()
    return path


def test_video_file_gives_every_frame_in_order_with_media_time(video: Path) -> None:
    source = open_source(str(video))
    assert isinstance(source, VideoCaptureSource) and not source.live
    assert source.fps == pytest.approx(25.0)
    frames = list(iterate(source))
    assert [f.index for f in frames] == list(range(8))
    assert [f.t for f in frames] == pytest.approx([i / 25.0 for i in range(8)])
    for i, frame in enumerate(frames):
        assert frame.image.shape == (120, 160, 3)
        columns = np.flatnonzero(frame.image[60, :, 2] > 128)  # the red channel stays channel 2 (BGR)
        assert columns.min() == pytest.approx(10 * i, abs=2)


def test_image_folder_reads_images_in_name_order_and_skips_other_files(tmp_path: Path) -> None:
    for i, frame in enumerate(_frames(3)):
        cv2.imwrite(str(tmp_path / f"frame_{i:02d}.png"), frame)
    (tmp_path / "notes.txt").write_text("not an image")
    source = open_source(str(tmp_path), image_fps=2.0)
    assert isinstance(source, ImageFolderSource) and not source.live
    frames = list(iterate(source))
    assert [f.t for f in frames] == [0.0, 0.5, 1.0]
    assert [int(np.flatnonzero(f.image[60, :, 2] > 128).min()) for f in frames] == [0, 10, 20]


def test_a_single_image_file_is_a_one_frame_source(tmp_path: Path) -> None:
    path = tmp_path / "one.jpg"
    cv2.imwrite(str(path), _frames(1)[0])
    assert len(list(iterate(open_source(str(path))))) == 1


@pytest.mark.parametrize(
    "make_spec",
    [
        lambda tmp: str(tmp / "missing.mp4"),  # no such file
        lambda tmp: str(tmp),  # an empty folder
        lambda tmp: "9",  # a camera index with no camera behind it
        lambda tmp: "rtsp://127.0.0.1:9/none",  # a stream nobody serves
    ],
    ids=["missing-file", "empty-folder", "no-camera", "dead-stream"],
)
def test_unusable_inputs_raise_one_user_error(tmp_path: Path, make_spec) -> None:
    with pytest.raises(CameraError) as error:
        open_source(make_spec(tmp_path))
    assert isinstance(error.value, UserError)
    assert error.value.message("zh") and error.value.message("en")


def test_a_file_that_is_no_video_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"this is not a video" * 100)
    with pytest.raises(CameraError):
        open_source(str(path))


def test_an_unreadable_image_in_a_folder_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "broken.png").write_bytes(b"\x89PNG garbage")
    source = open_source(str(tmp_path))
    with pytest.raises(CameraError, match=r"broken\.png"):
        source.read()
