"""Device health: heartbeat validation, online/degraded/offline, alerts for booked devices that are down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scheduling_world import NOW, TZ, Lab, local

from lab.health.monitor import (
    booked_down,
    find_device,
    health_report,
    prune_heartbeats,
    record_heartbeat,
    set_bus_id,
)
from lab.health.status import BadHeartbeat, State, Thresholds, assess, parse_heartbeat
from lab.scheduling.bookings import book, resolve_parties
from lab.scheduling.registry import get_equipment
from lab.store.models import DeviceHeartbeat, HeartbeatStatus

LIMITS = Thresholds(offline_after_s=30)
GOOD = {"fps": 30, "latency_ms": 41.5, "dropped_frames": 0, "cpu_percent": 55, "disk_free_gb": 120}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2], "must be a mapping"),
        ({"fps": "fast"}, "fps must be a number"),
        ({"latency_ms": -3}, "latency_ms must be a number"),
        ({"cpu_percent": float("nan")}, "cpu_percent must be a number"),
        ({"fps": True}, "fps must be a number"),
        ({"camera_connected": "yes"}, "camera_connected must be true or false"),
    ],
)
def test_garbled_heartbeats_are_refused(body, message) -> None:
    with pytest.raises(BadHeartbeat, match=message):
        parse_heartbeat(body)


def test_unknown_fields_are_ignored_and_known_ones_kept() -> None:
    assert parse_heartbeat({**GOOD, "gpu_temp": 70}) == {k: float(v) for k, v in GOOD.items()}


def test_an_edge_box_heartbeat_with_its_camera_gone_is_degraded() -> None:
    body = {"device": "edge", "source": "0", "backend": "mediapipe", "fps": 0.0, "latency_ms": 0.0,
            "dropped_frames": 0, "frames": 1200, "cpu_percent": 3.5, "disk_free_gb": 40.2,
            "camera_connected": False, "camera_error": "device unplugged", "latency_p50_ms": None}  # fmt: skip
    metrics = parse_heartbeat(body)
    assert metrics["camera_connected"] is False and "latency_p50_ms" not in metrics
    health = assess("edge 1", NOW, metrics, NOW, LIMITS)
    assert health.state == State.DEGRADED
    assert [p.en for p in health.problems] == ["camera disconnected", "fps 0 below 25"]


def test_states_from_age_and_metrics() -> None:
    assert assess("st", None, {}, NOW, LIMITS).state == State.UNKNOWN
    assert assess("st", NOW - timedelta(seconds=5), GOOD, NOW, LIMITS).state == State.ONLINE
    slow = assess("st", NOW - timedelta(seconds=5), {**GOOD, "fps": 12, "disk_free_gb": 0.5}, NOW, LIMITS)
    assert slow.state == State.DEGRADED
    assert [p.en for p in slow.problems] == ["fps 12 below 25", "disk free 0.5 GB below 2 GB"]
    gone = assess("st", NOW - timedelta(minutes=3), GOOD, NOW, LIMITS)
    assert gone.state == State.OFFLINE and gone.problems[0].en == "no heartbeat for 3 min"


def test_report_uses_the_latest_heartbeat_per_device(lab: Lab) -> None:
    with lab.sessions.begin() as session:
        set_bus_id(get_equipment(session, "station 4"), "st04")
        record_heartbeat(session, "station 3", {**GOOD, "fps": 10}, NOW - timedelta(seconds=20), LIMITS)
        record_heartbeat(session, "station 3", GOOD, NOW - timedelta(seconds=10), LIMITS)
        row = record_heartbeat(
            session, "st04", {**GOOD, "latency_ms": 90}, NOW - timedelta(minutes=5), LIMITS
        )
        assert row.status == HeartbeatStatus.DEGRADED
    with lab.sessions() as session:
        report = {h.equipment: h for h in health_report(session, NOW, LIMITS)}
    assert report["station 3"].state == State.ONLINE
    assert report["station 3"].last_seen == NOW - timedelta(seconds=10)
    assert report["station 4"].state == State.OFFLINE
    assert report["rig 1"].state == State.UNKNOWN


def test_alert_when_a_booked_station_is_down(lab: Lab) -> None:
    with lab.sessions.begin() as session:
        parties = resolve_parties(session, class_code="2A")
        for name in ("station 3", "station 4"):
            book(
                session,
                get_equipment(session, name),
                local(24, 14),
                local(24, 15, 30),
                parties,
                now=NOW,
                tz=TZ,
            )
        record_heartbeat(session, "station 3", GOOD, local(24, 13, 50), LIMITS)
        record_heartbeat(session, "station 4", GOOD, local(24, 13, 59) + timedelta(seconds=50), LIMITS)
    with lab.sessions() as session:
        alerts = booked_down(session, local(24, 14), LIMITS, TZ)
    assert [a.equipment for a in alerts] == ["station 3"]
    assert alerts[0].message.en == "station 3 is offline but booked 14:00–15:30 by class 2A"
    with lab.sessions() as session:
        assert booked_down(session, local(24, 11), LIMITS, TZ) == []  # nothing booked within 30 min


def test_unknown_device_and_pruning(lab: Lab) -> None:
    with lab.sessions.begin() as session:
        with pytest.raises(Exception, match="no equipment named st99"):
            find_device(session, "st99")
        for minutes in (90, 60, 30):
            record_heartbeat(session, "station 3", GOOD, NOW - timedelta(minutes=minutes), LIMITS)
        record_heartbeat(session, "rig 1", GOOD, NOW - timedelta(days=2), LIMITS)
    with lab.sessions.begin() as session:
        assert prune_heartbeats(session, NOW - timedelta(minutes=45)) == 2
    with lab.sessions() as session:
        assert session.query(DeviceHeartbeat).count() == 2  # station 3's newest and rig 1's only one
