"""`shixun vision run` end to end on a video made from real photos, replay, and bad inputs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from station_app.cli.main import main
from vision.pipeline import PipelineSettings, PoseStream
from vision.posestream import load_pose_stream
from vision.samples import photo_bgr

EMPTY_FRAMES = range(14, 20)  # vision.samples.motion_frames: the person has left


def test_a_video_runs_end_to_end_into_a_valid_pose_stream(motion_video: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "poses.jsonl"
    assert main(["--json", "vision", "run", "--source", str(motion_video), "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    header, frames = load_pose_stream(out)
    assert header.fps == pytest.approx(30.0) and header.extra["backend"] == "mediapipe"
    assert len(frames) == summary["frames"] == 28
    assert [f.t for f in frames] == pytest.approx(
        [i / 30 for i in range(28)], abs=1e-6
    )  # 6 decimals in the file
    assert [i for i, f in enumerate(frames) if not f.has_person] == list(EMPTY_FRAMES)
    assert all(f.world is None for f in frames if not f.has_person)
    assert summary["frames_with_person"] == 22 and summary["dropped"] == 0
    assert 0 < summary["latency_ms"]["p50"] <= summary["latency_ms"]["p95"]
    with_person = [f for f in frames if f.has_person]
    assert all(f.image[:, 3].min() >= 0 and f.image[:, 3].max() <= 1 for f in with_person)
    nose_x = [f.image[0, 0] for f in with_person[:14]]
    assert nose_x[-1] > nose_x[0] + 0.05  # the astronaut drifts right in the video


def test_a_pose_stream_replays_unchanged(motion_video: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    args = ["vision", "run", "--backend", "onnx", "--max-frames", "5"]
    assert main([*args, "--source", str(motion_video), "--out", str(first)]) == 0
    assert main(["vision", "run", "--source", str(first), "--out", str(second)]) == 0
    original, copy = load_pose_stream(first)[1], load_pose_stream(second)[1]
    assert len(original) == len(copy) == 5
    for a, b in zip(original, copy, strict=True):
        assert a.t == b.t
        np.testing.assert_allclose(a.image, b.image)


def test_an_image_folder_runs_in_static_mode_without_smoothing(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a.png"), photo_bgr("astronaut"))
    cv2.imwrite(str(tmp_path / "b.png"), photo_bgr("coffee"))
    stream = PoseStream(str(tmp_path), PipelineSettings(smoothing=True))
    frames = list(stream)
    stream.close()
    assert stream._pipeline.smoother is None
    assert [f.has_person for f in frames] == [True, False]


@pytest.mark.parametrize(
    "argv",
    [
        ["vision", "run", "--source", "/no/such/video.mp4"],
        ["vision", "run", "--source", "{tmp}/garbage.jsonl"],
        ["vision", "run", "--source", "{tmp}", "--max-frames", "0"],
        ["vision", "run", "--source", "{tmp}/garbage.jsonl", "--backend", "tensorrt"],
    ],
    ids=["missing-file", "bad-pose-stream", "bad-max-frames", "unknown-backend"],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, argv: list[str], capsys) -> None:
    (tmp_path / "garbage.jsonl").write_text('{"format": "something else"}\n')
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    with pytest.raises(SystemExit) as exit_:
        sys.exit(main(argv))
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err


@pytest.mark.slow
def test_an_interrupted_run_leaves_a_valid_truncated_file(motion_video: Path, tmp_path: Path) -> None:
    out = tmp_path / "poses.jsonl"
    command = [sys.executable, "-m", "station_app.cli.main", "vision", "run", "--source", str(motion_video)]
    process = subprocess.Popen(
        [*command, "--out", str(out)], stderr=subprocess.PIPE, env={**os.environ, "SHIXUN_LANG": "en"}
    )
    try:
        for _ in range(2400):  # wait (bounded, 2 min) until a few frames are on disk
            if out.exists() and len(out.read_text().splitlines()) >= 4:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130
    assert b"interrupted" in err and b"Traceback" not in err
    header, frames = load_pose_stream(out)
    assert header.fps == pytest.approx(30.0)
    assert 3 <= len(frames) < 28


def test_export_onnx_without_the_extra_says_how_to_install_it(tmp_path: Path, capsys) -> None:
    import importlib.util

    if importlib.util.find_spec("tensorflow") is not None:
        pytest.skip("the [export] extra is installed here; the export itself is exercised by hand")
    assert main(["vision", "export-onnx", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "shixun[export]" in err


def test_a_live_stream_is_read_latest_frame_first(motion_video: Path, tmp_path: Path, capsys) -> None:
    """An HTTP stream on loopback is a live source: capture-time stamps, frames dropped, not queued."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(motion_video.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out = tmp_path / "live.jsonl"
    url = f"http://127.0.0.1:{server.server_address[1]}/{motion_video.name}"
    started = time.monotonic()
    try:
        assert main(["--json", "vision", "run", "--source", url, "--max-frames", "4", "--out", str(out)]) == 0
    finally:
        finished = time.monotonic()
        server.shutdown()
        server.server_close()
    summary = json.loads(capsys.readouterr().out)
    _, frames = load_pose_stream(out)
    assert len(frames) == summary["frames"] == 4
    assert summary["dropped"] > 0  # decoding outpaces the model
    assert all(started < f.t < finished for f in frames)  # capture time (monotonic), not media time
