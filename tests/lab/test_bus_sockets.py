"""Publisher/receiver on real loopback sockets: delivery, bad messages, conflation, a stalled peer."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import msgpack
import pytest
import zmq

from lab.bus.envelope import Envelope
from lab.bus.sockets import Publisher, Receiver
from lab.bus.topics import Kind, Topic, frame

POSE = Topic(Kind.POSE, "st01", "s1")
VIDEO = Topic(Kind.VIDEO, "st01", "s1")


@pytest.fixture
def ctx():
    context = zmq.Context()
    yield context
    context.destroy(linger=0)


ANY_PORT = "tcp://127.0.0.1:*"


def _wait_until_wanted(publisher: Publisher, topic: Topic) -> None:
    for _ in range(200):
        if publisher.wanted(topic):
            return
        time.sleep(0.01)
    raise AssertionError("subscription never reached the publisher")


def _connected(ctx):
    publisher = Publisher(ctx, ANY_PORT, bind=True)
    endpoint = publisher.endpoint
    receiver = Receiver(ctx, endpoint, [POSE])
    _wait_until_wanted(publisher, POSE)
    return publisher, receiver


def test_envelopes_arrive_in_order_with_topic_and_counts(ctx):
    publisher, receiver = _connected(ctx)
    for i in range(5):
        publisher.send(POSE, {"i": i})
    got = [receiver.recv(2000) for _ in range(5)]
    assert [m.envelope.body["i"] for m in got] == list(range(5))
    assert [m.envelope.seq for m in got] == list(range(5))
    assert all(m.topic == POSE for m in got)
    assert receiver.stats.received[str(POSE)] == 5


def test_other_topics_are_not_delivered(ctx):
    publisher, receiver = _connected(ctx)
    publisher.send(Topic(Kind.POSE, "st01", "s10"), {"other": True})
    publisher.send(POSE, {"mine": True})
    assert receiver.recv(2000).envelope.body == {"mine": True}
    assert receiver.recv(100) is None


def test_garbled_and_wrong_version_messages_are_counted_dropped_and_logged_once(ctx, caplog):
    publisher, receiver = _connected(ctx)
    wrong_version = msgpack.packb({"v": 99, "type": "pose"})
    for bad in (b"\xc1\xc1", b"\x93\x01\x02", wrong_version, b"\xc1", wrong_version):
        publisher.send_frame(frame(POSE, bad))
    publisher.send(POSE, {"ok": 1})
    with caplog.at_level("WARNING", logger="lab.bus"):
        assert receiver.recv(2000).envelope.body == {"ok": 1}
    assert receiver.stats.dropped_garbled == 3
    assert receiver.stats.dropped_version == 2
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2  # once per reason
    assert all("st01" not in w and "s1" not in w for w in warnings)  # no ids in the log


def test_envelope_must_match_its_topic(ctx):
    publisher, receiver = _connected(ctx)
    forged = Envelope(type="pose", station="st02", session="s1", seq=0, body={})
    publisher.send_frame(frame(POSE, forged.encode()))
    assert receiver.recv(300) is None
    assert receiver.stats.dropped["topic"] == 1


def test_conflated_receiver_keeps_only_the_latest_frame(ctx):
    publisher = Publisher(ctx, ANY_PORT, [Kind.POSE], bind=True)
    endpoint = publisher.endpoint
    receiver = Receiver(ctx, endpoint, [POSE], conflate=True)
    _wait_until_wanted(publisher, POSE)
    for i in range(50):
        publisher.send(POSE, {"i": i})
    time.sleep(0.3)  # let the I/O thread deliver everything before the first read
    first = receiver.recv(2000)
    assert first.envelope.body["i"] == 49
    assert receiver.recv(100) is None


def test_wanted_follows_subscriptions(ctx):
    publisher = Publisher(ctx, ANY_PORT, [Kind.VIDEO], bind=True)
    endpoint = publisher.endpoint
    assert not publisher.wanted(VIDEO)
    viewer = Receiver(ctx, endpoint, [VIDEO], [Kind.VIDEO], conflate=True)
    _wait_until_wanted(publisher, VIDEO)
    viewer.close()
    for _ in range(200):
        if not publisher.wanted(VIDEO):
            break
        time.sleep(0.01)
    assert not publisher.wanted(VIDEO)


STALLED_CHILD = """
import sys, time, zmq
from lab.bus.sockets import Receiver
from lab.bus.topics import Kind, Topic
ctx = zmq.Context()
r = Receiver(ctx, sys.argv[1], [Topic(Kind.VIDEO, "st01", "s1")], [Kind.VIDEO])
print("subscribed", flush=True)
time.sleep(120)  # never reads
"""


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.slow
def test_stalled_subscriber_neither_blocks_nor_bloats_the_publisher(ctx):
    publisher = Publisher(ctx, ANY_PORT, [Kind.VIDEO], bind=True)
    endpoint = publisher.endpoint
    child = subprocess.Popen(
        [sys.executable, "-c", STALLED_CHILD, endpoint], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "subscribed"
        _wait_until_wanted(publisher, VIDEO)
        live = Receiver(ctx, endpoint, [VIDEO], [Kind.VIDEO], conflate=True)
        time.sleep(0.2)
        payload = bytes(1024 * 1024)  # 1 MiB, a raw-ish frame
        baseline = _rss_bytes()
        burst = 400  # 400 MiB offered: with the default HWM of 1000 the stalled peer would hold it all
        for i in range(burst):
            publisher.send(VIDEO, {"i": i, "jpeg": payload})  # NOBLOCK inside: raises if it would block
        growth = _rss_bytes() - baseline
        fresh = None
        for i in range(burst, burst + 100):
            publisher.send(VIDEO, {"i": i, "jpeg": payload})
            message = live.recv(100)
            if message is not None and message.envelope.body["i"] >= burst:
                fresh = message
                break
        assert child.poll() is None  # the stalled peer stayed connected the whole time
        assert growth < 64 * 1024 * 1024, f"publisher grew by {growth / 2**20:.0f} MiB"
        assert fresh is not None, "the live subscriber stopped getting fresh frames"
    finally:
        child.kill()
        child.wait()
