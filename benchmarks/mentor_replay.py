"""Mentor viewer cost: reading a session recording into the timeline, and drawing one replay frame.

A real headless session (crane autopilot, the demo trainee's poses, the coach) writes its MCAP
recording; then, measured in the same run against references:
- loading: `station_app.mentor.recorded.load_timeline` (decode + timeline) against iterating the same
  file with `lab.recording.mcap_io.read_recording` alone (the mcap reader + envelope decode);
- drawing: one replay frame of the whole mentor window (scene, skeleton, banner, metrics, sway chart,
  time bar) at evenly spaced playhead positions, against the bare 3D scene view (`SceneView`) alone
  drawing the same snapshots at the same size. The interactive budget is ≥ 30 fps (DESIGN.md "Budgets").
Time is CPU time of this thread (minimum over repeats), so other processes on a shared machine do not
count. Writes benchmarks/results/mentor_replay.{json,md}.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtWidgets import QApplication

from lab.recording.mcap_io import read_recording
from scenarios.spec import get_spec
from station_app.admin.support import open_store
from station_app.mentor.connection import Identity
from station_app.mentor.recorded import load_timeline
from station_app.mentor.window import MentorSettings, MentorWindow
from station_app.runtime.operators import operator_for
from station_app.runtime.session import SessionSettings, StationSession
from station_app.runtime.trainee import demo_trainee
from station_app.views.scene3d import SceneView

RESULTS = Path(__file__).with_name("results")
REPEATS = 3
FRAMES = 120
BUDGET_FPS = 30.0


def _cpu(run) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.thread_time()
        run()
        best = min(best, time.thread_time() - start)
    return best


def record_session(folder: Path) -> Path:
    sessions = open_store(f"sqlite:///{folder / 'shixun.db'}")
    settings = SessionSettings(station="st01", recordings_dir=folder, preview_next=False)
    spec = get_spec("crane.bridge_lift")
    session = StationSession(
        sessions, spec, "L001", operator_for("autopilot:0.7", spec.family), demo_trainee, settings
    )
    debrief = session.run()
    sessions.kw["bind"].dispose()
    assert debrief.recording is not None
    return Path(debrief.recording)


def main() -> dict:
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="shixun-mentor-bench-") as tmp:
        path = record_session(Path(tmp))
        size_mb = path.stat().st_size / 1e6
        messages = sum(1 for _ in read_recording(path))
        read_s = _cpu(lambda: sum(1 for _ in read_recording(path)))
        load_s = _cpu(lambda: load_timeline("st01", "bench", (path,)))
        timeline = load_timeline("st01", "bench", (path,))

    window = MentorWindow(Identity(None, None), None, MentorSettings(None), "en")
    window.timer.stop()  # frames are driven here, not by the GUI clock
    window.resize(1500, 940)
    window.show()
    window.show_recording(timeline)
    app.processEvents()
    span = timeline.end - timeline.start
    positions = [timeline.start + span * i / (FRAMES - 1) for i in range(FRAMES)]
    snapshots = [timeline.state_at(t) for t in positions]
    scene = SceneView()
    scene.resize(window.scene.size())

    def window_frames() -> None:
        for t in positions:
            window.playhead.position = t
            window.render()
            window.grab()

    def scene_frames() -> None:
        for snapshot in snapshots:
            scene.set_snapshot(snapshot)
            scene.grab()

    window_s = _cpu(window_frames) / FRAMES
    scene_s = _cpu(scene_frames) / FRAMES
    window.close()
    result = {
        "recording": {"sim_s": round(span, 1), "messages": messages, "mb": round(size_mb, 2),
                      "states": timeline.states, "poses": timeline.poses, "cues": len(timeline.cues)},
        "load_s": round(load_s, 4),
        "read_only_s": round(read_s, 4),
        "load_ratio": round(load_s / read_s, 2),
        "frame_ms": round(window_s * 1000, 2),
        "scene_only_frame_ms": round(scene_s * 1000, 2),
        "frame_ratio": round(window_s / scene_s, 2),
        "window_fps_cpu": round(1 / window_s, 1),
        "meets_30fps": 1 / window_s >= BUDGET_FPS,
        "view_size": [window.scene.width(), window.scene.height()],
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_avg": os.getloadavg()[0]},
    }  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "mentor_replay.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    rec = result["recording"]
    (RESULTS / "mentor_replay.md").write_text(
        "# Mentor viewer: loading a recording and drawing replay frames\n\n"
        f"Recording of a real headless session: {rec['sim_s']} s, {rec['messages']} messages "
        f"({rec['states']} states, {rec['poses']} pose frames, {rec['cues']} coach cues), {rec['mb']} MB.\n\n"
        "| measure | mentor | reference | ratio |\n|---|---|---|---|\n"
        f"| load the recording (CPU s) | {result['load_s']} (timeline) | {result['read_only_s']} (mcap read + decode) "
        f"| x{result['load_ratio']} |\n"
        f"| one replay frame (CPU ms) | {result['frame_ms']} (whole window) | {result['scene_only_frame_ms']} "
        f"(3D scene view alone, {result['view_size'][0]}×{result['view_size'][1]}) | x{result['frame_ratio']} |\n\n"
        f"Whole window: {result['window_fps_cpu']} frames per CPU second (budget ≥ {BUDGET_FPS:g} fps: "
        f"{result['meets_30fps']}). CPU time of the measuring thread, minimum of {REPEATS} runs; "
        f"load average {result['machine']['load_avg']:.1f} on {result['machine']['cpus']} CPUs shared with other work.\n",
        encoding="utf-8",
    )
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
