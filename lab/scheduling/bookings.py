"""Bookings in the store: one-off and recurring, approval, check-in and no-show release.

No double booking is enforced by the database (PostgreSQL exclusion constraint, SQLite trigger in a
BEGIN IMMEDIATE transaction; shared/reference/bus_booking_privacy.md §2.3). This module checks first
so the usual case gets a precise message ("station 3 is booked 14:00–15:30 by class 2A"). Bookers of
one station queue on its row (SELECT … FOR UPDATE; SQLite's BEGIN IMMEDIATE already queues every
writer), so the check reads what the previous booker committed. Without that queue, PostgreSQL could
abort one of several overlapping uncommitted inserts with "deadlock detected" instead of naming the
holder. A writer that bypasses book() still meets the database's refusal, turned into the same message.
Every write happens inside a savepoint of the caller's transaction; the caller commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from lab.bus.text import Text, UserError
from lab.scheduling.recurrence import expand
from lab.scheduling.registry import blackouts_between, rules_of, trained_of
from lab.scheduling.rules import Busy, RequestContext, check_request, local_span, week_start
from lab.store.models import (
    BLOCKING_BOOKING_STATUSES,
    Booking,
    BookingStatus,
    Equipment,
    EquipmentStatus,
    Learner,
    Role,
    SchoolClass,
    User,
)

CHECKIN_OPENS_BEFORE = timedelta(minutes=15)


class ConflictError(UserError):
    """The slot is taken: by another booking (named, with its time and holder) or a blackout."""


class BookingNotFound(UserError):
    """No booking has that id."""


class BadTransition(UserError):
    """The booking is not in a state that allows the action (e.g. checking in a cancelled booking)."""


@dataclass(frozen=True)
class Parties:
    """Who a booking is for; at least one is set."""

    school_class: SchoolClass | None = None
    learner: Learner | None = None
    instructor: User | None = None
    booked_by: User | None = None


def resolve_parties(
    session: Session,
    class_code: str | None = None,
    learner_code: str | None = None,
    instructor_login: str | None = None,
    booked_by_login: str | None = None,
) -> Parties:
    """Look up the codes/logins a user typed; UserError for any that does not exist."""

    def one(model: Any, column: Any, value: str | None, what: tuple[str, str]) -> Any:
        if value is None:
            return None
        found = session.scalar(select(model).where(column == value))
        if found is None:
            raise UserError(f"没有{what[0]} {value}", f"no {what[1]} {value}")
        return found

    parties = Parties(
        school_class=one(SchoolClass, SchoolClass.code, class_code, ("班级", "class")),
        learner=one(Learner, Learner.code, learner_code, ("学员", "learner")),
        instructor=one(User, User.login, instructor_login, ("教师", "instructor")),
        booked_by=one(User, User.login, booked_by_login, ("用户", "user")),
    )
    if parties.instructor is not None and parties.instructor.role not in (Role.INSTRUCTOR, Role.ADMIN):
        raise UserError(f"{instructor_login} 不是教师", f"{instructor_login} is not an instructor")
    if not (parties.school_class or parties.learner or parties.instructor):
        raise UserError("预约需指定班级、学员或教师", "a booking needs a class, a learner or an instructor")
    return parties


def party_text(class_code: str | None, learner_code: str | None, instructor: str | None) -> Text:
    """Whom a booking is for, for messages: "class 2A", "learner L017", "instructor Wang"."""
    if class_code:
        return Text(f"班级 {class_code}", f"class {class_code}")
    if learner_code:
        return Text(f"学员 {learner_code}", f"learner {learner_code}")
    if instructor:
        return Text(f"教师 {instructor}", f"instructor {instructor}")
    return Text("他人", "someone else")


def holder_text(booking: Booking, session: Session) -> Text:
    school_class = session.get(SchoolClass, booking.class_id) if booking.class_id else None
    learner = session.get(Learner, booking.learner_id) if booking.learner_id else None
    instructor = session.get(User, booking.instructor_id) if booking.instructor_id else None
    return party_text(
        school_class and school_class.code, learner and learner.code, instructor and instructor.display_name
    )


def _overlapping(equipment_id: int, start: datetime, end: datetime) -> Select[tuple[Booking]]:
    return (
        select(Booking)
        .where(
            Booking.equipment_id == equipment_id,
            Booking.status.in_(BLOCKING_BOOKING_STATUSES),
            Booking.starts_at < end,
            Booking.ends_at > start,
        )
        .order_by(Booking.starts_at)
    )


def conflict_for(
    session: Session, equipment: Equipment, start: datetime, end: datetime, tz: ZoneInfo
) -> ConflictError | None:
    """The error naming the first booking that holds [start, end) on `equipment`, if any."""
    other = session.scalars(_overlapping(equipment.id, start, end).limit(1)).first()
    return None if other is None else _held_by(session, equipment, other, tz)


def _held_by(session: Session, equipment: Equipment, other: Booking, tz: ZoneInfo) -> ConflictError:
    """ "station 3 is booked 14:00–15:30 by class 2A (2026-11-24)"."""
    who = holder_text(other, session)
    span = local_span(other.starts_at, other.ends_at, tz)
    day = f"{other.starts_at.astimezone(tz):%Y-%m-%d}"
    pending = other.status == BookingStatus.PENDING
    return ConflictError(
        f"{equipment.name} 在 {span} 已被{who.zh} 预约（{day}{'，待审批' if pending else ''}）",
        f"{equipment.name} is booked {span} by {who.en} ({day}{', awaiting approval' if pending else ''})",
    )


def _weekly_hours(
    session: Session, equipment_id: int, parties: Parties, start: datetime, tz: ZoneInfo
) -> float:
    """Hours already booked this week on this resource by the same class (or learner)."""
    if parties.school_class is not None:
        same = Booking.class_id == parties.school_class.id
    elif parties.learner is not None:
        same = Booking.learner_id == parties.learner.id
    else:
        return 0.0
    monday = week_start(start, tz)
    rows = session.execute(
        select(Booking.starts_at, Booking.ends_at).where(
            Booking.equipment_id == equipment_id,
            Booking.status.in_(BLOCKING_BOOKING_STATUSES),
            same,
            Booking.starts_at >= monday,
            Booking.starts_at < monday + timedelta(days=7),
        )
    )
    return sum((end - begin).total_seconds() for begin, end in rows) / 3600


def book(
    session: Session,
    equipment: Equipment,
    starts_at: datetime,
    ends_at: datetime,
    parties: Parties,
    *,
    now: datetime,
    tz: ZoneInfo,
    note: str = "",
    recurrence_id: str | None = None,
    admin_override: bool = False,
) -> Booking:
    """Book `equipment` over [starts_at, ends_at) or raise ConflictError / BookingRefused.

    `admin_override` skips the policy rules (duration, notice, quota, training, approval) as
    LibreBooking's AdminExcludedRule does; status, blackouts and overlaps still apply.
    """
    rules = rules_of(equipment)
    # Queue behind any other booker of this station until it commits (a no-op clause on SQLite).
    session.execute(select(Equipment.id).where(Equipment.id == equipment.id).with_for_update())
    # One read for overlaps and buffer neighbours: two reads could disagree when another writer
    # commits in between (READ COMMITTED), turning a conflict into a wrong "buffer" refusal.
    nearby = list(
        session.scalars(_overlapping(equipment.id, starts_at - rules.buffer, ends_at + rules.buffer))
    )
    for other in nearby:
        if other.starts_at < ends_at and starts_at < other.ends_at:
            raise _held_by(session, equipment, other, tz)
    neighbours = [
        Busy(
            b.starts_at,
            b.ends_at,
            Text(f"已被{holder_text(b, session).zh}预约", f"booked by {holder_text(b, session).en}"),
        )
        for b in nearby
    ]
    blackouts = [
        Busy(b.starts_at, b.ends_at, Text(f"维护中（{b.reason}）", f"under maintenance ({b.reason})"))
        for b in blackouts_between(session, [equipment.id], starts_at, ends_at)
    ]
    trained = trained_of(equipment)
    context = RequestContext(
        now=now,
        tz=tz,
        equipment_name=equipment.name,
        bookable=equipment.status == EquipmentStatus.AVAILABLE,
        blackouts=blackouts,
        neighbours=neighbours,
        booked_hours_this_week=0.0
        if admin_override
        else _weekly_hours(session, equipment.id, parties, starts_at, tz),
        trained=admin_override
        or (parties.learner is not None and parties.learner.code in trained)
        or (parties.instructor is not None and parties.instructor.login in trained),
    )
    if admin_override:
        policy = type(rules)(buffer_minutes=rules.buffer_minutes, allow_multiday=True)
        check_request(starts_at, ends_at, policy, replace(context, now=starts_at))
    else:
        check_request(starts_at, ends_at, rules, context)
    status = (
        BookingStatus.PENDING if rules.requires_approval and not admin_override else BookingStatus.CONFIRMED
    )
    booking = Booking(
        equipment_id=equipment.id,
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        class_id=parties.school_class.id if parties.school_class else None,
        learner_id=parties.learner.id if parties.learner else None,
        instructor_id=parties.instructor.id if parties.instructor else None,
        booked_by_id=parties.booked_by.id if parties.booked_by else None,
        recurrence_id=recurrence_id,
        note=note,
    )
    try:
        with session.begin_nested():
            session.add(booking)
            session.flush()
    except IntegrityError:
        # A writer outside book() committed an overlapping booking after our check: the database refused.
        raise conflict_for(session, equipment, starts_at, ends_at, tz) or ConflictError(
            f"{equipment.name} 在 {local_span(starts_at, ends_at, tz)} 已被预约",
            f"{equipment.name} is already booked {local_span(starts_at, ends_at, tz)}",
        ) from None
    return booking


@dataclass
class SeriesResult:
    """A recurring booking: what was booked, and the occurrences skipped with the reason."""

    recurrence_id: str
    booked: list[Booking] = field(default_factory=list)
    skipped: list[tuple[datetime, datetime, UserError]] = field(default_factory=list)


def book_series(
    session: Session,
    equipment: Equipment,
    first_start: datetime,
    duration: timedelta,
    rule: str,
    parties: Parties,
    *,
    now: datetime,
    tz: ZoneInfo,
    skip_conflicts: bool = False,
    note: str = "",
) -> SeriesResult:
    """Book every occurrence of an RRULE. All or nothing, unless `skip_conflicts`: then occurrences
    that are refused are skipped and reported (LibreBooking's "retry, skip conflicts", §2.1)."""
    result = SeriesResult(recurrence_id=str(uuid.uuid4()))
    with session.begin_nested():
        for start, end in expand(rule, first_start, duration, tz):
            try:
                result.booked.append(
                    book(
                        session,
                        equipment,
                        start,
                        end,
                        parties,
                        now=now,
                        tz=tz,
                        note=note,
                        recurrence_id=result.recurrence_id,
                    )
                )
            except UserError as refused:
                if not skip_conflicts:
                    raise
                result.skipped.append((start, end, refused))
    return result


def get_booking(session: Session, booking_id: int) -> Booking:
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise BookingNotFound(f"没有编号为 {booking_id} 的预约", f"no booking with id {booking_id}")
    return booking


def _transition(
    booking: Booking, allowed: Sequence[BookingStatus], target: BookingStatus, action: tuple[str, str]
) -> None:
    if booking.status not in allowed:
        raise BadTransition(
            f"预约 {booking.id} 当前为 {booking.status.value}，不能{action[0]}",
            f"booking {booking.id} is {booking.status.value} and cannot be {action[1]}",
        )
    booking.status = target


def cancel(session: Session, booking_id: int) -> Booking:
    booking = get_booking(session, booking_id)
    _transition(
        booking,
        (BookingStatus.PENDING, BookingStatus.CONFIRMED),
        BookingStatus.CANCELLED,
        ("取消", "cancelled"),
    )
    session.flush()
    return booking


def approve(session: Session, booking_id: int) -> Booking:
    booking = get_booking(session, booking_id)
    _transition(booking, (BookingStatus.PENDING,), BookingStatus.CONFIRMED, ("批准", "approved"))
    session.flush()
    return booking


def reject(session: Session, booking_id: int) -> Booking:
    booking = get_booking(session, booking_id)
    _transition(booking, (BookingStatus.PENDING,), BookingStatus.REJECTED, ("驳回", "rejected"))
    session.flush()
    return booking


def check_in(session: Session, booking_id: int, now: datetime) -> Booking:
    """Check in from 15 min before the start until the end (LibreBooking ReservationCanBeCheckedInRule)."""
    booking = get_booking(session, booking_id)
    if not booking.starts_at - CHECKIN_OPENS_BEFORE <= now < booking.ends_at:
        raise BadTransition(
            f"预约 {booking.id} 只能在开始前 15 分钟至结束之间签到",
            f"booking {booking.id} can be checked in from 15 min before its start until its end",
        )
    _transition(booking, (BookingStatus.CONFIRMED,), BookingStatus.CHECKED_IN, ("签到", "checked in"))
    booking.checked_in_at = now
    session.flush()
    return booking


def release_no_shows(session: Session, now: datetime) -> list[Booking]:
    """Release confirmed bookings on check-in resources not checked in within `auto_release_minutes`
    of their start (LibreBooking `autorelease.php`, §2.1); the slot becomes free for others."""
    candidates = session.scalars(
        select(Booking)
        .options(joinedload(Booking.equipment))
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.starts_at <= now,
            Booking.ends_at > now - timedelta(days=1),
        )
    )
    released = []
    for booking in candidates:
        rules = rules_of(booking.equipment)
        if rules.checkin and now >= booking.starts_at + timedelta(minutes=rules.auto_release_minutes):
            booking.status = BookingStatus.RELEASED
            released.append(booking)
    session.flush()
    return released


