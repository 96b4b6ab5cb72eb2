"""`shixun session run`: the runtime on the configured store, with a recorded pose stream."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from station_app.cli.main import main
from vision import mocap

SHIXUN = [sys.executable, "-m", "station_app.cli.main"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SHIXUN, *args], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_session_run_with_a_pose_stream_file_stores_and_records(tmp_path: Path) -> None:
    poses = tmp_path / "poses.jsonl"
    mocap.render(mocap.Clip.load("walk").hold(0.0), 6.0, camera=mocap.Camera(yaw_deg=40)).write(poses)
    db = f"sqlite:///{tmp_path / 'station.db'}"
    done = run_cli(
        "--db", db, "--json", "--lang", "en", "session", "run", "--learner", "L1", "--station", "st09",
        "--poses", str(poses), "--max-s", "8", "--recordings", str(tmp_path / "rec"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    debrief = json.loads(done.stdout)
    assert debrief["learner"] == "L1" and debrief["station"] == "st09"
    assert debrief["messages"]["pose"] == 180  # the whole 6 s file at 30 fps, within the 8 s attempt
    assert debrief["result"]["critical"] == ["not_completed"]  # stopped at --max-s
    assert Path(debrief["recording"]).parent == tmp_path / "rec"
    again = run_cli("--db", db, "--json", "session", "run", "--learner", "L1", "--max-s", "1")
    assert json.loads(again.stdout)["skills_before"] == debrief["skills_after"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--operator", "hand_signals"), "needs --signals"),
        (("--poses", "missing.jsonl"), "pose stream not found"),
        (("--max-s", "0"), "--max-s"),
    ],
)
def test_session_run_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys, args, message) -> None:
    db = f"sqlite:///{tmp_path / 'station.db'}"
    code = _main(["--db", db, "--lang", "en", "session", "run", "--learner", "L1", *args])
    lines = capsys.readouterr().err.splitlines()
    assert code == 2 and len(lines) == 1 and message in lines[0]


def _main(argv: list[str]) -> int:
    """The CLI in-process (argparse errors exit through SystemExit)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def test_session_run_with_an_unreachable_edge_box_is_aborted_with_one_error_line(tmp_path: Path, capsys):
    db = f"sqlite:///{tmp_path / 'station.db'}"
    code = _main(
        [
            "--db",
            db,
            "--lang",
            "en",
            "session",
            "run",
            "--learner",
            "L1",
            "--edge",
            "e1",
            "--bus",
            "bogus://x",
        ]
    )
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and err[-1].startswith("shixun: cannot connect to the edge box stream bogus://x")
    engine = create_engine(db)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT state FROM sessions")).scalar() == "aborted"
    engine.dispose()
