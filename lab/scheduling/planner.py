"""The timetable over the store: gather stations, instructors and needs for a week, propose with
CP-SAT (`lab.scheduling.timetable`), and accept a reviewed proposal into bookings.

Instructors' qualifications and weekly availability come from a file the admin keeps
(`instructors.toml`/`.json`, see `parse_instructors`); their existing bookings are taken out of it.
Skill estimates come from the learner model over the store (`lab.store.attempts`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from lab.bus.text import UserError
from lab.scheduling.bookings import book, resolve_parties
from lab.scheduling.grid import WeekGrid, parse_clock
from lab.scheduling.registry import blackouts_between, get_equipment, scenarios_of
from lab.scheduling.timetable import InstructorInfo, Proposal, StationInfo, local_slot_range
from lab.store.models import (
    BLOCKING_BOOKING_STATUSES,
    Booking,
    Equipment,
    EquipmentKind,
    EquipmentStatus,
    Learner,
    Role,
    SchoolClass,
    User,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BOOKABLE_KINDS = (EquipmentKind.STATION, EquipmentKind.RIG)
TIMETABLE_NOTE = "timetable"


class BadPlanInput(UserError):
    """An instructors file or a proposal file that does not have the expected shape."""


def _subtract(
    spans: Sequence[tuple[int, int]], busy: Sequence[tuple[int, int]]
) -> tuple[tuple[int, int], ...]:
    """`spans` with the `busy` parts cut out."""
    result = list(spans)
    for b0, b1 in busy:
        cut = []
        for a0, a1 in result:
            cut += [(a0, min(a1, b0))] if a0 < b0 else []
            cut += [(max(a0, b1), a1)] if a1 > b1 else []
        result = [(a, b) for a, b in cut if b > a]
    return tuple(sorted(result))


def _time_spans(grid: WeekGrid, rows: Sequence[tuple[datetime, datetime]]) -> list[tuple[int, int]]:
    return [span for start, end in rows for span in grid.busy_slots(start, end)]


def week_end(grid: WeekGrid) -> datetime:
    return grid.monday + timedelta(days=7)


def stations_for_week(session: Session, grid: WeekGrid) -> list[StationInfo]:
    """Bookable stations and rigs with what they can run and when they are already taken."""
    equipment = list(
        session.scalars(
            select(Equipment)
            .where(Equipment.kind.in_(BOOKABLE_KINDS), Equipment.status == EquipmentStatus.AVAILABLE)
            .order_by(Equipment.name)
        )
    )
    start, end = grid.monday, week_end(grid)
    busy: dict[int, list[tuple[datetime, datetime]]] = {e.id: [] for e in equipment}
    for blackout in blackouts_between(session, busy, start, end):
        busy[blackout.equipment_id].append((blackout.starts_at, blackout.ends_at))
    for booking in session.scalars(
        select(Booking).where(
            Booking.equipment_id.in_(list(busy)),
            Booking.status.in_(BLOCKING_BOOKING_STATUSES),
            Booking.starts_at < end,
            Booking.ends_at > start,
        )
    ):
        busy[booking.equipment_id].append((booking.starts_at, booking.ends_at))
    return [
        StationInfo(e.name, frozenset(scenarios_of(e)), tuple(_time_spans(grid, busy[e.id])))
        for e in equipment
        if scenarios_of(e)
    ]


def parse_instructors(session: Session, data: Any, grid: WeekGrid) -> list[InstructorInfo]:
    """Instructors from `{"instructors": [{"login", "scenarios": [...], "available": [{"day": "mon",
    "from": "08:00", "to": "12:00"}, ...]}]}`, minus what they are already booked for."""
    entries = data.get("instructors") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise BadPlanInput(
            "教师文件需要一个非空的 instructors 列表",
            "the instructors file needs a non-empty `instructors` list",
        )
    result = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("login"), str):
            raise BadPlanInput("每位教师需要 login", "every instructor needs a `login`")
        login = entry["login"]
        user = session.scalar(select(User).where(User.login == login))
        if user is None or user.role not in (Role.INSTRUCTOR, Role.ADMIN):
            raise BadPlanInput(f"{login} 不是已登记的教师", f"{login} is not a registered instructor")
        scenarios = entry.get("scenarios", [])
        windows = entry.get("available", [])
        if not isinstance(scenarios, list) or not isinstance(windows, list):
            raise BadPlanInput(
                f"教师 {login} 的 scenarios 和 available 应为列表",
                f"{login}: `scenarios` and `available` must be lists",
            )
        available = []
        for window in windows:
            if not isinstance(window, dict) or window.get("day") not in WEEKDAYS[: grid.days]:
                raise BadPlanInput(
                    f"教师 {login} 的可用时段需要 day（{'/'.join(WEEKDAYS[: grid.days])}）、from、to",
                    f"{login}: each available window needs day ({'/'.join(WEEKDAYS[: grid.days])}), from, to",
                )
            day = grid.monday.date() + timedelta(days=WEEKDAYS.index(window["day"]))
            begin, end = parse_clock(window.get("from"), "from"), parse_clock(window.get("to"), "to")
            tz = grid.monday.tzinfo
            available += grid.busy_slots(
                datetime.combine(day, begin, tzinfo=tz), datetime.combine(day, end, tzinfo=tz)
            )
        booked = session.execute(
            select(Booking.starts_at, Booking.ends_at).where(
                Booking.instructor_id == user.id,
                Booking.status.in_(BLOCKING_BOOKING_STATUSES),
                Booking.starts_at < week_end(grid),
                Booking.ends_at > grid.monday,
            )
        ).all()
        free = _subtract(sorted(available), _time_spans(grid, booked))
        result.append(InstructorInfo(login, frozenset(map(str, scenarios)), free))
    return result


def estimates_from_store(
    session: Session, class_codes: Sequence[str], scenario_ids: Sequence[str]
) -> tuple[dict[str, dict[str, list[float]]], dict[str, str]]:
    """Per learner and scenario, the learner model's ability means on the scenario's skills."""
    from lab.store.attempts import (  # heavy (the learner model, SciPy): only when asked
        difficulty_model,
        learner_state,
    )
    from scenarios.paramspace import Space
    from scenarios.spec import get_spec

    spaces = {scenario: Space(get_spec(scenario)) for scenario in scenario_ids}
    models = {scenario: difficulty_model(session, space) for scenario, space in spaces.items()}
    estimates: dict[str, dict[str, list[float]]] = {}
    class_of: dict[str, str] = {}
    for code in class_codes:
        school_class = session.scalar(select(SchoolClass).where(SchoolClass.code == code))
        if school_class is None:
            raise UserError(f"没有班级 {code}", f"no class {code}")
        for learner in session.scalars(
            select(Learner).where(Learner.class_id == school_class.id).order_by(Learner.code)
        ):
            class_of[learner.code] = code
            for scenario, space in spaces.items():
                state, _ = learner_state(session, space, models[scenario], learner)
                estimates.setdefault(learner.code, {})[scenario] = [float(m) for m in state.mean]
    return estimates, class_of


def proposal_to_dict(proposal: Proposal, grid: WeekGrid) -> dict[str, Any]:
    """A reviewable, JSON-serialisable proposal (what `timetable accept` reads back)."""
    tz = grid.monday.tzinfo
    entries = []
    for placement in proposal.placements:
        start, end = local_slot_range(grid, placement, tz)
        request = placement.request
        entries.append(
            {
                "session": request.id,
                "scenario": request.scenario,
                "parties": list(request.parties),
                "station": placement.station,
                "instructor": placement.instructor,
                "starts_at": start.isoformat(),
                "ends_at": end.isoformat(),
                "required": request.required,
                "weight": request.weight,
            }
        )
    return {
        "format": "shixun.timetable/1",
        "week": grid.monday.date().isoformat(),
        "status": proposal.status,
        "seconds": round(proposal.seconds, 3),
        "placed_weight": proposal.placed_weight,
        "entries": entries,
        "unplaced": [
            {"session": r.id, "scenario": r.scenario, "weight": r.weight} for r in proposal.unplaced
        ],
    }


@dataclass
class Accepted:
    booked: list[Booking]
    skipped: list[tuple[dict[str, Any], UserError]]


def accept(session: Session, proposal: Mapping[str, Any], *, now: datetime, tz: ZoneInfo) -> Accepted:
    """Book every entry of a reviewed proposal as the admin (policy rules waived, overlaps and
    blackouts still refused); entries that no longer fit are skipped and reported."""
    if not isinstance(proposal, Mapping) or proposal.get("format") != "shixun.timetable/1":
        raise BadPlanInput(
            "不是时间表方案文件（format 应为 shixun.timetable/1）",
            "not a timetable proposal (format shixun.timetable/1)",
        )
    entries = proposal.get("entries")
    if not isinstance(entries, list):
        raise BadPlanInput("方案缺少 entries 列表", "the proposal has no `entries` list")
    result = Accepted([], [])
    for entry in entries:
        try:
            start = datetime.fromisoformat(entry["starts_at"])
            end = datetime.fromisoformat(entry["ends_at"])
            parties = {p.split(":", 1)[0]: p.split(":", 1)[1] for p in entry["parties"][:1]}
            who = resolve_parties(
                session,
                class_code=parties.get("class"),
                learner_code=parties.get("learner"),
                instructor_login=entry["instructor"],
            )
            station = get_equipment(session, entry["station"])
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            raise BadPlanInput(f"方案条目格式错误：{entry}", f"malformed proposal entry: {entry}") from None
        if start.tzinfo is None:
            raise BadPlanInput(f"方案条目缺少时区：{entry}", f"proposal entry without a time zone: {entry}")
        try:
            result.booked.append(
                book(
                    session,
                    station,
                    start,
                    end,
                    who,
                    now=now,
                    tz=tz,
                    note=f"{TIMETABLE_NOTE}: {entry.get('scenario', '')}",
                    admin_override=True,
                )
            )
        except UserError as refused:
            result.skipped.append((entry, refused))
    return result
