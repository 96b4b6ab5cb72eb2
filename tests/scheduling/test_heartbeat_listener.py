"""Heartbeats published on real loopback ZeroMQ sockets end up in the store; bad ones are skipped."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

import pytest
import zmq
from scheduling_world import NOW, Lab

from lab.bus.sockets import Publisher, Receiver
from lab.bus.topics import Kind, Topic
from lab.health.listener import HEARTBEATS, HeartbeatRecorder
from lab.health.monitor import health_report, set_bus_id
from lab.health.status import State, Thresholds
from lab.scheduling.registry import get_equipment


@pytest.fixture
def ctx():
    context = zmq.Context()
    yield context
    context.destroy(linger=0)


def test_heartbeats_from_the_bus_are_recorded(lab: Lab, ctx) -> None:
    with lab.sessions.begin() as session:
        set_bus_id(get_equipment(session, "station 3"), "st03")
    publisher = Publisher(ctx, "tcp://127.0.0.1:*", [Kind.HEARTBEAT], bind=True)
    receiver = Receiver(ctx, publisher.endpoint, [HEARTBEATS], [Kind.HEARTBEAT])
    arrivals = (NOW + timedelta(seconds=n) for n in itertools.count())
    recorder = HeartbeatRecorder(receiver, lab.sessions, Thresholds(), clock=lambda: next(arrivals))
    topic = Topic(Kind.HEARTBEAT, "st03")
    deadline = time.monotonic() + 30
    while not publisher.wanted(topic) and time.monotonic() < deadline:  # the slow joiner
        time.sleep(0.01)

    publisher.send(topic, {"fps": 30, "latency_ms": 40, "camera_connected": True})
    publisher.send(Topic(Kind.HEARTBEAT, "st99"), {"fps": 30})  # a device nobody registered
    publisher.send(topic, {"fps": "thirty"})  # garbled
    publisher.send(topic, {"fps": 12, "latency_ms": 45})
    while recorder.recorded + sum(recorder.skipped.values()) < 4 and time.monotonic() < deadline:
        recorder.poll(100)

    assert recorder.recorded == 2
    assert recorder.skipped == {"UnknownEquipment": 1, "BadHeartbeat": 1}
    with lab.sessions() as session:
        report = {h.equipment: h for h in health_report(session, NOW + timedelta(seconds=5), Thresholds())}
    assert report["station 3"].state == State.DEGRADED  # the latest heartbeat: 12 fps
    assert report["station 4"].state == State.UNKNOWN
    receiver.close()
    publisher.close()
