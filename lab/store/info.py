"""What `shixun db info` reports: where the store is, its schema revision and its row counts."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Engine, func, inspect, select

from lab.store.migrate import current_revision, head_revision
from lab.store.models import Base


def describe(engine: Engine) -> dict[str, Any]:
    """A JSON-ready summary of the store; the password in the URL is masked."""
    dialect = engine.dialect
    with engine.connect() as connection:
        existing = set(inspect(connection).get_table_names())
        counts = {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in Base.metadata.sorted_tables
            if table.name in existing
        }
        server_version = (
            sqlite3.sqlite_version
            if dialect.name == "sqlite"
            else ".".join(str(part) for part in dialect.server_version_info or ())
        )
    current, head = current_revision(engine), head_revision()
    return {
        "url": engine.url.render_as_string(hide_password=True),
        "dialect": dialect.name,
        "driver": dialect.driver,
        "server_version": server_version,
        "current_revision": current,
        "head_revision": head,
        "up_to_date": current == head,
        "tables": dict(sorted(counts.items())),
    }
