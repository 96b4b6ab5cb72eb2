"""`shixun sim run` end to end through the real entry point."""

from __future__ import annotations

import json

import pytest

from sim.crane.scene import CONTROL_HZ
from station_app.cli.main import main


def test_sim_run_json_prints_the_result_object(capsys, tmp_path):
    trace = tmp_path / "t.jsonl"
    params = tmp_path / "p.json"
    params.write_text(json.dumps({"wind_mps": 1.0}), encoding="utf-8")
    code = main(
        [
            "--json",
            "sim",
            "run",
            "--scenario",
            "crane.bridge_lift",
            "--params",
            str(params),
            "--operator",
            "idle",
            "--seed",
            "4",
            "--trace",
            str(trace),
            "--duration",
            "3",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("passed", "score", "sub_scores", "metrics", "params", "seed", "sim_s", "wall_s", "scenario"):
        assert key in out
    assert out["params"]["wind_mps"] == 1.0 and out["seed"] == 4 and out["spec_version"] >= 1
    assert out["passed"] is False and out["sim_s"] == pytest.approx(3.0)
    assert len(trace.read_text(encoding="utf-8").splitlines()) == 3 * CONTROL_HZ


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--params", '{"wind_mps": 99}'], "0..12 m/s"),
        (["--params", '{"gravity": 1}'], "unknown parameter gravity"),
        (["--params", '{"obstacle_count": "two"}'], "wrong type"),
        (["--params", "{not json"], "not valid JSON"),
        (["--params", "[1, 2]"], "JSON object"),
        (["--operator", "autopilot:3"], "0..1"),
        (["--duration", "-1"], "--duration"),
        (["--seed", "-3"], "non-negative"),
        (["--changes", '[{"t": 1, "action": "flood"}]'], "not a scene change"),
        (["--changes", '[{"action": "inject_fault", "fault": "drive_lag"}]'], "needs a time"),
        (["--changes", '[{"t": 0, "action": "set_wind", "wind_mps": 40}]'], "0..12 m/s"),
        (["--changes", '{"score": 3}'], "list of changes"),
        (["--changes", "missing.json"], "cannot read the --changes file missing.json"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, args, needle):
    code = main(["--lang", "en", "sim", "run", "--scenario", "crane.bridge_lift", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and needle in err[0]


def test_unknown_scenario_lists_the_known_ones(capsys):
    assert main(["--lang", "en", "sim", "run", "--scenario", "forklift.rodeo"]) == 2
    assert "crane.bridge_lift" in capsys.readouterr().err


def test_sim_run_re_applies_recorded_changes(capsys, tmp_path):
    result = tmp_path / "result.json"
    gust = {"t": 1.0, "action": "inject_fault", "fault": "sudden_gust"}
    result.write_text(json.dumps({"changes": [gust]}), encoding="utf-8")
    args = [
        "--json",
        "sim",
        "run",
        "--scenario",
        "crane.bridge_lift",
        "--operator",
        "idle",
        "--duration",
        "4",
    ]

    def peak_sway(*extra: str) -> float:
        trace = tmp_path / "trace.jsonl"
        assert main([*args, "--trace", str(trace), *extra]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["changes"] == ([gust] if extra else [])
        return max(json.loads(line)["sway_deg"] for line in trace.read_text(encoding="utf-8").splitlines())

    assert peak_sway("--changes", str(result)) > peak_sway() + 0.5