@dataclass(frozen=True)
class BookingView:
    """A booking with names resolved, for listings, calendars and the admin app."""

    id: int
    equipment: str
    location: str
    starts_at: datetime
    ends_at: datetime
    status: BookingStatus
    holder: Text
    class_code: str | None
    learner_code: str | None
    instructor: str | None
    note: str
    recurrence_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "equipment": self.equipment,
            "location": self.location,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "status": self.status.value,
            "holder": self.holder.to_dict(),
            "class": self.class_code,
            "learner": self.learner_code,
            "instructor": self.instructor,
            "note": self.note,
            "recurrence_id": self.recurrence_id,
        }


def list_bookings(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    equipment_id: int | None = None,
    class_id: int | None = None,
    learner_id: int | None = None,
    instructor_id: int | None = None,
    statuses: Sequence[BookingStatus] = BLOCKING_BOOKING_STATUSES,
) -> list[BookingView]:
    """Bookings overlapping [start, end), oldest first, optionally for one resource or party."""
    query = (
        select(
            Booking.id, Equipment.name, Equipment.location, Booking.starts_at, Booking.ends_at, Booking.status,
            SchoolClass.code, Learner.code, User.display_name, Booking.note, Booking.recurrence_id,
        )  # columns, not entities: a week's listing is read-only and large
        .join(Equipment, Booking.equipment_id == Equipment.id)
        .outerjoin(SchoolClass, Booking.class_id == SchoolClass.id)
        .outerjoin(Learner, Booking.learner_id == Learner.id)
        .outerjoin(User, Booking.instructor_id == User.id)
        .where(Booking.starts_at < end, Booking.ends_at > start, Booking.status.in_(statuses))
        .order_by(Booking.starts_at, Equipment.name)
    )  # fmt: skip
    for column, value in (
        (Booking.equipment_id, equipment_id),
        (Booking.class_id, class_id),
        (Booking.learner_id, learner_id),
        (Booking.instructor_id, instructor_id),
    ):
        if value is not None:
            query = query.where(column == value)
    return [
        BookingView(
            id=id_,
            equipment=name,
            location=location,
            starts_at=starts_at,
            ends_at=ends_at,
            status=status,
            holder=party_text(class_code, learner_code, instructor),
            class_code=class_code,
            learner_code=learner_code,
            instructor=instructor,
            note=note,
            recurrence_id=series,
        )
        for id_, name, location, starts_at, ends_at, status, class_code, learner_code, instructor, note, series in (
            session.execute(query)
        )
    ]
