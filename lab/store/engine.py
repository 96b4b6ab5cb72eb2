"""Reaching the store: engines for SQLite (embedded default) and PostgreSQL, and sessions.

SQLite is set up for several processes on one machine (station runtime, Qt apps, lab server):
WAL so readers never block the writer, foreign keys on, a busy timeout, and every transaction
started with BEGIN IMMEDIATE so two writers queue instead of failing on a lock upgrade
(shared/reference/bus_booking_privacy.md §2.3: WAL + BEGIN IMMEDIATE + triggers gave 0 overlaps
under 4 concurrent writers).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from lab.bus.text import UserError

SQLITE_BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_S = 5
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
# A bare `postgresql://` would mean psycopg2, which is not installed; psycopg 3 is.
_DRIVER_DEFAULTS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


class StoreError(UserError):
    """The store URL is malformed, or the database cannot be reached or opened."""


def parse_url(url: str | URL) -> URL:
    """Parse a SQLAlchemy URL, defaulting PostgreSQL to psycopg 3; UserError if malformed."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            f"无法解析数据库地址：{url}（示例：sqlite:///路径/shixun.db 或 postgresql+psycopg://用户@主机/库）",
            f"cannot parse the database URL: {url} "
            "(e.g. sqlite:///path/shixun.db or postgresql+psycopg://user@host/db)",
        ) from None
    if parsed.drivername in _DRIVER_DEFAULTS:
        parsed = parsed.set(drivername=_DRIVER_DEFAULTS[parsed.drivername])
    return parsed


def masked(url: str | URL) -> str:
    """The URL with its password replaced by ***, for messages and `db info`."""
    return parse_url(url).render_as_string(hide_password=True)


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL; None for an in-memory database or another dialect."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def make_engine(url: str | URL, *, create: bool = True, check: bool = True) -> Engine:
    """An engine for `url`, connected once when `check` so a bad URL fails here, as one line.

    With `create=False` a missing SQLite file is an error instead of a new empty database.
    """
    parsed = parse_url(url)
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise StoreError(
            f"不支持的数据库 {parsed.get_backend_name()}：请使用 SQLite 或 PostgreSQL",
            f"unsupported database {parsed.get_backend_name()}: use SQLite or PostgreSQL",
        )
    connect_args: dict[str, Any] = {}
    path = sqlite_path(parsed)
    if path is not None:
        if not create and not path.exists():
            raise StoreError(
                f"数据库文件不存在：{path}（先运行 shixun db upgrade）",
                f"database file does not exist: {path} (run `shixun db upgrade` first)",
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"无法创建数据库目录 {path.parent}：{exc.strerror}",
                f"cannot create the database directory {path.parent}: {exc.strerror}",
            ) from None
    if parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    try:
        engine = create_engine(
            parsed, connect_args=connect_args, hide_parameters=True
        )  # no personal data in logs
    except (ArgumentError, NoSuchModuleError, ImportError, TypeError) as exc:
        raise StoreError(
            f"不支持的数据库地址 {masked(parsed)}：{exc}", f"unsupported database URL {masked(parsed)}: {exc}"
        ) from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    if check:
        check_connection(engine)
    return engine


def check_connection(engine: Engine) -> None:
    """Open one connection; turn any failure into a one-line StoreError naming the (masked) URL."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (DBAPIError, sqlite3.Error) as exc:
        engine.dispose()
        reason = first_line(exc)
        where = engine.url.render_as_string(hide_password=True)
        raise StoreError(
            f"无法连接数据库 {where}：{reason}", f"cannot connect to the database {where}: {reason}"
        ) from None


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (the apps show them after saving)."""
    return sessionmaker(engine, expire_on_commit=False)


def first_line(exc: BaseException) -> str:
    """The first line of a database error, without SQLAlchemy's SQL and background link."""
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, busy timeout, BEGIN IMMEDIATE (SQLAlchemy's pysqlite recipe)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not pysqlite, emits BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
