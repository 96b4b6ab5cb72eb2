"""Real photographs shipped in scikit-image, and a test video made from them, for tests and benchmarks.

`astronaut` (Eileen Collins) and `camera` (the cameraman) show a person; `coffee` and `chelsea`
show none. The video moves the person across the frame (translation and scale), with a stretch of
empty frames (the person left), so tracking, re-detection and `image: null` frames are all exercised.
Needs scikit-image (the `dev` extra); nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

PERSON_PHOTOS = ("astronaut", "camera")
EMPTY_PHOTOS = ("coffee", "chelsea")


def photo_bgr(name: str) -> np.ndarray:
    """A scikit-image sample as an OpenCV (BGR, 3-channel) image."""
    import skimage.data

    rgb = getattr(skimage.data, name)()
    if rgb.ndim == 2:
        return cv2.cvtColor(rgb, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def person_variants() -> dict[str, np.ndarray]:
    """Person photos as they are and in other shapes (letterboxing), mirrored and scaled (BGR)."""
    astronaut, camera = photo_bgr("astronaut"), photo_bgr("camera")
    return {
        "astronaut": astronaut,
        "camera": camera,
        "astronaut_wide": cv2.copyMakeBorder(astronaut, 0, 0, 160, 160, cv2.BORDER_REPLICATE),
        "astronaut_tall": np.ascontiguousarray(astronaut[:, 96:416]),
        "astronaut_mirrored": np.ascontiguousarray(astronaut[:, ::-1]),
        "camera_small": cv2.resize(camera, (256, 256), interpolation=cv2.INTER_AREA),
        "camera_wide": cv2.copyMakeBorder(camera, 0, 0, 0, 256, cv2.BORDER_CONSTANT),
    }


def motion_frames(
    count: int = 28, size: int = 320, empty_from: int = 14, empty_to: int = 20
) -> list[np.ndarray]:
    """The astronaut drifting right and zooming in; frames [empty_from, empty_to) are empty."""
    person = photo_bgr("astronaut")
    # An empty room: the photo's own wall colour. (A busy no-person photo is not enough: once
    # tracking, BlazePose keeps "seeing" a person in a cat or a coffee cup for many frames.)
    empty = np.full((size, size, 3), person[:64, :64].mean(axis=(0, 1)), dtype=np.uint8)
    frames = []
    for i in range(count):
        if empty_from <= i < empty_to:
            frames.append(empty.copy())
            continue
        scale = size / person.shape[1] * (0.8 + 0.01 * i)
        shift_x = -0.1 * size + 0.01 * size * i
        matrix = np.array(
            [[scale, 0, shift_x + size * (1 - scale * person.shape[1] / size) / 2], [0, scale, 0]]
        )
        frames.append(cv2.warpAffine(person, matrix, (size, size), borderMode=cv2.BORDER_REPLICATE))
    return frames


def write_video(path: Path, frames: list[np.ndarray], fps: float = 30.0) -> Path:
    """Motion-JPEG AVI: readable by every OpenCV build, no codec licences needed."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {path}")
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path
