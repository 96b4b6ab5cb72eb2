"""The edge worker on real ZeroMQ (loopback): pose frames and heartbeats arrive, a camera that goes
away is reported in heartbeats, and the CLI never blocks on an absent lab server."""

from __future__ import annotations

import functools
import json
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest
import zmq

from lab.bus.sockets import Publisher, Receiver
from lab.bus.topics import NO_SESSION, Kind, Topic
from lab.health.status import parse_heartbeat
from station_app.cli.main import main
from vision.edge import EdgeIdentity, EdgeWorker
from vision.pipeline import PipelineSettings, PoseStream
from vision.posestream import PoseFrame, PoseStreamHeader, PoseStreamWriter

POSE = Topic(Kind.POSE, "st01", "s1")
HEARTBEAT = Topic(Kind.HEARTBEAT, "st01", NO_SESSION)


@pytest.fixture
def bus():
    ctx = zmq.Context()
    publisher = Publisher(ctx, "tcp://127.0.0.1:*", bind=True)
    receiver = Receiver(ctx, publisher.endpoint, [POSE, HEARTBEAT])
    for _ in range(500):  # bounded wait for the subscriptions to reach the publisher
        if publisher.wanted(POSE) and publisher.wanted(HEARTBEAT):
            break
        time.sleep(0.01)
    yield publisher, receiver
    receiver.close()
    publisher.close()
    ctx.destroy(linger=0)


def _pose_stream_file(path: Path, frames: int) -> Path:
    with PoseStreamWriter(path, PoseStreamHeader(fps=30.0)) as writer:
        for i in range(frames):
            image = np.full((33, 4), 0.5)
            image[:, 0] = 0.3 + 0.01 * i
            writer.write(
                PoseFrame(t=i / 30, image=image, world=np.zeros((33, 3)))
                if i != 3
                else PoseFrame(i / 30, None, None)
            )
    return path


def _drain(receiver: Receiver, until, tries: int = 100) -> list:
    messages = []
    for _ in range(tries):
        message = receiver.recv(200)
        if message is not None:
            messages.append(message)
            if until(messages):
                break
    return messages


def test_pose_frames_and_heartbeats_arrive_on_the_bus(bus, tmp_path: Path) -> None:
    publisher, receiver = bus
    stream = PoseStream(str(_pose_stream_file(tmp_path / "poses.jsonl", 10)), PipelineSettings())
    worker = EdgeWorker(stream, publisher, EdgeIdentity("st01", "s1"), heartbeat_s=60.0)
    assert worker.run() == 10
    messages = _drain(receiver, lambda got: len(got) >= 12)
    poses = [m for m in messages if m.topic == POSE]
    beats = [m for m in messages if m.topic == HEARTBEAT]
    frames = [PoseFrame.from_json(m.envelope.body) for m in poses]
    assert len(frames) == 10 and [f.has_person for f in frames].count(False) == 1
    assert frames[5].image[0, 0] == pytest.approx(0.35)
    assert len(beats) == 2  # the first right away, the last on the way out
    body = beats[-1].envelope.body
    assert body["frames"] == 10 and body["camera_connected"] is True
    assert parse_heartbeat(body).keys() == {  # every metric and flag the lab's health check reads
        "fps",
        "latency_ms",
        "dropped_frames",
        "cpu_percent",
        "disk_free_gb",
        "camera_connected",
    }
    assert not any("jpeg" in m.envelope.body or "pixels" in m.envelope.body for m in messages)


