"""`shixun station` and `shixun instructor` on the command line: help, and bad input as one line in
the user's language with exit code 2, before any window opens."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SHIXUN = [sys.executable, "-m", "station_app.cli.main"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SHIXUN, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", ["station", "instructor"])
def test_help(command: str) -> None:
    done = run_cli(command, "--help")
    assert done.returncode == 0 and "usage: shixun " + command in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("station", "--scenario", "crane.nope"), "crane.nope"),
        (("station", "--gamepad", "/nonexistent/js0"), "cannot open gamepad /nonexistent/js0"),
        (("station", "--poses", "a.jsonl", "--video", "b.mp4"), "not allowed with argument"),
        (("station", "--key", "st.key_secret", "--server-key", "lab.key"), "--key is used with --publish"),
        (("instructor", "--key", "me.key_secret"), "--key and --server-key must be given together"),
        (("--lang", "zh", "instructor", "--key", "me.key_secret"), "--key 与 --server-key 需同时给出"),
        (("instructor", "--scenario", "crane.nope"), "crane.nope"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    done = run_cli("--lang", "en", "--db", f"sqlite:///{tmp_path / 's.db'}", *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
