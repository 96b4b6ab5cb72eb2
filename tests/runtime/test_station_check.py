"""The booking check before a session, on SQLite and PostgreSQL: who may use a registered station now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lab.scheduling.registry import add_equipment, set_status
from lab.store.models import (
    Booking,
    BookingStatus,
    Equipment,
    EquipmentKind,
    EquipmentStatus,
    Learner,
    SchoolClass,
)
from scenarios.paramspace import Space
from station_app.runtime.store_link import StationRefused, prepare

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def lab(store_factory):
    """Station st01 (crane only), class C1 with learners a and b, learner c without a class."""
    with store_factory() as db, db.begin():
        station = add_equipment(db, EquipmentKind.STATION, "st01", scenarios=["crane.bridge_lift"])
        school_class = SchoolClass(code="C1", name="class 1")
        db.add(school_class)
        db.flush()
        learners = {code: Learner(code=code, class_id=school_class.id) for code in ("a", "b")}
        learners["c"] = Learner(code="c")
        db.add_all(learners.values())
        db.flush()
        return station.id, school_class.id, {code: row.id for code, row in learners.items()}


def _book(factory, station_id, status=BookingStatus.CONFIRMED, **holder) -> int:
    with factory() as db, db.begin():
        booking = Booking(
            equipment_id=station_id,
            starts_at=NOW - timedelta(minutes=30),
            ends_at=NOW + timedelta(minutes=30),
            status=status,
            **holder,
        )
        db.add(booking)
        db.flush()
        return booking.id


def _prepare(factory, crane, learner, **kwargs):
    return prepare(factory, Space(crane), learner, "st01", NOW, **kwargs)


def test_walk_in_on_a_free_station_unless_a_booking_is_required(store_factory, crane, lab):
    prepared = _prepare(store_factory, crane, "a")
    assert prepared.booking.station_id == lab[0] and prepared.booking.booking_id is None
    with pytest.raises(StationRefused):
        _prepare(store_factory, crane, "a", require_booking=True)


def test_a_class_booking_admits_its_learners_and_refuses_others(store_factory, crane, lab):
    station_id, class_id, _ = lab
    booking_id = _book(store_factory, station_id, class_id=class_id)
    assert _prepare(store_factory, crane, "b").booking.booking_id == booking_id
    with pytest.raises(StationRefused, match="booked by someone else"):
        _prepare(store_factory, crane, "c")


def test_a_pending_booking_does_not_admit_yet(store_factory, crane, lab):
    station_id, _, learners = lab
    _book(store_factory, station_id, BookingStatus.PENDING, learner_id=learners["c"])
    with pytest.raises(StationRefused):
        _prepare(store_factory, crane, "c", require_booking=True)


def test_out_of_service_or_other_scenarios_are_refused(store_factory, crane, lab):
    with store_factory() as db, db.begin():
        station = db.get(Equipment, lab[0])
        station.capabilities = {"scenarios": ["robot.pick_place"]}
    with pytest.raises(StationRefused, match=r"not set up for crane\.bridge_lift"):
        _prepare(store_factory, crane, "a")
    with store_factory() as db, db.begin():
        station = db.get(Equipment, lab[0])
        station.capabilities = {}
        set_status(station, EquipmentStatus.UNAVAILABLE, "rope inspection")
    with pytest.raises(StationRefused, match="rope inspection"):
        _prepare(store_factory, crane, "a")


def test_an_unregistered_station_runs_stand_alone(store_factory, crane):
    first = prepare(store_factory, Space(crane), "new-learner", "nowhere", NOW)
    again = prepare(store_factory, Space(crane), "new-learner", "nowhere", NOW)
    assert first.learner_created and not again.learner_created
    assert first.booking.station_id is None and first.session_id != again.session_id
