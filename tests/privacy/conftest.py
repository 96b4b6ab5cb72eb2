"""Fixtures for the privacy suites: a migrated store (SQLite and PostgreSQL) and a small school in it."""

from __future__ import annotations

from pathlib import Path

import pytest
from privacy_world import World, build_world
from sqlalchemy.orm import Session, sessionmaker


@pytest.fixture
def world(sessions: sessionmaker[Session], tmp_path: Path) -> World:
    return build_world(sessions, tmp_path)
