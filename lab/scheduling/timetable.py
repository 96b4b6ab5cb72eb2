"""A week's practice timetable proposed by OR-Tools CP-SAT (pure: plain inputs, no store, no I/O).

Model (shared/reference/bus_booking_privacy.md §2.4, "Measured model"): a week is a grid of days ×
half-hour slots; each session request has a length in slots and must stay within one day. It picks one
station among those that can run its scenario and one instructor among those qualified for it, as
optional fixed-size intervals with NoOverlap per station, per instructor and per party (class or
learner). Station blackouts and existing bookings, and the hours an instructor is not available,
are fixed intervals in those NoOverlaps.

A first-fit greedy timetable warm-starts the search as a hint, so a feasible answer exists from the
first instant whenever first-fit finds one (on a busy 2-core machine CP-SAT alone did not find a
first solution for 500 sessions within 10 s; with the hint and without load-time probing it does in
under a second). Required sessions must be placed. Optional sessions (extra practice for lagging classes and learners,
see `lab.scheduling.demand`) are placed by weight: the objective is lexicographic, first the total
weight of placed optional sessions, then "as early as possible". CP-SAT finds feasible timetables at
lab scale quickly but rarely proves optimality, so the result is "best found in N s" (§2.4).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ortools.sat.python import cp_model

from lab.bus.text import UserError
from lab.scheduling.grid import WeekGrid

DEFAULT_WORKERS = 2  # the machines this runs on have 2 cores (§2.4: fewer workers than cores hurts)


class TimetableInfeasible(UserError):
    """The required sessions cannot all be placed; the message says which and why when it can."""


@dataclass(frozen=True)
class StationInfo:
    id: str
    scenarios: frozenset[str]
    busy: tuple[tuple[int, int], ...] = ()  # blackouts and existing bookings, as grid spans


@dataclass(frozen=True)
class InstructorInfo:
    id: str
    scenarios: frozenset[str]  # what they are qualified to supervise
    available: tuple[tuple[int, int], ...]  # grid spans when they can teach


@dataclass(frozen=True)
class SessionRequest:
    """One practice session to place; `parties` may not be in two places at once."""

    id: str
    scenario: str
    slots: int
    parties: tuple[str, ...]
    required: bool = True
    weight: int = 0  # for optional sessions: how much placing it is worth (lag-driven)


@dataclass(frozen=True)
class Placement:
    request: SessionRequest
    station: str
    instructor: str
    start: int  # grid slot


@dataclass
class Proposal:
    placements: list[Placement]
    unplaced: list[SessionRequest]
    status: str  # "optimal", "feasible", or "first-fit" (the greedy warm start, when CP-SAT found nothing better in time)
    placed_weight: int
    seconds: float
    improvements: list[tuple[float, int]] = field(default_factory=list)  # CP-SAT's: (seconds, placed weight)
    first_fit_seconds: float | None = None  # when the greedy warm start had every required session placed


def _unavailable(available: Sequence[tuple[int, int]], total: int) -> list[tuple[int, int]]:
    """The complement of an instructor's available spans within the week."""
    gaps, cursor = [], 0
    for a, b in sorted(available):
        if a > cursor:
            gaps.append((cursor, a))
        cursor = max(cursor, b)
    if cursor < total:
        gaps.append((cursor, total))
    return gaps


def _mask(a: int, b: int) -> int:
    return ((1 << (b - a)) - 1) << a


def greedy(
    requests: Sequence[SessionRequest],
    stations: Sequence[StationInfo],
    instructors: Sequence[InstructorInfo],
    grid: WeekGrid,
) -> dict[str, Placement]:
    """A quick first-fit timetable, used to warm-start CP-SAT (§2.4 "Hints").

    Required sessions first, the most constrained (fewest station × instructor choices, longest)
    first, each at its earliest start where a station, an instructor and every party are free;
    then optional ones by weight. Occupancy is a bit mask per station, instructor and party.
    """
    total, per_day = grid.total_slots, grid.slots_per_day
    station_busy = {s.id: sum(_mask(a, b) for a, b in s.busy if b > a) for s in stations}
    instructor_busy = {
        i.id: sum(_mask(a, b) for a, b in _unavailable(i.available, total)) for i in instructors
    }
    party_busy: dict[str, int] = defaultdict(int)
    eligible = {
        r.id: (
            [s.id for s in stations if r.scenario in s.scenarios],
            [i.id for i in instructors if r.scenario in i.scenarios],
        )
        for r in requests
    }

    def order(r: SessionRequest) -> tuple:
        ks, ins = eligible[r.id]
        return (not r.required, -r.weight, len(ks) * len(ins), -r.slots)

    placed: dict[str, Placement] = {}
    for request in sorted(requests, key=order):
        ks, ins = eligible[request.id]
        if not (ks and ins and 1 <= request.slots <= per_day):
            continue
        for start in (d * per_day + s for d in range(grid.days) for s in range(per_day - request.slots + 1)):
            span = _mask(start, start + request.slots)
            if any(party_busy[p] & span for p in request.parties):
                continue
            station = next((k for k in ks if not station_busy[k] & span), None)
            instructor = next((i for i in ins if not instructor_busy[i] & span), None)
            if station is None or instructor is None:
                continue
            station_busy[station] |= span
            instructor_busy[instructor] |= span
            for party in request.parties:
                party_busy[party] |= span
            placed[request.id] = Placement(request, station, instructor, start)
            break
    return placed


