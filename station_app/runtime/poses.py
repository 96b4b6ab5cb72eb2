"""Where a session's pose frames come from: recorded or generated streams, a video, an edge box on the bus.

Every source answers one question per tick — "which frames up to session time t?" — with frames
re-timed to the session clock (the first frame of a recorded stream is at t = 0; a frame from the bus
is stamped with the session time it arrived), so the coach sees one time base with the sim.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol

import zmq

from lab.bus.sockets import Receiver
from lab.bus.text import Text, UserError
from lab.bus.topics import Kind
from vision.pipeline import PipelineSettings, PoseStream
from vision.posestream import PoseFrame, read_pose_stream

TIME_EPS = 1e-6


class PoseSource(Protocol):
    description: Text

    def poll(self, t: float) -> list[PoseFrame]:
        """Frames with session time ≤ t not returned before, oldest first."""
        ...

    def close(self) -> None: ...


class RecordedPoses:
    """Frames from an iterator, released as session time reaches them (nothing is dropped)."""

    def __init__(
        self, frames: Iterable[PoseFrame], description: Text, on_close: Callable[[], None] | None = None
    ) -> None:
        self.description = description
        self._frames: Iterator[PoseFrame] = iter(frames)
        self._next: PoseFrame | None = None
        self._t0: float | None = None
        self._on_close = on_close
        self.exhausted = False

    def poll(self, t: float) -> list[PoseFrame]:
        out = []
        while True:
            if self._next is None:
                self._next = next(self._frames, None)
                if self._next is None:
                    self.exhausted = True
                    return out
                if self._t0 is None:
                    self._t0 = self._next.t
            session_t = self._next.t - self._t0
            if session_t > t + TIME_EPS:
                return out
            out.append(dataclasses.replace(self._next, t=session_t))
            self._next = None

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()
            self._on_close = None


class BusPoses:
    """Pose frames an edge box publishes (`pose/<station>/<session>`); bad messages are counted, skipped."""

    def __init__(self, receiver: Receiver, description: Text) -> None:
        self.description = description
        self.receiver = receiver
        self.bad_frames = 0

    def poll(self, t: float) -> list[PoseFrame]:
        out = []
        while (message := self.receiver.recv(timeout_ms=0)) is not None:
            if message.topic.kind is not Kind.POSE:
                continue
            try:
                frame = PoseFrame.from_json(message.envelope.body)
            except ValueError:
                self.bad_frames += 1
                continue
            out.append(dataclasses.replace(frame, t=t))
        return out

    def close(self) -> None:
        self.receiver.close()


def pose_file(path: Path | str) -> RecordedPoses:
    """A recorded pose stream (`shixun.pose/1`); a bad file is a one-line UserError when read."""
    _header, frames = read_pose_stream(path)
    return RecordedPoses(frames, Text(zh=f"姿态文件 {path}", en=f"pose stream {path}"))


def video(path: Path | str, settings: PipelineSettings) -> RecordedPoses:
    """A video file (or camera index / URL) through the vision pipeline, frame by frame."""
    stream = PoseStream(str(path), settings)
    return RecordedPoses(
        stream,
        Text(zh=f"视频 {path}（{stream.backend_name}）", en=f"video {path} ({stream.backend_name})"),
        stream.close,
    )


def edge_box(context: zmq.Context, endpoint: str, edge_station: str) -> BusPoses:
    """Pose frames from an edge box publishing as `edge_station`, through the lab server at `endpoint`."""
    try:
        receiver = Receiver(
            context, endpoint, [f"{Kind.POSE.value}/{edge_station}/".encode()], kinds=(Kind.POSE,)
        )
    except zmq.ZMQError as exc:
        raise UserError(
            f"无法连接边缘盒姿态流 {endpoint}：{exc}",
            f"cannot connect to the edge box stream {endpoint}: {exc}",
        ) from None
    return BusPoses(
        receiver, Text(zh=f"边缘盒 {edge_station}（{endpoint}）", en=f"edge box {edge_station} ({endpoint})")
    )
