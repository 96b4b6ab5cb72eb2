"""The pose-stream file format: round trip, validation with line numbers, truncation safety."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vision.posestream import (
    PoseFrame,
    PoseStreamError,
    PoseStreamHeader,
    PoseStreamWriter,
    load_pose_stream,
    read_pose_stream,
)


def person_frame(t: float, rng: np.random.Generator) -> PoseFrame:
    image = np.column_stack([rng.uniform(0, 1, (33, 3)), rng.uniform(0.5, 1, 33)])
    return PoseFrame(t=t, image=image, world=rng.normal(0, 0.5, (33, 3)))


def test_round_trip_keeps_frames_and_empty_frames(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    frames = [person_frame(0.0, rng), PoseFrame(t=1 / 30, image=None, world=None), person_frame(2 / 30, rng)]
    path = tmp_path / "s.jsonl"
    with PoseStreamWriter(path, PoseStreamHeader(fps=30.0, extra={"source": "test"})) as writer:
        for frame in frames:
            writer.write(frame)
    header, loaded = load_pose_stream(path)
    assert header.fps == 30.0 and header.extra == {"source": "test"}
    assert [f.has_person for f in loaded] == [True, False, True]
    np.testing.assert_allclose(loaded[0].image, frames[0].image, atol=1e-5)
    np.testing.assert_allclose(loaded[2].world, frames[2].world, atol=1e-5)
    first_line = json.loads(path.read_text().splitlines()[0])
    assert first_line["format"] == "shixun.pose/1" and first_line["landmarks"] == "blazepose33"


def test_unclosed_writer_leaves_a_readable_prefix(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    writer = PoseStreamWriter(path, PoseStreamHeader(fps=30.0))
    writer.write(person_frame(0.0, np.random.default_rng(2)))
    # No close(): every line is flushed, as after a crash or Ctrl-C.
    _, frames = load_pose_stream(path)
    assert len(frames) == 1
    writer.close()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "not a valid pose stream"),
        ('{"t": 0.1, "image": [[0, 0, 0, 1]], "world": null}', "33 lists of 4 numbers"),
        ('{"t": "soon", "image": null, "world": null}', "finite number"),
        ('{"t": 0.1, "image": null, "world": [[0, 0, 0]]}', "'world' must be null"),
        ('{"t": -5, "image": null, "world": null}', "time goes backwards"),
    ],
)
def test_malformed_line_names_the_line(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "bad.jsonl"
    good = json.dumps({"t": 0.0, "image": None, "world": None})
    path.write_text(
        "\n".join(['{"format": "shixun.pose/1", "landmarks": "blazepose33", "fps": 30}', good, line]) + "\n"
    )
    with pytest.raises(PoseStreamError) as raised:
        load_pose_stream(path)
    message = raised.value.message("en")
    assert "line 3" in message and reason in message
    assert "第 3 行" in raised.value.message("zh")


@pytest.mark.parametrize(
    "first",
    ["", '{"format": "other/1"}', '{"format": "shixun.pose/1", "landmarks": "coco17", "fps": 30}'],
)
def test_bad_header_is_line_1(tmp_path: Path, first: str) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(first + "\n")
    with pytest.raises(PoseStreamError, match="line 1"):
        read_pose_stream(path)


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(PoseStreamError, match="cannot open pose stream"):
        read_pose_stream(tmp_path / "absent.jsonl")
