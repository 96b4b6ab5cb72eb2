"""`shixun demo` as the user runs it: a subprocess that writes the report and exits 0."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from lab.bus.topics import Kind
from lab.recording.mcap_io import recording_info
from station_app.cli.main import main

SHIXUN = [sys.executable, "-m", "station_app.cli.main"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SHIXUN, *args], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_demo_runs_three_sessions_in_a_fresh_store_and_writes_the_report(tmp_path: Path) -> None:
    done = run_cli("--json", "--lang", "en", "demo", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    report = Path(summary["report"])
    assert report.parent == tmp_path / "out" and report.is_file()
    html = report.read_text(encoding="utf-8")
    assert html.count("<img") == 4  # three attempts (sway + coach timeline) and the skills across them
    assert "<script" not in html and "src='http" not in html  # self-contained
    attempts = summary["attempts"]
    assert len(attempts) == 3 and len({a["attempt_id"] for a in attempts}) == 3
    assert [a["operator"] for a in attempts] == ["autopilot:0.7", "autopilot:0.8", "autopilot:0.9"]
    for before, after in itertools.pairwise(attempts):
        assert after["skills_before"] == before["skills_after"]  # each attempt starts from the last update
        assert after["explanation"]["summary"] == before["next_plan"]["summary"]  # the preview came true
    for attempt in attempts:
        info = recording_info(attempt["recording"])
        assert info["messages"][Kind.POSE.value] > 0 and Kind.VIDEO.value not in info["messages"]
    # The store is a new file in the output folder, holding exactly the three attempts.
    engine = create_engine(f"sqlite:///{tmp_path / 'out' / 'demo.db'}")
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT count(*) FROM attempts WHERE passed IS NOT NULL")).scalar() == 3
        )
    engine.dispose()
    # Human text (progress, what happened) on stderr only.
    assert "[1/3]" in done.stderr and "the next attempt adapts" in done.stderr
    assert "report:" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("demo", "--video", "no-such-video.mp4"), "video file not found"),
        (("demo", "--attempts", "0"), "--attempts"),
        (("demo", "--scenario", "robot.nope"), "robot.nope"),
        (("demo", "--publish", "nonsense"), "cannot connect the live stream to nonsense"),
    ],
)
def test_demo_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys, args, message) -> None:
    code = _main(["--lang", "en", *args, "--out", str(tmp_path)])
    lines = capsys.readouterr().err.splitlines()
    assert code == 2 and len(lines) == 1 and message in lines[0]
    assert not (tmp_path / "report.html").exists()


def _main(argv: list[str]) -> int:
    """The CLI in-process (argparse errors exit through SystemExit)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
