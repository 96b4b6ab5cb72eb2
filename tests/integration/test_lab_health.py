"""The lab server's device-health pieces on real ZeroMQ (CurveZMQ relay, store-backed access) and a
real store (SQLite and PostgreSQL): a station's and an edge box's heartbeats land in the store as
online, and a booking nobody checked in to is released."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import zmq

from lab.bus.security import CurveClient, CurveKeys
from lab.bus.sockets import Publisher
from lab.bus.station_link import LabEndpoints, StationLink
from lab.bus.topics import Kind, Topic
from lab.health.monitor import health_report
from lab.health.status import State, Thresholds
from lab.scheduling.bookings import Parties, book
from lab.scheduling.registry import add_equipment, set_rules
from lab.server.health import LabHealth
from lab.server.relay import Relay, RelayEndpoints
from lab.server.store_access import StoreAccess
from lab.store.engine import make_engine, make_session_factory
from lab.store.models import Booking, BookingStatus, EquipmentKind, SchoolClass

ANY = "tcp://127.0.0.1:*"


@pytest.fixture
def store(db_url: str):
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


def test_heartbeats_through_the_relay_are_recorded_and_no_shows_released(store) -> None:
    station_keys, edge_keys, server_keys = CurveKeys.generate(), CurveKeys.generate(), CurveKeys.generate()
    started = datetime.now(UTC) - timedelta(minutes=20)
    with store.begin() as db:
        add_equipment(
            db, EquipmentKind.STATION, "st01", "Lab 1"
        ).curve_public_key = station_keys.public.decode()
        edge = add_equipment(db, EquipmentKind.EDGE_BOX, "edge01", "Lab 1")
        edge.curve_public_key = edge_keys.public.decode()
        station3 = add_equipment(db, EquipmentKind.STATION, "st03", "Lab 1")
        set_rules(station3, {"checkin": True, "auto_release_minutes": 15})
        school_class = SchoolClass(code="2A", name="Crane 2A")
        db.add(school_class)
        db.flush()
        absent = book(
            db,
            station3,
            started,
            started + timedelta(hours=1),
            Parties(school_class=school_class),
            now=started - timedelta(days=1),
            tz=ZoneInfo("Asia/Shanghai"),
        ).id
    ctx = zmq.Context()
    health = LabHealth(store, Thresholds())
    relay = Relay(
        ctx, health.access(StoreAccess(store.kw["bind"])), server_keys, RelayEndpoints(ANY, ANY, ANY)
    )
    relay.start()
    health.start(ctx, relay.endpoints.viewers, server_keys.public)
    link = StationLink(
        ctx,
        "st01",
        LabEndpoints(relay.endpoints.stations, relay.endpoints.viewers),
        CurveClient(station_keys, server_keys.public),
    )
    edge_box = Publisher(
        ctx, relay.endpoints.stations, [Kind.HEARTBEAT], curve=CurveClient(edge_keys, server_keys.public)
    )
    try:
        deadline = time.monotonic() + 30
        while health.recorder.recorded < 2 and time.monotonic() < deadline:  # joins take a moment
            link.heartbeat({"fps": 30, "latency_ms": 35, "camera_connected": True})
            edge_box.send(Topic(Kind.HEARTBEAT, "edge01"), {"fps": 29, "latency_ms": 40})
            time.sleep(0.2)
    finally:
        link.close()
        edge_box.close()
        health.stop()
        relay.stop()
        ctx.destroy(linger=0)
    with store() as db:
        states = {h.equipment: h.state for h in health_report(db, datetime.now(UTC), Thresholds())}
        assert states == {"st01": State.ONLINE, "edge01": State.ONLINE, "st03": State.UNKNOWN}
        assert db.get(Booking, absent).status == BookingStatus.RELEASED
    assert health.released == 1
