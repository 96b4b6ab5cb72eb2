"""What a session reads from and writes to the store: before the attempt and after it.

Before: the learner (created on first use), the station's booking check, the generated attempt
(parameters, seed, explanation, predicted success, via `lab.store.attempts.next_attempt`) and a
`sessions` row. After: the result completes that attempt, with the coach summary; the learner model
is the fold of the stored attempts, so storing the attempt IS the update, and the estimates before
and after are read back for the debrief.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lab.bus.text import Text, UserError
from lab.privacy.consent_records import clip_storage_allowed, live_video_allowed
from lab.scheduling.registry import scenarios_of
from lab.store import attempts as store
from lab.store.models import (
    Attempt,
    Booking,
    BookingStatus,
    Equipment,
    EquipmentKind,
    EquipmentStatus,
    Learner,
    SessionState,
    TrainingSession,
)
from scenarios.paramspace import Space

# A booking that lets its holder use the station now (pending ones still wait for approval).
USABLE_BOOKINGS = (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)


class StationRefused(UserError):
    """The station may not run this session now: out of service, booked by others, wrong scenario."""


@dataclass(frozen=True)
class BookingCheck:
    """Why this learner may use this station now."""

    station_id: int | None  # None: the station is not registered in the store
    booking_id: int | None
    text: Text


@dataclass(frozen=True)
class PreparedAttempt:
    """A generated attempt, stored and ready to run."""

    session_id: str
    attempt_id: int
    learner_code: str
    learner_created: bool
    scenario_id: str
    params: dict[str, Any]
    seed: int
    predicted_success: float
    explanation: dict[str, Any]
    booking: BookingCheck
    clips_allowed: bool  # the learner's consent to keeping clips (PIPL Art. 29)
    video_allowed: bool  # the learner's consent to live video (the view may offer video only then)


@dataclass(frozen=True)
class StoredAttempt:
    attempt_id: int
    skills_before: dict[str, dict[str, float]]
    skills_after: dict[str, dict[str, float]]


def prepare(
    factory: sessionmaker[Session],
    space: Space,
    learner_code: str,
    station: str,
    now: datetime,
    *,
    require_booking: bool = False,
    seed: int | None = None,
) -> PreparedAttempt:
    """Check the station, generate and store the next attempt, open a `sessions` row."""
    with factory() as db, db.begin():
        learner = store.learner_by_code(db, learner_code)
        created = learner is None
        if learner is None:
            learner = Learner(code=learner_code)
            db.add(learner)
            db.flush()
        booking = check_station(db, learner, station, space.spec.id, now, require_booking)
        generated = store.next_attempt(db, space, store.difficulty_model(db, space), learner_code, seed)
        attempt = db.get(Attempt, generated.attempt_id)
        assert attempt is not None  # next_attempt has just flushed it
        row = TrainingSession(
            station_id=booking.station_id,
            learner_id=learner.id,
            scenario_id=space.spec.id,
            booking_id=booking.booking_id,
            state=SessionState.RUNNING,
            started_at=now,
        )
        db.add(row)
        db.flush()
        attempt.session_id = row.id
        return PreparedAttempt(
            session_id=row.id,
            attempt_id=attempt.id,
            learner_code=learner_code,
            learner_created=created,
            scenario_id=space.spec.id,
            params=dict(attempt.params),
            seed=int(attempt.seed),
            predicted_success=float(generated.plan.p_task),
            explanation=generated.explanation,
            booking=booking,
            clips_allowed=clip_storage_allowed(learner, now),
            video_allowed=live_video_allowed(learner, now),
        )


def check_station(
    db: Session, learner: Learner, station: str, scenario_id: str, now: datetime, require_booking: bool
) -> BookingCheck:
    """May `learner` train `scenario_id` on `station` now? StationRefused says why not.

    An unregistered station is a stand-alone one (e.g. the demo): there is nothing to check against.
    A registered station must be available and set up for the scenario; if someone holds a booking
    now, it must be this learner's or their class's; with no booking, walk-in use is allowed unless
    `require_booking`.
    """
    equipment = db.scalars(
        select(Equipment).where(Equipment.name == station, Equipment.kind == EquipmentKind.STATION)
    ).one_or_none()
    if equipment is None:
        if require_booking:
            raise StationRefused(
                f"工位 {station} 未在系统中登记，无法核对预约",
                f"station {station} is not registered, so no booking can be checked",
            )
        return BookingCheck(
            None,
            None,
            Text(
                zh=f"工位 {station} 未登记：独立运行，不核对预约",
                en=f"station {station} is not registered: stand-alone use, no booking check",
            ),
        )
    if equipment.status is not EquipmentStatus.AVAILABLE:
        raise StationRefused(
            f"工位 {station} 当前不可用（{equipment.status_reason or equipment.status.value}）",
            f"station {station} is out of service ({equipment.status_reason or equipment.status.value})",
        )
    offered = scenarios_of(equipment)
    if offered and scenario_id not in offered:
        raise StationRefused(
            f"工位 {station} 未配置场景 {scenario_id}（可用：{', '.join(offered)}）",
            f"station {station} is not set up for {scenario_id} (it offers {', '.join(offered)})",
        )
    current = list(
        db.scalars(
            select(Booking).where(
                Booking.equipment_id == equipment.id,
                Booking.status.in_(USABLE_BOOKINGS),
                Booking.starts_at <= now,
                Booking.ends_at > now,
            )
        )
    )
    mine = [
        b
        for b in current
        if b.learner_id == learner.id or (b.class_id is not None and b.class_id == learner.class_id)
    ]
    if mine:
        return BookingCheck(
            equipment.id,
            mine[0].id,
            Text(
                zh=f"预约 #{mine[0].id} 有效：工位 {station}",
                en=f"booking #{mine[0].id} is valid for station {station}",
            ),
        )
    if current:
        raise StationRefused(
            f"工位 {station} 现在已被他人预约（预约 #{current[0].id}）",
            f"station {station} is booked by someone else now (booking #{current[0].id})",
        )
    if require_booking:
        raise StationRefused(
            f"学员 {learner.code} 现在没有工位 {station} 的预约",
            f"learner {learner.code} has no booking for station {station} now",
        )
    return BookingCheck(
        equipment.id,
        None,
        Text(zh=f"工位 {station} 空闲：临时使用", en=f"station {station} is free: walk-in use"),
    )


def complete(
    factory: sessionmaker[Session],
    space: Space,
    prepared: PreparedAttempt,
    result: dict[str, Any],
    coach_summary: dict[str, Any],
    recording_path: str | None,
    now: datetime,
) -> StoredAttempt:
    """Store the result on the prepared attempt and close the session; estimates before and after."""
    checked = store.parse_result(space, result)
    checked["errors"] = [*result.get("critical", ()), *result.get("deductions", {})]
    if result.get("changes"):
        # An instructor's live changes (with their sim times) stay with the attempt: the stored params,
        # seed and these re-simulate it (sim.runner.run_attempt(changes=...)).
        checked["metrics"] = {**checked.get("metrics", {}), "changes": result["changes"]}
    with factory() as db, db.begin():
        attempt = store.record_result(db, space, prepared.learner_code, checked)
        attempt.session_id = prepared.session_id
        attempt.coach_summary = coach_summary
        attempt.finished_at = now
        row = db.get(TrainingSession, prepared.session_id)
        if row is not None:
            row.state = SessionState.FINISHED
            row.ended_at = now
            row.recording_path = recording_path
        state, _history = store.learner_state(db, space, store.difficulty_model(db, space), attempt.learner)
        after = state.to_dict(space.skills)["skills"]
        return StoredAttempt(
            attempt_id=attempt.id,
            skills_before=prepared.explanation["estimates"],
            skills_after={
                k: {"theta": round(v["theta"], 3), "sd": round(v["sd"], 3)} for k, v in after.items()
            },
        )


def abort(factory: sessionmaker[Session], session_id: str, recording_path: str | None, now: datetime) -> None:
    """Mark the session aborted; its attempt keeps `passed = NULL`, so the learner model ignores it."""
    with factory() as db, db.begin():
        row = db.get(TrainingSession, session_id)
        if row is not None:
            row.state = SessionState.ABORTED
            row.ended_at = now
            row.recording_path = recording_path


def preview_next(
    factory: sessionmaker[Session], space: Space, learner_code: str, seed: int | None = None
) -> dict[str, Any]:
    """The explanation of the learner's next attempt, generated and rolled back (nothing is stored).

    The generator is seeded from the learner and their attempt count, so this is the plan the next
    `prepare` makes unless something changes in between (e.g. an instructor override).
    """
    with factory() as db:
        db.begin()
        try:
            return store.next_attempt(
                db, space, store.difficulty_model(db, space), learner_code, seed
            ).explanation
        finally:
            db.rollback()
