"""CP-SAT timetable proposals: every constraint holds, lagging parties get more time, clear infeasibility."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from lab.scheduling.demand import Need, lag, needs_from_estimates, requests_from_needs
from lab.scheduling.grid import WeekGrid
from lab.scheduling.timetable import (
    InstructorInfo,
    SessionRequest,
    StationInfo,
    TimetableInfeasible,
    propose,
)

TZ = ZoneInfo("Asia/Shanghai")
GRID = WeekGrid(monday=datetime(2026, 11, 30, tzinfo=TZ), days=2, slots_per_day=8)
CRANE, ROBOT = "crane.bridge_lift", "robot.pick"
SOLVE = {"seconds": 5.0, "seed": 7, "workers": 1}  # small, deterministic (§2.4 "For tests")


def assert_valid(proposal, stations, instructors, grid) -> None:
    """No overlaps per station, instructor or party; capabilities, availability, busy spans, days."""
    station_of = {s.id: s for s in stations}
    instructor_of = {i.id: i for i in instructors}
    used: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for p in proposal.placements:
        span = (p.start, p.start + p.request.slots)
        assert span[0] // grid.slots_per_day == (span[1] - 1) // grid.slots_per_day, "crosses a day"
        assert p.request.scenario in station_of[p.station].scenarios
        assert p.request.scenario in instructor_of[p.instructor].scenarios
        assert any(a <= span[0] and span[1] <= b for a, b in instructor_of[p.instructor].available)
        assert all(span[1] <= a or b <= span[0] for a, b in station_of[p.station].busy)
        for key in (f"station:{p.station}", f"instructor:{p.instructor}", *p.request.parties):
            used[key].append(span)
    for key, spans in used.items():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in pairwise(spans)), key


def lab():
    stations = [
        StationInfo("st1", frozenset({CRANE}), busy=((0, 4),)),  # maintenance Monday morning
        StationInfo("st2", frozenset({CRANE, ROBOT})),
    ]
    instructors = [
        InstructorInfo("wang", frozenset({CRANE}), available=((0, 16),)),
        InstructorInfo("li", frozenset({CRANE, ROBOT}), available=((8, 16),)),  # Tuesday only
    ]
    return stations, instructors


def test_required_sessions_are_placed_within_every_constraint() -> None:
    stations, instructors = lab()
    requests = [
        SessionRequest("2A-crane", CRANE, 4, ("class:2A",)),
        SessionRequest("2A-robot", ROBOT, 2, ("class:2A",)),
        SessionRequest("2B-crane", CRANE, 4, ("class:2B",)),
        SessionRequest("2B-crane-2", CRANE, 3, ("class:2B",)),
        SessionRequest("L001-crane", CRANE, 2, ("learner:L001",)),
    ]
    proposal = propose(requests, stations, instructors, GRID, **SOLVE)
    assert proposal.unplaced == []
    assert {p.request.id for p in proposal.placements} == {r.id for r in requests}
    assert_valid(proposal, stations, instructors, GRID)


def test_spare_time_goes_to_the_class_that_lags() -> None:
    stations = [StationInfo("st1", frozenset({CRANE}))]
    instructors = [InstructorInfo("wang", frozenset({CRANE}), available=((0, 16),))]
    needs = [Need("class:2A", CRANE, 0.8), Need("class:2B", CRANE, 0.2)]
    requests = requests_from_needs(needs, {}, max_extra=3, class_slots=3)
    proposal = propose(requests, stations, instructors, GRID, **SOLVE)
    assert_valid(proposal, stations, instructors, GRID)
    time = defaultdict(int)
    for p in proposal.placements:
        time[p.request.parties[0]] += p.request.slots
    # 16 slots: both base sessions (6), then 2A's extras (weights 80, 40, 27) beat 2B's one (20).
    assert time["class:2A"] > time["class:2B"] >= 3
    assert proposal.unplaced and all(not r.required for r in proposal.unplaced)
    assert proposal.placed_weight == 80 + 40
    assert proposal.improvements and proposal.improvements[-1][1] == proposal.placed_weight


def test_a_learner_is_never_in_their_class_session_and_their_own_at_once() -> None:
    stations = [StationInfo("st1", frozenset({CRANE})), StationInfo("st2", frozenset({CRANE}))]
    instructors = [
        InstructorInfo("wang", frozenset({CRANE}), available=((0, 16),)),
        InstructorInfo("li", frozenset({CRANE}), available=((0, 16),)),
    ]
    estimates = {"L001": {CRANE: [-2.0, -1.5]}, "L002": {CRANE: [1.0, 1.2]}, "L003": {CRANE: [0.5, 0.8]}}
    class_of = {"L001": "2A", "L002": "2A", "L003": "2A"}
    needs = needs_from_estimates(estimates, class_of)
    assert [n.party for n in needs] == ["class:2A", "learner:L001"]
    requests = requests_from_needs(needs, class_of, base_sessions=2, max_extra=3, class_slots=4)
    assert all("learner:L001" in r.parties for r in requests)
    proposal = propose(
        requests, stations, instructors, WeekGrid(GRID.monday, days=1, slots_per_day=8), **SOLVE
    )
    assert_valid(proposal, stations, instructors, WeekGrid(GRID.monday, days=1, slots_per_day=8))


def test_lag_is_the_predicted_failure_rate() -> None:
    assert lag([0.0]) == pytest.approx(0.5)
    assert lag([-3.0, -3.0]) > 0.9 > 0.1 > lag([3.0])


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (SessionRequest("x", "welding", 2, ("class:2A",)), "no station can run scenario welding"),
        (SessionRequest("x", ROBOT, 2, ("class:2A",)), "no instructor is qualified for scenario robot.pick"),
        (SessionRequest("x", CRANE, 9, ("class:2A",)), "does not fit in one day"),
    ],
)
def test_obvious_infeasibility_is_explained(request_, message) -> None:
    stations, instructors = lab()
    instructors = [instructors[0]]
    with pytest.raises(TimetableInfeasible, match=message):
        propose([request_], stations, instructors, GRID, **SOLVE)


def test_too_many_required_sessions_is_a_clear_error() -> None:
    stations = [StationInfo("st1", frozenset({CRANE}))]
    instructors = [InstructorInfo("wang", frozenset({CRANE}), available=((0, 16),))]
    requests = [SessionRequest(f"s{n}", CRANE, 4, (f"class:{n}",)) for n in range(5)]  # 20 slots > 16
    with pytest.raises(TimetableInfeasible, match="cannot all be placed"):
        propose(requests, stations, instructors, GRID, **SOLVE)


def test_busy_slots_cover_partly_touched_slots_per_day() -> None:
    grid = WeekGrid(monday=datetime(2026, 11, 30, tzinfo=TZ), days=2, slots_per_day=16)
    # Monday 08:45–09:10 touches slots 1–2; Monday 20:00 → Tuesday 09:00 covers Tuesday 08:00–09:00.
    assert grid.busy_slots(
        datetime(2026, 11, 30, 8, 45, tzinfo=TZ), datetime(2026, 11, 30, 9, 10, tzinfo=TZ)
    ) == [(1, 3)]
    assert grid.busy_slots(datetime(2026, 11, 30, 20, tzinfo=TZ), datetime(2026, 12, 1, 9, tzinfo=TZ)) == [
        (16, 18)
    ]
    assert grid.slot_start(17) == datetime(2026, 12, 1, 8, 30, tzinfo=TZ)


def test_first_fit_warm_start_answers_even_without_search_time() -> None:
    stations = [
        StationInfo(f"st{k}", frozenset({CRANE, ROBOT} if k % 2 else {CRANE}), busy=((k, k + 3),))
        for k in range(4)
    ]
    instructors = [
        InstructorInfo(f"in{i}", frozenset({CRANE, ROBOT}), available=((0, 12), (14, 16))) for i in range(4)
    ]
    requests = [
        SessionRequest(f"s{n}", ROBOT if n % 3 == 0 else CRANE, 2 + n % 3, (f"class:{n % 4}",))
        for n in range(9)
    ]
    proposal = propose(requests, stations, instructors, GRID, seconds=0.001, seed=7, workers=1)
    assert proposal.status in ("first-fit", "feasible", "optimal")
    assert proposal.first_fit_seconds is not None and proposal.unplaced == []
    assert_valid(proposal, stations, instructors, GRID)
