"""Command-line arguments: any argv parses or exits 2 in one line; the privacy commands, run on any
argv by nobody logged in, end in an exit code (never a traceback) and change no stored data."""

from __future__ import annotations

import argparse
import contextlib
import io
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lab.audit import chain
from lab.auth import accounts
from lab.store.engine import make_engine, make_session_factory
from lab.store.migrate import upgrade
from lab.store.models import Learner, Role, User
from lab.store.types import utc_now
from station_app.cli.main import build_parser, main

PRIVACY_COMMANDS = ["users", "audit", "purge", "learner", "consent", "login", "logout", "whoami", "config"]
NEVER_RUN = {"--db", "--config", "--help", "-h", "--version"}  # would point at other files, or only print


def _vocabulary(parser: argparse.ArgumentParser, commands: list[str] | None = None) -> list[str]:
    """Every subcommand name and option string reachable from `parser` (optionally from some commands)."""
    words: set[str] = set()
    for action in parser._actions:
        words.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if commands is None or name in commands:
                    words.add(name)
                    words.update(_vocabulary(sub))
        if action.choices and not isinstance(action, argparse._SubParsersAction):
            words.update(str(c) for c in action.choices)
    return sorted(words)


PARSER = build_parser()
ALL_WORDS = _vocabulary(PARSER)
PRIVACY_WORDS = [w for w in _vocabulary(PARSER, PRIVACY_COMMANDS) if w not in NEVER_RUN]
NOISE = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


def _argv(words: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(words) | NOISE | st.integers(-5, 10**6).map(str), max_size=7)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(_argv(ALL_WORDS))
def test_any_argv_parses_or_exits_in_one_line(argv: list[str]) -> None:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            PARSER.parse_args(argv)
        except SystemExit as exc:
            assert exc.code in (0, 2)
            if exc.code == 2:
                assert err.getvalue().count("\n") == 1, err.getvalue()


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz-cli') / 'shixun.db'}"
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine).begin() as db:
        accounts.create_user(db, None, "root", "Root", Role.ADMIN, None, utc_now())
        db.add(Learner(code="L1"))
    engine.dispose()
    return url


def _counts(url: str) -> tuple[int, int, bool]:
    engine = make_engine(url)
    with make_session_factory(engine)() as db:
        result = (
            db.scalar(select(func.count()).select_from(User)),
            db.scalar(select(func.count()).select_from(Learner)),
            chain.verify(db).ok,
        )
    engine.dispose()
    return result


@pytest.mark.slow
@settings(max_examples=60, deadline=None, derandomize=True)
@given(argv=_argv(PRIVACY_WORDS))
def test_privacy_commands_on_any_argv_change_nothing(
    seeded_store: str, argv: list[str], tmp_path_factory
) -> None:
    before = _counts(seeded_store)
    err = io.StringIO()
    with (
        contextlib.chdir(tmp_path_factory.getbasetemp()),
        mock.patch("sys.stdin", io.StringIO("")),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = main(["--db", seeded_store, "--lang", "en", *argv])
        except SystemExit as exc:
            code = exc.code
    assert code in (0, 1, 2), err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert _counts(seeded_store) == before
    assert not list(Path(tmp_path_factory.getbasetemp()).glob("*.zip"))


def test_deeply_nested_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("a = " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["--config", str(config), "config", "show"]) == 2
