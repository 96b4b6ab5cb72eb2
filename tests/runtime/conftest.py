"""Shared pieces for the runtime tests: a migrated store's session factory and the crane spec."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lab.store.engine import make_engine, make_session_factory
from lab.store.migrate import upgrade
from scenarios.spec import Spec, get_spec


@pytest.fixture
def sqlite_factory(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def store_factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    """SQLite and PostgreSQL alike (db_url is already migrated)."""
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def crane() -> Spec:
    return get_spec("crane.bridge_lift")
