"""Pose frames and the pose-stream file format (`shixun.pose/1`, JSON lines; see DESIGN.md).

A header line `{"format": "shixun.pose/1", "landmarks": "blazepose33", "fps": ...}` is followed by
one frame per line: `{"t": s, "image": [[x, y, z, visibility] x33] | null, "world": [[x, y, z] x33] | null}`.
Image coordinates are normalised to [0, 1]; world coordinates are metres, hip-centred, MediaPipe axes.
The writer flushes every line, so an interrupted run leaves a valid, truncated file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from lab.bus.text import UserError
from vision.landmarks import LANDMARK_SET, NUM_LANDMARKS

FORMAT = "shixun.pose/1"


class PoseStreamError(UserError):
    """A pose-stream file or message that does not follow the format."""


@dataclass(frozen=True, slots=True)
class PoseFrame:
    """One instant: capture time in seconds and the person's landmarks, or None when nobody is seen."""

    t: float
    image: np.ndarray | None  # (33, 4): x, y in [0, 1], z (relative depth), visibility in [0, 1]
    world: np.ndarray | None  # (33, 3): metres, hip-centred

    @property
    def has_person(self) -> bool:
        return self.image is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "t": round(self.t, 6),
            "image": None if self.image is None else np.round(self.image, 5).tolist(),
            "world": None if self.world is None else np.round(self.world, 5).tolist(),
        }

    @classmethod
    def from_json(cls, data: Any) -> PoseFrame:
        """Validate and build a frame; raises ValueError with the reason."""
        if not isinstance(data, dict):
            raise ValueError("a frame must be a JSON object")
        t = data.get("t")
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
            raise ValueError("'t' must be a finite number of seconds")
        image = _landmark_array(data.get("image"), "image", 4)
        world = _landmark_array(data.get("world"), "world", 3)
        if image is None and world is not None:
            raise ValueError("'world' must be null when 'image' is null")
        return cls(t=float(t), image=image, world=world)


@dataclass(frozen=True, slots=True)
class PoseStreamHeader:
    fps: float
    landmarks: str = LANDMARK_SET
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "landmarks": self.landmarks, "fps": self.fps, **self.extra}

    @classmethod
    def from_json(cls, data: Any) -> PoseStreamHeader:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f'the first line must be a header with "format": "{FORMAT}"')
        if data.get("landmarks") != LANDMARK_SET:
            raise ValueError(f'only "landmarks": "{LANDMARK_SET}" is supported')
        fps = data.get("fps")
        if isinstance(fps, bool) or not isinstance(fps, int | float) or not (0 < fps <= 1000):
            raise ValueError("'fps' must be a number in (0, 1000]")
        extra = {k: v for k, v in data.items() if k not in ("format", "landmarks", "fps")}
        return cls(fps=float(fps), extra=extra)


def _landmark_array(value: Any, name: str, width: int) -> np.ndarray | None:
    if value is None:
        return None
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"'{name}' must be null or {NUM_LANDMARKS} lists of {width} numbers") from None
    if array.shape != (NUM_LANDMARKS, width):
        raise ValueError(f"'{name}' must be null or {NUM_LANDMARKS} lists of {width} numbers")
    if not np.isfinite(array).all():
        raise ValueError(f"'{name}' contains a non-finite number")
    return array


def _error(path: Path | str, line_number: int, reason: str) -> PoseStreamError:
    return PoseStreamError(
        f"{path} 第 {line_number} 行：不是有效的姿态流（{reason}）",
        f"{path}, line {line_number}: not a valid pose stream ({reason})",
    )


def read_pose_stream(path: Path | str) -> tuple[PoseStreamHeader, Iterator[PoseFrame]]:
    """Open a pose stream: the validated header now, frames lazily (each validated as read).

    Raises PoseStreamError naming the file and line for any malformed line, a missing file,
    or time going backwards.
    """
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed by the frame iterator
    except OSError as exc:
        raise PoseStreamError(
            f"无法打开姿态流 {path}：{exc.strerror}", f"cannot open pose stream {path}: {exc.strerror}"
        ) from None
    try:
        first = handle.readline()
        header = PoseStreamHeader.from_json(json.loads(first)) if first.strip() else None
        if header is None:
            raise ValueError("the file is empty")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        handle.close()
        raise _error(path, 1, str(exc)) from None
    return header, _frames(handle, path)


def _frames(handle: IO[str], path: Path | str) -> Iterator[PoseFrame]:
    with handle:
        last_t = -math.inf
        for line_number, line in enumerate(handle, start=2):
            if not line.strip():
                continue
            try:
                frame = PoseFrame.from_json(json.loads(line))
            except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                raise _error(path, line_number, str(exc)) from None
            if frame.t < last_t:
                raise _error(path, line_number, "time goes backwards")
            last_t = frame.t
            yield frame


def load_pose_stream(path: Path | str) -> tuple[PoseStreamHeader, list[PoseFrame]]:
    """Read a whole pose stream into memory (validating every line)."""
    header, frames = read_pose_stream(path)
    return header, list(frames)


class PoseStreamWriter:
    """Writes a pose stream line by line, flushing each, so a crash leaves a valid prefix."""

    def __init__(self, path: Path | str, header: PoseStreamHeader) -> None:
        self.path = Path(path)
        try:
            self._handle = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise PoseStreamError(
                f"无法写入 {path}：{exc.strerror}", f"cannot write {path}: {exc.strerror}"
            ) from None
        self.frames_written = 0
        self._write(header.to_json())

    def write(self, frame: PoseFrame) -> None:
        self._write(frame.to_json())
        self.frames_written += 1

    def _write(self, data: dict[str, Any]) -> None:
        self._handle.write(json.dumps(data, separators=(",", ":")) + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> PoseStreamWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
