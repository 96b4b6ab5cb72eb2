"""Test set-up shared by every suite: isolated user dirs, offscreen Qt, and real databases.

Database fixtures:
- `sqlite_url`: a fresh SQLite file in the test's tmp_path (not migrated).
- `postgres_url`: a fresh, empty database in a real PostgreSQL server that this file starts once
  per test session on loopback (not migrated).
- `db_url`: parametrised over both, with the migrations applied; use it for anything that reads
  or writes the store, so it is tested on SQLite and PostgreSQL alike.
- `sessions`: a SQLAlchemy session factory on `db_url` (the engine disposed after the test).

PostgreSQL tests are skipped only when no server binary is installed (the Makefile installs one),
and the terminal summary then says so loudly.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before anything imports Qt

_PG_SKIPPED: list[str] = []  # why PostgreSQL tests were skipped, for the terminal summary
_PG_DB_NUMBERS = itertools.count()


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's config, data or store."""
    home = tmp_path_factory.mktemp("home")
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(variable, str(home / variable.lower()))
    for variable in [name for name in os.environ if name.startswith("SHIXUN_")]:
        monkeypatch.delenv(variable)


@dataclass(frozen=True)
class PostgresServer:
    """A running throw-away PostgreSQL cluster, reachable as the `postgres` superuser over TCP."""

    port: int
    major_version: int

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres") as conn:
            conn.autocommit = True
            conn.execute(sql)

    def create_database(self, template: str = "template0") -> str:
        name = f"test_{os.getpid()}_{next(_PG_DB_NUMBERS)}"
        # FILE_COPY (PostgreSQL 15+) copies a small template ~5x faster than the default WAL_LOG.
        strategy = " STRATEGY FILE_COPY" if self.major_version >= 15 else ""
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{strategy}')
        return name

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_bin_dir() -> Path | None:
    """The newest installed server's bin dir (Debian keeps initdb/pg_ctl out of PATH)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if candidates:
        return candidates[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _major_version(bin_dir: Path) -> int:
    output = subprocess.run(
        [str(bin_dir / "postgres"), "--version"], check=True, capture_output=True, text=True
    )
    found = re.search(r"\(PostgreSQL\) (\d+)", output.stdout)
    assert found, f"unexpected `postgres --version` output: {output.stdout!r}"
    return int(found.group(1))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start a real PostgreSQL server on a free loopback port for the whole test session."""
    bin_dir = _postgres_bin_dir()
    if bin_dir is None:
        _PG_SKIPPED.append("no PostgreSQL server binary (initdb) found; install the `postgresql` package")
        pytest.skip("PostgreSQL server not installed")
    as_server_user: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="shixun-pg-"))
    if os.geteuid() == 0:  # the server refuses to run as root
        as_server_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(workdir, user="postgres", group="postgres")
    data, log = workdir / "data", workdir / "server.log"
    port = _free_port()

    def run(*command: str) -> None:
        subprocess.run([*as_server_user, *command], check=True, capture_output=True, cwd=workdir)

    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {workdir} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"  # throw-away data
    )
    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C", "--no-sync")  # fmt: skip
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start")
    except subprocess.CalledProcessError as exc:
        server_log = log.read_text(errors="replace") if log.exists() else ""
        shutil.rmtree(workdir, ignore_errors=True)
        raise RuntimeError(
            f"PostgreSQL did not start: {exc.stderr.decode(errors='replace')}\n{server_log}"
        ) from exc
    try:
        yield PostgresServer(port=port, major_version=_major_version(bin_dir))
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'store' / 'shixun.db'}"


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh empty database in the session's PostgreSQL server, dropped after the test."""
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def _migrated_postgres_template(postgres_server: PostgresServer) -> str:
    """A database migrated once to head; each test copies it (much faster than migrating)."""
    from lab.store.migrate import upgrade

    name = postgres_server.create_database()
    upgrade(postgres_server.url(name))
    return name


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated store, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        from lab.store.migrate import upgrade

        url = f"sqlite:///{tmp_path / 'store' / 'shixun.db'}"
        upgrade(url)
        yield url
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database(template=request.getfixturevalue("_migrated_postgres_template"))
    yield server.url(name)
    server.drop_database(name)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    from lab.store.engine import make_engine, make_session_factory

    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _PG_SKIPPED:
        terminalreporter.section("PostgreSQL NOT TESTED", sep="!", red=True, bold=True)
        for reason in _PG_SKIPPED:
            terminalreporter.write_line(f"PostgreSQL store tests were SKIPPED: {reason}", red=True, bold=True)