def test_a_camera_that_goes_away_keeps_heartbeats_coming(bus, motion_video: Path) -> None:
    """A live HTTP stream on loopback: frames are dropped for the slow model, then the server stops."""
    publisher, receiver = bus
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(motion_video.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{motion_video.name}"
    stop = threading.Event()
    stream = PoseStream(url, PipelineSettings(backend="onnx"), stop=stop)
    worker = EdgeWorker(stream, publisher, EdgeIdentity("st01", "s1"), heartbeat_s=0.2)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        first = _drain(receiver, lambda got: any(m.topic == POSE for m in got), tries=300)
        assert any(m.topic == POSE for m in first)
        server.shutdown()
        server.server_close()
        later = _drain(
            receiver,
            lambda got: any(m.topic == HEARTBEAT and not m.envelope.body["camera_connected"] for m in got),
            tries=300,
        )
    finally:
        stop.set()
        thread.join(timeout=30)
        stream.close()
    away = [
        m.envelope.body for m in later if m.topic == HEARTBEAT and not m.envelope.body["camera_connected"]
    ]
    assert away and away[-1]["camera_error"]
    assert stream.stats.dropped > 0  # decoding outpaced the model: frames were dropped, not queued
    assert not thread.is_alive()


def test_edge_cli_publishes_without_blocking_when_no_lab_server_listens(tmp_path: Path, capsys) -> None:
    source = _pose_stream_file(tmp_path / "poses.jsonl", 5)
    argv = [
        "--json",
        "edge",
        "run",
        "--source",
        str(source),
        "--station",
        "st01",
        "--endpoint",
        "tcp://127.0.0.1:9",
    ]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["frames_published"] == 5 and summary["heartbeats"] >= 1


@pytest.mark.parametrize(
    "extra",
    [
        ["--station", "st/01"],
        ["--station", "st01", "--heartbeat", "0"],
        ["--station", "st01", "--key", "k"],
        ["--station", "st01", "--endpoint", "not-an-endpoint"],
    ],
    ids=["bad-station", "bad-heartbeat", "key-without-server-key", "bad-endpoint"],
)
def test_edge_cli_bad_arguments_exit_2(tmp_path: Path, extra: list[str], capsys) -> None:
    source = _pose_stream_file(tmp_path / "poses.jsonl", 1)
    assert main(["edge", "run", "--source", str(source), *extra]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_video_is_encoded_only_while_someone_is_subscribed_to_it(bus, motion_video: Path) -> None:
    publisher, _ = bus
    ctx = zmq.Context()
    video = Publisher(ctx, "tcp://127.0.0.1:*", [Kind.VIDEO], bind=True)
    topic = Topic(Kind.VIDEO, "st01", "s1")
    try:
        unwatched = PoseStream(str(motion_video), PipelineSettings(backend="onnx"))
        worker = EdgeWorker(unwatched, publisher, EdgeIdentity("st01", "s1"), video=video)
        assert worker.run(max_frames=2) == 2 and worker.video_frames_sent == 0
        unwatched.close()

        viewer = Receiver(ctx, video.endpoint, [topic], [Kind.VIDEO])
        for _ in range(500):
            if video.wanted(topic):
                break
            time.sleep(0.01)
        watched = PoseStream(str(motion_video), PipelineSettings(backend="onnx"))
        worker = EdgeWorker(watched, publisher, EdgeIdentity("st01", "s1"), video=video)
        assert worker.run(max_frames=3) == 3 and worker.video_frames_sent == 3
        watched.close()
        got = _drain(viewer, lambda messages: len(messages) >= 3)
        pictures = [
            cv2.imdecode(np.frombuffer(m.envelope.body["jpeg"], np.uint8), cv2.IMREAD_COLOR) for m in got
        ]
        assert len(pictures) == 3 and all(p.shape == (320, 320, 3) for p in pictures)
        viewer.close()
    finally:
        video.close()
        ctx.destroy(linger=0)


def test_edge_cli_refuses_video_unless_the_configuration_allows_it(tmp_path: Path, capsys) -> None:
    source = _pose_stream_file(tmp_path / "poses.jsonl", 1)
    assert main(["edge", "run", "--source", str(source), "--station", "st01", "--stream-video"]) == 2
    assert "privacy.stream_video" in capsys.readouterr().err
