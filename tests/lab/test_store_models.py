"""Every model round-trips through SQLite and PostgreSQL; the database enforces its constraints."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from lab.store.engine import make_engine, make_session_factory
from lab.store.models import (
    Attempt,
    AuditEntry,
    Blackout,
    Booking,
    BookingStatus,
    Consent,
    ConsentGiver,
    ConsentKind,
    DeviceHeartbeat,
    Equipment,
    EquipmentKind,
    HeartbeatStatus,
    Learner,
    MentorInvitation,
    Role,
    ScenarioSpec,
    SchoolClass,
    SessionState,
    TrainingSession,
    User,
)

BEIJING = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=BEIJING)  # 00:00 UTC


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        yield session


def _station(session: Session, name: str = "st01") -> Equipment:
    station = Equipment(kind=EquipmentKind.STATION, name=name, capabilities={"scenarios": ["crane.basic"]})
    session.add(station)
    session.flush()
    return station


def _book(session: Session, equipment: Equipment, start_h: float, end_h: float, **fields: object) -> Booking:
    booking = Booking(
        equipment=equipment,
        starts_at=T0 + timedelta(hours=start_h),
        ends_at=T0 + timedelta(hours=end_h),
        **fields,
    )
    session.add(booking)
    session.flush()
    return booking


def _populate(session: Session) -> dict[str, object]:
    """One row of every table, linked the way the apps will link them; returns their keys."""
    instructor = User(
        login="li.laoshi", display_name="李老师", password_hash="$argon2id$x", role=Role.INSTRUCTOR
    )
    mentor = User(login="mentor1", display_name="Wang Gong", role=Role.MENTOR, curve_public_key="k" * 40)
    student = User(login="s001", display_name="张三", role=Role.STUDENT)
    session.add_all([instructor, mentor, student])
    session.flush()
    school_class = SchoolClass(code="QZ2401", name="起重 2401 班", instructor=instructor)
    learner = Learner(code="L-7f3a", user=student, school_class=school_class, birth_year=2010, under_14=True)
    spec = ScenarioSpec(
        scenario_id="crane.basic", version=3, toml_text='id = "crane.basic"\n', sha256="a" * 64
    )
    station = _station(session)
    blackout = Blackout(
        equipment=station,
        starts_at=T0 + timedelta(days=1),
        ends_at=T0 + timedelta(days=1, hours=2),
        reason="年检 annual inspection",
    )
    session.add_all([school_class, learner, spec, blackout])
    session.flush()
    booking = _book(
        session,
        station,
        0,
        2,
        class_id=school_class.id,
        learner_id=learner.id,
        instructor_id=instructor.id,
        recurrence_id="series-1",
        status=BookingStatus.CHECKED_IN,
        checked_in_at=T0 + timedelta(minutes=3),
    )
    run = TrainingSession(
        station=station,
        learner=learner,
        scenario_id="crane.basic",
        booking_id=booking.id,
        state=SessionState.FINISHED,
        started_at=T0 + timedelta(minutes=5),
        ended_at=T0 + timedelta(minutes=25),
        recording_path="recordings/abc.mcap",
    )
    session.add(run)
    session.flush()
    attempt = Attempt(
        learner=learner,
        session=run,
        scenario_id="crane.basic",
        spec_version=3,
        params={"load_kg": 850.0, "wind_mps": 4.5},
        seed=2**40 + 7,
        passed=True,
        score=87.5,
        sub_scores={"sway": 0.9, "time": 0.7},
        metrics={"max_sway_deg": 3.2, "duration_s": 142.0},
        errors=[{"code": "hook_drag", "t": 12.5}],
        coach_summary={"events": 2, "reba_max": 6},
        explanation={"zh": "提高了风速", "en": "wind raised"},
        predicted_success=0.72,
        started_at=T0 + timedelta(minutes=6),
        finished_at=T0 + timedelta(minutes=9),
    )
    heartbeat = DeviceHeartbeat(
        equipment=station, received_at=T0, status=HeartbeatStatus.DEGRADED, metrics={"fps": 24.0}
    )
    invitation = MentorInvitation(
        mentor=mentor,
        session_id=run.id,
        invited_by_id=instructor.id,
        valid_from=T0,
        valid_until=T0 + timedelta(hours=4),
        may_view_video=True,
    )
    consent = Consent(
        learner=learner,
        kind=ConsentKind.LIVE_VIDEO,
        granted_by=ConsentGiver.GUARDIAN,
        recorded_by_id=instructor.id,
        granted_at=T0 - timedelta(days=7),
    )
    audit = AuditEntry(
        at=T0,
        actor="mentor1",
        action="view.live",
        resource=f"session/{run.id}",
        detail={"video": False},
        prev_hash="0" * 64,
        hash="f" * 64,
    )
    session.add_all([attempt, heartbeat, invitation, consent, audit])
    session.commit()
    return {
        "learner": learner.id,
        "session": run.id,
        "attempt": attempt.id,
        "booking": booking.id,
        "invitation": invitation.id,
        "audit": audit.seq,
    }


def test_every_model_round_trips(engine: Engine, session: Session) -> None:
    keys = _populate(session)
    with make_session_factory(engine)() as fresh:  # a new session: values come from the database
        learner = fresh.get(Learner, keys["learner"])
        assert learner is not None
        assert (learner.code, learner.birth_year, learner.under_14) == ("L-7f3a", 2010, True)
        assert learner.user is not None and learner.user.display_name == "张三"
        assert learner.school_class is not None and learner.school_class.name == "起重 2401 班"
        assert learner.school_class.instructor is not None
        assert learner.school_class.instructor.role is Role.INSTRUCTOR

        attempt = fresh.get(Attempt, keys["attempt"])
        assert attempt is not None
        assert attempt.params == {"load_kg": 850.0, "wind_mps": 4.5}
        assert attempt.seed == 2**40 + 7
        assert (attempt.passed, attempt.score, attempt.predicted_success) == (True, 87.5, 0.72)
        assert attempt.errors == [{"code": "hook_drag", "t": 12.5}]
        assert attempt.explanation == {"zh": "提高了风速", "en": "wind raised"}
        assert attempt.sub_scores["sway"] == 0.9 and attempt.metrics["duration_s"] == 142.0
        assert attempt.coach_summary == {"events": 2, "reba_max": 6}
        assert attempt.session is not None and attempt.session.recording_path == "recordings/abc.mcap"
        assert attempt.session.state is SessionState.FINISHED
        assert attempt.session.station is not None and attempt.session.station.name == "st01"
        assert attempt.session.station.capabilities == {"scenarios": ["crane.basic"]}
        assert attempt.session.station.blackouts[0].reason == "年检 annual inspection"

        spec = fresh.get(ScenarioSpec, ("crane.basic", 3))
        assert spec is not None and spec.toml_text == 'id = "crane.basic"\n'

        booking = fresh.get(Booking, keys["booking"])
        assert booking is not None
        assert booking.status is BookingStatus.CHECKED_IN
        assert booking.recurrence_id == "series-1"
        assert booking.checked_in_at == T0 + timedelta(minutes=3)

        heartbeat = fresh.scalars(select(DeviceHeartbeat)).one()
        assert (heartbeat.status, heartbeat.metrics) == (HeartbeatStatus.DEGRADED, {"fps": 24.0})
        invitation = fresh.get(MentorInvitation, keys["invitation"])
        assert invitation is not None and invitation.mentor.curve_public_key == "k" * 40
        assert invitation.session_id == keys["session"] and invitation.may_view_video
        consent = fresh.scalars(select(Consent)).one()
        assert (consent.kind, consent.granted_by, consent.withdrawn_at) == (
            ConsentKind.LIVE_VIDEO,
            ConsentGiver.GUARDIAN,
            None,
        )
        audit = fresh.get(AuditEntry, keys["audit"])
        assert audit is not None and (audit.action, audit.detail) == ("view.live", {"video": False})


def test_instants_come_back_as_the_same_instant_in_utc(engine: Engine, session: Session) -> None:
    keys = _populate(session)
    with make_session_factory(engine)() as fresh:
        booking = fresh.get(Booking, keys["booking"])
        assert booking is not None
        assert booking.starts_at == T0
        assert booking.starts_at.utcoffset() == timedelta(0)
        assert booking.starts_at.hour == 0  # 08:00 in Beijing is 00:00 UTC


def test_naive_datetimes_are_refused(session: Session) -> None:
    station = _station(session)
    session.add(Blackout(equipment=station, starts_at=datetime(2026, 1, 1), ends_at=datetime(2026, 1, 2)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_session_ids_are_random_hex(session: Session) -> None:
    _populate(session)
    run = session.scalars(select(TrainingSession)).one()
    assert len(run.id) == 32 and int(run.id, 16) >= 0


def test_deleting_a_learner_deletes_their_records(engine: Engine, session: Session) -> None:
    keys = _populate(session)
    with engine.begin() as connection:  # a plain SQL delete: the database cascades, not the ORM
        connection.execute(text("DELETE FROM learners WHERE id = :id"), {"id": keys["learner"]})
    with make_session_factory(engine)() as fresh:
        for model in (Attempt, TrainingSession, Consent, MentorInvitation, Booking):
            assert fresh.scalars(select(model)).all() == [], model.__name__
        assert fresh.scalars(select(AuditEntry)).one().actor == "mentor1"  # the log survives


def test_unknown_enum_value_is_refused_by_the_database(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text("INSERT INTO users (login, display_name, role, created_at) VALUES ('x', 'x', 'root', :t)"),
            {"t": T0},
        )


def test_attempt_must_name_a_stored_spec_version_when_it_gives_one(session: Session) -> None:
    keys = _populate(session)
    common = {"learner_id": keys["learner"], "scenario_id": "crane.basic", "seed": 1}
    session.add(Attempt(**common, spec_version=None))
    session.commit()
    session.add(Attempt(**common, spec_version=99))
    with pytest.raises(IntegrityError):
        session.commit()


def test_invitation_needs_exactly_one_scope(session: Session) -> None:
    keys = _populate(session)
    mentor = session.scalars(select(User).where(User.role == Role.MENTOR)).one()
    window = {"valid_from": T0, "valid_until": T0 + timedelta(hours=1)}
    session.add(
        MentorInvitation(mentor=mentor, session_id=keys["session"], learner_id=keys["learner"], **window)
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    session.add(MentorInvitation(mentor=mentor, **window))
    with pytest.raises(IntegrityError):
        session.commit()


# --- no double booking (shared/reference/bus_booking_privacy.md §2.3) ---


def test_overlapping_booking_is_refused(session: Session) -> None:
    station = _station(session)
    _book(session, station, 0, 2)
    session.commit()
    for start, end in [(1, 3), (-1, 1), (0.5, 1.5), (-1, 3), (0, 2)]:
        with pytest.raises(IntegrityError, match="bookings_no_overlap"):
            _book(session, station, start, end)
        session.rollback()


def test_adjacent_bookings_and_other_equipment_are_accepted(session: Session) -> None:
    station, other = _station(session, "st01"), _station(session, "st02")
    _book(session, station, 0, 2)
    _book(session, station, 2, 3)  # half-open ranges: back to back is fine
    _book(session, station, -1, 0)
    _book(session, other, 0, 2)
    session.commit()
    assert len(session.scalars(select(Booking)).all()) == 4


def test_inactive_bookings_do_not_block(session: Session) -> None:
    station = _station(session)
    _book(session, station, 0, 2, status=BookingStatus.CANCELLED)
    _book(session, station, 0, 2, status=BookingStatus.RELEASED)
    _book(session, station, 0, 2, status=BookingStatus.CONFIRMED)
    session.commit()


def test_updates_are_checked_too(session: Session) -> None:
    station = _station(session)
    _book(session, station, 0, 2)
    later = _book(session, station, 3, 4)
    cancelled = _book(session, station, 1, 2, status=BookingStatus.CANCELLED)
    session.commit()
    later.starts_at = T0 + timedelta(hours=1)  # moved into the first booking
    with pytest.raises(IntegrityError, match="bookings_no_overlap"):
        session.commit()
    session.rollback()
    cancelled.status = BookingStatus.CONFIRMED  # re-activated over the first booking
    with pytest.raises(IntegrityError, match="bookings_no_overlap"):
        session.commit()
    session.rollback()
    later.ends_at = T0 + timedelta(hours=5)  # changing a booking without new overlap is fine
    session.commit()
