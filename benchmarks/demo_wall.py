"""Wall time of `shixun demo` (budget: the whole command < 2 minutes on this 2-core machine class).

Part 1, in-process: the demo's three sessions (fresh SQLite store, autopilot 0.7 → 0.8 → 0.9, demo
trainee from motion capture, loopback live stream, MCAP recording), timed per attempt and per phase
(prepare: store + generator; run: sim + poses + coach + stream + recording; finish: store + preview).
The reference, measured in the same run, is the same attempt (same parameters, seed and operator)
through `sim.runner.run_attempt` alone, so the ratio is what the rest of the station costs on top of
the physics. Part 2: the real command, `shixun demo`, as a subprocess (interpreter start and imports
included). Writes benchmarks/results/demo_wall.{json,md}.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zmq

from lab.bus.sockets import Publisher
from lab.store.engine import make_engine, make_session_factory
from lab.store.migrate import upgrade
from scenarios.spec import get_spec
from sim.runner import make_operator, run_attempt
from station_app.cli.demo import DEMO_SKILLS
from station_app.runtime.session import SessionSettings, StationSession
from station_app.runtime.trainee import demo_trainee

RESULTS = Path(__file__).with_name("results")
BUDGET_S = 120.0


def in_process(folder: Path) -> list[dict]:
    spec = get_spec("crane.bridge_lift")
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    context = zmq.Context()
    publisher = Publisher(context, "tcp://127.0.0.1:*", bind=True)
    settings = SessionSettings(station="bench", recordings_dir=folder / "recordings")
    rows = []
    try:
        for skill in DEMO_SKILLS:
            marks: dict[str, float] = {}
            session = StationSession(
                factory,
                spec,
                "bench-learner",
                make_operator(f"autopilot:{skill}", "crane"),
                demo_trainee,
                settings,
                publisher,
            )
            session.listeners.append(
                lambda kind, _p, marks=marks: marks.setdefault(kind, time.perf_counter())
            )
            start = time.perf_counter()
            debrief = session.run()
            end = time.perf_counter()
            sim_start = time.perf_counter()
            reference = run_attempt(
                spec, debrief.params, make_operator(f"autopilot:{skill}", "crane"), debrief.seed
            )
            sim_only = time.perf_counter() - sim_start
            assert (
                reference["sim_s"] == debrief.result["sim_s"]
            )  # the same attempt, replayed by the sim alone
            session_s = end - start
            rows.append(
                {
                    "operator": f"autopilot:{skill}",
                    "sim_s": debrief.result["sim_s"],
                    "pose_frames": debrief.messages.get("pose", 0),
                    "session_wall_s": round(session_s, 3),
                    "prepare_s": round(marks["prepared"] - start, 3),
                    "run_s": round(marks["finished"] - marks["started"], 3),
                    "sim_only_wall_s": round(sim_only, 3),
                    "session_vs_sim_only": round(session_s / sim_only, 2),
                    "session_rtf": round(debrief.result["sim_s"] / session_s, 1),
                }
            )
    finally:
        publisher.close()
        context.term()
        engine.dispose()
    return rows


def command(folder: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "station_app.cli.main", "--lang", "en", "demo", "--out", str(folder / "cli")],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ | {"XDG_DATA_HOME": str(folder / "data")},
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="shixun-bench-") as tmp:
        rows = in_process(Path(tmp))
        command_s = command(Path(tmp))
    summary = {
        "benchmark": "demo_wall",
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_1min": os.getloadavg()[0],
        },
        "budget_s": BUDGET_S,
        "command_wall_s": round(command_s, 2),
        "meets_budget": command_s < BUDGET_S,
        "attempts": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "demo_wall.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# `shixun demo` wall time",
        "",
        f"The whole command (`shixun demo`, subprocess, three attempts and the report): **{command_s:.1f} s** "
        f"(budget {BUDGET_S:.0f} s; 1-minute load average {summary['machine']['load_1min']:.1f} on "
        f"{summary['machine']['cpus']} CPUs, shared).",
        "",
        "Per attempt, in-process. Reference: the same attempt through the sim alone (`run_attempt`, same "
        "parameters, seed and operator), measured in the same run.",
        "",
        "| operator | sim s | pose frames | session wall s | prepare s | run s | sim alone s | session / sim alone | session RTF |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['operator']} | {r['sim_s']:.1f} | {r['pose_frames']} | {r['session_wall_s']:.2f} | "
            f"{r['prepare_s']:.2f} | {r['run_s']:.2f} | {r['sim_only_wall_s']:.2f} | "
            f"{r['session_vs_sim_only']:.1f}× | {r['session_rtf']:.0f}× |"
        )
    (RESULTS / "demo_wall.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
