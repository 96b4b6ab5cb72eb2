"""Engines: SQLite set-up (WAL, foreign keys), concurrent writers, and one-line errors for bad URLs."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from lab.bus.text import UserError
from lab.store.engine import make_engine, make_session_factory, masked, parse_url
from lab.store.models import Booking, Equipment, EquipmentKind

DEADLOCK_DETECTED = "40P01"  # PostgreSQL SQLSTATE


def test_sqlite_file_and_folder_are_created_with_wal_and_foreign_keys(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() > 0
    engine.dispose()
    assert Path(parse_url(sqlite_url).database or "").exists()


def test_missing_sqlite_file_is_an_error_when_not_creating(sqlite_url: str) -> None:
    with pytest.raises(UserError, match="does not exist"):
        make_engine(sqlite_url, create=False)
    assert not Path(parse_url(sqlite_url).database or "").parent.exists()


def test_a_file_that_is_not_a_database_is_a_user_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("this is not SQLite " * 100)
    with pytest.raises(UserError, match="cannot connect") as caught:
        make_engine(f"sqlite:///{bogus}")
    assert "\n" not in caught.value.message("en")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "cannot parse"),
        ("mysql://u@localhost/db", "unsupported database mysql"),
        ("postgresql+nosuchdriver://u@localhost/db", "unsupported database URL"),
    ],
)
def test_bad_urls_are_one_line_user_errors(url: str, expected: str) -> None:
    with pytest.raises(UserError, match=expected) as caught:
        make_engine(url)
    assert "\n" not in caught.value.message("en") and "\n" not in caught.value.message("zh")


def test_unreachable_server_is_a_one_line_error_with_the_password_masked() -> None:
    with pytest.raises(UserError, match="cannot connect") as caught:
        make_engine("postgresql+psycopg://x:secret@127.0.0.1:1/x")
    message = caught.value.message("en")
    assert "secret" not in message and "***" in message and "\n" not in message


def test_plain_postgresql_urls_use_psycopg_3() -> None:
    assert parse_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert masked("postgresql://u:pw@h/db") == "postgresql+psycopg://u:***@h/db"


def test_concurrent_writers_never_double_book(db_url: str) -> None:
    """4 writers race to book one station (§2.3: the reference saw 0 overlaps); none may overlap."""
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        station = Equipment(kind=EquipmentKind.STATION, name="st01")
        session.add(station)
        session.commit()
        station_id = station.id
    start = datetime(2026, 3, 2, tzinfo=UTC)
    unexpected: list[BaseException] = []

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(15):
            begin = start + timedelta(minutes=15 * rng.randrange(40))
            booking = Booking(
                equipment_id=station_id,
                starts_at=begin,
                ends_at=begin + timedelta(minutes=15 * rng.randint(1, 4)),
            )
            with sessions() as session:
                session.add(booking)
                try:
                    session.commit()
                except IntegrityError:
                    pass  # refused: overlaps a booking another writer got first
                except OperationalError as exc:
                    # Two uncommitted overlapping inserts can wait on each other: PostgreSQL aborts one
                    # with "deadlock detected" (book() avoids it by queueing on the station's row,
                    # lab/scheduling/bookings.py). Also a refusal; anything else is not.
                    if getattr(exc.orig, "sqlstate", None) != DEADLOCK_DETECTED:
                        unexpected.append(exc)
                except BaseException as exc:
                    unexpected.append(exc)

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with sessions() as session:
        booked = sorted((b.starts_at, b.ends_at) for b in session.scalars(select(Booking)))
    engine.dispose()
    assert unexpected == []
    assert len(booked) >= 2
    assert all(earlier[1] <= later[0] for earlier, later in pairwise(booked))