def _check_candidates(
    requests: Sequence[SessionRequest],
    stations: Sequence[StationInfo],
    instructors: Sequence[InstructorInfo],
    grid: WeekGrid,
) -> None:
    """Explain the obvious infeasibilities before searching: no station, no instructor, too long."""
    for request in requests:
        if not request.required:
            continue
        if request.slots > grid.slots_per_day or request.slots < 1:
            raise TimetableInfeasible(
                f"课次 {request.id} 的时长不在一天的范围内", f"session {request.id} does not fit in one day"
            )
        if not any(request.scenario in s.scenarios for s in stations):
            raise TimetableInfeasible(
                f"没有工位能运行场景 {request.scenario}（课次 {request.id}）",
                f"no station can run scenario {request.scenario} (session {request.id})",
            )
        if not any(request.scenario in i.scenarios for i in instructors):
            raise TimetableInfeasible(
                f"没有教师能指导场景 {request.scenario}（课次 {request.id}）",
                f"no instructor is qualified for scenario {request.scenario} (session {request.id})",
            )


def propose(
    requests: Sequence[SessionRequest],
    stations: Sequence[StationInfo],
    instructors: Sequence[InstructorInfo],
    grid: WeekGrid,
    *,
    seconds: float = 10.0,
    seed: int = 0,
    workers: int = DEFAULT_WORKERS,
    hints: Mapping[str, Placement] | None = None,
    on_improvement: Callable[[float, int], None] | None = None,
) -> Proposal:
    """The best timetable found within `seconds`; TimetableInfeasible if required sessions can't fit.

    `hints` (request id → placement, e.g. the current timetable) warm-start re-planning so changes
    stay small (§2.4 "Hints"); `on_improvement(seconds, placed_weight)` streams progress to a UI.
    """
    began = time.monotonic()  # `seconds` covers building the model too, not only the search
    _check_candidates(requests, stations, instructors, grid)
    first_fit = greedy(requests, stations, instructors, grid)
    complete = all(r.id in first_fit for r in requests if r.required)
    first_fit_seconds = time.monotonic() - began if complete else None
    hints = {**first_fit, **(hints or {})}
    model = cp_model.CpModel()
    total, per_day = grid.total_slots, grid.slots_per_day
    station_intervals: dict[str, list] = defaultdict(list)
    instructor_intervals: dict[str, list] = defaultdict(list)
    party_intervals: dict[str, list] = defaultdict(list)
    chosen: dict[str, tuple] = {}
    weighted, starts = [], []

    for request in requests:
        station_ids = [s.id for s in stations if request.scenario in s.scenarios]
        instructor_ids = [i.id for i in instructors if request.scenario in i.scenarios]
        if not (station_ids and instructor_ids and 1 <= request.slots <= per_day):
            continue  # an optional session nobody can host stays unplaced
        length = request.slots
        day_windows = [[d * per_day, d * per_day + per_day - length] for d in range(grid.days)]
        start = model.new_int_var_from_domain(
            cp_model.Domain.from_intervals(day_windows), f"start_{request.id}"
        )
        present = model.new_bool_var(f"present_{request.id}")
        if request.required:
            model.add(present == 1)
        else:
            weighted.append(request.weight * present)
        starts.append(start)
        at_station = {k: model.new_bool_var(f"{request.id}@{k}") for k in station_ids}
        with_instructor = {i: model.new_bool_var(f"{request.id}+{i}") for i in instructor_ids}
        model.add(sum(at_station.values()) == present)
        model.add(sum(with_instructor.values()) == present)
        for k, used in at_station.items():
            station_intervals[k].append(model.new_optional_fixed_size_interval_var(start, length, used, ""))
        for i, used in with_instructor.items():
            instructor_intervals[i].append(
                model.new_optional_fixed_size_interval_var(start, length, used, "")
            )
        whole = model.new_optional_fixed_size_interval_var(start, length, present, "")
        for party in request.parties:
            party_intervals[party].append(whole)
        chosen[request.id] = (request, start, present, at_station, with_instructor)
        hint = hints.get(request.id)
        if hint is not None and hint.station in at_station and hint.instructor in with_instructor:
            model.add_hint(start, hint.start)
            model.add_hint(present, 1)
            for k, used in at_station.items():  # a complete hint: CP-SAT then checks it at once
                model.add_hint(used, k == hint.station)
            for i, used in with_instructor.items():
                model.add_hint(used, i == hint.instructor)
        elif not request.required:
            model.add_hint(present, 0)

    for station in stations:
        fixed = [model.new_fixed_size_interval_var(a, b - a, "") for a, b in station.busy if b > a]
        model.add_no_overlap(station_intervals[station.id] + fixed)
    for instructor in instructors:
        gaps = _unavailable(instructor.available, total)
        fixed = [model.new_fixed_size_interval_var(a, b - a, "") for a, b in gaps]
        model.add_no_overlap(instructor_intervals[instructor.id] + fixed)
    for intervals in party_intervals.values():
        model.add_no_overlap(intervals)

    # Lexicographic: one unit of placed weight outweighs any shift of all starts.
    unit = total * max(1, len(starts)) + 1
    model.maximize(unit * sum(weighted) - sum(starts))

    solver = cp_model.CpSolver()
    # 5% of the budget is kept for reading the solution back, so the whole call fits in `seconds`.
    solver.parameters.max_time_in_seconds = max(0.1, 0.95 * seconds - (time.monotonic() - began))
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    # Probing while loading the model took 6–11 s on the 500-session week on a busy 2-core machine,
    # before any solution; without it the first solution (the hint) came at 0.4 s (booking_bench).
    solver.parameters.cp_model_probing_level = 0
    progress = _Progress(began, unit, total * max(1, len(starts)), on_improvement)
    status = solver.solve(model, progress)
    elapsed = time.monotonic() - began
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if status != cp_model.INFEASIBLE and first_fit_seconds is not None:
            return _first_fit_proposal(requests, first_fit, elapsed, first_fit_seconds)  # solver out of time
        reason = "证明无解" if status == cp_model.INFEASIBLE else f"{seconds:g} 秒内未找到可行方案"
        reason_en = (
            "proved infeasible"
            if status == cp_model.INFEASIBLE
            else f"no feasible timetable within {seconds:g} s"
        )
        raise TimetableInfeasible(
            f"必修课次无法全部排入（{reason}）：请增加工位或教师可用时间，或减少课次",
            f"the required sessions cannot all be placed ({reason_en}): add station or instructor time, "
            "or request fewer sessions",
        )
    placements, unplaced, placed_weight = [], [], 0
    for request in requests:
        if request.id not in chosen:
            unplaced.append(request)
            continue
        _, start, present, at_station, with_instructor = chosen[request.id]
        if not solver.boolean_value(present):
            unplaced.append(request)
            continue
        station = next(k for k, used in at_station.items() if solver.boolean_value(used))
        instructor = next(i for i, used in with_instructor.items() if solver.boolean_value(used))
        placements.append(Placement(request, station, instructor, solver.value(start)))
        placed_weight += 0 if request.required else request.weight
    return Proposal(
        placements=sorted(placements, key=lambda p: (p.start, p.station)),
        unplaced=unplaced,
        status="optimal" if status == cp_model.OPTIMAL else "feasible",
        placed_weight=placed_weight,
        seconds=elapsed,
        improvements=progress.improvements,
        first_fit_seconds=first_fit_seconds,
    )


