"""Schema migrations, configured in code so no alembic.ini is needed at run time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Engine

from lab.store.engine import make_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """The newest revision this version of Shixun knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder has no revisions"
    return head


def upgrade(target: str | URL | Engine, revision: str = "head") -> None:
    """Bring the database up to `revision` (default: head); a no-op when it is already there."""
    config = alembic_config()
    with _engine(target) as engine, engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(target: str | URL | Engine) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    with _engine(target) as engine, engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _engine(target: str | URL | Engine) -> Iterator[Engine]:
    """Use the caller's engine as is, or make one for a URL and dispose of it afterwards."""
    if isinstance(target, Engine):
        yield target
        return
    engine = make_engine(target)
    try:
        yield engine
    finally:
        engine.dispose()
