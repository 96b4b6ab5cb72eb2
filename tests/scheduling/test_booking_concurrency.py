"""Several processes book overlapping slots at the same instant: exactly one wins, on SQLite and
PostgreSQL, and every loser is told who holds the slot. The raw variant skips the Python check
entirely, proving the database itself refuses the overlap (shared/reference/bus_booking_privacy.md §2.3)."""

from __future__ import annotations

import multiprocessing
import queue
import time
from datetime import timedelta

import pytest
from scheduling_world import NOW, TZ, Lab, local
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from lab.scheduling.bookings import ConflictError, book, resolve_parties
from lab.scheduling.registry import get_equipment
from lab.store.engine import make_engine, make_session_factory
from lab.store.models import Booking

ROUNDS = 3  # different days, so each round is a fresh race
# Every pair of these overlaps (all contain 14:30).
CONTENDERS = {
    ("class_code", "2A"): (local(24, 14), local(24, 15, 30)),
    ("class_code", "2B"): (local(24, 14, 30), local(24, 16)),
    ("learner_code", "L001"): (local(24, 14), local(24, 15)),
    ("learner_code", "L002"): (local(24, 13, 30), local(24, 14, 45)),
}
HOLDER = {"2A": "class 2A", "2B": "class 2B", "L001": "learner L001", "L002": "learner L002"}


def _contend(url: str, who: tuple[str, str], raw: bool, barrier, results) -> None:
    """One writer process: at each round, wait for the others, then try to book at once."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    start, end = CONTENDERS[who]
    for day in range(ROUNDS):
        shift = timedelta(days=day)
        barrier.wait(timeout=60)
        try:
            with sessions.begin() as session:
                station = get_equipment(session, "station 3")
                parties = resolve_parties(session, **{who[0]: who[1]})
                if raw:
                    session.add(
                        Booking(
                            equipment_id=station.id,
                            starts_at=start + shift,
                            ends_at=end + shift,
                            class_id=parties.school_class.id if parties.school_class else None,
                            learner_id=parties.learner.id if parties.learner else None,
                        )
                    )
                else:
                    book(session, station, start + shift, end + shift, parties, now=NOW, tz=TZ)
            results.put((day, who[1], "won"))
        except ConflictError as lost:
            results.put((day, who[1], lost.message("en")))
        except IntegrityError:
            results.put((day, who[1], "refused by the database"))
        except OperationalError as error:  # PostgreSQL may abort one of two waiting inserters instead
            deadlock = getattr(error.orig, "sqlstate", None) == "40P01"
            results.put((day, who[1], "refused by the database" if deadlock else f"unexpected: {error}"))
        except Exception as error:  # reported, not raised: a dead worker would only break the barrier
            results.put((day, who[1], f"unexpected {type(error).__name__}: {error}"))
    engine.dispose()


def _collect(results, workers, count: int, deadline_s: float = 180.0) -> list:
    """Every worker's outcomes; fails at once (not after a long wait) if the workers die without them."""
    outcomes: list = []
    deadline = time.monotonic() + deadline_s
    while len(outcomes) < count:
        try:
            outcomes.append(results.get(timeout=1))
        except queue.Empty:
            dead = [w.exitcode for w in workers if w.exitcode is not None]
            assert len(dead) < len(workers), (
                f"workers exited {dead} after {len(outcomes)} of {count} outcomes"
            )
            assert time.monotonic() < deadline, f"only {len(outcomes)} of {count} outcomes"
    return outcomes


@pytest.mark.slow
@pytest.mark.parametrize("raw", [False, True], ids=["service", "raw-insert"])
def test_concurrent_overlapping_bookings_never_both_succeed(lab: Lab, raw: bool) -> None:
    spawn = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited connections
    barrier, results = spawn.Barrier(len(CONTENDERS)), spawn.Queue()
    workers = [
        spawn.Process(target=_contend, args=(lab.url, who, raw, barrier, results)) for who in CONTENDERS
    ]
    for worker in workers:
        worker.start()
    outcomes = _collect(results, workers, ROUNDS * len(CONTENDERS))
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    with lab.sessions() as session:
        stored = list(session.scalars(select(Booking).order_by(Booking.starts_at)))
    assert len(stored) == ROUNDS  # one booking per round, never two
    for day in range(ROUNDS):
        this_round = [(who, outcome) for d, who, outcome in outcomes if d == day]
        winners = [who for who, outcome in this_round if outcome == "won"]
        assert len(winners) == 1, this_round
        for who, outcome in this_round:
            if who == winners[0]:
                continue
            if raw:
                assert outcome == "refused by the database"
            else:
                span = f"{CONTENDERS[next(k for k in CONTENDERS if k[1] == winners[0])][0]:%H:%M}"
                assert outcome.startswith(f"station 3 is booked {span}–")
                assert f"by {HOLDER[winners[0]]}" in outcome
