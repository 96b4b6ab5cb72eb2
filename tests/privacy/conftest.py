"""Fixtures for the privacy suites: a migrated store (SQLite and PostgreSQL) and a small school in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from privacy_world import World, build_world
from sqlalchemy.orm import Session, sessionmaker

from lab.store.engine import make_engine, make_session_factory


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def world(sessions: sessionmaker[Session], tmp_path: Path) -> World:
    return build_world(sessions, tmp_path)
