"""Schema migrations, configured in code so no alembic.ini is needed at run time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import URL, Engine
from sqlalchemy.exc import DBAPIError

from lab.store.engine import StoreError, first_line, make_engine

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
    with _engine(target) as engine:
        where = engine.url.render_as_string(hide_password=True)
        try:
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
        except CommandError as exc:  # e.g. a store written by a newer Shixun
            raise StoreError(
                f"无法升级数据库 {where}：{exc}（数据库是否由更新版本的实训创建？）",
                f"cannot upgrade the store {where}: {exc} (was it made by a newer Shixun?)",
            ) from None
        except DBAPIError as exc:  # e.g. a read-only file, or no CREATE permission
            reason = first_line(exc)
            raise StoreError(
                f"无法升级数据库 {where}：{reason}", f"cannot upgrade the store {where}: {reason}"
            ) from None


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
