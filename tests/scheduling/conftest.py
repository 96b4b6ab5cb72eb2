"""A migrated store (SQLite and PostgreSQL) with a small lab: stations, a class, learners, instructors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from scheduling_world import Lab, seed_lab

from lab.store.engine import make_engine, make_session_factory


@pytest.fixture
def lab(db_url: str) -> Iterator[Lab]:
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        seed_lab(session)
    yield Lab(sessions=sessions, url=db_url)
    engine.dispose()
