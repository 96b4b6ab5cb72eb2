"""The command line's global behaviour: help, version, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SHIXUN = [sys.executable, "-m", "station_app.cli.main"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SHIXUN, *args], capture_output=True, text=True, env=env, timeout=120)


def test_version_names_the_package() -> None:
    done = run_cli("--version")
    assert done.returncode == 0
    assert done.stdout.startswith("shixun ")


def test_help_lists_command_groups() -> None:
    done = run_cli("--help")
    assert done.returncode == 0
    assert "--db" in done.stdout and "--json" in done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("no-such-command",),
        ("--lang", "fr", "--help"),
        (),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(args: tuple[str, ...]) -> None:
    done = run_cli(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_bad_config_file_is_one_line_in_the_chosen_language(tmp_path: Path) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text("[general]\nlanguage = 3\n", encoding="utf-8")
    done = run_cli("--lang", "zh", "--config", str(bad), "config", "show")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "general.language" in done.stderr and "类型" in done.stderr


def test_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    done = run_cli("--config", str(tmp_path / "absent.toml"), "config", "show")
    assert done.returncode == 2
    assert "config file not found" in done.stderr


def test_config_show_json_reflects_flags(tmp_path: Path) -> None:
    done = run_cli("--json", "--db", "sqlite:///x.db", "--lang", "en", "config", "show")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["db_url"] == "sqlite:///x.db"
    assert data["language"] == "en"


def test_a_closed_output_pipe_is_not_a_traceback() -> None:
    """`shixun ... | head -1`: the reader has gone before we write; no traceback may follow."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to write_end now fails with EPIPE
    try:
        done = subprocess.run(
            [*SHIXUN, "--json", "config", "show"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr
    assert done.returncode == 141
