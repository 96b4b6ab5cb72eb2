"""Pose-stream files: any content gives frames or one PoseStreamError naming the line."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import pytest
from fuzz_values import mutated
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vision.posestream import PoseStreamError, load_pose_stream

HEADER = {"format": "shixun.pose/1", "landmarks": "blazepose33", "fps": 30}
FRAME = {"t": 0.5, "image": [[0.5, 0.5, 0.0, 0.9]] * 33, "world": [[0.0, 0.1, 0.2]] * 33}


def _load(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "poses.jsonl"
        path.write_bytes(content)
        try:
            header, frames = load_pose_stream(path)
        except PoseStreamError as exc:
            assert "poses.jsonl" in exc.text.en and "poses.jsonl" in exc.text.zh
            return
        assert header.fps > 0 and all(math.isfinite(f.t) for f in frames)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=400))
@example(b"")
@example(b"\xff\xfe\x00")
def test_random_bytes(content: bytes) -> None:
    _load(content)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(mutated(HEADER), st.lists(mutated(FRAME), max_size=3))
def test_mutated_header_and_frames(header: object, frames: list[object]) -> None:
    lines = [json.dumps(header, allow_nan=True)] + [json.dumps(f, allow_nan=True) for f in frames]
    _load("\n".join(lines).encode())


@pytest.mark.parametrize("where", ["header", "frame"])
def test_deeply_nested_line(where: str) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    lines = [deep] if where == "header" else [json.dumps(HEADER), deep]
    _load("\n".join(lines).encode())