def _first_fit_proposal(
    requests: Sequence[SessionRequest],
    placed: Mapping[str, Placement],
    seconds: float,
    first_fit_seconds: float,
) -> Proposal:
    placements = sorted(placed.values(), key=lambda p: (p.start, p.station))
    weight = sum(p.request.weight for p in placements if not p.request.required)
    return Proposal(
        placements=placements,
        unplaced=[r for r in requests if r.id not in placed],
        status="first-fit",
        placed_weight=weight,
        seconds=seconds,
        first_fit_seconds=first_fit_seconds,
    )


class _Progress(cp_model.CpSolverSolutionCallback):
    """Records (and forwards) each improving solution's placed weight."""

    def __init__(
        self, began: float, unit: int, max_start_sum: int, forward: Callable[[float, int], None] | None
    ):
        super().__init__()
        self.began, self.unit, self.offset, self.forward = began, unit, max_start_sum, forward
        self.improvements: list[tuple[float, int]] = []

    def on_solution_callback(self) -> None:
        weight = int((self.objective_value + self.offset) // self.unit)
        moment = time.monotonic() - self.began
        self.improvements.append((moment, weight))
        if self.forward is not None:
            self.forward(moment, weight)


def local_slot_range(grid: WeekGrid, placement: Placement, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A placement's [start, end) as aware datetimes in `tz`."""
    begin = grid.slot_start(placement.start).astimezone(tz)
    end = begin + timedelta(minutes=grid.slot_minutes * placement.request.slots)
    return begin, end
