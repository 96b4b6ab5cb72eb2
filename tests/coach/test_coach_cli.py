"""`shixun coach eval` end to end: JSON output, context file, one-line errors."""

import json

from station_app.cli.main import main
from vision import mocap


def test_eval_prints_events_and_per_frame_reba(tmp_path, capsys, walk, humanoid):
    episode = mocap.Episode("stooped_lift", 1.0, 3.0, mocap.straight_knee_lift())
    rec = mocap.render(
        walk, 4.0, camera=mocap.Camera(yaw_deg=60), episodes=[episode], noise=mocap.Noise(), humanoid=humanoid
    )
    poses = tmp_path / "poses.jsonl"
    rec.write(poses)
    context = tmp_path / "context.json"
    context.write_text(json.dumps({"steps": [[0, "lift"]], "reba": {"load_kg": 12}}))
    assert main(["--json", "coach", "eval", "--input", str(poses), "--context", str(context)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [e["rule_id"] for e in data["events"] if e["kind"] == "violation"] == ["ergo.stooped_lift"]
    assert len(data["frames"]) == 120 and data["frames"][60]["reba"]["load"] == 2
    assert data["frames"][60]["angles"]["trunk_flexion_deg"] > 60


def test_malformed_stream_is_one_line_with_line_number(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"format": "shixun.pose/1", "landmarks": "blazepose33", "fps": 30}\n{"t": 0, "image": [1]}\n'
    )
    assert main(["coach", "eval", "--input", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert "line 2" in err and "\n" not in err


def test_bad_context_and_rules_are_user_errors(tmp_path, capsys):
    poses = tmp_path / "p.jsonl"
    poses.write_text('{"format": "shixun.pose/1", "landmarks": "blazepose33", "fps": 30}\n')
    context = tmp_path / "c.json"
    context.write_text(json.dumps({"reba": {"load_kg": "heavy"}}))
    assert main(["coach", "eval", "--input", str(poses), "--context", str(context)]) == 2
    assert "reba.load_kg" in capsys.readouterr().err
    assert main(["coach", "eval", "--input", str(poses), "--rules", "nope"]) == 2
    assert "unknown coach rule" in capsys.readouterr().err


def test_thresholds_per_class(tmp_path, capsys, walk, humanoid):
    episode = mocap.Episode("stooped_lift", 1.0, 3.0, mocap.straight_knee_lift(60))
    rec = mocap.render(walk, 4.0, camera=mocap.Camera(yaw_deg=60), episodes=[episode], humanoid=humanoid)
    poses = tmp_path / "poses.jsonl"
    rec.write(poses)
    lenient = tmp_path / "t.json"
    lenient.write_text(json.dumps({"ergo.stooped_lift": {"enter": 75, "exit": 65}}))
    assert (
        main(["--json", "coach", "eval", "--input", str(poses), "--no-frames", "--thresholds", str(lenient)])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["events"] == []
    lenient.write_text(json.dumps({"ergo.stooped_lift": {"enter": "high"}}))
    assert main(["coach", "eval", "--input", str(poses), "--thresholds", str(lenient)]) == 2
    assert "thresholds must be" in capsys.readouterr().err


def test_reference_with_step_marks_from_the_demo_header(tmp_path, capsys, walk, humanoid):
    demo = mocap.render(walk, 3.0, noise=mocap.Noise(), humanoid=humanoid, seed=1)
    demo.header.extra["steps"] = [[0.0, "hook_on"]]
    demo_path = tmp_path / "demo.jsonl"
    demo.write(demo_path)
    bent = mocap.Episode(
        "elbow", 0.0, 3.0, mocap.arm_pose("left", mocap.quat_wxyz((0, 0, 1), 0), -1.4), ramp=0.1
    )
    student = mocap.render(walk, 3.0, noise=mocap.Noise(), episodes=[bent], humanoid=humanoid, seed=2)
    poses = tmp_path / "student.jsonl"
    student.write(poses)
    context = tmp_path / "context.json"
    context.write_text(json.dumps({"steps": [[0, "hook_on"]]}))
    args = ["--json", "coach", "eval", "--input", str(poses), "--reference", str(demo_path), "--no-frames"]
    assert main([*args, "--context", str(context), "--rules", "step_order"]) == 0
    deviations = [e for e in json.loads(capsys.readouterr().out)["events"] if e["kind"] == "deviation"]
    assert deviations and {e["body_part"] for e in deviations} == {"left_elbow"}
    assert deviations[0]["step_id"] == "hook_on" and "left elbow" in deviations[0]["cue"]["en"].lower()
    demo.header.extra["steps"] = "hook_on"
    demo.write(demo_path)
    assert main(["coach", "eval", "--input", str(poses), "--reference", str(demo_path)]) == 2
    assert "header 'steps'" in capsys.readouterr().err
